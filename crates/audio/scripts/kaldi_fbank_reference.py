"""Kaldi fbank reference for tests/fbank.rs: kaldi-native-fbank (PyPI, Apache-2.0) on raw f32
samples, 80 bins, no dither, Kaldi's other defaults. Usage: kaldi_fbank_reference.py IN.f32 OUT.f32
(little-endian float32 in and out; OUT is [frames, 80] row-major). `fbank` is also what
campplus_convert.py feeds CAM++."""
import sys
import numpy as np
import kaldi_native_fbank as knf


def fbank(x):
    """[frames, 80] float32 log mel energies of 16 kHz samples `x`."""
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.mel_opts.num_bins = 80
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(16000, np.asarray(x, dtype=np.float32).tolist())
    fb.input_finished()
    return np.array([fb.get_frame(i) for i in range(fb.num_frames_ready)], dtype="<f4")


if __name__ == "__main__":
    fbank(np.fromfile(sys.argv[1], dtype="<f4")).tofile(sys.argv[2])
