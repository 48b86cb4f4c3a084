#!/usr/bin/env bash
# Redraws icons/icon.png (512x512 RGBA: a key on a shield, on blue) with ImageMagick.
# Tauri needs an RGBA PNG here at build time (tauri.conf.json has no bundle.icon: this is the default).
set -euo pipefail
cd "$(dirname "$0")"
convert -size 512x512 xc:none \
  -fill '#1f5fbf' -draw 'roundrectangle 16,16 496,496 96,96' \
  -fill '#ffffff' -draw 'path "M 256,72 L 404,124 L 404,252 C 404,346 340,412 256,448 C 172,412 108,346 108,252 L 108,124 Z"' \
  -fill '#1f5fbf' -draw 'circle 256,200 256,250' \
  -fill '#ffffff' -draw 'circle 256,200 256,224' \
  -fill '#1f5fbf' -draw 'rectangle 240,240 272,380' \
  -fill '#1f5fbf' -draw 'rectangle 272,312 312,336' \
  -fill '#1f5fbf' -draw 'rectangle 272,352 300,376' \
  PNG32:icon.png
