#!/usr/bin/env python3
"""Reference GE2E outputs from the Resemblyzer package itself (VoiceEncoder.embed_utterance
with librosa's mel spectrogram), for crates/audio/tests/ge2e.rs. The package's preprocessing
(volume normalisation, silence trimming with the webrtcvad module) is not applied: the Rust side
compares the network on the same samples; `webrtcvad` is stubbed so it need not be installed.

  pip install torch librosa numpy && pip install --no-deps resemblyzer
  python3 ge2e_reference.py IN.wav OUT.json [REPEAT]   (16 kHz mono s16; REPEAT tiles it)
"""
import json
import sys
import types
import wave

import numpy as np

sys.modules.setdefault("webrtcvad", types.ModuleType("webrtcvad"))
from resemblyzer import VoiceEncoder, audio  # noqa: E402


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


wav = np.tile(read_wav(sys.argv[1]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
enc = VoiceEncoder(device="cpu", verbose=False)
embed, partials, slices = enc.embed_utterance(wav, return_partials=True)
mel = audio.wav_to_mel_spectrogram(wav)
result = {
    "source": sys.argv[1].split("/")[-1],
    "repeat": int(sys.argv[3]) if len(sys.argv) > 3 else 1,
    "mel_first_frames": mel[:3].tolist(),
    "mel_frames": int(mel.shape[0]),
    "partial_starts": [int(s.start) for s in slices],
    "partials": partials.tolist(),
    "embedding": embed.tolist(),
}
with open(sys.argv[2], "w") as f:
    json.dump(result, f)
print(sys.argv[2], len(slices), "partials")
