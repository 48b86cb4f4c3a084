#!/usr/bin/env bash
# Runs every Reclaim test on a fresh Debian 12 machine: installs what is missing, checks
# formatting and lints, runs the Rust tests (unit, contract, system), then the interop tests
# that use real third-party clients against the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$SECONDS
step() { echo; echo "== [$((SECONDS - T0))s] $*"; }

step "setup"
bash scripts/setup.sh

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rust tests"
mkdir -p target
cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee target/nextest.log
rust_passed=$(grep -oE 'tests run: [0-9]+ passed' target/nextest.log | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | tail -1)

step "MSAL interop (Python msal against the emulator over TLS)"
cargo build -p reclaim-emulator --locked -q
bash crates/reclaim-emulator/tests/msal/run.sh 2>&1 | tee target/msal.log
msal_passed=$(grep -oE '^Ran [0-9]+ test' target/msal.log | grep -oE '[0-9]+' | tail -1)

step "all tests passed in $((SECONDS - T0))s"
echo "reclaim: $((rust_passed + msal_passed)) passed, 0 failed"
