#!/usr/bin/env python3
"""tests/fixtures/piper_hello.json for tests/vits.rs, from validate.py's onnxruntime outputs
("Hello world.", scales [0, 1, 0]): Piper's phoneme ids, onnxruntime's per-id frame counts and
every 8th sample of its audio.

    python3 fixture.py DIR_WITH_NPY > crates/audio/tests/fixtures/piper_hello.json
"""
import json
import os
import sys

import numpy as np

d = sys.argv[1]
ids = np.load(os.path.join(d, "hello_ids.npy")).tolist()
dur = np.load(os.path.join(d, "hello_durations_ort.npy")).tolist()
audio = np.load(os.path.join(d, "hello_audio_ort.npy")).astype(np.float64)
json.dump(
    {
        "text": "Hello world.",
        "ids": ids,
        "durations": dur,
        "samples": len(audio),
        "step": 8,
        "audio": [round(float(v), 6) for v in audio[::8]],
    },
    sys.stdout,
)
