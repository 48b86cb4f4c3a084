#!/usr/bin/env bash
# Builds the kiosk's Debian package with the Tauri CLI from npm (@tauri-apps/cli, in ui/), and
# its updater signature (`tauri signer sign`) by TAURI_SIGNING_PRIVATE_KEY (+ _PASSWORD). Without
# a key it makes a throwaway one under target/package-key/ (never committed, never for production), so CI can
# prove the package builds and its signature verifies. Then checks the .deb's signature with
# reclaim-updater exactly as the root installer does, and a tampered copy, which must be refused.
# The package carries that root installer, /usr/sbin/reclaim-update-install (docs/kiosk/).
# Then extracts the packaged binary and checks, with no camera device, that its camera path is
# hidden and the station says why (`--check-camera`, and the kiosk itself under Xvfb + WebDriver).
# Prints: `package: FILE BYTES bytes; signature verified; tampered copy refused; camera: …`.
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

# The root-side installer of updates, shipped in the package (not in tauri.conf.json: only this
# script builds it first).
cargo build -q --release --locked -p reclaim-updater --bin reclaim-update-install
INSTALLER='{"bundle":{"linux":{"deb":{"files":{"/usr/sbin/reclaim-update-install":"target/release/reclaim-update-install"}}}}}'
# With the real webcam (nokhwa, Video4Linux; needs libclang-dev, see scripts/setup.sh).
"$TAURI" build --bundles deb --ci --features device-camera --config "$INSTALLER"
DEB=$(ls -t target/release/bundle/deb/*.deb | head -1)
# The listing is read whole first: `grep -q` stopping early would SIGPIPE dpkg-deb (pipefail).
LISTING=$(dpkg-deb -c "$DEB")
grep -E '^-rwxr-xr-x .* (\./)?usr/sbin/reclaim-update-install$' <<<"$LISTING" >/dev/null \
  || { echo "package: no executable /usr/sbin/reclaim-update-install in $DEB" >&2; exit 1; }
# The updater signature (`DEB.sig`, base64 of a minisign signature), as `createUpdaterArtifacts`
# would write it; signed here because that option also wants the updater plugin's pubkey in
# tauri.conf.json, and the kiosk configures tauri-plugin-updater at run time from its own
# configuration (`[updater] pubkey`); the root installer verifies again with /etc/reclaim/update.pub.
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

# The packaged binary itself, with no camera device: its camera discovery (nokhwa compiled in,
# so the backend is Video4Linux) finds no camera, so the camera path is hidden and the station
# says `absent`. First `--check-camera` (the discovery as JSON, no window), then the kiosk on a
# virtual screen driven over WebDriver as tests/e2e/run.sh does, with `--device-camera` (demo
# tenant, the station's real camera instead of the synthetic one).
EXTRACT=target/package-check
rm -rf "$EXTRACT"
dpkg-deb -x "$DEB" "$EXTRACT"
BIN="$EXTRACT/usr/bin/reclaim-kiosk"
[ -x "$BIN" ] || { echo "package: no $BIN in the package" >&2; exit 1; }
"$EXTRACT/usr/sbin/reclaim-update-install" --version >/dev/null \
  || { echo "package: the packaged reclaim-update-install does not run" >&2; exit 1; }
CAMERA_JSON=$("$BIN" --check-camera)
if ls /dev/video* >/dev/null 2>&1; then
  echo "package: this machine has a camera device; the no-camera check needs one without" >&2
  exit 1
fi
python3 - "$CAMERA_JSON" <<'PY' || { echo "package: camera discovery of the packaged binary: $CAMERA_JSON" >&2; exit 1; }
import json, sys
report = json.loads(sys.argv[1])
assert report["backend"] == "Video4Linux", report  # the package has the real webcam
assert report["status"] == "absent" and report["chosen"] is None, report
PY
RECLAIM_KIOSK_BIN="$PWD/$BIN" bash tests/e2e/run.sh device_camera >target/package-check.log 2>&1 || {
  tail -20 target/package-check.log >&2
  echo "package: the packaged kiosk without a camera failed its E2E check (target/package-check.log)" >&2
  exit 1
}
grep -qE '^e2e: [1-9][0-9]* passed, 0 failed$' target/package-check.log || { echo "package: no E2E check ran" >&2; exit 1; }
echo "package: $DEB $(stat -c %s "$DEB") bytes; root installer included; signature verified; tampered copy refused; camera: nokhwa (Video4Linux), no device -> camera path hidden, station says absent"
