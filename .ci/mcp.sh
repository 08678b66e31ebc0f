#!/usr/bin/env bash
# The MCP suite (interop/mcp/): the official Python MCP SDK (`mcp` from PyPI, in a throwaway
# venv) as an independent MCP client of our `peaqos mcp`, against our `peaqos up`. Exits
# non-zero on any failure, on a missing peer (Python, venv, a PyPI package, the binary) and when
# pytest collected no test.
#
#   bash .ci/mcp.sh                       # builds target/debug/peaqos when PEAQOS_BIN is unset
#   PEAQOS_BIN=target/release/peaqos bash .ci/mcp.sh -k fleet
#
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || { echo "mcp: $python not found" >&2; exit 1; }
"$python" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { echo "mcp: Python >= 3.10 is required" >&2; exit 1; }
"$python" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "mcp: the Python venv/ensurepip modules are missing (Debian: apt-get install python3-venv)" >&2
  exit 1
}

venv="$(mktemp -d "${TMPDIR:-/tmp}/peaqos-mcp-venv.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r interop/mcp/requirements.txt
"$venv/bin/python" -m pip check
"$venv/bin/python" -c 'import mcp.client.stdio' \
  || { echo "mcp: the mcp package does not import" >&2; exit 1; }

if [ -z "${PEAQOS_BIN:-}" ]; then
  cargo build -p peaqos-cli --locked
  export PEAQOS_BIN="$root/target/debug/peaqos"
fi
case "$PEAQOS_BIN" in /*) ;; *) export PEAQOS_BIN="$root/$PEAQOS_BIN" ;; esac
[ -x "$PEAQOS_BIN" ] || { echo "mcp: $PEAQOS_BIN is not an executable" >&2; exit 1; }

# pytest exits 5 when it collected nothing: that is a failure here too.
set +e
(cd interop/mcp && "$venv/bin/python" -m pytest -q . "$@")
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "mcp: pytest collected no test" >&2
  exit 1
fi
exit "$rc"
