#!/usr/bin/env bash
# Starts Reclaim in demo mode on the emulated tenant.
# Serves the emulated tenant on a fixed loopback port (with its demo phone page and printable test
# ID cards) and, when there is a display, opens the kiosk full screen beside it. The kiosk ends
# only by a signal (Ctrl-C here stops both). Until the engine lands, the kiosk shows its shell.
#   RECLAIM_DEMO_LISTEN=HOST:PORT   where the emulator listens (default 127.0.0.1:8400)
#   RECLAIM_DEMO_KIOSK=0            serve the emulator only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
LISTEN="${RECLAIM_DEMO_LISTEN:-127.0.0.1:8400}"
cargo build -p reclaim-emulator --locked -q

if [ "${RECLAIM_DEMO_KIOSK:-1}" = 1 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  bash scripts/build-ui.sh
  cargo build -p reclaim-kiosk --locked -q
  echo "Starting the emulated tenant on $LISTEN and the kiosk (Ctrl-C stops both)"
  target/debug/reclaim-emulator --listen "$LISTEN" "$@" &
  EMULATOR=$!
  trap 'kill "$EMULATOR" 2>/dev/null' EXIT
  target/debug/reclaim-kiosk
else
  [ "${RECLAIM_DEMO_KIOSK:-1}" = 1 ] && echo "No display (DISPLAY is unset): serving the emulated tenant only."
  echo "Starting the emulated tenant on $LISTEN (Ctrl-C stops it)"
  exec target/debug/reclaim-emulator --listen "$LISTEN" "$@"
fi
