#!/usr/bin/env bash
# Starts Reclaim in demo mode on the emulated tenant.
# Until the kiosk app lands (issue 4), this serves the emulated tenant on a fixed loopback port,
# with its demo phone page and printable test ID cards, and prints where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
LISTEN="${RECLAIM_DEMO_LISTEN:-127.0.0.1:8400}"
cargo build -p reclaim-emulator --locked -q
echo "Starting the emulated tenant on $LISTEN (Ctrl-C stops it)"
exec target/debug/reclaim-emulator --listen "$LISTEN" "$@"
