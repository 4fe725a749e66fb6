#!/usr/bin/env python3
"""Converts Resemblyzer's GE2E speaker encoder (resemblyzer/pretrained.pt, Apache-2.0, an
old-style torch pickle) to safetensors once, loading it with torch.load(weights_only=True) so
that no pickled code runs. Only the network (3-layer LSTM 40->256, linear 256->256) is kept;
the training-only similarity scale/bias and optimizer state are dropped.

  pip install torch safetensors && pip download --no-deps resemblyzer (or pip install --no-deps)
  python3 ge2e_convert.py [pretrained.pt] [OUT.safetensors]
"""
import importlib.util
import os
import sys

import torch
from safetensors.torch import save_file

if len(sys.argv) > 1:
    src = sys.argv[1]
else:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None:
        sys.exit("pip install --no-deps resemblyzer, or pass the path of pretrained.pt")
    src = os.path.join(spec.submodule_search_locations[0], "pretrained.pt")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "weights", "ge2e_resemblyzer.safetensors")

checkpoint = torch.load(src, map_location="cpu", weights_only=True)
state = {k: v.contiguous().float() for k, v in checkpoint["model_state"].items() if k.startswith(("lstm.", "linear."))}
assert len(state) == 14, sorted(state)
save_file(state, out, metadata={"source": "Resemblyzer 0.1.4 pretrained.pt", "license": "Apache-2.0"})
print(out, sum(v.numel() * 4 for v in state.values()), "bytes")
