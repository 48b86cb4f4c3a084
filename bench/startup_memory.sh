#!/usr/bin/env bash
# Kiosk start-up and memory on the attract screen against a bare Tauri 2 window (issues 5 and 12;
# see bench/README.md). Builds the UI and the apps in release mode, starts a virtual X screen
# with a window manager and WebKitWebDriver (as tests/e2e/run.sh does), runs
# bench/startup_memory.py, and stops everything it started by PID.
#
# Usage: bench/startup_memory.sh [--skip-build] [--mode demo|fleet] [--chromium]
#        [startup_memory.py options: --rounds 5 --settle 3 --warmup 1 --variant no-camera=--no-camera ...]
#   --mode fleet  starts `reclaim-service --demo --listen 127.0.0.1:0` once (its own process
#                 group, outside the measured apps) and runs the kiosk as its terminal
#                 (`--service-credential FILE`); default demo (the service in the kiosk).
#   --chromium    also measures Debian's Chromium in --kiosk mode on the mock build of the UI
#                 (ui/dist-mock, built here unless --skip-build).
#   RECLAIM_BENCH_SCREEN  WIDTHxHEIGHT of the X screen (default 1920x1080)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
SCREEN="${RECLAIM_BENCH_SCREEN:-1920x1080}"
mkdir -p "$OUT"

BUILD=1
MODE=demo
CHROMIUM=
PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) BUILD=0 ;;
    --mode) MODE=${2:-}; shift ;;
    --mode=*) MODE=${1#--mode=} ;;
    --chromium) CHROMIUM=$(command -v chromium) || { echo "bench: chromium missing (apt-get install -y chromium)" >&2; exit 1; } ;;
    *) PASS+=("$1") ;;
  esac
  shift
done
case "$MODE" in demo | fleet) ;; *) echo "bench: --mode demo|fleet, not '$MODE'" >&2; exit 2 ;; esac

for tool in Xvfb matchbox-window-manager WebKitWebDriver python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (run scripts/setup.sh)" >&2; exit 1; }
done

if [ "$BUILD" = 1 ]; then
  bash scripts/build-ui.sh || exit 1
  # One invocation, so the kiosk is the same binary with or without the service's (features unify).
  cargo build --release --locked -p reclaim-kiosk -p bare-window -p reclaim-service \
    --features reclaim-service/demo || exit 1
  if [ -n "$CHROMIUM" ]; then
    (cd ui && npx vite build --mode mock --outDir dist-mock --logLevel warn) || exit 1
  fi
fi
KIOSK="$ROOT/target/release/reclaim-kiosk"
BARE="$ROOT/target/release/bare-window"
SERVICE="$ROOT/target/release/reclaim-service"
BINS=("$KIOSK" "$BARE")
[ "$MODE" = fleet ] && BINS+=("$SERVICE")
for bin in "${BINS[@]}"; do
  [ -x "$bin" ] || { echo "bench: $bin missing (run without --skip-build)" >&2; exit 1; }
done
EXTRA=(--mode "$MODE")
if [ -n "$CHROMIUM" ]; then
  [ -f ui/dist-mock/index.html ] || { echo "bench: ui/dist-mock missing (run without --skip-build)" >&2; exit 1; }
  EXTRA+=(--chromium "$CHROMIUM" --chromium-dist "$ROOT/ui/dist-mock")
fi

source tests/e2e/desktop.sh
desktop_start "$OUT" "$SCREEN" matchbox || exit 1
PORT=$DRIVER_PORT

if [ "$MODE" = fleet ]; then
  # The recovery service with the emulated tenant, started once, in its own process group (not a
  # descendant of WebKitWebDriver, so never in an app's PSS); stopped with the desktop.
  CRED="$OUT/fleet-station.cred"
  rm -f "$CRED" "$OUT/service.json"
  RECLAIM_LOG="${RECLAIM_LOG:-info}" setsid "$SERVICE" --demo --listen 127.0.0.1:0 --stations 2 \
    --credential-file "$CRED" >"$OUT/service.json" 2>"$OUT/service.log" &
  SERVICE_PID=$!
  DESKTOP_PIDS+=("$SERVICE_PID")
  for _ in $(seq 300); do
    [ -s "$OUT/service.json" ] && break
    sleep 0.1
  done
  [ -s "$OUT/service.json" ] || { echo "bench: reclaim-service did not start (see $OUT/service.log)" >&2; exit 1; }
  echo "bench: reclaim-service $SERVICE_PID: $(head -n1 "$OUT/service.json")"
  EXTRA+=(--service-credential "$CRED" --service-pid "$SERVICE_PID")
fi

echo "bench: display $DISPLAY ($SCREEN, matchbox), WebKitWebDriver $DRIVER_PID on $PORT; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -B bench/startup_memory.py --driver "http://127.0.0.1:$PORT" --driver-pid "$DRIVER_PID" \
  --kiosk "$KIOSK" --bare "$BARE" --json-out "$OUT/startup_memory.json" "${EXTRA[@]}" "${PASS[@]}"
