#!/usr/bin/env python3
"""Builds a small randomly initialised transformers Wav2Vec2Model (wav2vec 2.0 base topology:
7-layer conv feature encoder with group norm, post-LN transformer, grouped positional conv with
weight norm; only narrower and shallower), saves its weights in the standard Hugging Face layout
(model.safetensors + config.json) and the model's last_hidden_state on a fixed input, as the
parity fixture for crates/audio/src/wav2vec2.rs (tests/wav2vec2.rs, tolerance 1e-4).

  pip install torch transformers safetensors numpy
  python3 wav2vec2_fixture.py [OUT_DIR]   (default: ../tests/fixtures/wav2vec2_tiny)
"""
import json
import os
import sys
import wave

import numpy as np
import torch
from transformers import Wav2Vec2Config, Wav2Vec2Model

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tests", "fixtures", "wav2vec2_tiny")
os.makedirs(out, exist_ok=True)

torch.manual_seed(0)
config = Wav2Vec2Config(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=64,
    conv_dim=(16, 16, 16, 16, 16, 16, 16),
    conv_kernel=(10, 3, 3, 3, 3, 2, 2),
    conv_stride=(5, 2, 2, 2, 2, 2, 2),
    conv_bias=False,
    feat_extract_norm="group",
    do_stable_layer_norm=False,
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=4,
    hidden_act="gelu",
)
model = Wav2Vec2Model(config).eval()
# Random init leaves norms at identity and biases at zero: perturb every tensor so that the
# test exercises all of them.
with torch.no_grad():
    for name, p in model.named_parameters():
        p.add_(0.05 * torch.randn_like(p))
model.save_pretrained(out, safe_serialization=True)

with wave.open(os.path.join(here, "..", "tests", "fixtures", "hello.wav"), "rb") as w:
    audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
x = audio[4000:12000]  # 0.5 s of speech
x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)  # Wav2Vec2FeatureExtractor(do_normalize=True)
with torch.no_grad():
    y = model(torch.from_numpy(x)[None]).last_hidden_state[0].numpy()
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump({"input": "hello.wav[4000:12000], zero-mean unit-variance", "shape": list(y.shape),
               "last_hidden_state": np.round(y.astype(np.float64), 7).reshape(-1).tolist()}, f)
print(out, y.shape)
