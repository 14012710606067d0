#!/usr/bin/env bash
# Start-up and lint benchmarks, as a user's machine sees them: civctl side by side with
# `node -e 0` in one hyperfine run, both WITHOUT NODE_EXTRA_CA_CERTS (some machines set it to the
# system CA bundle, which Node 20 parses at every start, about 35 ms that would flatter every ratio).
# Then the scaling table, a per-phase breakdown, and `civctl resolve` against skopeo.
# Usage: bash bench/run.sh [runs]   (needs hyperfine; the resolve comparison needs the registry rig)
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS
echo "bench: NODE_EXTRA_CA_CERTS is unset for every command measured here"
runs=${1:-20}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
[ -f dist/civctl.cjs ] || npm run --silent build
fixtures=bench/.fixtures
node bench/fixtures.mjs "$fixtures"
work=$(mktemp -d)
socket="$work/api.sock"
C="node dist/civctl.cjs"
$C sim --socket "$socket" 2>"$work/sim.log" &
sim=$!
trap 'kill -TERM $sim 2>/dev/null || true; wait $sim 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do [ -S "$socket" ] && break; sleep 0.1; done
$C -s "$socket" set digestion examples/digestion-redis.json --enable 2>/dev/null
# The 20 000-digest allowlist is over the API's 2 MiB request limit (lint says so, exit 1): -i.
hyperfine -N -i --warmup 3 --runs "$runs" --export-json "$work/main.json" \
  'node -e 0' \
  "$C --version" \
  "$C encode digestion examples/digestion-redis.json" \
  "$C -s $socket get" \
  "$C lint $fixtures/digestion-20000.json" \
  "$C lint $fixtures/notation-2000.json" >/dev/null 2>&1
hyperfine -N -i --warmup 3 --runs "$runs" --export-json "$work/scaling.json" \
  'node -e 0' \
  "$C lint $fixtures/digestion-1000.json" \
  "$C lint $fixtures/digestion-5000.json" \
  "$C lint $fixtures/digestion-20000.json" \
  "$C lint $fixtures/notation-200.json" \
  "$C lint $fixtures/notation-1000.json" \
  "$C lint $fixtures/notation-2000.json" >/dev/null 2>&1
{
  node bench/phases.mjs "$runs" -- node dist/civctl.cjs -s "$socket" get
  node bench/phases.mjs "$runs" -- node dist/civctl.cjs lint "$fixtures/digestion-20000.json"
  node bench/phases.mjs "$runs" -- node dist/civctl.cjs lint "$fixtures/notation-2000.json"
} >"$work/phases.jsonl"
resolve=""
if [ -x /usr/bin/docker-registry ] && command -v skopeo >/dev/null; then
  node --import tsx bench/registry.ts "$work/rig.env" &
  rig=$!
  trap 'kill -TERM $sim $rig 2>/dev/null || true; wait $sim $rig 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 1 200); do [ -s "$work/rig.env" ] && break; sleep 0.1; done
  registry=$(cat "$work/rig.env")
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/resolve.json" \
    'node -e 0' \
    "skopeo inspect --tls-verify=false --format {{.Digest}} docker://$registry/demo/multi:v1" \
    "$C resolve $registry/demo/multi:v1" >/dev/null 2>&1
  resolve="$work/resolve.json"
else
  echo "bench: the resolve comparison needs Debian's docker-registry and skopeo (apt-get install docker-registry skopeo apache2-utils); skipped"
fi
node bench/report.mjs "$work/main.json" "$work/scaling.json" "$work/phases.jsonl" $resolve
