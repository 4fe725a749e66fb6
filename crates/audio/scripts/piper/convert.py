#!/usr/bin/env python3
"""Piper voice ONNX -> safetensors for crates/audio/src/vits.rs: the inference tensors under their
PyTorch names (vits_ref.canonical_state_dict: weight norm folded, the flow's unnamed convs renamed),
plus the voice's phoneme_id_map as config.json beside it.

    python3 convert.py VOICE.onnx VOICE.onnx.json OUT_DIR
Needs numpy and onnx. Writes OUT_DIR/model.safetensors and OUT_DIR/config.json.
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vits_ref  # noqa: E402

onnx_path, json_path, out = sys.argv[1:4]
weights = vits_ref.canonical_state_dict(vits_ref.load_weights(onnx_path))
os.makedirs(out, exist_ok=True)
header, blobs, offset = {}, [], 0
for name in sorted(weights):
    a = np.ascontiguousarray(weights[name], dtype="<f4")
    b = a.tobytes()
    header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
    blobs.append(b)
    offset += len(b)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
tmp = os.path.join(out, "model.safetensors.part")
with open(tmp, "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)
os.replace(tmp, os.path.join(out, "model.safetensors"))
cfg = json.load(open(json_path))
keep = {k: cfg[k] for k in ("audio", "espeak", "inference", "phoneme_id_map", "phoneme_type", "num_symbols") if k in cfg}
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(keep, f, ensure_ascii=False, indent=1)
print(f"convert: {len(weights)} tensors, {offset / 1e6:.1f} MB -> {out}")
