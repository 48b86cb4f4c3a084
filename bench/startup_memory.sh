#!/usr/bin/env bash
# Kiosk start-up and memory on the attract screen against a bare Tauri 2 window (issue 5; see
# bench/README.md). Builds the UI and both apps in release mode, starts a virtual X screen with a
# window manager and WebKitWebDriver (as tests/e2e/run.sh does), runs bench/startup_memory.py,
# and stops everything it started by PID.
#
# Usage: bench/startup_memory.sh [--skip-build] [startup_memory.py options: --rounds 5
#        --settle 3 --warmup 1 --variant no-camera=--no-camera ...]
#   RECLAIM_BENCH_SCREEN  WIDTHxHEIGHT of the X screen (default 1920x1080)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
SCREEN="${RECLAIM_BENCH_SCREEN:-1920x1080}"
mkdir -p "$OUT"

BUILD=1
if [ "${1:-}" = --skip-build ]; then
  BUILD=0
  shift
fi

for tool in Xvfb matchbox-window-manager WebKitWebDriver python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (run scripts/setup.sh)" >&2; exit 1; }
done

if [ "$BUILD" = 1 ]; then
  bash scripts/build-ui.sh || exit 1
  cargo build --release --locked -p reclaim-kiosk -p bare-window || exit 1
fi
KIOSK="$ROOT/target/release/reclaim-kiosk"
BARE="$ROOT/target/release/bare-window"
for bin in "$KIOSK" "$BARE"; do
  [ -x "$bin" ] || { echo "bench: $bin missing (run without --skip-build)" >&2; exit 1; }
done

PIDS=()
cleanup() {
  # Newest first; each tool leads its own process group (setsid), WebKitWebDriver's holds the app
  # and its WebKit children.
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

rm -f "$OUT/display"
setsid Xvfb -displayfd 3 -screen 0 "${SCREEN}x24" -nolisten tcp 3>"$OUT/display" >"$OUT/xvfb.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  [ -s "$OUT/display" ] && break
  sleep 0.1
done
DISPLAY_NUM=$(head -n1 "$OUT/display" 2>/dev/null)
[ -n "$DISPLAY_NUM" ] || { echo "bench: Xvfb did not start (see $OUT/xvfb.log)" >&2; exit 1; }
export DISPLAY=":$DISPLAY_NUM"

setsid matchbox-window-manager -use_titlebar no -use_cursor no >"$OUT/matchbox.log" 2>&1 &
PIDS+=($!)

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The apps inherit TAURI_WEBVIEW_AUTOMATION from the driver; without it POST /session hangs.
# setsid execs WebKitWebDriver in place, so $! is the driver's PID (the apps' parent).
TAURI_WEBVIEW_AUTOMATION=true setsid WebKitWebDriver --host=127.0.0.1 --port="$PORT" >"$OUT/webdriver.log" 2>&1 &
DRIVER_PID=$!
PIDS+=("$DRIVER_PID")

echo "bench: display $DISPLAY ($SCREEN, matchbox), WebKitWebDriver $DRIVER_PID on $PORT; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -B bench/startup_memory.py --driver "http://127.0.0.1:$PORT" --driver-pid "$DRIVER_PID" \
  --kiosk "$KIOSK" --bare "$BARE" --json-out "$OUT/startup_memory.json" "$@"
