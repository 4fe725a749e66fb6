#!/usr/bin/env python3
"""Reference output of Whisper tiny's front-end and encoder for tests/whisper.rs.

Log-mel: faster-whisper's numpy FeatureExtractor (the file alone, so its package's other
dependencies are not needed), with the audio padded to one 30 s window as openai-whisper does.
Encoder: CTranslate2's own Whisper encode (compute_type float32) on that log-mel, from the same
model.bin duologue reads (crates/audio/scripts/fetch_whisper.sh).

    pip install ctranslate2 && pip install --no-deps faster-whisper
    python3 crates/audio/scripts/whisper_reference.py [MODEL_DIR] > crates/audio/tests/fixtures/whisper_hello.json

Stored: mel frames 0, 3, ..., 150 and 1000 (all 80 bands); encoder vectors 0, 5, ..., 75, 100,
750 and 1499 (every second dimension), 6 decimals.
"""
import importlib.util
import json
import os
import sys
import wave

import ctranslate2
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
model_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/duologue/whisper-tiny")
spec = importlib.util.find_spec("faster_whisper")
fe_path = os.path.join(os.path.dirname(spec.origin), "feature_extractor.py")
fe_spec = importlib.util.spec_from_file_location("fw_feature_extractor", fe_path)
fe = importlib.util.module_from_spec(fe_spec)
fe_spec.loader.exec_module(fe)

with wave.open(os.path.join(here, "..", "tests", "fixtures", "hello.wav")) as w:
    assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
    audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0

window = 480000
mel = fe.FeatureExtractor(feature_size=80)(audio, padding=window - len(audio))
assert mel.shape == (80, 3000), mel.shape
model = ctranslate2.models.Whisper(model_dir, device="cpu", compute_type="float32")
enc = np.array(model.encode(ctranslate2.StorageView.from_array(mel[None].astype(np.float32)), to_cpu=True))[0]
assert enc.shape == (1500, 384), enc.shape

mel_frames = list(range(0, 151, 3)) + [1000]
enc_rows = list(range(0, 76, 5)) + [100, 750, 1499]
r6 = lambda a: [round(float(v), 6) for v in a]
json.dump(
    {
        "samples": len(audio),
        "mel_frames": mel_frames,
        "mel": [r6(mel[:, t]) for t in mel_frames],
        "enc_rows": enc_rows,
        "enc_dim_step": 2,
        "enc": [r6(enc[j, ::2]) for j in enc_rows],
        "ctranslate2": ctranslate2.__version__,
    },
    sys.stdout,
)
