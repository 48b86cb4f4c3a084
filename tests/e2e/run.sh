#!/usr/bin/env bash
# Desktop E2E: the real kiosk binary on a virtual X screen (1920x1080 unless told otherwise) with
# a window manager (so full screen is real), driven over WebDriver (WebKitWebDriver directly,
# build-facts section 4). Runs every test_* function in tests/e2e/test_*.py, saves screenshots
# to target/e2e-screens/<screen>-wm-<window manager>/, stops everything it started by PID, and
# ends with the plain line `e2e: N passed, N failed`.
#
# Usage: tests/e2e/run.sh [NAME_FILTER]
#   RECLAIM_KIOSK_BIN  the app binary (default target/debug/reclaim-kiosk, built if missing)
#   RECLAIM_E2E_SCREEN WIDTHxHEIGHT of the X screen (default 1920x1080; 1080x1920 is portrait)
#   RECLAIM_E2E_NO_WM  1: no window manager, as a kiosk session started with only the app
#                      (the window-manager test then fails: there is nothing to ask)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
APP="${RECLAIM_KIOSK_BIN:-$ROOT/target/debug/reclaim-kiosk}"
export RECLAIM_E2E_SCREEN="${RECLAIM_E2E_SCREEN:-1920x1080}"
WM=matchbox; [ "${RECLAIM_E2E_NO_WM:-0}" = 1 ] && WM=none
SCREENS="$ROOT/target/e2e-screens/$RECLAIM_E2E_SCREEN-wm-$WM"
LOGS="$ROOT/target/e2e-logs"
mkdir -p "$SCREENS" "$LOGS"
rm -f "$SCREENS"/*.png

for tool in Xvfb matchbox-window-manager WebKitWebDriver import python3; do
  command -v "$tool" >/dev/null || { echo "e2e: $tool missing (run scripts/setup.sh)" >&2; echo "e2e: 0 passed, 1 failed"; exit 1; }
done
if [ ! -x "$APP" ]; then
  echo "e2e: building $APP"
  cargo build -p reclaim-kiosk --locked -q || { echo "e2e: 0 passed, 1 failed"; exit 1; }
fi

source tests/e2e/desktop.sh
desktop_start "$LOGS" "$RECLAIM_E2E_SCREEN" "$WM" || { echo "e2e: 0 passed, 1 failed"; exit 1; }
PORT=$DRIVER_PORT

echo "e2e: display $DISPLAY ($RECLAIM_E2E_SCREEN, window manager: $WM), WebKitWebDriver on $PORT, app $APP"
python3 -B tests/e2e/runner.py "http://127.0.0.1:$PORT" "$APP" "$SCREENS" "${1:-}" 2>&1 | tee "$LOGS/runner.log"
rc=${PIPESTATUS[0]}
# The runner prints the total itself; if it died before that, say so in the same form.
grep -qE '^e2e: [0-9]+ passed, [0-9]+ failed$' "$LOGS/runner.log" || { echo "e2e: 0 passed, 1 failed"; rc=1; }
exit "$rc"
