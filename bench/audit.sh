#!/usr/bin/env bash
# How long an offline audit of a large cluster takes: 10,000 pods over 2,000 distinct images
# (a 22 MB `kubectl get pods -A -o json`, and the same pods as `-o yaml`) against a 1,000-digest allowlist, JSON and text output,
# side by side with `node -e 0`, without NODE_EXTRA_CA_CERTS (see run.sh).
# Usage: bash bench/audit.sh [runs]   (needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS
runs=${1:-10}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
[ -f dist/civctl.cjs ] || npm run --silent build
fixtures=bench/.fixtures
node bench/audit-fixtures.mjs "$fixtures"
C="node dist/civctl.cjs"
# Exit 1 is the expected verdict (half of the images are blocked): -i.
hyperfine -N -i --warmup 1 --runs "$runs" \
  'node -e 0' \
  "$C audit --offline --policy digestion=$fixtures/allow-1000.json --format json $fixtures/pods-10000.json" \
  "$C audit --offline --policy digestion=$fixtures/allow-1000.json $fixtures/pods-10000.json" \
  "$C audit --offline --policy digestion=$fixtures/allow-1000.json $fixtures/pods-10000.yaml"
