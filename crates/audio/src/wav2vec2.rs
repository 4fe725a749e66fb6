//! wav2vec 2.0 (Baevski et al. 2020) feature encoder, the paper's audio features (§3.6: "Audio
//! is sampled at 16 kHz and converted to 768-dimensional Wav2Vec 2.0 features"), in burn,
//! loading the standard Hugging Face layout (`config.json` + `model.safetensors` of a
//! `Wav2Vec2Model`, with or without the `wav2vec2.` prefix of task heads) from a local folder.
//!
//! Blocks, bottom-up: the conv feature encoder (7 convs, GELU; group norm after the first for
//! `feat_extract_norm = "group"` as in base, layer norm after each for `"layer"`), the feature
//! projection (layer norm + linear), the grouped positional conv (weight-normalised, kernel
//! 128 in base, one sample trimmed for even kernels, GELU), then the transformer layers
//! (post-LN for base, pre-LN for `do_stable_layer_norm`). Output: the last hidden state at
//! 50 Hz (one vector per 320 samples).
//!
//! To 25 fps (DESIGN.md §1): frame k is the mean of 50 Hz vectors 2k and 2k+1 — those whose
//! 320-sample hops lie inside frame k's 640 samples; when the conv stack yields fewer vectors
//! than needed (it drops the last partial receptive field), the last one is repeated. Input is
//! normalised to zero mean, unit variance per call (as `Wav2Vec2FeatureExtractor` does for
//! base). Long audio runs in windows of `window_s` seconds with `context_s` seconds of context
//! each side (attention is quadratic in length), and the windows' centres are stitched.

use crate::error::{AudioError, Result};
use crate::features::{pairs_to_25fps, FeatureExtractor, Features};
use crate::mel::frames_for;
use crate::weights::{to_vec, Weights};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::module::{conv1d, layer_norm};
use burn::tensor::ops::ConvOptions;
use burn::tensor::TensorData;
use duologue_params::HOP;
use std::path::Path;

/// The subset of Hugging Face's `Wav2Vec2Config` that shapes the network.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Wav2Vec2Config {
    /// Transformer width (768 in base; the feature dimension D).
    pub hidden_size: usize,
    /// Transformer layers (12 in base).
    pub num_hidden_layers: usize,
    /// Attention heads (12 in base).
    pub num_attention_heads: usize,
    /// Feed-forward width (3072 in base).
    pub intermediate_size: usize,
    /// Channels of each feature-encoder conv (7 x 512 in base).
    pub conv_dim: Vec<usize>,
    /// Kernel of each conv (10, 3, 3, 3, 3, 2, 2).
    pub conv_kernel: Vec<usize>,
    /// Stride of each conv (5, 2, 2, 2, 2, 2, 2): 320 samples per output vector.
    pub conv_stride: Vec<usize>,
    /// Whether the convs have biases (false in base).
    #[serde(default)]
    pub conv_bias: bool,
    /// "group" (base) or "layer" (large-lv60).
    pub feat_extract_norm: String,
    /// Positional conv kernel (128 in base).
    pub num_conv_pos_embeddings: usize,
    /// Positional conv groups (16 in base).
    pub num_conv_pos_embedding_groups: usize,
    /// Layer-norm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// Pre-LN transformer (large models) instead of post-LN (base).
    #[serde(default)]
    pub do_stable_layer_norm: bool,
    /// Activation: only "gelu" is supported.
    #[serde(default = "default_act")]
    pub hidden_act: String,
}

fn default_eps() -> f64 {
    1e-5
}

fn default_act() -> String {
    "gelu".into()
}

/// (weight [out, in, k], optional bias, stride, optional (gamma, beta) norm).
#[derive(Debug)]
struct ConvLayer {
    weight: Tensor<3>,
    bias: Option<Tensor<1>>,
    stride: usize,
    norm: Option<(Tensor<1>, Tensor<1>)>,
}

#[derive(Debug)]
struct Linear {
    /// [in, out]
    w_t: Tensor<2>,
    /// [1, out]
    b: Tensor<2>,
}

impl Linear {
    fn load(w: &Weights, name: &str, input: usize, output: usize, device: &Device) -> Result<Self> {
        let b = w.get(&format!("{name}.bias"), &[output])?;
        Ok(Self {
            w_t: w.tensor(&format!("{name}.weight"), [output, input], device)?.transpose(),
            b: Tensor::<2>::from_data(TensorData::new(b, [1, output]), device),
        })
    }

    /// [n, in] -> [n, out]
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
    fn load(w: &Weights, name: &str, dim: usize, device: &Device) -> Result<Self> {
        Ok(Self {
            gamma: w.tensor(&format!("{name}.weight"), [dim], device)?,
            beta: w.tensor(&format!("{name}.bias"), [dim], device)?,
        })
    }

    fn forward<const D: usize>(&self, x: Tensor<D>, eps: f64) -> Tensor<D> {
        layer_norm(x, self.gamma.clone(), Some(self.beta.clone()), eps)
    }
}

#[derive(Debug)]
struct EncoderLayer {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    norm: Norm,
    ff_in: Linear,
    ff_out: Linear,
    final_norm: Norm,
}

/// A loaded wav2vec 2.0 model.
#[derive(Debug)]
pub struct Wav2Vec2 {
    cfg: Wav2Vec2Config,
    device: Device,
    convs: Vec<ConvLayer>,
    proj_norm: Norm,
    proj: Linear,
    /// [hidden, hidden / groups, kernel], weight norm already applied.
    pos_w: Tensor<3>,
    pos_b: Tensor<1>,
    enc_norm: Norm,
    layers: Vec<EncoderLayer>,
    /// Seconds per window for long inputs.
    pub window_s: f32,
    /// Seconds of context on each side of a window.
    pub context_s: f32,
}

impl Wav2Vec2 {
    /// Loads `config.json` and `model.safetensors` from a Hugging Face model folder.
    pub fn load_dir(dir: &Path, device: &Device) -> Result<Self> {
        let text = std::fs::read_to_string(dir.join("config.json"))
            .map_err(|e| AudioError::Config(format!("{}: {e}", dir.join("config.json").display())))?;
        let cfg: Wav2Vec2Config =
            serde_json::from_str(&text).map_err(|e| AudioError::Config(format!("{}: {e}", dir.display())))?;
        Self::load(cfg, &Weights::open(&dir.join("model.safetensors"))?, device)
    }

    /// Builds the model from a config and weights.
    pub fn load(cfg: Wav2Vec2Config, w: &Weights, device: &Device) -> Result<Self> {
        if cfg.hidden_act != "gelu" {
            return Err(AudioError::Config(format!(
                "hidden_act {} not supported (gelu only)",
                cfg.hidden_act
            )));
        }
        let n = cfg.conv_dim.len();
        if cfg.conv_kernel.len() != n || cfg.conv_stride.len() != n || n == 0 {
            return Err(AudioError::Config("conv_dim, conv_kernel, conv_stride differ in length".into()));
        }
        if cfg.hidden_size % cfg.num_attention_heads != 0
            || cfg.hidden_size % cfg.num_conv_pos_embedding_groups != 0
        {
            return Err(AudioError::Config("hidden_size not divisible by heads or pos-conv groups".into()));
        }
        // Checkpoints of task models (ForCTC, ForPreTraining) prefix the encoder's names.
        let p = if w.contains("wav2vec2.feature_projection.projection.weight") { "wav2vec2." } else { "" };
        let h = cfg.hidden_size;
        let mut convs = Vec::with_capacity(n);
        for i in 0..n {
            let cin = if i == 0 { 1 } else { cfg.conv_dim[i - 1] };
            let cout = cfg.conv_dim[i];
            let name = format!("{p}feature_extractor.conv_layers.{i}");
            let norm = match (cfg.feat_extract_norm.as_str(), i) {
                ("group", 0) | ("layer", _) => Some((
                    w.tensor(&format!("{name}.layer_norm.weight"), [cout], device)?,
                    w.tensor(&format!("{name}.layer_norm.bias"), [cout], device)?,
                )),
                ("group", _) => None,
                (other, _) => {
                    return Err(AudioError::Config(format!("feat_extract_norm {other} not supported")))
                }
            };
            convs.push(ConvLayer {
                weight: w.tensor(&format!("{name}.conv.weight"), [cout, cin, cfg.conv_kernel[i]], device)?,
                bias: if cfg.conv_bias {
                    Some(w.tensor(&format!("{name}.conv.bias"), [cout], device)?)
                } else {
                    None
                },
                stride: cfg.conv_stride[i],
                norm,
            });
        }
        let last = cfg.conv_dim[n - 1];
        let (k, groups) = (cfg.num_conv_pos_embeddings, cfg.num_conv_pos_embedding_groups);
        let pos = format!("{p}encoder.pos_conv_embed.conv");
        let (g_name, v_name) = if w.contains(&format!("{pos}.weight_g")) {
            (format!("{pos}.weight_g"), format!("{pos}.weight_v"))
        } else {
            (
                format!("{pos}.parametrizations.weight.original0"),
                format!("{pos}.parametrizations.weight.original1"),
            )
        };
        let g = w.get(&g_name, &[1, 1, k])?;
        let mut v = w.get(&v_name, &[h, h / groups, k])?;
        // Weight norm over dim 2: each kernel tap is scaled to norm g[tap].
        for (tap, gain) in g.iter().enumerate() {
            let norm = v.iter().skip(tap).step_by(k).map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().skip(tap).step_by(k).for_each(|x| *x *= gain / norm);
        }
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let l = format!("{p}encoder.layers.{i}");
            layers.push(EncoderLayer {
                q: Linear::load(w, &format!("{l}.attention.q_proj"), h, h, device)?,
                k: Linear::load(w, &format!("{l}.attention.k_proj"), h, h, device)?,
                v: Linear::load(w, &format!("{l}.attention.v_proj"), h, h, device)?,
                out: Linear::load(w, &format!("{l}.attention.out_proj"), h, h, device)?,
                norm: Norm::load(w, &format!("{l}.layer_norm"), h, device)?,
                ff_in: Linear::load(
                    w,
                    &format!("{l}.feed_forward.intermediate_dense"),
                    h,
                    cfg.intermediate_size,
                    device,
                )?,
                ff_out: Linear::load(
                    w,
                    &format!("{l}.feed_forward.output_dense"),
                    cfg.intermediate_size,
                    h,
                    device,
                )?,
                final_norm: Norm::load(w, &format!("{l}.final_layer_norm"), h, device)?,
            });
        }
        Ok(Self {
            convs,
            proj_norm: Norm::load(w, &format!("{p}feature_projection.layer_norm"), last, device)?,
            proj: Linear::load(w, &format!("{p}feature_projection.projection"), last, h, device)?,
            pos_w: Tensor::<3>::from_data(TensorData::new(v, [h, h / groups, k]), device),
            pos_b: w.tensor(&format!("{pos}.bias"), [h], device)?,
            enc_norm: Norm::load(w, &format!("{p}encoder.layer_norm"), h, device)?,
            layers,
            device: device.clone(),
            cfg,
            window_s: 20.0,
            context_s: 1.0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Wav2Vec2Config {
        &self.cfg
    }

    /// Number of 50 Hz vectors the conv stack makes from `n` samples.
    pub fn output_len(&self, n: usize) -> usize {
        self.cfg.conv_kernel.iter().zip(&self.cfg.conv_stride).fold(n, |l, (&k, &s)| {
            if l < k {
                0
            } else {
                (l - k) / s + 1
            }
        })
    }

    /// Last hidden state of one (already normalised) waveform: `[T50, hidden]` row-major.
    pub fn forward(&self, audio: &[f32]) -> Result<Vec<f32>> {
        let t_out = self.output_len(audio.len());
        if t_out == 0 {
            return Ok(Vec::new());
        }
        let eps = self.cfg.layer_norm_eps;
        let mut x =
            Tensor::<3>::from_data(TensorData::new(audio.to_vec(), [1, 1, audio.len()]), &self.device);
        for c in &self.convs {
            x = conv1d(x, c.weight.clone(), c.bias.clone(), ConvOptions::new([c.stride], [0], [1], 1)); // [1, C, T]
            if let Some((g, b)) = &c.norm {
                x = if self.cfg.feat_extract_norm == "group" {
                    // One group per channel: normalise each channel over time.
                    let mean = x.clone().mean_dim(2);
                    let d = x - mean;
                    let var = (d.clone() * d.clone()).mean_dim(2);
                    let y = d / (var + eps).sqrt();
                    let ch = g.dims()[0];
                    y * g.clone().reshape([1, ch, 1]) + b.clone().reshape([1, ch, 1])
                } else {
                    // Layer norm over channels at each time step.
                    layer_norm(x.swap_dims(1, 2), g.clone(), Some(b.clone()), eps).swap_dims(1, 2)
                };
            }
            x = gelu(x);
        }
        let t = x.dims()[2];
        let c = x.dims()[1];
        let feats: Tensor<2> = x.swap_dims(1, 2).reshape([t, c]); // [T, C]
        let mut h = self.proj.forward(self.proj_norm.forward(feats, eps)); // [T, H]
        let hs = self.cfg.hidden_size;
        let k = self.cfg.num_conv_pos_embeddings;
        let groups = self.cfg.num_conv_pos_embedding_groups;
        let hc: Tensor<3> = h.clone().transpose().reshape([1, hs, t]); // [1, H, T]
        let pos = conv1d(
            hc,
            self.pos_w.clone(),
            Some(self.pos_b.clone()),
            ConvOptions::new([1], [k / 2], [1], groups),
        );
        // Even kernels give one extra step: trim it (HF's SamePad).
        let pos = gelu(pos.narrow(2, 0, t)); // [1, H, T]
        let pos: Tensor<2> = pos.reshape([hs, t]).transpose(); // [T, H]
        h = h + pos;
        if !self.cfg.do_stable_layer_norm {
            h = self.enc_norm.forward(h, eps);
        }
        for l in &self.layers {
            h = if self.cfg.do_stable_layer_norm {
                let a = h.clone() + self.attention(l, l.norm.forward(h, eps));
                let f = l.ff_out.forward(gelu(l.ff_in.forward(l.final_norm.forward(a.clone(), eps))));
                a + f
            } else {
                let a = l.norm.forward(h.clone() + self.attention(l, h), eps);
                let f = l.ff_out.forward(gelu(l.ff_in.forward(a.clone())));
                l.final_norm.forward(a + f, eps)
            };
        }
        if self.cfg.do_stable_layer_norm {
            h = self.enc_norm.forward(h, eps);
        }
        to_vec(h)
    }

    /// Multi-head self-attention, `[T, H] -> [T, H]`.
    fn attention(&self, l: &EncoderLayer, x: Tensor<2>) -> Tensor<2> {
        let [t, hs] = x.dims();
        let heads = self.cfg.num_attention_heads;
        let hd = hs / heads;
        let split = |y: Tensor<2>| -> Tensor<3> { y.reshape([t, heads, hd]).swap_dims(0, 1) }; // [heads, T, hd]
        let q = split(l.q.forward(x.clone())) * (1.0 / (hd as f64).sqrt());
        let k = split(l.k.forward(x.clone()));
        let v = split(l.v.forward(x));
        let att = softmax(q.matmul(k.swap_dims(1, 2)), 2); // [heads, T, T]
        let y: Tensor<2> = att.matmul(v).swap_dims(0, 1).reshape([t, hs]); // [T, H]
        l.out.forward(y)
    }

    /// 50 Hz features of any length: zero-mean unit-variance input, windows with context.
    pub fn hidden_50hz(&self, audio: &[f32]) -> Result<Vec<f32>> {
        let n = audio.len() as f64;
        let mean = audio.iter().map(|&v| v as f64).sum::<f64>() / n.max(1.0);
        let var = audio.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n.max(1.0);
        let norm: Vec<f32> =
            audio.iter().map(|&v| ((v as f64 - mean) / (var + 1e-7).sqrt()) as f32).collect();
        let hs = self.cfg.hidden_size;
        let stride: usize = self.cfg.conv_stride.iter().product();
        let win = ((self.window_s * 16000.0) as usize / stride).max(1) * stride;
        let ctx = ((self.context_s * 16000.0) as usize / stride) * stride;
        if norm.len() <= win + 2 * ctx {
            return self.forward(&norm);
        }
        let mut out = Vec::new();
        let mut start = 0;
        while start < norm.len() {
            let a = start.saturating_sub(ctx);
            let b = (start + win + ctx).min(norm.len());
            let h = self.forward(&norm[a..b])?;
            let skip = (start - a) / stride;
            let keep = (win / stride).min((h.len() / hs).saturating_sub(skip));
            out.extend_from_slice(&h[skip * hs..(skip + keep) * hs]);
            start += win;
        }
        Ok(out)
    }
}

impl FeatureExtractor for Wav2Vec2 {
    fn name(&self) -> &str {
        "wav2vec2"
    }

    fn dim(&self) -> usize {
        self.cfg.hidden_size
    }

    fn features(&self, audio: &[f32]) -> Result<Features> {
        let frames = frames_for(audio.len());
        let h = self.hidden_50hz(audio)?;
        debug_assert_eq!(HOP, 2 * 320);
        Ok(Features { data: pairs_to_25fps(&h, self.dim(), frames), frames, dim: self.dim() })
    }
}

#[cfg(test)]
mod tests {
    use crate::features::pairs_to_25fps;

    #[test]
    fn pairs_average_and_pad() {
        // 3 vectors of dim 1 -> 3 frames: (0+1)/2, (2+2)/2, (2+2)/2.
        assert_eq!(pairs_to_25fps(&[0.0, 1.0, 2.0], 1, 3), vec![0.5, 2.0, 2.0]);
        assert_eq!(pairs_to_25fps(&[], 4, 2), vec![0.0; 8]);
    }
}
