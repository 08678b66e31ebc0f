#!/usr/bin/env bash
# Load campaign (docs/RELIABILITY.md): `peaqos bench` against services it starts in its own
# process over an embedded devnet (loopback only, rate limits off):
#   - the MCR API, 500 concurrent clients for LOAD_DURATION seconds (default 30), cached then
#     uncached (nginx serving the cached body beside it when nginx is installed);
#   - the Gas Station, 200 concurrent fundings of distinct enrolled owners;
#   - the devnet, `bench` defaults: 2000 transfers with 32 requests in flight.
# Each prints requests, errors, p50 and p99. Any failed request makes its command exit
# non-zero, and this script with it.
#
#   bash .ci/load.sh                       # builds target/debug/peaqos when PEAQOS_BIN is unset
#   PEAQOS_BIN=target/release/peaqos LOAD_DURATION=10 bash .ci/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
duration="${LOAD_DURATION:-30}"

if [ -z "${PEAQOS_BIN:-}" ]; then
  cargo build -p peaqos-cli --locked
  export PEAQOS_BIN="$root/target/debug/peaqos"
fi
case "$PEAQOS_BIN" in /*) ;; *) export PEAQOS_BIN="$root/$PEAQOS_BIN" ;; esac
[ -x "$PEAQOS_BIN" ] || { echo "load: $PEAQOS_BIN is not an executable" >&2; exit 1; }

start=$SECONDS
echo "load: MCR API, 500 concurrent clients, ${duration} s per run"
"$PEAQOS_BIN" bench --target mcr --concurrency 500 --duration "$duration"
echo "load: Gas Station, 200 concurrent fundings"
"$PEAQOS_BIN" bench --target gas-station --requests 200 --concurrency 200
echo "load: devnet, bench defaults (32 requests in flight)"
"$PEAQOS_BIN" bench
echo "load: every request answered ($((SECONDS - start)) s)"
