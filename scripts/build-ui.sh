#!/usr/bin/env bash
# Builds the UI into ui/dist, which the kiosk embeds at compile time (so it must exist before any
# cargo build, clippy or test of the workspace). Installs ui/node_modules with `npm ci` when it is
# missing or older than ui/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f ui/package.json ]; then
  # Only until the UI lands: the kiosk cannot compile without a frontendDist.
  echo "build-ui: WARNING: ui/package.json is missing; the kiosk embeds a placeholder page"
  mkdir -p ui/dist
  [ -f ui/dist/index.html ] || printf '%s\n' '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reclaim</title></head><body><h1>Reclaim</h1><p>Placeholder: the UI is not built.</p></body></html>' >ui/dist/index.html
  exit 0
fi
cd ui
if [ ! -f node_modules/.package-lock.json ] || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
npm run build
