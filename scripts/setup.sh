#!/usr/bin/env bash
# Installs everything Reclaim needs on a fresh Debian 12 machine: system packages (apt), the Rust
# pieces (rustfmt, clippy, cargo-nextest), the Python venv and the older MSAL for Node used by the
# MSAL interop test.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config curl wget ca-certificates file
  fonts-dejavu-core          # test ID cards are drawn with DejaVu
  python3 python3-venv       # MSAL interop test (a real third-party client)
  # Tauri 2 on Linux (WebKitGTK 4.1) and its build-time needs (build-facts section 2)
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  libdbus-1-dev libclang-dev
  # Desktop E2E: WebKitWebDriver, a virtual X screen, a window manager so full screen is real,
  # screenshots (ImageMagick also draws icons/icon.png)
  webkit2gtk-driver xvfb xauth matchbox-window-manager wmctrl imagemagick xdotool x11-apps
  # Secret storage (keyring) in tests
  dbus dbus-x11 gnome-keyring libsecret-tools keyutils
  chromium                   # UI tests (playwright-core drives Debian's Chromium)
  rsyslog                    # the audit export test starts its own rsyslogd (RFC 5424 over TCP)
)
# Node 20 is expected on the machine; install Debian's only when there is none.
command -v node >/dev/null || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null || APT_PACKAGES+=(npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust 1.95 with rustup first" >&2; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! command -v cargo-nextest >/dev/null; then
  echo "setup: installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

# Python venv for the MSAL test; kept under target/ so `cargo clean` resets it.
VENV="${RECLAIM_PY_VENV:-target/py-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import msal' 2>/dev/null; then
  echo "setup: creating $VENV with msal"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'msal==1.39.*'
fi

# An older MSAL for Node (@azure/msal-node 1.10.0, pinned by its package-lock.json) for the MSAL
# interop test: it sends `openid profile offline_access` with client credentials. Under target/ too.
MSAL_NODE_DIR="${RECLAIM_MSAL_NODE_DIR:-target/msal-node-1.10}"
MSAL_NODE_LOCK=crates/reclaim-emulator/tests/msal/node/package-lock.json
if [ ! -d "$MSAL_NODE_DIR/node_modules/@azure/msal-node" ] \
  || ! cmp -s "$MSAL_NODE_LOCK" "$MSAL_NODE_DIR/package-lock.json"; then
  echo "setup: installing @azure/msal-node 1.10.0 into $MSAL_NODE_DIR"
  mkdir -p "$MSAL_NODE_DIR"
  cp crates/reclaim-emulator/tests/msal/node/package.json "$MSAL_NODE_LOCK" "$MSAL_NODE_DIR/"
  (cd "$MSAL_NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: ok"
