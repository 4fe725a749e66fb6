import os
WORK = os.environ.get("SPK_WORK", "/tmp/spk")  # where fetch.sh unpacked the wheels and the data go
import sys, time, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import MODELS
tag = sys.argv[1] if len(sys.argv) > 1 else ""
d = np.load(f"{WORK}/data/segs{tag}.npz"); segs = d["segs"]
out, times = {}, {}
for name, mk in MODELS.items():
    m = mk()
    e = np.concatenate([m(segs[i:i + 16]) for i in range(0, len(segs), 16)])
    out[name] = e
    m(segs[:1]); ts = []
    for i in range(20):
        t = time.perf_counter(); m(segs[i:i + 1]); ts.append(time.perf_counter() - t)
    times[name] = float(np.median(ts))
    print(f"{name}: emb {e.shape}, 1 segment (1 thread, incl. features) median {1000*times[name]:.1f} ms", flush=True)
np.savez(f"{WORK}/data/emb{tag}.npz", labels=d["labels"], **out)
import json; json.dump(times, open(f"{WORK}/data/times{tag}.json", "w"))
