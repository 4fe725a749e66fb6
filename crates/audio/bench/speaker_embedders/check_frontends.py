"""Cross-check re-implemented front-ends: SpeechBrain MFCC against speechbrain 1.0.3's own code (loaded with
stubbed imports), Kaldi fbank against kaldi-native-fbank."""
import os
WORK = os.environ.get("SPK_WORK", "/tmp/spk")  # where fetch.sh unpacked the wheels and the data go
import sys, types, numpy as np, torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import SBMfcc, KaldiFbank
segs = np.load(WORK + "/data/segs.npz")["segs"][:4]
# --- speechbrain
def stub(name, **attrs):
    m = types.ModuleType(name); m.__dict__.update(attrs); sys.modules[name] = m; return m
ident = lambda *a, **k: (lambda f: f) if not (len(a) == 1 and callable(a[0])) else a[0]
stub("speechbrain"); stub("speechbrain.dataio"); stub("speechbrain.utils"); stub("speechbrain.processing")
stub("speechbrain.dataio.dataio", length_to_mask=None)
stub("speechbrain.utils.checkpoints", mark_as_loader=ident, mark_as_saver=ident, mark_as_transfer=ident, register_checkpoint_hooks=ident)
stub("speechbrain.utils.distributed", ddp_all_reduce=None)
stub("speechbrain.utils.filter_analysis", FilterProperties=object)
import logging; stub("speechbrain.utils.logger", get_logger=logging.getLogger)
src = open(WORK + "/dl/sb/speechbrain/processing/features.py").read()
mod = types.ModuleType("sbfeat"); exec(compile(src, "features.py", "exec"), mod.__dict__)
w = torch.from_numpy(segs)
ref = mod.DCT(input_size=44, n_out=24)(mod.Filterbank(n_mels=44, f_min=0, f_max=8000.0, n_fft=400, sample_rate=16000)(
    mod.spectral_magnitude(mod.STFT(sample_rate=16000, n_fft=400, win_length=25, hop_length=10)(w))))
mine = SBMfcc()(w)
print("speechbrain MFCC", tuple(ref.shape), "max abs diff", float((ref - mine).abs().max()), "ref range", float(ref.abs().max()))
# --- kaldi
import kaldi_native_fbank as knf
o = knf.FbankOptions(); o.frame_opts.dither = 0; o.frame_opts.samp_freq = 16000; o.mel_opts.num_bins = 80
o.frame_opts.snip_edges = True
fb = knf.OnlineFbank(o); fb.accept_waveform(16000, segs[0].tolist()); fb.input_finished()
ref = np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)])
mine = KaldiFbank()(torch.from_numpy(segs[0])).numpy()
print("kaldi fbank", ref.shape, mine.shape, "max abs diff", float(np.abs(ref - mine).max()))
