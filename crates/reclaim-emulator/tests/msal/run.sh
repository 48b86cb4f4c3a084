#!/usr/bin/env bash
# MSAL interop test: Python msal (a real third-party client) and an older MSAL for Node (1.10.0)
# against the emulator binary over TLS.
# Uses the venv at ${RECLAIM_PY_VENV:-target/py-venv} and the npm dir
# ${RECLAIM_MSAL_NODE_DIR:-target/msal-node-1.10}, creating them if missing; expects the
# emulator already built (`cargo build -p reclaim-emulator`) unless RECLAIM_EMULATOR_BIN says otherwise.
set -euo pipefail
cd "$(dirname "$0")/../../../.."

VENV="${RECLAIM_PY_VENV:-target/py-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import msal' 2>/dev/null; then
  echo "msal: creating $VENV with msal"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'msal==1.39.*'
fi

# An older MSAL for Node (1.10.0, pinned by node/package-lock.json) that sends
# `openid profile offline_access` with client credentials; reinstalled when the lock file changes.
NODE_DIR="${RECLAIM_MSAL_NODE_DIR:-target/msal-node-1.10}"
LOCK=crates/reclaim-emulator/tests/msal/node/package-lock.json
if [ ! -d "$NODE_DIR/node_modules/@azure/msal-node" ] || ! cmp -s "$LOCK" "$NODE_DIR/package-lock.json"; then
  echo "msal: installing @azure/msal-node 1.10.0 into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  cp crates/reclaim-emulator/tests/msal/node/package.json "$LOCK" "$NODE_DIR/"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
export RECLAIM_MSAL_NODE_DIR="$NODE_DIR"

BIN="${RECLAIM_EMULATOR_BIN:-target/debug/reclaim-emulator}"
if [ ! -x "$BIN" ]; then
  echo "msal: emulator binary $BIN not found; run 'cargo build -p reclaim-emulator' first" >&2
  exit 1
fi

exec "$VENV/bin/python" -m unittest -v crates/reclaim-emulator/tests/msal/test_msal.py
