//! GE2E speaker encoder (Wan et al. 2018) as shipped by Resemblyzer: 40-band mel power
//! spectrogram (librosa conventions) -> 3-layer LSTM (256) -> linear 256 -> ReLU -> L2 norm.
//! Used to tell the two people in a mono mix apart (paper §3.3 speaker masks; our deviation
//! from the paper's audio-visual separation, see `diarize`).
//!
//! Weights: `weights/ge2e_resemblyzer.safetensors` (Apache-2.0), converted once from the
//! package's pickle by `scripts/ge2e_convert.py`; names follow PyTorch's `nn.LSTM`
//! (`lstm.weight_ih_l{k}`, ...) and `nn.Linear` (`linear.weight`, `linear.bias`).

use crate::diarize::SpeakerEmbedder;
use crate::error::Result;
pub use crate::mel::slaney_filterbank;
use crate::weights::{to_vec, Weights};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::TensorData;
use realfft::RealFftPlanner;
use std::path::Path;

/// Mel bands.
pub const N_MELS: usize = 40;
/// STFT size and window (25 ms).
pub const N_FFT: usize = 400;
/// STFT hop (10 ms).
pub const HOP: usize = 160;
/// Mel frames per partial utterance (1.6 s).
pub const PARTIAL_FRAMES: usize = 160;
/// LSTM width and embedding size.
pub const HIDDEN: usize = 256;
const LAYERS: usize = 3;

/// librosa.feature.melspectrogram(y, sr=16000, n_fft=400, hop_length=160, n_mels=40) (power,
/// centred frames with zero padding, periodic Hann), transposed: `[1 + len/160, 40]` row-major.
pub fn mel_spectrogram(audio: &[f32]) -> Vec<f32> {
    let fb = slaney_filterbank(16000.0, N_FFT, N_MELS);
    let window: Vec<f32> = (0..N_FFT)
        .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64).cos()) as f32)
        .collect();
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
    let (mut buf, mut spec) = (fft.make_input_vec(), fft.make_output_vec());
    let frames = 1 + audio.len() / HOP;
    let mut out = vec![0.0f32; frames * N_MELS];
    let mut power = vec![0.0f32; N_FFT / 2 + 1];
    for (t, row) in out.chunks_exact_mut(N_MELS).enumerate() {
        let start = (t * HOP) as isize - (N_FFT / 2) as isize;
        for (i, b) in buf.iter_mut().enumerate() {
            let idx = start + i as isize;
            *b = if idx >= 0 && (idx as usize) < audio.len() { audio[idx as usize] * window[i] } else { 0.0 };
        }
        if fft.process(&mut buf, &mut spec).is_err() {
            continue; // lengths match by construction
        }
        power.iter_mut().zip(&spec).for_each(|(p, c)| *p = c.norm_sqr());
        for (r, f) in row.iter_mut().zip(&fb) {
            *r = f.iter().zip(&power).map(|(w, p)| w * p).sum();
        }
    }
    out
}

/// Where Resemblyzer cuts an utterance into partials (`compute_partial_slices`, rate 1.3/s,
/// min coverage 0.75): the first mel frame of each 160-frame partial.
pub fn partial_starts(n_samples: usize) -> Vec<usize> {
    let n_frames = (n_samples + 1).div_ceil(HOP);
    let step = ((16000.0 / 1.3) / HOP as f64).round() as usize; // 77 frames
    let steps = (n_frames + step + 1).saturating_sub(PARTIAL_FRAMES).max(1);
    let mut starts: Vec<usize> = (0..steps).step_by(step).collect();
    if let Some(&last) = starts.last() {
        let coverage = (n_samples as f64 - (last * HOP) as f64) / (PARTIAL_FRAMES * HOP) as f64;
        if coverage < 0.75 && starts.len() > 1 {
            starts.pop();
        }
    }
    starts
}

/// One LSTM layer's weights: input projection, recurrent projection (both transposed for
/// `x @ W^T`), summed biases.
#[derive(Debug)]
struct LstmLayer {
    w_ih_t: Tensor<2>,
    w_hh_t: Tensor<2>,
    bias: Tensor<2>,
}

/// The GE2E encoder.
#[derive(Debug)]
pub struct Ge2e {
    device: Device,
    layers: Vec<LstmLayer>,
    lin_w_t: Tensor<2>,
    lin_b: Tensor<2>,
}

/// The shipped weights (Resemblyzer 0.1.4, Apache-2.0), built into the binary so that the
/// default speaker masks need no file.
static DEFAULT_WEIGHTS: &[u8] = include_bytes!("../weights/ge2e_resemblyzer.safetensors");

impl Ge2e {
    /// The shipped encoder (weights embedded in the binary) on burn's CPU backend.
    pub fn embedded() -> Result<Self> {
        let w =
            Weights::from_bytes("ge2e_resemblyzer.safetensors (embedded)".into(), DEFAULT_WEIGHTS.to_vec())?;
        Self::from_weights(&w, &Device::flex())
    }

    /// Loads converted Resemblyzer weights onto burn's CPU backend.
    pub fn open(path: &Path) -> Result<Self> {
        Self::load(path, &Device::flex())
    }

    /// Loads converted Resemblyzer weights.
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        Self::from_weights(&Weights::open(path)?, device)
    }

    /// Builds the encoder from loaded weights.
    pub fn from_weights(w: &Weights, device: &Device) -> Result<Self> {
        let mut layers = Vec::new();
        for k in 0..LAYERS {
            let input = if k == 0 { N_MELS } else { HIDDEN };
            let b_ih = w.get(&format!("lstm.bias_ih_l{k}"), &[4 * HIDDEN])?;
            let b_hh = w.get(&format!("lstm.bias_hh_l{k}"), &[4 * HIDDEN])?;
            let bias: Vec<f32> = b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect();
            layers.push(LstmLayer {
                w_ih_t: w.tensor(&format!("lstm.weight_ih_l{k}"), [4 * HIDDEN, input], device)?.transpose(),
                w_hh_t: w.tensor(&format!("lstm.weight_hh_l{k}"), [4 * HIDDEN, HIDDEN], device)?.transpose(),
                bias: Tensor::<2>::from_data(TensorData::new(bias, [1, 4 * HIDDEN]), device),
            });
        }
        let lin_b = w.get("linear.bias", &[HIDDEN])?;
        Ok(Self {
            layers,
            lin_w_t: w.tensor("linear.weight", [HIDDEN, HIDDEN], device)?.transpose(),
            lin_b: Tensor::<2>::from_data(TensorData::new(lin_b, [1, HIDDEN]), device),
            device: device.clone(),
        })
    }

    /// Embeddings of `batch` mel sequences of `frames` frames each (`mels`: `[batch, frames,
    /// 40]` row-major): `[batch, 256]`, each L2-normalised.
    pub fn forward(&self, mels: Vec<f32>, batch: usize, frames: usize) -> Result<Vec<f32>> {
        let mut x = Tensor::<3>::from_data(TensorData::new(mels, [batch, frames, N_MELS]), &self.device);
        let mut h = Tensor::<2>::zeros([batch, HIDDEN], &self.device);
        for layer in &self.layers {
            let input = x.dims()[2];
            // [batch * frames, 4H] -> [batch, frames, 4H]: all input projections at once.
            let gx: Tensor<3> = (x.reshape([batch * frames, input]).matmul(layer.w_ih_t.clone())
                + layer.bias.clone())
            .reshape([batch, frames, 4 * HIDDEN]);
            h = Tensor::<2>::zeros([batch, HIDDEN], &self.device);
            let mut c = Tensor::<2>::zeros([batch, HIDDEN], &self.device);
            let mut outs = Vec::with_capacity(frames);
            for t in 0..frames {
                let g: Tensor<2> =
                    gx.clone().narrow(1, t, 1).reshape([batch, 4 * HIDDEN]) + h.matmul(layer.w_hh_t.clone()); // [batch, 4H]
                let i = sigmoid(g.clone().narrow(1, 0, HIDDEN));
                let f = sigmoid(g.clone().narrow(1, HIDDEN, HIDDEN));
                let gg = g.clone().narrow(1, 2 * HIDDEN, HIDDEN).tanh();
                let o = sigmoid(g.narrow(1, 3 * HIDDEN, HIDDEN));
                c = f * c + i * gg;
                h = o * c.clone().tanh();
                outs.push(h.clone());
            }
            x = Tensor::stack(outs, 1); // [batch, frames, H]
        }
        let e = relu(h.matmul(self.lin_w_t.clone()) + self.lin_b.clone()); // [batch, 256]
        let mut v = to_vec(e)?;
        for row in v.chunks_exact_mut(HIDDEN) {
            let n = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            row.iter_mut().for_each(|x| *x /= n);
        }
        Ok(v)
    }

    /// Resemblyzer's `embed_utterance`: partial embeddings (`[n, 256]`) and their normalised
    /// mean.
    pub fn embed_utterance(&self, audio: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
        let starts = partial_starts(audio.len());
        let need = (starts.last().copied().unwrap_or(0) + PARTIAL_FRAMES) * HOP;
        let mut wav = audio.to_vec();
        if need >= wav.len() {
            wav.resize(need, 0.0);
        }
        let mel = mel_spectrogram(&wav);
        let mut batch = Vec::with_capacity(starts.len() * PARTIAL_FRAMES * N_MELS);
        for &s in &starts {
            batch.extend_from_slice(&mel[s * N_MELS..(s + PARTIAL_FRAMES) * N_MELS]);
        }
        let partials = self.forward(batch, starts.len(), PARTIAL_FRAMES)?;
        let mut mean = vec![0.0f32; HIDDEN];
        for p in partials.chunks_exact(HIDDEN) {
            mean.iter_mut().zip(p).for_each(|(m, v)| *m += v);
        }
        let n = mean.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        mean.iter_mut().for_each(|x| *x /= n);
        Ok((mean, partials))
    }
}

impl SpeakerEmbedder for Ge2e {
    fn dim(&self) -> usize {
        HIDDEN
    }

    /// The whole segment as one partial (diarisation windows are already partial-sized).
    fn embed(&self, audio: &[f32]) -> Vec<f32> {
        if audio.is_empty() {
            return vec![0.0; HIDDEN];
        }
        let mel = mel_spectrogram(audio);
        let frames = mel.len() / N_MELS;
        self.forward(mel, 1, frames).unwrap_or_else(|_| vec![0.0; HIDDEN])
    }

    /// 256 dimensions spread the variance thin: 0.08-0.25 explained on two-voice espeak-ng
    /// conversations and 0.06-0.10 on one voice (benches/masks.rs), so the spread alone cannot
    /// count voices; this only rules out splits of almost nothing, and
    /// [`SpeakerEmbedder::max_similarity`] decides.
    fn min_split(&self) -> f32 {
        0.03
    }

    /// Cluster means of one voice: cosine 0.92-0.97; of two voices: 0.68-0.92 (30 two-voice
    /// mixes and 10 monologues of benches/masks.rs, seed 18).
    fn max_similarity(&self) -> Option<f32> {
        Some(0.93)
    }

    /// GE2E was trained on 1.6 s partials.
    fn window(&self) -> usize {
        40
    }

    /// Equally long segments run as one batch through the LSTM.
    fn embed_batch(&self, segments: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let same = segments.windows(2).all(|w| w[0].len() == w[1].len());
        if !same || segments.is_empty() || segments[0].is_empty() {
            return segments.iter().map(|s| self.embed(s)).collect();
        }
        let mels: Vec<Vec<f32>> = segments.iter().map(|s| mel_spectrogram(s)).collect();
        let frames = mels[0].len() / N_MELS;
        let flat: Vec<f32> = mels.concat();
        match self.forward(flat, segments.len(), frames) {
            Ok(v) => v.chunks_exact(HIDDEN).map(<[f32]>::to_vec).collect(),
            Err(_) => vec![vec![0.0; HIDDEN]; segments.len()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partials_follow_resemblyzer() {
        // 4.5 s: 451 frames -> starts 0, 77, 154, 231, 308 (as the package computes).
        assert_eq!(partial_starts(72_000), vec![0, 77, 154, 231, 308]);
        assert_eq!(partial_starts(100), vec![0]);
    }
}
