#!/usr/bin/env bash
# Start-up and lint benchmarks, as a user's machine sees them: civctl side by side with
# `node -e 0` in the same hyperfine runs (rounds of 2 runs of every command, merged), both WITHOUT
# NODE_EXTRA_CA_CERTS (some machines set it to the system CA bundle, which Node 20 parses at every
# start, about 35 ms that would flatter every ratio).
# The standalone binary (when built: npm run build:standalone) is measured beside the bundle, and the
# first run with an empty compile cache (every CI runner) beside the warm one.
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
# The standalone binary for this machine, beside the bundle, when it is built.
case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
B="dist/civctl-linux-$arch"
binary=()
if [ -x "$B" ]; then
  binary=("$B --version" "$B -s $socket get")
else
  echo "bench: $B is not built (npm run build:standalone): the binary's rows are skipped"
fi
# Each table is measured in rounds of 2 runs of every command (bench/merge.mjs says why) and merged.
rounds() {
  local name=$1
  shift
  local files=()
  for round in $(seq 1 $(((runs + 1) / 2))); do
    hyperfine -N --warmup 1 --runs 2 --export-json "$work/$name-$round.json" "$@" >/dev/null 2>&1
    files+=("$work/$name-$round.json")
  done
  node bench/merge.mjs "$work/$name.json" "${files[@]}"
}
rounds main \
  'node -e 0' \
  "$C --version" \
  "$C encode digestion examples/digestion-redis.json" \
  "$C -s $socket get" \
  "${binary[@]}" \
  "$C lint $fixtures/digestion-20000.json" \
  "$C lint $fixtures/notation-2000.json"
# The first run on a machine (every CI runner) has no compile cache: the same lint with a cache
# folder emptied before every run, beside one kept warm (env on both, so that both pay for it).
mkdir -p "$work/warm-cache"
CIVCTL_CACHE_DIR="$work/warm-cache" $C lint "$fixtures/notation-1.json" >/dev/null
rounds cold --prepare true --prepare true --prepare "rm -rf $work/cold-cache" \
  'node -e 0' \
  "env CIVCTL_CACHE_DIR=$work/warm-cache $C lint $fixtures/notation-1.json" \
  "env CIVCTL_CACHE_DIR=$work/cold-cache $C lint $fixtures/notation-1.json"
rounds scaling \
  'node -e 0' \
  "$C lint $fixtures/digestion-1000.json" \
  "$C lint $fixtures/digestion-5000.json" \
  "$C lint $fixtures/digestion-20000.json" \
  "$C lint $fixtures/notation-200.json" \
  "$C lint $fixtures/notation-1000.json" \
  "$C lint $fixtures/notation-2000.json"
{
  node bench/phases.mjs "$runs" -- node dist/civctl.cjs -s "$socket" get
  if [ -x "$B" ]; then node bench/phases.mjs "$runs" -- "$B" -s "$socket" get; fi
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
  rounds resolve \
    'node -e 0' \
    "skopeo inspect --tls-verify=false --format {{.Digest}} docker://$registry/demo/multi:v1" \
    "$C resolve $registry/demo/multi:v1"
  resolve="$work/resolve.json"
else
  echo "bench: the resolve comparison needs Debian's docker-registry and skopeo (apt-get install docker-registry skopeo apache2-utils); skipped"
fi
node bench/report.mjs "$work/main.json" "$work/cold.json" "$work/scaling.json" "$work/phases.jsonl" $resolve
