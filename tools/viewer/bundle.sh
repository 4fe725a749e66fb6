#!/usr/bin/env bash
# Rebuilds crates/serve/web/vendor/three.js: three.js (npm, the version pinned in package.json)
# with its GLTFLoader and OrbitControls, only the exports entry.js names, minified into one ES
# module, with three.js's licence beside it. The bundle is committed, so building and testing
# duologue never needs npm; run this only to change the three.js version or what app.js imports.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --silent
out=../../crates/serve/web/vendor
mkdir -p "$out"
version=$(node -p "JSON.parse(require('fs').readFileSync('node_modules/three/package.json')).version")
npx esbuild entry.js --bundle --format=esm --minify --legal-comments=none \
  --banner:js="/* three.js r${version#0.} (MIT, see LICENSE-three.txt) with GLTFLoader and OrbitControls; built by tools/viewer/bundle.sh */" \
  --outfile="$out/three.js"
cp node_modules/three/LICENSE "$out/LICENSE-three.txt"
ls -l "$out"
