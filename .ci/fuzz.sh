#!/usr/bin/env bash
# Fuzz campaign (docs/RELIABILITY.md): schemathesis (PyPI, pinned) against the MCR API and the
# Gas Station, generated from their own OpenAPI documents, with every check (`--checks all`)
# and the rate limits off so the inputs reach the handlers. The MCR service runs as
# `peaqos mcr serve --rate-limit 0` over the devnet of a `peaqos up` whose Gas Station has no
# per-IP limit. Each target is bounded by FUZZ_MAX_TIME seconds (default 120) and
# FUZZ_MAX_EXAMPLES cases per operation; the counts of inputs tried are printed at the end.
# Exits non-zero on any failure and on a missing peer (Python, venv, PyPI, the binary).
#
#   bash .ci/fuzz.sh                         # builds target/debug/peaqos when PEAQOS_BIN is unset
#   FUZZ_MAX_TIME=30 bash .ci/fuzz.sh mcr    # one target: mcr or gas-station
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
SCHEMATHESIS_VERSION="4.32.5"
max_time="${FUZZ_MAX_TIME:-120}"
max_examples="${FUZZ_MAX_EXAMPLES:-200}"
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(mcr gas-station)

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || { echo "fuzz: $python not found" >&2; exit 1; }
"$python" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "fuzz: the Python venv/ensurepip modules are missing (Debian: apt-get install python3-venv)" >&2
  exit 1
}

venv="$(mktemp -d "${TMPDIR:-/tmp}/peaqos-fuzz-venv.XXXXXX")"
work="$(mktemp -d "${TMPDIR:-/tmp}/peaqos-fuzz.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$venv" "$work"
}
trap cleanup EXIT

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  "schemathesis==$SCHEMATHESIS_VERSION"
"$venv/bin/st" --version

if [ -z "${PEAQOS_BIN:-}" ]; then
  cargo build -p peaqos-cli --locked
  export PEAQOS_BIN="$root/target/debug/peaqos"
fi
case "$PEAQOS_BIN" in /*) ;; *) export PEAQOS_BIN="$root/$PEAQOS_BIN" ;; esac
[ -x "$PEAQOS_BIN" ] || { echo "fuzz: $PEAQOS_BIN is not an executable" >&2; exit 1; }

# wait_for FILE REGEX PID SECONDS: the first line of FILE matching REGEX (the process must live)
wait_for() {
  local file="$1" re="$2" pid="$3" deadline=$((SECONDS + $4)) line
  while [ "$SECONDS" -lt "$deadline" ]; do
    line="$(grep -m1 -E "$re" "$file" 2>/dev/null || true)"
    if [ -n "$line" ]; then printf '%s\n' "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "fuzz: process $pid exited; stderr:" >&2; cat "${file%.out}.err" >&2; return 1; }
    sleep 1
  done
  echo "fuzz: no /$re/ in $file within $4 s" >&2
  return 1
}

(cd "$work" && exec "$PEAQOS_BIN" up --env-out "$work/up.env" --devnet-port 0 --mcr-port 0 \
  --gas-station-port 0 --bundler-port 0 --base-port 0 --no-bridge) \
  >"$work/up.out" 2>"$work/up.err" </dev/null &
pids+=($!)
wait_for "$work/up.out" '^peaqos up: ready' "${pids[-1]}" 300 >/dev/null
set -a
# shellcheck disable=SC1091
. "$work/up.env"
set +a

(cd "$work" && exec "$PEAQOS_BIN" mcr serve --listen 127.0.0.1:0 --rate-limit 0 \
  --database-url "$work/mcr.sqlite" --fx-cache "$work/fx.csv") \
  >"$work/mcr.out" 2>"$work/mcr.err" </dev/null &
pids+=($!)
mcr_url="$(wait_for "$work/mcr.out" '^MCR API listening on ' "${pids[-1]}" 120 | sed 's/^MCR API listening on //')"
gs_url="$PEAQOS_GAS_STATION_URL"

summary=()
status=0
for target in "${targets[@]}"; do
  case "$target" in
    mcr) url="$mcr_url" ;;
    gas-station) url="$gs_url" ;;
    *) echo "fuzz: unknown target $target (mcr, gas-station)" >&2; exit 2 ;;
  esac
  echo "== schemathesis: $target at $url (at most ${max_time} s, ${max_examples} cases per operation)"
  set +e
  SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/.ci/fuzz" "$venv/bin/st" --no-color \
    --config-file "$root/.ci/fuzz/schemathesis.toml" run "$url/openapi.json" --url "$url" \
    --checks all --max-examples "$max_examples" --max-time "$max_time" --workers 1 \
    --seed "${FUZZ_SEED:-17}" 2>&1 | tee "$work/$target.txt"
  rc="${PIPESTATUS[0]}"
  set -e
  cases="$(grep -E '^ *[0-9]+ generated' "$work/$target.txt" | tail -1 | sed -E 's/^ *([0-9]+) generated.*/\1/')"
  summary+=("$target: ${cases:-?} inputs tried, exit $rc")
  [ "$rc" -eq 0 ] || status=1
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit "$status"
