#!/usr/bin/env python3
"""Extracts Silero VAD's 16 kHz weights from the silero-vad package's ONNX model into
safetensors, under the same tensor names as the package's own silero_vad/data/silero_vad_16k.safetensors
(stft_conv, conv1..4, lstm_cell, final_conv), which is the layout crates/audio loads.

Why not ship the package's safetensors as is: in silero-vad 6.2.3 it holds a different
checkpoint from the ONNX/JIT models the package runs by default (same architecture, different
numbers), so it cannot be checked against the package's ONNX output. These weights can, and
are checked to 1e-4 in crates/audio/tests/silero.rs. Licence: MIT (silero-vad), see
weights/LICENSE-silero-vad.

  pip install onnx numpy safetensors && pip install --no-deps silero-vad
  python3 silero_onnx_to_safetensors.py [OUT.safetensors]
"""
import importlib.util
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from safetensors.numpy import save_file

spec = importlib.util.find_spec("silero_vad")
if spec is None:
    sys.exit("pip install --no-deps silero-vad")
src = os.path.join(spec.submodule_search_locations[0], "data", "silero_vad_16k_op15.onnx")
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "weights", "silero_vad_16k_v6.safetensors")

names = {"model.stft.forward_basis_buffer": "stft_conv.weight"}
for i in range(4):
    names[f"model.encoder.{i}.reparam_conv.weight"] = f"conv{i + 1}.weight"
    names[f"model.encoder.{i}.reparam_conv.bias"] = f"conv{i + 1}.bias"
for k in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
    names["model.decoder.rnn." + k] = "lstm_cell." + k
names["model.decoder.decoder.2.weight"] = "final_conv.weight"
names["model.decoder.decoder.2.bias"] = "final_conv.bias"

init = {i.name: numpy_helper.to_array(i) for i in onnx.load(src).graph.initializer}
missing = set(names) - set(init)
if missing:
    sys.exit(f"{src}: missing {sorted(missing)}")
tensors = {names[k]: np.ascontiguousarray(init[k].astype(np.float32)) for k in names}
save_file(tensors, out, metadata={"source": "silero-vad 6.2.3 silero_vad_16k_op15.onnx", "license": "MIT"})
print(out, sum(v.nbytes for v in tensors.values()), "bytes")
