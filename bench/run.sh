#!/usr/bin/env bash
# Start-up and lint benchmarks: civctl commands side by side with `node -e 0` (hyperfine).
# Usage: bash bench/run.sh [runs] [rounds]   (needs hyperfine: apt-get install hyperfine)
# The machine is noisy, so the whole set is timed in several rounds and each ratio is taken within
# a round (same moment, same machine state); the report gives the median over rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
rounds=${2:-5}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
[ -f dist/civctl.cjs ] || npm run --silent build
fixtures=bench/.fixtures
node bench/fixtures.mjs "$fixtures"
work=$(mktemp -d)
socket="$work/api.sock"
node dist/civctl.cjs sim --socket "$socket" 2>"$work/sim.log" &
sim=$!
trap 'kill -TERM $sim 2>/dev/null || true; wait $sim 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q 'listening on' "$work/sim.log" 2>/dev/null && break; sleep 0.1; done
node dist/civctl.cjs -s "$socket" set digestion examples/digestion-redis.json --enable 2>/dev/null
C="node dist/civctl.cjs"
for round in $(seq 1 "$rounds"); do
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/round-$round.json" \
    'node -e 0' \
    "$C --version" \
    "$C encode notation examples/notation-aws-signer.json" \
    "$C lint examples/notation-aws-signer.json" \
    "$C -s $socket get" \
    "$C -s $socket get digestion" \
    "$C lint $fixtures/digestion-10000.json" \
    "$C lint $fixtures/digestion-20000.json" \
    "$C lint $fixtures/notation-1000.json" \
    "$C lint $fixtures/notation-2000.json" >/dev/null 2>&1
done
node bench/report.mjs "$work"/round-*.json
