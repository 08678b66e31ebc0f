#!/usr/bin/env bash
# The dashboard suite (interop/dashboard/): headless Chromium from Debian's packages (chromium,
# chromium-driver), driven by selenium (PyPI, in a throwaway venv), against the MCR service of
# our `peaqos up`. Exits non-zero on any failure, on a missing peer (Chromium, chromedriver,
# Python, venv, a PyPI package, the binary) and when pytest collected no test.
#
#   bash .ci/dashboard.sh                     # builds target/debug/peaqos when PEAQOS_BIN is unset
#   DASHBOARD_SCREENSHOTS=docs/dashboard bash .ci/dashboard.sh   # refresh the committed screenshots
#
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

for bin in "${CHROMIUM_BIN:-/usr/bin/chromium}" "${CHROMEDRIVER_BIN:-/usr/bin/chromedriver}"; do
  [ -x "$bin" ] || { echo "dashboard: $bin is missing (apt-get install -y chromium chromium-driver)" >&2; exit 1; }
done
python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || { echo "dashboard: $python not found" >&2; exit 1; }
"$python" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "dashboard: the Python venv/ensurepip modules are missing (Debian: apt-get install python3-venv)" >&2
  exit 1
}

venv="$(mktemp -d "${TMPDIR:-/tmp}/peaqos-dashboard-venv.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r interop/dashboard/requirements.txt
"$venv/bin/python" -m pip check
"$venv/bin/python" -c 'import selenium.webdriver, web3' \
  || { echo "dashboard: selenium / web3 do not import" >&2; exit 1; }

if [ -z "${PEAQOS_BIN:-}" ]; then
  cargo build -p peaqos-cli --locked
  export PEAQOS_BIN="$root/target/debug/peaqos"
fi
case "$PEAQOS_BIN" in /*) ;; *) export PEAQOS_BIN="$root/$PEAQOS_BIN" ;; esac
[ -x "$PEAQOS_BIN" ] || { echo "dashboard: $PEAQOS_BIN is not an executable" >&2; exit 1; }
if [ -n "${DASHBOARD_SCREENSHOTS:-}" ]; then
  case "$DASHBOARD_SCREENSHOTS" in /*) ;; *) export DASHBOARD_SCREENSHOTS="$root/$DASHBOARD_SCREENSHOTS" ;; esac
fi

# Selenium must not fetch a browser or driver: both paths are given, and its manager is off.
export SE_OFFLINE=true
set +e
(cd interop/dashboard && "$venv/bin/python" -m pytest -q . "$@")
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "dashboard: pytest collected no test" >&2
  exit 1
fi
exit "$rc"
