"""Synthesise espeak-ng voices, 16 distinct sentences per voice, one 1.6 s segment each (16 kHz mono).
Same text lines as crates/audio/benches/masks.rs; trimming like its speak(): |x| > 1e-3."""
import os
WORK = os.environ.get("SPK_WORK", "/tmp/spk")  # where fetch.sh unpacked the wheels and the data go
import re, subprocess, numpy as np, io, wave, json
from scipy.signal import resample_poly

# The sentences of benches/masks.rs (its LINES), read from there so the two stay one list.
_BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benches", "masks.rs")
_src = open(_BENCH).read()
_block = _src[_src.index("const LINES"):]
LINES = re.findall(r'^\s+"(.*)",$', _block[: _block.index("];")], re.M)
assert len(LINES) == 30, len(LINES)
# (name, sex, pitch, rate). Same-sex same-accent pairs: 0/1, 2/3, 6/7, 8/9; same variant, other accent: 0/12, 6/13
VOICES = [
 ("en-us+m3", "m", 40, 165), ("en-us+m1", "m", 55, 175),
 ("en-gb-scotland+m2", "m", 35, 150), ("en-gb-scotland+john", "m", 60, 185),
 ("en-029+paul", "m", 45, 160), ("en+m7", "m", 70, 180),
 ("en-gb-x-rp+f2", "f", 50, 170), ("en-gb-x-rp+f4", "f", 65, 155),
 ("en-us-nyc+linda", "f", 30, 175), ("en-us-nyc+f1", "f", 45, 185),
 ("en-029+anika", "f", 55, 150), ("en+f5", "f", 70, 165),
 ("en-gb-x-rp+m3", "m", 60, 150), ("en-us+f2", "f", 35, 180),
]
SEG = 25600  # 1.6 s at 16 kHz

def speak(name, p, s, text):
    out = subprocess.run(["espeak-ng", "-v", name, "-p", str(p), "-s", str(s), "--stdout", text],
                         check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(out)) as w:
        sr = w.getframerate(); x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768
    assert sr == 22050, sr
    x = resample_poly(x, 320, 441).astype(np.float32)
    nz = np.nonzero(np.abs(x) > 1e-3)[0]
    return x[nz[0]:nz[-1] + 1]

segs, labels, meta = [], [], []
for vi, (name, sex, p, s) in enumerate(VOICES):
    got = 0
    for k in range(len(LINES)):
        line = LINES[(vi * 7 + k) % len(LINES)]  # different starting sentence per voice
        x = speak(name, p, s, line)
        if len(x) < SEG:
            continue
        st = (len(x) - SEG) // 2  # central 1.6 s
        segs.append(x[st:st + SEG]); labels.append(vi); meta.append(line)
        got += 1
        if got == 16:
            break
    assert got == 16, (name, got)
np.savez(WORK + "/data/segs.npz", segs=np.stack(segs), labels=np.array(labels))
json.dump({"voices": VOICES, "lines": meta}, open(WORK + "/data/meta.json", "w"), indent=1)
print(len(segs), "segments")
