#!/usr/bin/env python3
"""Reference Silero VAD probabilities from the silero-vad package's own ONNX model.

Runs silero_vad/data/silero_vad.onnx with onnxruntime exactly as the package's OnnxWrapper
does (512-sample chunks at 16 kHz, 64 samples of context carried over, LSTM state carried
over, the last chunk zero-padded) and prints/writes JSON {"probs": [...]} for a 16 kHz mono
16-bit WAV. The Rust test compares crates/audio's burn implementation against these numbers.

  pip install onnxruntime numpy && pip install --no-deps silero-vad
  python3 silero_reference.py IN.wav [OUT.json]
"""
import importlib.util
import json
import os
import sys
import wave

import numpy as np
import onnxruntime as ort


def model_path():
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("silero-vad is not installed (pip install --no-deps silero-vad)")
    return os.path.join(spec.submodule_search_locations[0], "data", "silero_vad.onnx")


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2, "16 kHz mono s16"
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def probs(audio):
    opts = ort.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model_path(), sess_options=opts, providers=["CPUExecutionProvider"])
    n = (len(audio) + 511) // 512
    audio = np.pad(audio, (0, n * 512 - len(audio)))
    state = np.zeros((2, 1, 128), np.float32)
    context = np.zeros((1, 64), np.float32)
    out = []
    for i in range(n):
        x = np.concatenate([context, audio[None, i * 512:(i + 1) * 512]], axis=1)
        p, state = sess.run(None, {"input": x, "state": state, "sr": np.array(16000, dtype=np.int64)})
        context = x[:, -64:]
        out.append(float(p[0, 0]))
    return out


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    result = {"source": os.path.basename(sys.argv[1]), "chunk": 512, "probs": probs(read_wav(sys.argv[1]))}
    text = json.dumps(result)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(text + "\n")
    else:
        print(text)
