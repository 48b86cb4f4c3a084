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

PIDS=()
cleanup() {
  # Newest first; WebKitWebDriver leads its own process group (setsid), which holds the app and
  # its WebKit children, so the group is stopped with it.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM -- "-${PIDS[i]}" 2>/dev/null || kill -TERM "${PIDS[i]}" 2>/dev/null
  done
  sleep 0.3
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -KILL -- "-${PIDS[i]}" 2>/dev/null || kill -KILL "${PIDS[i]}" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free X display chosen by Xvfb itself (-displayfd).
rm -f "$LOGS/display"
setsid Xvfb -displayfd 3 -screen 0 "${RECLAIM_E2E_SCREEN}x24" -nolisten tcp 3>"$LOGS/display" >"$LOGS/xvfb.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  [ -s "$LOGS/display" ] && break
  sleep 0.1
done
DISPLAY_NUM=$(head -n1 "$LOGS/display" 2>/dev/null)
[ -n "$DISPLAY_NUM" ] || { echo "e2e: Xvfb did not start (see $LOGS/xvfb.log)" >&2; echo "e2e: 0 passed, 1 failed"; exit 1; }
export DISPLAY=":$DISPLAY_NUM"

if [ "$WM" = matchbox ]; then
  setsid matchbox-window-manager -use_titlebar no -use_cursor no >"$LOGS/matchbox.log" 2>&1 &
  PIDS+=($!)
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The app inherits TAURI_WEBVIEW_AUTOMATION from the driver; without it POST /session hangs.
TAURI_WEBVIEW_AUTOMATION=true RECLAIM_LOG="${RECLAIM_LOG:-info}" \
  setsid WebKitWebDriver --host=127.0.0.1 --port="$PORT" >"$LOGS/webdriver.log" 2>&1 &
PIDS+=($!)

echo "e2e: display $DISPLAY ($RECLAIM_E2E_SCREEN, window manager: $WM), WebKitWebDriver on $PORT, app $APP"
python3 -B tests/e2e/runner.py "http://127.0.0.1:$PORT" "$APP" "$SCREENS" "${1:-}" 2>&1 | tee "$LOGS/runner.log"
rc=${PIPESTATUS[0]}
# The runner prints the total itself; if it died before that, say so in the same form.
grep -qE '^e2e: [0-9]+ passed, [0-9]+ failed$' "$LOGS/runner.log" || { echo "e2e: 0 passed, 1 failed"; rc=1; }
exit "$rc"
