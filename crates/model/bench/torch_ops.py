#!/usr/bin/env python3
"""PyTorch twin of crates/model/benches/ops.rs: the same single operations at the same shapes
(cpu config, one sampling pass: 4 streams, width 160, 250 and 125 frames), same rows.

    python3 crates/model/bench/torch_ops.py [--threads 2]
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def time_ms(f):
    for _ in range(5):
        f()
    t = time.perf_counter()
    for _ in range(50):
        f()
    return (time.perf_counter() - t) / 50 * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    n, w = 4, 160
    rows = {}
    with torch.no_grad():
        for t in (250, 125):
            x, e = torch.randn(n, w, t), torch.randn(n, t, w)
            conv, gn = nn.Conv1d(w, w, 3, padding=1), nn.GroupNorm(32, w)
            film, mha = nn.Linear(w, 2 * w), nn.MultiheadAttention(w, 8, batch_first=True)
            a2, b2 = e.reshape(n * t, w), torch.randn(w, w)
            for name, f in [
                ("conv1d k3 160->160", lambda: conv(x)),
                ("gemm [N*T,160]x[160,160]", lambda: a2 @ b2),
                ("linear 160->320 (FiLM)", lambda: film(e)),
                ("group norm (32 groups)", lambda: gn(x)),
                ("silu", lambda: F.silu(x)),
                ("exp", lambda: x.exp()),
                ("mul", lambda: x * x),
                ("softmax (last dim)", lambda: x.softmax(2)),
                ("multi-head attention (8 heads)", lambda: mha(e, e, e, need_weights=False)),
            ]:
                rows.setdefault(name, []).append(time_ms(f))
    print(f"| op (torch {torch.__version__}, {torch.get_num_threads()} threads) | T 250 ms | T 125 ms |\n|---|---|---|")
    for name, v in rows.items():
        print(f"| {name} | {v[0]:.3f} | {v[1]:.3f} |")


if __name__ == "__main__":
    main()
