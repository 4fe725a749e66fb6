"""Synthesise espeak-ng voices, 16 distinct sentences per voice, one 1.6 s segment each (16 kHz mono).
Same text lines as crates/audio/benches/masks.rs; trimming like its speak(): |x| > 1e-3."""
import os
WORK = os.environ.get("SPK_WORK", "/tmp/spk")  # where fetch.sh unpacked the wheels and the data go
import subprocess, numpy as np, io, wave, json
from scipy.signal import resample_poly

LINES = [
 "I went down to the market this morning to buy some bread.",
 "Really? What did you find there?",
 "Mostly vegetables, and a very old book about sailing ships.",
 "That sounds wonderful, I would love to read it some day.",
 "You can borrow it after I finish the second chapter.",
 "Thank you, that is very kind of you.",
 "Do you think the weather will hold until the weekend?",
 "I hope so, we planned a long walk along the river.",
 "The train was late again, so I missed the first half of the meeting.",
 "What did they decide about the new office?",
 "Nothing yet. They want to see the numbers first.",
 "That makes sense, but it has been three months already.",
 "My sister is coming to visit next week with her two children.",
 "Oh, how old are they now?",
 "Seven and nine, and they never stop asking questions.",
 "I remember being like that, my parents were very patient.",
 "Have you tried the new restaurant on the corner?",
 "Not yet, is it any good?",
 "The soup is excellent, but the service is painfully slow.",
 "Then we should go on a quiet evening, maybe a Tuesday.",
 "I finally fixed the bicycle, it only needed a new chain.",
 "So you can ride to work again?",
 "Yes, it takes twenty minutes, and I feel much better for it.",
 "I should do the same, but the hill near my house is brutal.",
 "Did you watch the match last night?",
 "Only the second half. That goal at the end was unbelievable.",
 "I could not believe it either, the whole street was shouting.",
 "We should get tickets for the next home game.",
 "Good idea. I will ask my brother, he knows someone at the club.",
 "Perfect, let me know by Friday.",
]
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
