#!/usr/bin/env bash
# Start-up and lint benchmarks: civctl commands side by side with `node -e 0` (hyperfine).
# Usage: bash bench/run.sh [runs]   (needs hyperfine: apt-get install hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
[ -f dist/civctl.mjs ] || npm run --silent build
fixtures=bench/.fixtures
node bench/fixtures.mjs "$fixtures"
work=$(mktemp -d)
socket="$work/api.sock"
node dist/civctl.mjs sim --socket "$socket" 2>"$work/sim.log" &
sim=$!
trap 'kill -TERM $sim 2>/dev/null || true; wait $sim 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q 'listening on' "$work/sim.log" 2>/dev/null && break; sleep 0.1; done
node dist/civctl.mjs -s "$socket" set digestion examples/digestion-redis.json --enable 2>/dev/null
C="node dist/civctl.mjs"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/results.json" \
  'node -e 0' \
  "$C --version" \
  "$C encode notation examples/notation-aws-signer.json" \
  "$C lint examples/notation-aws-signer.json" \
  "$C -s $socket get" \
  "$C -s $socket get digestion" \
  "$C lint $fixtures/digestion-10000.json" \
  "$C lint $fixtures/digestion-20000.json" \
  "$C lint $fixtures/notation-1000.json" \
  "$C lint $fixtures/notation-2000.json" >/dev/null
node bench/report.mjs "$work/results.json"
