#!/usr/bin/env bash
# The main job on a fresh machine: civctl against the built-in Bottlerocket API simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
# CIVCTL_BIN runs another build, e.g. the standalone binary (npm run build:standalone).
if [ -n "${CIVCTL_BIN:-}" ]; then CIVCTL=("$CIVCTL_BIN"); else CIVCTL=(node dist/civctl.cjs); fi
work=$(mktemp -d)
socket="$work/api.sock"
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Bold commands only on a terminal, and never with NO_COLOR (https://no-color.org).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }
run() { step "civctl $*"; "${CIVCTL[@]}" "$@"; }

"${CIVCTL[@]}" sim --socket "$socket" --variant aws-k8s-1.34 --os-version 1.63.0 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$work/sim.log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'listening on' "$work/sim.log" || { echo "demo: the simulator did not start:" >&2; cat "$work/sim.log" >&2; exit 1; }
echo "demo: API simulator (aws-k8s-1.34, 1.63.0) listening on $socket"

run lint examples/notation-aws-signer.json examples/digestion-redis.json
run encode notation=examples/notation-aws-signer.json digestion=examples/digestion-redis.json --format toml --enable
run -s "$socket" status
run -s "$socket" set digestion examples/digestion-redis.json --enable
run -s "$socket" set notation examples/notation-aws-signer.json
run -s "$socket" set notation examples/notation-aws-signer.json
run -s "$socket" get digestion
run -s "$socket" get --raw
run -s "$socket" status

step "civctl -s $socket set notation examples/bad-notation-scope.json   # refused before anything is sent"
if "${CIVCTL[@]}" -s "$socket" set notation examples/bad-notation-scope.json; then
  echo "demo: the bad policy was accepted, which is a bug" >&2
  exit 1
else
  echo "(exit $?: refused; the live policy is unchanged)"
fi
run -s "$socket" get notation >/dev/null && echo "notation policy still the AWS Signer one: $("${CIVCTL[@]}" -s "$socket" get notation | grep -c aws-signer-tp) statement named aws-signer-tp"
echo
echo "demo: done"
