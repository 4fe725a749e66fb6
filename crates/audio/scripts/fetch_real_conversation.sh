#!/usr/bin/env bash
# Fetches a real recorded two-person conversation with its speaker annotation, for the
# diarisation benchmark (benches/masks.rs) and tests/masks.rs: the 30 s sample (16 kHz mono,
# two people, overlaps and short turns) with its RTTM that the PyPI package pyannote.audio
# ships as pyannote/audio/sample/ (MIT licence, copied next to it as LICENSE).
#
# Downloads the wheel with pip (no install, no dependencies), checks the sha256 of both files
# and unpacks them into (first that is set): $1, $DUOLOGUE_REAL_CONVERSATION_DIR,
# $XDG_CACHE_HOME/duologue/real-conversation, $HOME/.cache/duologue/real-conversation.
# Idempotent: does nothing when the files are already there and intact.
set -euo pipefail

PKG="pyannote.audio==4.0.7"
SHA_WAV="c319b4abca767b124e41432d364fd7df006cb26bb79d09326c487d606a134e6e"
SHA_RTTM="d78fe62c69d8e6dcbb42c26adfce83faccb374c5a1e6d987fe37f85f1c173c87"

if [ $# -ge 1 ]; then
  dest="$1"
elif [ -n "${DUOLOGUE_REAL_CONVERSATION_DIR:-}" ]; then
  dest="$DUOLOGUE_REAL_CONVERSATION_DIR"
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
  dest="$XDG_CACHE_HOME/duologue/real-conversation"
else
  dest="$HOME/.cache/duologue/real-conversation"
fi

have() {
  [ -f "$dest/LICENSE" ] &&
    echo "$SHA_WAV  $dest/sample.wav" | sha256sum -c --status - 2>/dev/null &&
    echo "$SHA_RTTM  $dest/sample.rttm" | sha256sum -c --status - 2>/dev/null
}

if have; then
  echo "fetch_real_conversation: already in $dest"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --disable-pip-version-check --no-deps -d "$tmp" "$PKG"
whl="$(ls "$tmp"/pyannote_audio-*.whl)"
python3 - "$whl" "$tmp/x" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.startswith("pyannote/audio/sample/sample.") or name.endswith(".dist-info/licenses/LICENSE") or name.endswith(".dist-info/LICENSE"):
            z.extract(name, sys.argv[2])
PY
mkdir -p "$dest"
cp "$tmp/x/pyannote/audio/sample/sample.wav" "$tmp/x/pyannote/audio/sample/sample.rttm" "$dest/"
lic="$(find "$tmp/x" -name LICENSE | head -1)"
cp "$lic" "$dest/LICENSE"
have || { echo "fetch_real_conversation: checksum mismatch in $dest" >&2; exit 1; }
echo "fetch_real_conversation: pyannote.audio's sample conversation in $dest"
