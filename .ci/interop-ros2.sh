#!/usr/bin/env bash
# The ROS 2 interop suite (interop/ros2/): Eclipse Cyclone DDS (`cyclonedds` from PyPI, in a
# throwaway venv) as an independent ROS 2 peer of our node, run by `peaqos up --with-node` and
# by `peaqos node` alone. The bridge services need up's bridge (contracts/: npm ci).
# No ROS installation is needed. Exits non-zero on any failure, on a missing peer (Python,
# venv, a PyPI package, the binary) and when pytest collected no test.
#
#   bash .ci/interop-ros2.sh                  # builds target/debug/peaqos when PEAQOS_BIN is unset
#   PEAQOS_BIN=target/release/peaqos bash .ci/interop-ros2.sh -k events
#
# Extra arguments go to pytest. DDS traffic stays on the loopback interface.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || { echo "interop-ros2: $python not found" >&2; exit 1; }
"$python" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { echo "interop-ros2: Python >= 3.10 is required" >&2; exit 1; }
"$python" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "interop-ros2: the Python venv/ensurepip modules are missing (Debian: apt-get install python3-venv)" >&2
  exit 1
}

venv="$(mktemp -d "${TMPDIR:-/tmp}/peaqos-interop-ros2-venv.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r interop/ros2/requirements.txt
"$venv/bin/python" -m pip check
"$venv/bin/python" -c 'import cyclonedds.domain' \
  || { echo "interop-ros2: cyclonedds does not import" >&2; exit 1; }

if [ -z "${PEAQOS_BIN:-}" ]; then
  cargo build -p peaqos-cli --locked
  export PEAQOS_BIN="$root/target/debug/peaqos"
fi
case "$PEAQOS_BIN" in /*) ;; *) export PEAQOS_BIN="$root/$PEAQOS_BIN" ;; esac
[ -x "$PEAQOS_BIN" ] || { echo "interop-ros2: $PEAQOS_BIN is not an executable" >&2; exit 1; }

# pytest exits 5 when it collected nothing: that is a failure here too.
set +e
(cd interop/ros2 && "$venv/bin/python" -m pytest -q . "$@")
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "interop-ros2: pytest collected no test" >&2
  exit 1
fi
exit "$rc"
