//! Piper's VITS voices (Kim et al. 2021; Piper's training code) in burn: a neural text-to-speech
//! voice for simulated conversations, with the per-phoneme durations the model itself predicts
//! (so visemes come from the voice, not from an aligner). Blueprint: notes/piper-vits.md;
//! reference: crates/audio/scripts/piper (numpy, 1e-5 from onnxruntime).
//!
//! Inference, batch 1, no padding (so every mask is all ones): text encoder (6 post-LN layers,
//! 2 heads with relative positions within +-4), the stochastic duration predictor run in
//! reverse (3 spline coupling flows and an affine one), durations `ceil(exp(logw) * length)`,
//! the prior expanded by them plus `noise_scale` noise, 4 mean-only coupling flows in reverse,
//! and the HiFi-GAN decoder (upsampling 8, 8, 4; 256 samples per frame; tanh).
//!
//! Weights: the voice's ONNX initializers under their PyTorch names in one safetensors file
//! (`scripts/piper/convert.py`), with weight norm already folded.

use crate::error::{AudioError, Result};
use crate::weights::{to_vec, Weights};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, sigmoid};
use burn::tensor::module::{conv1d, conv_transpose1d, layer_norm};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::TensorData;
use std::collections::HashMap;
use std::path::Path;

const HIDDEN: usize = 192;
/// Rows of Piper's embedding table (ids beyond a voice's map are unused).
const VOCAB: usize = 256;
const HEADS: usize = 2;
const HEAD_DIM: usize = HIDDEN / HEADS;
const ENC_LAYERS: usize = 6;
const FILTER: usize = 768;
const WINDOW: usize = 4;
const NUM_BINS: usize = 10;
const TAIL_BOUND: f32 = 5.0;
const MIN_BIN: f32 = 1e-3;
/// Samples per frame of the decoder.
pub const HOP: usize = 256;

/// Folder name of the converted joe voice under the model caches.
pub const VOICE_DIR: &str = "piper-joe";

/// The first folder of `$DUOLOGUE_PIPER_DIR`, `$DUOLOGUE_MODELS/piper-joe`,
/// `$XDG_CACHE_HOME/duologue/piper-joe`, `$HOME/.cache/duologue/piper-joe` that is set (where
/// `scripts/fetch_piper.sh` writes), whether or not it holds a voice yet.
pub fn find_voice_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("DUOLOGUE_PIPER_DIR")
        .or_else(|| env("DUOLOGUE_MODELS").map(|d| d.join(VOICE_DIR)))
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("duologue").join(VOICE_DIR)))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("duologue").join(VOICE_DIR)))
}

/// A loaded VITS voice: every weight converted once, at load.
#[derive(Debug)]
pub struct Vits {
    device: Device,
    /// Convolution weights (rank 3) and biases / norms (rank 1) as tensors.
    t3: HashMap<String, T3>,
    t1: HashMap<String, Tensor<1>>,
    /// Tensors read on the host (the embedding table, relative-position tables, the affine
    /// flow), by name.
    host: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

/// One synthesis: the audio at the voice's rate and each phoneme id's frame count.
#[derive(Debug, Clone)]
pub struct Synthesis {
    /// Samples in [-1, 1], `HOP * durations.sum()` of them.
    pub audio: Vec<f32>,
    /// Frames (of `HOP` samples) per phoneme id.
    pub durations: Vec<usize>,
}

/// The three knobs of Piper's `scales` input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scales {
    /// Noise of the prior sample (Piper's default 0.667; 0 is deterministic).
    pub noise: f32,
    /// Durations multiplier (> 1 is slower speech).
    pub length: f32,
    /// Noise of the duration predictor (Piper's default 0.8; 0 is deterministic).
    pub noise_w: f32,
}

impl Default for Scales {
    fn default() -> Self {
        Self { noise: 0.667, length: 1.0, noise_w: 0.8 }
    }
}

type T3 = Tensor<3>;

/// One convolution's shape.
#[derive(Debug, Clone, Copy)]
struct Conv {
    out: usize,
    k: usize,
    dilation: usize,
    groups: usize,
    bias: bool,
}

impl Vits {
    /// Loads a converted voice onto the CPU.
    pub fn load_cpu(path: &Path) -> Result<Self> {
        Self::load(path, &Device::flex())
    }

    /// Loads a converted voice (`model.safetensors`).
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        let w = Weights::open(path)?;
        let (mut t3, mut t1, mut host) = (HashMap::new(), HashMap::new(), HashMap::new());
        for (name, shape, v) in w.all()? {
            match shape[..] {
                [a, b, c] if name.ends_with(".weight") => {
                    t3.insert(name, Tensor::<3>::from_data(TensorData::new(v, [a, b, c]), device));
                }
                [n] => {
                    t1.insert(name, Tensor::<1>::from_data(TensorData::new(v, [n]), device));
                }
                _ => {
                    host.insert(name, (shape, v));
                }
            }
        }
        let voice = Self { device: device.clone(), t3, t1, host };
        voice.host("enc_p.emb.weight", &[VOCAB, HIDDEN])?;
        Ok(voice)
    }

    fn missing(name: &str, shape: &[usize]) -> AudioError {
        AudioError::Weights { path: "VITS voice".into(), msg: format!("no tensor {name} of shape {shape:?}") }
    }

    fn t3(&self, name: &str, shape: [usize; 3]) -> Result<T3> {
        match self.t3.get(name) {
            Some(t) if t.dims() == shape => Ok(t.clone()),
            _ => Err(Self::missing(name, &shape)),
        }
    }

    fn t1(&self, name: &str, n: usize) -> Result<Tensor<1>> {
        match self.t1.get(name) {
            Some(t) if t.dims() == [n] => Ok(t.clone()),
            _ => Err(Self::missing(name, &[n])),
        }
    }

    fn host(&self, name: &str, shape: &[usize]) -> Result<&[f32]> {
        match self.host.get(name) {
            Some((s, v)) if s == shape => Ok(v),
            _ => Err(Self::missing(name, shape)),
        }
    }

    /// `[1, C, T]` from `[C * T]` row-major.
    fn input(&self, v: Vec<f32>, c: usize, t: usize) -> T3 {
        Tensor::<3>::from_data(TensorData::new(v, [1, c, t]), &self.device)
    }

    /// Conv1d `name` (weight `[out, in / groups, k]`, optional bias), "same" padding.
    fn conv(&self, x: T3, name: &str, c: Conv) -> Result<T3> {
        let cin = x.dims()[1];
        let w = self.t3(&format!("{name}.weight"), [c.out, cin / c.groups, c.k])?;
        let b = if c.bias { Some(self.t1(&format!("{name}.bias"), c.out)?) } else { None };
        let pad = c.dilation * (c.k - 1) / 2;
        Ok(conv1d(x, w, b, ConvOptions::new([1], [pad], [c.dilation], c.groups)))
    }

    /// LayerNorm over channels at each time step (`modules.LayerNorm`, eps 1e-5).
    fn norm(&self, x: T3, name: &str) -> Result<T3> {
        let c = x.dims()[1];
        let g = self.t1(&format!("{name}.gamma"), c)?;
        let b = self.t1(&format!("{name}.beta"), c)?;
        Ok(layer_norm(x.swap_dims(1, 2), g, Some(b), 1e-5).swap_dims(1, 2))
    }

    /// Self-attention with relative positions within +-`WINDOW` (heads share the tables).
    fn attention(&self, x: T3, p: &str) -> Result<T3> {
        let t = x.dims()[2];
        let q = to_vec(self.conv(
            x.clone(),
            &format!("{p}conv_q"),
            Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true },
        )?)?;
        let k = to_vec(self.conv(
            x.clone(),
            &format!("{p}conv_k"),
            Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true },
        )?)?;
        let v = to_vec(self.conv(
            x,
            &format!("{p}conv_v"),
            Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true },
        )?)?;
        let ek = self.host(&format!("{p}emb_rel_k"), &[1, 2 * WINDOW + 1, HEAD_DIM])?;
        let ev = self.host(&format!("{p}emb_rel_v"), &[1, 2 * WINDOW + 1, HEAD_DIM])?;
        let scale = 1.0 / (HEAD_DIM as f32).sqrt();
        // Channel c = h * HEAD_DIM + d, time-major within it: value (c, i) at c * t + i.
        let at = |m: &[f32], h: usize, d: usize, i: usize| m[(h * HEAD_DIM + d) * t + i];
        let mut out = vec![0.0f32; HIDDEN * t];
        let mut scores = vec![0.0f32; t];
        for h in 0..HEADS {
            for i in 0..t {
                let qi: Vec<f32> = (0..HEAD_DIM).map(|d| at(&q, h, d, i) * scale).collect();
                for (j, s) in scores.iter_mut().enumerate() {
                    *s = (0..HEAD_DIM).map(|d| qi[d] * at(&k, h, d, j)).sum();
                    let o = j as isize - i as isize;
                    if o.unsigned_abs() <= WINDOW {
                        let r = (o + WINDOW as isize) as usize;
                        *s += (0..HEAD_DIM).map(|d| qi[d] * ek[r * HEAD_DIM + d]).sum::<f32>();
                    }
                }
                let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0.0f32;
                scores.iter_mut().for_each(|s| {
                    *s = (*s - max).exp();
                    sum += *s;
                });
                scores.iter_mut().for_each(|s| *s /= sum);
                for d in 0..HEAD_DIM {
                    let mut acc: f32 = scores.iter().enumerate().map(|(j, p)| p * at(&v, h, d, j)).sum();
                    let lo = i.saturating_sub(WINDOW);
                    for (j, p) in scores.iter().enumerate().take((i + WINDOW + 1).min(t)).skip(lo) {
                        acc += p * ev[(j + WINDOW - i) * HEAD_DIM + d];
                    }
                    out[(h * HEAD_DIM + d) * t + i] = acc;
                }
            }
        }
        self.conv(
            self.input(out, HIDDEN, t),
            &format!("{p}conv_o"),
            Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true },
        )
    }

    /// Text encoder: `(x, m_p, logs_p)`, each `[1, 192, T]`.
    fn encode(&self, ids: &[usize]) -> Result<(T3, T3, T3)> {
        let t = ids.len();
        let emb = self.host("enc_p.emb.weight", &[VOCAB, HIDDEN])?;
        let mut x = vec![0.0f32; HIDDEN * t];
        let s = (HIDDEN as f32).sqrt();
        for (i, &id) in ids.iter().enumerate() {
            if id >= VOCAB {
                return Err(AudioError::Config(format!(
                    "phoneme id {id} outside the voice's {VOCAB} symbols"
                )));
            }
            for c in 0..HIDDEN {
                x[c * t + i] = emb[id * HIDDEN + c] * s;
            }
        }
        let mut x = self.input(x, HIDDEN, t);
        let p = "enc_p.encoder";
        for l in 0..ENC_LAYERS {
            let y = self.attention(x.clone(), &format!("{p}.attn_layers.{l}."))?;
            x = self.norm(x + y, &format!("{p}.norm_layers_1.{l}"))?;
            let h = relu(self.conv(
                x.clone(),
                &format!("{p}.ffn_layers.{l}.conv_1"),
                Conv { out: FILTER, k: 3, dilation: 1, groups: 1, bias: true },
            )?);
            let y = self.conv(
                h,
                &format!("{p}.ffn_layers.{l}.conv_2"),
                Conv { out: HIDDEN, k: 3, dilation: 1, groups: 1, bias: true },
            )?;
            x = self.norm(x + y, &format!("{p}.norm_layers_2.{l}"))?;
        }
        let stats = self.conv(
            x.clone(),
            "enc_p.proj",
            Conv { out: 2 * HIDDEN, k: 1, dilation: 1, groups: 1, bias: true },
        )?;
        Ok((x, stats.clone().narrow(1, 0, HIDDEN), stats.narrow(1, HIDDEN, HIDDEN)))
    }

    /// `modules.DDSConv`: 3 depthwise-separable layers, dilations 1, 3, 9, exact GELU.
    fn dds(&self, mut x: T3, p: &str, g: Option<T3>) -> Result<T3> {
        if let Some(g) = g {
            x = x + g;
        }
        let gelu = |y: T3| y.clone() * ((y / std::f64::consts::SQRT_2).erf() + 1.0) * 0.5;
        for i in 0..3 {
            let d = 3usize.pow(i as u32);
            let y = self.conv(
                x.clone(),
                &format!("{p}convs_sep.{i}"),
                Conv { out: HIDDEN, k: 3, dilation: d, groups: HIDDEN, bias: true },
            )?;
            let y = gelu(self.norm(y, &format!("{p}norms_1.{i}"))?);
            let y = self.conv(
                y,
                &format!("{p}convs_1x1.{i}"),
                Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true },
            )?;
            let y = gelu(self.norm(y, &format!("{p}norms_2.{i}"))?);
            x = x + y;
        }
        Ok(x)
    }

    /// The stochastic duration predictor in reverse: `logw` per phoneme id.
    fn log_durations(&self, x: T3, noise: [Vec<f32>; 2]) -> Result<Vec<f32>> {
        let t = x.dims()[2];
        let h = self.conv(x, "dp.pre", Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true })?;
        let h = self.dds(h, "dp.convs.", None)?;
        let g = self.conv(h, "dp.proj", Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true })?;
        let [mut z0, mut z1] = noise;
        for cf in [7, 5, 3] {
            std::mem::swap(&mut z0, &mut z1); // Flip
            let p = format!("dp.flows.{cf}.");
            let h = self.conv(
                self.input(z0.clone(), 1, t),
                &format!("{p}pre"),
                Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true },
            )?;
            let h = self.dds(h, &format!("{p}convs."), Some(g.clone()))?;
            let h = to_vec(self.conv(
                h,
                &format!("{p}proj"),
                Conv { out: 3 * NUM_BINS - 1, k: 1, dilation: 1, groups: 1, bias: true },
            )?)?; // [29, T]
            let s = (HIDDEN as f32).sqrt();
            for (i, v) in z1.iter_mut().enumerate() {
                let col = |r: usize| h[r * t + i];
                let uw: Vec<f32> = (0..NUM_BINS).map(|r| col(r) / s).collect();
                let uh: Vec<f32> = (NUM_BINS..2 * NUM_BINS).map(|r| col(r) / s).collect();
                let ud: Vec<f32> = (2 * NUM_BINS..3 * NUM_BINS - 1).map(col).collect();
                *v = spline_inverse(*v, &uw, &uh, &ud);
            }
        }
        std::mem::swap(&mut z0, &mut z1); // Flip
        let m = self.host("dp.flows.0.m", &[2, 1])?;
        let e = self.host("dp.flows.0.exp_neg_logs", &[2, 1])?;
        Ok(z0.iter().map(|v| (v - m[0]) * e[0]).collect())
    }

    /// `modules.WN` of a mean-only coupling: 4 layers, kernel 5.
    fn wn(&self, mut x: T3, p: &str) -> Result<T3> {
        let mut out: Option<T3> = None;
        for i in 0..4 {
            let a = self.conv(
                x.clone(),
                &format!("{p}in_layers.{i}"),
                Conv { out: 2 * HIDDEN, k: 5, dilation: 1, groups: 1, bias: true },
            )?;
            let acts = a.clone().narrow(1, 0, HIDDEN).tanh() * sigmoid(a.narrow(1, HIDDEN, HIDDEN));
            let last = i == 3;
            let rs = self.conv(
                acts,
                &format!("{p}res_skip_layers.{i}"),
                Conv {
                    out: if last { HIDDEN } else { 2 * HIDDEN },
                    k: 1,
                    dilation: 1,
                    groups: 1,
                    bias: true,
                },
            )?;
            let skip = if last {
                rs
            } else {
                x = x + rs.clone().narrow(1, 0, HIDDEN);
                rs.narrow(1, HIDDEN, HIDDEN)
            };
            out = Some(match out {
                Some(o) => o + skip,
                None => skip,
            });
        }
        out.ok_or_else(|| AudioError::Config("WN without layers".into()))
    }

    /// The four mean-only coupling flows in reverse (each after a channel flip).
    fn flow(&self, mut z: T3) -> Result<T3> {
        let half = HIDDEN / 2;
        for f in [6, 4, 2, 0] {
            z = z.flip([1]);
            let p = format!("flow.flows.{f}.");
            let x0 = z.clone().narrow(1, 0, half);
            let h = self.conv(
                x0.clone(),
                &format!("{p}pre"),
                Conv { out: HIDDEN, k: 1, dilation: 1, groups: 1, bias: true },
            )?;
            let h = self.wn(h, &format!("{p}enc."))?;
            let m = self.conv(
                h,
                &format!("{p}post"),
                Conv { out: half, k: 1, dilation: 1, groups: 1, bias: true },
            )?;
            z = Tensor::cat(vec![x0, z.narrow(1, half, half) - m], 1);
        }
        Ok(z)
    }

    /// HiFi-GAN decoder: `[1, 192, F]` -> `F * 256` samples.
    fn decode(&self, z: T3) -> Result<Vec<f32>> {
        let mut x =
            self.conv(z, "dec.conv_pre", Conv { out: 256, k: 7, dilation: 1, groups: 1, bias: true })?;
        let mut ch = 256;
        for (i, (u, k)) in [(8usize, 16usize), (8, 16), (4, 8)].into_iter().enumerate() {
            x = leaky_relu(x, 0.1);
            let w = self.t3(&format!("dec.ups.{i}.weight"), [ch, ch / 2, k])?;
            let b = self.t1(&format!("dec.ups.{i}.bias"), ch / 2)?;
            x = conv_transpose1d(x, w, Some(b), ConvTransposeOptions::new([u], [(k - u) / 2], [0], [1], 1));
            ch /= 2;
            let mut sum: Option<T3> = None;
            for (j, (kr, dil)) in [(3usize, [1usize, 2]), (5, [2, 6]), (7, [3, 12])].into_iter().enumerate() {
                let mut r = x.clone();
                for (c, d) in dil.into_iter().enumerate() {
                    let y = self.conv(
                        leaky_relu(r.clone(), 0.1),
                        &format!("dec.resblocks.{}.convs.{c}", 3 * i + j),
                        Conv { out: ch, k: kr, dilation: d, groups: 1, bias: true },
                    )?;
                    r = r + y;
                }
                sum = Some(match sum {
                    Some(s) => s + r,
                    None => r,
                });
            }
            x = sum.ok_or_else(|| AudioError::Config("no resblocks".into()))? / 3.0;
        }
        let x = self.conv(
            leaky_relu(x, 0.01),
            "dec.conv_post",
            Conv { out: 1, k: 7, dilation: 1, groups: 1, bias: false },
        )?;
        to_vec(x.tanh())
    }

    /// Speech for `ids` with `scales`; `noise` draws the two normal samples (`[2 * T]` for the
    /// duration predictor, then `[192 * frames]` for the prior), used only where a scale is not 0.
    pub fn synthesize(
        &self,
        ids: &[usize],
        scales: Scales,
        noise: &mut dyn FnMut(usize) -> Vec<f32>,
    ) -> Result<Synthesis> {
        let t = ids.len();
        if t == 0 {
            return Ok(Synthesis { audio: Vec::new(), durations: Vec::new() });
        }
        let (x, m_p, logs_p) = self.encode(ids)?;
        let eps = if scales.noise_w != 0.0 { noise(2 * t) } else { vec![0.0; 2 * t] };
        let e0: Vec<f32> = eps[..t].iter().map(|v| v * scales.noise_w).collect();
        let e1: Vec<f32> = eps[t..].iter().map(|v| v * scales.noise_w).collect();
        let logw = self.log_durations(x, [e0, e1])?;
        let durations: Vec<usize> =
            logw.iter().map(|l| (l.exp() * scales.length).ceil().max(0.0) as usize).collect();
        let frames: usize = durations.iter().sum();
        if frames == 0 {
            return Ok(Synthesis { audio: Vec::new(), durations });
        }
        // Expand the prior by the durations (each column repeated).
        let (m, s) = (to_vec(m_p)?, to_vec(logs_p)?);
        let mut z = vec![0.0f32; HIDDEN * frames];
        let eps = if scales.noise != 0.0 { noise(HIDDEN * frames) } else { vec![0.0; HIDDEN * frames] };
        for c in 0..HIDDEN {
            let mut f = 0;
            for (i, &d) in durations.iter().enumerate() {
                for _ in 0..d {
                    let k = c * frames + f;
                    z[k] = m[c * t + i] + eps[k] * s[c * t + i].exp() * scales.noise;
                    f += 1;
                }
            }
        }
        let z = self.flow(self.input(z, HIDDEN, frames))?;
        Ok(Synthesis { audio: self.decode(z)?, durations })
    }
}

/// Inverse of the rational-quadratic spline of `transforms.unconstrained_rational_quadratic_spline`
/// (linear tails: identity outside +-`TAIL_BOUND`), for one value with its unnormalised widths,
/// heights (`NUM_BINS` each) and inner derivatives (`NUM_BINS - 1`).
fn spline_inverse(y: f32, uw: &[f32], uh: &[f32], ud: &[f32]) -> f32 {
    let b = TAIL_BOUND;
    if !(-b..=b).contains(&y) {
        return y;
    }
    let n = uw.len();
    let edges = |u: &[f32]| -> Vec<f32> {
        let max = u.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = u.iter().map(|v| (v - max).exp()).collect();
        let sum: f32 = e.iter().sum();
        let mut cum = vec![0.0f32; n + 1];
        for i in 0..n {
            cum[i + 1] = cum[i] + MIN_BIN + (1.0 - MIN_BIN * n as f32) * e[i] / sum;
        }
        cum.iter_mut().for_each(|c| *c = 2.0 * b * *c - b);
        cum[0] = -b;
        cum[n] = b;
        cum
    };
    let (cw, ch) = (edges(uw), edges(uh));
    let softplus = |v: f32| if v > 20.0 { v } else { v.exp().ln_1p() };
    let edge_d = ((1.0 - MIN_BIN).exp() - 1.0).ln();
    let d = |i: usize| MIN_BIN + softplus(if i == 0 || i == n { edge_d } else { ud[i - 1] });
    let k = (0..n).filter(|&j| y >= if j == n { ch[j] + 1e-6 } else { ch[j] }).count().clamp(1, n) - 1;
    let (w, h) = (cw[k + 1] - cw[k], ch[k + 1] - ch[k]);
    let delta = h / w;
    let (d0, d1) = (d(k), d(k + 1));
    let t = y - ch[k];
    let s = d0 + d1 - 2.0 * delta;
    let a = t * s + h * (delta - d0);
    let bb = h * d0 - t * s;
    let c = -delta * t;
    let disc = (bb * bb - 4.0 * a * c).max(0.0);
    let theta = 2.0 * c / (-bb - disc.sqrt());
    theta * w + cw[k]
}

#[cfg(test)]
mod tests {
    use super::spline_inverse;

    #[test]
    fn spline_inverse_is_monotone_and_the_identity_outside_its_bounds() {
        let uw = [0.3, -1.0, 0.5, 2.0, 0.0, 0.1, -0.4, 1.2, 0.0, 0.7];
        let uh = [-0.2, 0.9, 0.0, -1.1, 0.4, 0.3, 0.2, -0.5, 1.0, 0.0];
        let ud = [0.5, -0.3, 1.0, 0.0, 0.2, -1.0, 0.7, 0.1, 0.0];
        assert_eq!(spline_inverse(6.0, &uw, &uh, &ud), 6.0);
        assert_eq!(spline_inverse(-7.5, &uw, &uh, &ud), -7.5);
        assert!((spline_inverse(-5.0, &uw, &uh, &ud) + 5.0).abs() < 1e-4);
        assert!((spline_inverse(5.0, &uw, &uh, &ud) - 5.0).abs() < 1e-4);
        let mut prev = f32::NEG_INFINITY;
        for i in 0..=1000 {
            let y = -5.0 + 10.0 * i as f32 / 1000.0;
            let x = spline_inverse(y, &uw, &uh, &ud);
            assert!(x >= prev - 1e-5, "not monotone at {y}");
            prev = x;
        }
    }
}
