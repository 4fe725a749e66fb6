//! BERT encoder (Devlin et al. 2019) as used by all-MiniLM-L6-v2: post-LayerNorm transformer
//! layers with exact (erf) GELU, absolute position embeddings, weights in the Hugging Face
//! `BertModel` safetensors layout (no `bert.` prefix). Inference only.
//!
//! Built bottom-up: [`Linear`] and [`LayerNorm`], then [`Layer`], then [`Bert`].

use crate::error::{Result, TextError};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::TensorData;
use safetensors::{Dtype, SafeTensors};
use serde_json::Value;
use std::path::Path;

/// The hyper-parameters we read from `config.json` (names as there).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// `vocab_size` (30522).
    pub vocab_size: usize,
    /// `hidden_size` (384).
    pub hidden_size: usize,
    /// `num_hidden_layers` (6).
    pub num_hidden_layers: usize,
    /// `num_attention_heads` (12).
    pub num_attention_heads: usize,
    /// `intermediate_size` (1536).
    pub intermediate_size: usize,
    /// `max_position_embeddings` (512).
    pub max_position_embeddings: usize,
    /// `type_vocab_size` (2).
    pub type_vocab_size: usize,
    /// `layer_norm_eps` (1e-12).
    pub layer_norm_eps: f32,
}

impl Config {
    /// Reads a Hugging Face BERT `config.json`.
    pub fn load(path: &Path) -> Result<Config> {
        let err = |msg: String| TextError::Config { path: path.display().to_string(), msg };
        let s = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let v: Value = serde_json::from_str(&s).map_err(|e| err(e.to_string()))?;
        if v["model_type"].as_str() != Some("bert") {
            return Err(err(format!("model_type is {}, expected \"bert\"", v["model_type"])));
        }
        if v["hidden_act"].as_str().is_some_and(|a| a != "gelu") {
            return Err(err(format!("hidden_act {} is not supported (gelu only)", v["hidden_act"])));
        }
        let u = |k: &str| v[k].as_u64().map(|x| x as usize).ok_or_else(|| err(format!("missing {k}")));
        let c = Config {
            vocab_size: u("vocab_size")?,
            hidden_size: u("hidden_size")?,
            num_hidden_layers: u("num_hidden_layers")?,
            num_attention_heads: u("num_attention_heads")?,
            intermediate_size: u("intermediate_size")?,
            max_position_embeddings: u("max_position_embeddings")?,
            type_vocab_size: u("type_vocab_size")?,
            layer_norm_eps: v["layer_norm_eps"].as_f64().unwrap_or(1e-12) as f32,
        };
        if c.num_attention_heads == 0 || c.hidden_size % c.num_attention_heads != 0 {
            return Err(err("hidden_size must be a multiple of num_attention_heads".into()));
        }
        Ok(c)
    }
}

/// Named f32 tensors of a safetensors file.
struct Weights<'a> {
    path: String,
    st: SafeTensors<'a>,
}

impl Weights<'_> {
    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let err = |msg: String| TextError::Weights { path: self.path.clone(), msg };
        let t = self.st.tensor(name).map_err(|_| err(format!("no tensor {name}")))?;
        if t.shape() != shape {
            return Err(err(format!("{name}: shape {:?}, expected {shape:?}", t.shape())));
        }
        if t.dtype() != Dtype::F32 {
            return Err(err(format!("{name}: dtype {:?}, expected F32", t.dtype())));
        }
        Ok(t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }

    fn tensor<const D: usize>(&self, name: &str, shape: [usize; D], device: &Device) -> Result<Tensor<D>> {
        Ok(Tensor::<D>::from_data(TensorData::new(self.get(name, &shape)?, shape), device))
    }
}

/// `y = x Wᵀ + b` with the weight stored pre-transposed.
#[derive(Debug, Clone)]
pub struct Linear {
    /// `[in, out]`.
    w_t: Tensor<2>,
    /// `[1, out]`.
    b: Tensor<2>,
}

impl Linear {
    fn load(w: &Weights, prefix: &str, inp: usize, out: usize, device: &Device) -> Result<Linear> {
        Ok(Linear {
            w_t: w.tensor(&format!("{prefix}.weight"), [out, inp], device)?.transpose(),
            b: w.tensor(&format!("{prefix}.bias"), [out], device)?.reshape([1, out]),
        })
    }

    /// `[rows, in] -> [rows, out]`.
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.w_t.clone()) + self.b.clone()
    }
}

/// LayerNorm over the last axis.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    /// `[1, d]`.
    gamma: Tensor<2>,
    /// `[1, d]`.
    beta: Tensor<2>,
    eps: f32,
}

impl LayerNorm {
    fn load(w: &Weights, prefix: &str, d: usize, eps: f32, device: &Device) -> Result<LayerNorm> {
        Ok(LayerNorm {
            gamma: w.tensor(&format!("{prefix}.weight"), [d], device)?.reshape([1, d]),
            beta: w.tensor(&format!("{prefix}.bias"), [d], device)?.reshape([1, d]),
            eps,
        })
    }

    /// `[rows, d] -> [rows, d]`.
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mean = x.clone().mean_dim(1); // [rows, 1]
        let centred = x - mean;
        let var = centred.clone().powf_scalar(2.0).mean_dim(1); // [rows, 1]
        centred / (var + self.eps).sqrt() * self.gamma.clone() + self.beta.clone()
    }
}

/// One transformer layer: self-attention + residual + LayerNorm, then GELU MLP + residual +
/// LayerNorm (post-norm, as in BERT).
#[derive(Debug, Clone)]
pub struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    up: Linear,
    down: Linear,
    out_norm: LayerNorm,
    heads: usize,
}

impl Layer {
    fn load(w: &Weights, i: usize, c: &Config, device: &Device) -> Result<Layer> {
        let p = format!("encoder.layer.{i}");
        let (h, m) = (c.hidden_size, c.intermediate_size);
        Ok(Layer {
            q: Linear::load(w, &format!("{p}.attention.self.query"), h, h, device)?,
            k: Linear::load(w, &format!("{p}.attention.self.key"), h, h, device)?,
            v: Linear::load(w, &format!("{p}.attention.self.value"), h, h, device)?,
            attn_out: Linear::load(w, &format!("{p}.attention.output.dense"), h, h, device)?,
            attn_norm: LayerNorm::load(
                w,
                &format!("{p}.attention.output.LayerNorm"),
                h,
                c.layer_norm_eps,
                device,
            )?,
            up: Linear::load(w, &format!("{p}.intermediate.dense"), h, m, device)?,
            down: Linear::load(w, &format!("{p}.output.dense"), m, h, device)?,
            out_norm: LayerNorm::load(w, &format!("{p}.output.LayerNorm"), h, c.layer_norm_eps, device)?,
            heads: c.num_attention_heads,
        })
    }

    /// `x: [n, t, h]`, `mask_bias: [n, 1, 1, t]` (0 for tokens, a large negative for padding)
    /// -> `[n, t, h]`.
    fn forward(&self, x: Tensor<3>, mask_bias: Tensor<4>) -> Tensor<3> {
        let [n, t, h] = x.dims();
        let (nh, dh) = (self.heads, h / self.heads);
        let flat = x.reshape([n * t, h]); // [n*t, h]
        let split = |y: Tensor<2>| y.reshape([n, t, nh, dh]).swap_dims(1, 2); // [n, nh, t, dh]
        let q = split(self.q.forward(flat.clone()));
        let k = split(self.k.forward(flat.clone()));
        let v = split(self.v.forward(flat.clone()));
        let scores = q.matmul(k.swap_dims(2, 3)) / (dh as f32).sqrt() + mask_bias; // [n, nh, t, t]
        let ctx = softmax(scores, 3).matmul(v); // [n, nh, t, dh]
        let ctx = ctx.swap_dims(1, 2).reshape([n * t, h]); // [n*t, h]
        let a = self.attn_norm.forward(self.attn_out.forward(ctx) + flat); // [n*t, h]
        let m = self.down.forward(gelu(self.up.forward(a.clone()))); // [n*t, h]
        self.out_norm.forward(m + a).reshape([n, t, h])
    }
}

/// The encoder: embeddings, LayerNorm, the layers. Returns the last hidden state.
#[derive(Debug, Clone)]
pub struct Bert {
    config: Config,
    /// Word embeddings kept on the host, `[vocab, h]` row-major: the lookup is a gather with
    /// no arithmetic, so it stays out of the tensor graph.
    word: Vec<f32>,
    /// `[max_pos, h]`, host.
    position: Vec<f32>,
    /// `[type_vocab, h]`, host.
    token_type: Vec<f32>,
    emb_norm: LayerNorm,
    layers: Vec<Layer>,
    device: Device,
}

impl Bert {
    /// Loads `model.safetensors` with hyper-parameters `config`.
    pub fn load(config: Config, weights: &Path, device: &Device) -> Result<Bert> {
        let path = weights.display().to_string();
        let bytes = std::fs::read(weights)
            .map_err(|e| TextError::Weights { path: path.clone(), msg: e.to_string() })?;
        let st = SafeTensors::deserialize(&bytes)
            .map_err(|e| TextError::Weights { path: path.clone(), msg: e.to_string() })?;
        let w = Weights { path, st };
        let h = config.hidden_size;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&w, i, &config, device))
            .collect::<Result<_>>()?;
        Ok(Bert {
            word: w.get("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            position: w.get("embeddings.position_embeddings.weight", &[config.max_position_embeddings, h])?,
            token_type: w.get("embeddings.token_type_embeddings.weight", &[config.type_vocab_size, h])?,
            emb_norm: LayerNorm::load(&w, "embeddings.LayerNorm", h, config.layer_norm_eps, device)?,
            layers,
            config,
            device: device.clone(),
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Token ids, type ids and the attention mask (1 = token, 0 = padding), each `[n][t]`
    /// with equal lengths, to the last hidden state `[n, t, h]`.
    pub fn forward(&self, ids: &[Vec<u32>], types: &[Vec<u32>], mask: &[Vec<u32>]) -> Result<Tensor<3>> {
        let c = &self.config;
        let (n, t, h) = (ids.len(), ids.first().map_or(0, Vec::len), c.hidden_size);
        if t > c.max_position_embeddings {
            return Err(TextError::Tokenizer(format!("{t} tokens, more than {}", c.max_position_embeddings)));
        }
        let mut emb = vec![0.0f32; n * t * h];
        for i in 0..n {
            for j in 0..t {
                let (id, ty) = (ids[i][j] as usize, types[i][j] as usize);
                if id >= c.vocab_size || ty >= c.type_vocab_size {
                    return Err(TextError::Tokenizer(format!("token id {id} / type {ty} out of range")));
                }
                let out = &mut emb[(i * t + j) * h..(i * t + j + 1) * h];
                let rows = [
                    &self.word[id * h..(id + 1) * h],
                    &self.position[j * h..(j + 1) * h],
                    &self.token_type[ty * h..(ty + 1) * h],
                ];
                for (k, o) in out.iter_mut().enumerate() {
                    *o = rows[0][k] + rows[1][k] + rows[2][k];
                }
            }
        }
        let x = Tensor::<2>::from_data(TensorData::new(emb, [n * t, h]), &self.device);
        let mut x = self.emb_norm.forward(x).reshape([n, t, h]); // [n, t, h]
                                                                 // Additive mask: a large negative (not -inf, which would give NaN for an all-padding
                                                                 // row) on padding keys, as transformers does with the dtype's minimum.
        let bias: Vec<f32> = mask.iter().flatten().map(|&m| if m == 0 { -1e30 } else { 0.0 }).collect();
        let bias = Tensor::<4>::from_data(TensorData::new(bias, [n, 1, 1, t]), &self.device); // [n, 1, 1, t]
        for layer in &self.layers {
            x = layer.forward(x, bias.clone());
        }
        Ok(x)
    }
}
