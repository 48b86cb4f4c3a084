#!/usr/bin/env bash
# Starts Reclaim in demo mode on the emulated tenant: the kiosk full screen, with the emulated
# tenant and relay in-process on loopback and the demo phone (Microsoft Authenticator's and the
# identity provider's stand-in) in a small window beside it, so one person at one screen can walk
# every path with the fixture's personas. The emulator listens on a fixed port, so its phone page
# and printable test ID cards also open in a browser. The kiosk ends only by a signal (Ctrl-C).
#   RECLAIM_DEMO_LISTEN=HOST:PORT   where the emulated tenant listens (default 127.0.0.1:8400)
#   RECLAIM_DEMO_SERVICE=HOST:PORT  where the recovery service and its operator console listen
#                                   (default 127.0.0.1:8401)
#   RECLAIM_DEMO_KIOSK=0            serve the emulated tenant only (also when there is no display)
# Extra arguments go to the kiosk (see `target/debug/reclaim-kiosk --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
LISTEN="${RECLAIM_DEMO_LISTEN:-127.0.0.1:8400}"
SERVICE="${RECLAIM_DEMO_SERVICE:-127.0.0.1:8401}"

if [ "${RECLAIM_DEMO_KIOSK:-1}" = 1 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  bash scripts/build-ui.sh
  cargo build -p reclaim-kiosk --locked -q
  echo "Starting the kiosk in demo mode; the emulated tenant is on http://$LISTEN"
  echo "  demo phone page: http://$LISTEN/phone/p/demo-phone   test ID cards: http://$LISTEN/provider/cards/"
  echo "  operator console: http://$SERVICE/console (IT staff: it.operator@contoso.example / operator-demo)"
  exec target/debug/reclaim-kiosk --demo-listen "$LISTEN" --demo-service-listen "$SERVICE" "$@"
else
  [ "${RECLAIM_DEMO_KIOSK:-1}" = 1 ] && echo "No display (DISPLAY is unset): serving the emulated tenant only."
  cargo build -p reclaim-emulator --locked -q
  echo "Starting the emulated tenant on $LISTEN (Ctrl-C stops it)"
  exec target/debug/reclaim-emulator --listen "$LISTEN" "$@"
fi
