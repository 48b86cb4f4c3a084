#!/usr/bin/env bash
# MSAL interop test: Python msal (a real third-party client) against the emulator binary over TLS.
# Uses the venv at ${RECLAIM_PY_VENV:-target/py-venv}, creating it if missing; expects the
# emulator already built (`cargo build -p reclaim-emulator`) unless RECLAIM_EMULATOR_BIN says otherwise.
set -euo pipefail
cd "$(dirname "$0")/../../../.."

VENV="${RECLAIM_PY_VENV:-target/py-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import msal' 2>/dev/null; then
  echo "msal: creating $VENV with msal"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'msal==1.39.*'
fi

BIN="${RECLAIM_EMULATOR_BIN:-target/debug/reclaim-emulator}"
if [ ! -x "$BIN" ]; then
  echo "msal: emulator binary $BIN not found; run 'cargo build -p reclaim-emulator' first" >&2
  exit 1
fi

exec "$VENV/bin/python" -m unittest -v crates/reclaim-emulator/tests/msal/test_msal.py
