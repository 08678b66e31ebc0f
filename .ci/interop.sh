#!/usr/bin/env bash
# The interop suite (interop/): peaq's own Python SDK and CLI, installed unchanged from PyPI into
# a throwaway venv, drive our `peaqos up`. Exits non-zero on any failure, on a missing peer
# (Python, venv, a PyPI package, the binary) and when pytest collected no test.
#
#   bash .ci/interop.sh                  # builds target/debug/peaqos when PEAQOS_BIN is unset
#   PEAQOS_BIN=target/release/peaqos bash .ci/interop.sh -k gas_station
#
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || { echo "interop: $python not found" >&2; exit 1; }
"$python" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { echo "interop: Python >= 3.10 is required (peaq-os-sdk)" >&2; exit 1; }
"$python" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "interop: the Python venv/ensurepip modules are missing (Debian: apt-get install python3-venv)" >&2
  exit 1
}

venv="$(mktemp -d "${TMPDIR:-/tmp}/peaqos-interop-venv.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r interop/requirements.txt
"$venv/bin/python" -m pip check

if [ -z "${PEAQOS_BIN:-}" ]; then
  cargo build -p peaqos-cli --locked
  export PEAQOS_BIN="$root/target/debug/peaqos"
fi
case "$PEAQOS_BIN" in /*) ;; *) export PEAQOS_BIN="$root/$PEAQOS_BIN" ;; esac
[ -x "$PEAQOS_BIN" ] || { echo "interop: $PEAQOS_BIN is not an executable" >&2; exit 1; }

# pytest exits 5 when it collected nothing: that is a failure here too.
set +e
"$venv/bin/python" -m pytest -q interop "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "interop: pytest collected no test" >&2
  exit 1
fi
exit "$rc"
