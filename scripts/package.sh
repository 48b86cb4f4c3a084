#!/usr/bin/env bash
# Builds the kiosk's Debian package with the Tauri CLI from npm (@tauri-apps/cli, in ui/), and
# its updater signature (`tauri signer sign`) by TAURI_SIGNING_PRIVATE_KEY (+ _PASSWORD). Without
# a key it makes a throwaway one under target/package-key/ (never committed, never for production), so CI can
# prove the package builds and its signature verifies. Then checks the .deb with reclaim-updater
# exactly as a kiosk would, and a tampered copy, which must be refused.
# Prints: `package: FILE BYTES bytes; signature verified; tampered copy refused`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-ui.sh >/dev/null
TAURI=ui/node_modules/.bin/tauri
[ -x "$TAURI" ] || { echo "package: $TAURI missing (npm ci in ui/)" >&2; exit 1; }

KEYDIR=target/package-key
if [ -z "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
  if [ ! -f "$KEYDIR/updater.key" ]; then
    mkdir -p "$KEYDIR"
    "$TAURI" signer generate --ci -p '' -w "$KEYDIR/updater.key" -f >/dev/null
  fi
  export TAURI_SIGNING_PRIVATE_KEY="$(cat "$KEYDIR/updater.key")"
  export TAURI_SIGNING_PRIVATE_KEY_PASSWORD=''
  PUBKEY="$KEYDIR/updater.key.pub"
  echo "package: signing with a throwaway key ($KEYDIR; set TAURI_SIGNING_PRIVATE_KEY for a release)"
else
  PUBKEY="${RECLAIM_UPDATER_PUBKEY_FILE:?set RECLAIM_UPDATER_PUBKEY_FILE to the .pub of TAURI_SIGNING_PRIVATE_KEY}"
fi

"$TAURI" build --bundles deb --ci
DEB=$(ls -t target/release/bundle/deb/*.deb | head -1)
# The updater signature (`DEB.sig`, base64 of a minisign signature), as `createUpdaterArtifacts`
# would write it; signed here because that option also wants the updater plugin's config, and
# the kiosk verifies updates itself (reclaim-updater) with the key from its own configuration.
rm -f "$DEB.sig"
"$TAURI" signer sign "$DEB" >/dev/null
SIG="$DEB.sig"
[ -f "$SIG" ] || { echo "package: no updater signature $SIG" >&2; exit 1; }

cargo build -q --locked -p reclaim-updater --example verify
VERIFY=target/debug/examples/verify
"$VERIFY" "$PUBKEY" "$DEB" "$SIG" >/dev/null || { echo "package: the signature does not verify" >&2; exit 1; }
mkdir -p "$KEYDIR"
TAMPERED="$KEYDIR/tampered.deb"
cp "$DEB" "$TAMPERED"
printf 'X' | dd of="$TAMPERED" bs=1 seek=200 conv=notrunc status=none
if "$VERIFY" "$PUBKEY" "$TAMPERED" "$SIG" >/dev/null; then
  echo "package: a tampered package verified" >&2
  exit 1
fi
dpkg-deb --info "$DEB" >/dev/null
echo "package: $DEB $(stat -c %s "$DEB") bytes; signature verified; tampered copy refused"
