# Sourced by tests/e2e/run.sh and bench/startup_memory.sh: a virtual X screen, optionally a window
# manager, and WebKitWebDriver, each leading its own process group, all stopped (newest first) when
# the sourcing script exits. WebKitWebDriver's group holds the app and its WebKit children.
#
#   desktop_start LOGDIR SCREEN WM   WM = matchbox | none
# sets DISPLAY, DRIVER_PORT and DRIVER_PID; returns 1 if Xvfb did not start.

DESKTOP_PIDS=()
desktop_cleanup() {
  for ((i = ${#DESKTOP_PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM -- "-${DESKTOP_PIDS[i]}" 2>/dev/null || kill -TERM "${DESKTOP_PIDS[i]}" 2>/dev/null
  done
  sleep 0.3
  for ((i = ${#DESKTOP_PIDS[@]} - 1; i >= 0; i--)); do
    kill -KILL -- "-${DESKTOP_PIDS[i]}" 2>/dev/null || kill -KILL "${DESKTOP_PIDS[i]}" 2>/dev/null
  done
}
trap desktop_cleanup EXIT
trap 'exit 130' INT TERM

desktop_start() {
  local logs=$1 screen=$2 wm=$3
  # A free X display chosen by Xvfb itself (-displayfd).
  rm -f "$logs/display"
  setsid Xvfb -displayfd 3 -screen 0 "${screen}x24" -nolisten tcp 3>"$logs/display" >"$logs/xvfb.log" 2>&1 &
  DESKTOP_PIDS+=($!)
  for _ in $(seq 100); do
    [ -s "$logs/display" ] && break
    sleep 0.1
  done
  local num
  num=$(head -n1 "$logs/display" 2>/dev/null)
  [ -n "$num" ] || { echo "Xvfb did not start (see $logs/xvfb.log)" >&2; return 1; }
  export DISPLAY=":$num"
  if [ "$wm" = matchbox ]; then
    setsid matchbox-window-manager -use_titlebar no -use_cursor no >"$logs/matchbox.log" 2>&1 &
    DESKTOP_PIDS+=($!)
  fi
  DRIVER_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # The app inherits TAURI_WEBVIEW_AUTOMATION from the driver; without it POST /session hangs.
  # setsid execs WebKitWebDriver in place, so $! is the driver's PID (the apps' parent).
  TAURI_WEBVIEW_AUTOMATION=true RECLAIM_LOG="${RECLAIM_LOG:-info}" \
    setsid WebKitWebDriver --host=127.0.0.1 --port="$DRIVER_PORT" >"$logs/webdriver.log" 2>&1 &
  DRIVER_PID=$!
  DESKTOP_PIDS+=("$DRIVER_PID")
}
