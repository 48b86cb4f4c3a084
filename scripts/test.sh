#!/usr/bin/env bash
# Runs every Reclaim test on a fresh Debian 12 machine: installs what is missing, checks
# formatting, builds the UI (the kiosk embeds ui/dist, so it comes before lints and tests), lints,
# runs the Rust tests (unit, contract, system, the shell's IPC tests), the UI's tests, the desktop
# E2E (the real kiosk under Xvfb over WebDriver), then the interop tests that use real third-party
# clients against the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$SECONDS
step() { echo; echo "== [$((SECONDS - T0))s] $*"; }

step "setup"
bash scripts/setup.sh

step "format"
cargo fmt --all --check

step "UI build (ui/dist, embedded in the kiosk at compile time)"
bash scripts/build-ui.sh
ui_passed=0

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The real-webcam backend (nokhwa, Video4Linux) is a cargo feature: keep it compiling and clean.
cargo clippy -p reclaim-kiosk --features device-camera --locked -- -D warnings
# Types and Svelte (also fails when a message code has no text in some language).
(cd ui && npm run check)

step "rust tests"
mkdir -p target
cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee target/nextest.log
rust_passed=$(grep -oE 'tests run: [0-9]+ passed' target/nextest.log | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | tail -1)

ui_script() { [ -f ui/package.json ] && (cd ui && node -e 'process.exit(require("./package.json").scripts?.[process.argv[1]] ? 0 : 1)' "$1"); }
if ui_script test; then
  step "UI tests (npm test)"
  (cd ui && npm test) 2>&1 | tee target/ui-test.log
  # vitest's summary: "Tests  N passed (N)"
  ui_passed=$(sed 's/\x1b\[[0-9;]*m//g' target/ui-test.log | grep -oE 'Tests +[0-9]+ passed' | grep -oE '[0-9]+' | tail -1 || true)
fi
ui_browser_passed=0
if ui_script test:browser; then
  step "UI in Chromium (npm run test:browser: the mock build, real clicks and keys)"
  (cd ui && npm run test:browser) 2>&1 | tee target/ui-browser.log
  # run.mjs ends with "ui: N passed, N failed", sizes.mjs (every screen at every panel size) with
  # "sizes: N passed, N failed"
  ui_browser_passed=$(grep -oE '^ui: [0-9]+ passed' target/ui-browser.log | grep -oE '[0-9]+' | tail -1 || true)
  ui_sizes_passed=$(grep -oE '^sizes: [0-9]+ passed' target/ui-browser.log | grep -oE '[0-9]+' | tail -1 || true)
  [ -n "$ui_sizes_passed" ] || { echo "the screen-size test did not run (see target/ui-browser.log)"; exit 1; }
  # phone.mjs (the demo phone page in Chromium) ends with "phone: N passed, N failed"
  ui_phone_passed=$(grep -oE '^phone: [0-9]+ passed' target/ui-browser.log | grep -oE '[0-9]+' | tail -1 || true)
  [ -n "$ui_phone_passed" ] || { echo "the demo phone page test did not run (see target/ui-browser.log)"; exit 1; }
  ui_browser_passed=$(( ${ui_browser_passed:-0} + ui_sizes_passed + ui_phone_passed ))
fi

step "kiosk binary"
# Workspace-wide, like the builds above, so shared dependencies are reused: `-p reclaim-kiosk`
# alone resolves other features and recompiled about 100 crates on a cold run (37 this way).
cargo build --workspace --bins --locked

step "desktop E2E (the kiosk under Xvfb, WebKitWebDriver)"
e2e_passed=0
# Landscape under a window manager (every test), then portrait on a bare X server, as a kiosk
# session started with only the app would be (the full-screen test).
for run in "1920x1080 0 " "1080x1920 1 full_screen"; do
  read -r screen no_wm filter <<<"$run"
  RECLAIM_E2E_SCREEN=$screen RECLAIM_E2E_NO_WM=$no_wm bash tests/e2e/run.sh $filter 2>&1 | tee target/e2e.log || true
  passed=$(sed -nE 's/^e2e: ([0-9]+) passed, 0 failed$/\1/p' target/e2e.log | tail -1)
  [ "${passed:-0}" -gt 0 ] || { echo "desktop E2E failed ($screen; see target/e2e.log, target/e2e-screens/)"; exit 1; }
  e2e_passed=$((e2e_passed + passed))
done

step "package (.deb with signed updater artifacts, checked as a kiosk would)"
bash scripts/package.sh 2>&1 | tee target/package.log
grep -q '^package: .* signature verified; tampered copy refused; camera: nokhwa (Video4Linux), no device -> camera path hidden, station says absent$' target/package.log

step "MSAL interop (Python msal against the emulator over TLS)"
cargo build -p reclaim-emulator --locked -q
bash crates/reclaim-emulator/tests/msal/run.sh 2>&1 | tee target/msal.log
msal_passed=$(grep -oE '^Ran [0-9]+ test' target/msal.log | grep -oE '[0-9]+' | tail -1)

step "all tests passed in $((SECONDS - T0))s"
echo "reclaim: $((rust_passed + ${ui_passed:-0} + ${ui_browser_passed:-0} + e2e_passed + msal_passed)) passed, 0 failed"
