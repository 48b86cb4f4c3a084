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

source tests/e2e/desktop.sh
desktop_start "$OUT" "$SCREEN" matchbox || exit 1
PORT=$DRIVER_PORT

echo "bench: display $DISPLAY ($SCREEN, matchbox), WebKitWebDriver $DRIVER_PID on $PORT; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -B bench/startup_memory.py --driver "http://127.0.0.1:$PORT" --driver-pid "$DRIVER_PID" \
  --kiosk "$KIOSK" --bare "$BARE" --json-out "$OUT/startup_memory.json" "$@"
