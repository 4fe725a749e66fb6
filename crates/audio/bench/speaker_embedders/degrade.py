"""Noise+reverb copy of the segments, after benches/masks.rs: one synthetic room per voice (RT60 0.3-0.8 s:
direct path + low-passed exponentially decaying noise), then pinkish noise at 10-30 dB SNR per segment."""
import os
WORK = os.environ.get("SPK_WORK", "/tmp/spk")  # where fetch.sh unpacked the wheels and the data go
import numpy as np
from scipy.signal import fftconvolve
SR = 16000
rng = np.random.default_rng(3)
d = np.load(WORK + "/data/segs.npz"); segs, lab = d["segs"], d["labels"]
def room(rt60):
    n = int(rt60 * SR); h = np.zeros(n); h[0] = 1; lp = 0.0; pre = int(0.003 * SR)
    g = rng.standard_normal(n)
    for i in range(pre, n):
        lp = 0.6 * lp + 0.4 * g[i]; h[i] += 0.35 * lp * np.exp(-6.9 * i / (rt60 * SR))
    return h
rooms = {v: room(rng.uniform(0.3, 0.8)) for v in np.unique(lab)}
out = []
for x, v in zip(segs, lab):
    y = fftconvolve(x, rooms[v])[:len(x)] * 0.5
    act = y[np.abs(y) > 1e-3]; ps = (act ** 2).mean()
    snr = rng.uniform(10, 30); w = rng.standard_normal(len(y)); lp = np.zeros_like(w); acc = 0.0
    for i in range(len(w)):
        acc = 0.97 * acc + 0.03 * w[i]; lp[i] = acc
    n = 0.7 * w + 5.0 * lp; n *= np.sqrt(ps / 10 ** (snr / 10)) / np.sqrt((n ** 2).mean())
    out.append((y + n).astype(np.float32))
np.savez(WORK + "/data/segs_nr.npz", segs=np.stack(out), labels=lab)
print("done", np.stack(out).shape)
