//! The dual-stream denoiser G (paper §3.3 eq. 2–5, appendix §2.1; DESIGN.md §7).
//!
//! A 1-D U-Net with weights shared by both people runs on both noisy sequences at once (the two
//! streams are stacked along the batch axis, A first). Each stream's per-frame conditioning
//! c(k) = [audio, audio-present, e_role,self, e_role,partner, m_self, m_partner, t0_self,
//! t0_partner, beta_self, beta_partner] is concatenated to its input and, together with the
//! diffusion-time embedding, modulates every sub-block by FiLM ((gamma + 1) * h + beta). The
//! decoder's sub-blocks end with cross-attention from each stream to the other (eq. 3–4).
//! "Self first, partner second" makes the network equivariant to swapping A and B.
//!
//! Deviations (the paper does not specify them): the U-Net keeps one width at every level,
//! downsamples by a stride-2 convolution, upsamples by nearest repetition + convolution and
//! joins skips by addition; the identity betas are part of c(k) (appendix: "conditioned on
//! ... facial identity"); an audio-present flag marks dropped audio for guidance.
//! Ablations (paper Table 3; [`ModelConfig::cross_attention`], [`ModelConfig::role_embedding`]):
//! without cross-attention the decoder sub-blocks end after self-attention, so nothing of one
//! stream's features reaches the other; without role embeddings e_speak / e_listen do not
//! exist and c(k) carries neither e_role nor the masks.
//! Shapes: B clips, L frames, W width, N = 2B stacked streams, T frames at a level.

use burn::module::Param;
use burn::nn::attention::{MultiHeadAttention, MultiHeadAttentionConfig};
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Initializer, Linear, LinearConfig, PaddingConfig1d};
use burn::prelude::*;
use duologue_params::X_DIM;

use crate::config::ModelConfig;
use crate::kernels::{attention as fused_attention, conv1d_same, film, group_norm, silu};
use crate::profile::span;

/// Conditioning of one batch (host-independent tensors on the model's device).
#[derive(Debug, Clone)]
pub struct Cond {
    /// Audio features of the mixed recording, `[B, L, audio_dim]` (zeros where dropped).
    pub audio: Tensor<3>,
    /// 1 where the clip has audio, 0 where it was dropped for guidance, `[B]`.
    pub audio_present: Tensor<1>,
    /// Speaking probability of A, `[B, L]`.
    pub m_a: Tensor<2>,
    /// Speaking probability of B, `[B, L]`.
    pub m_b: Tensor<2>,
    /// First-frame translation of A (layout), `[B, 3]`.
    pub t0_a: Tensor<2>,
    /// First-frame translation of B, `[B, 3]`.
    pub t0_b: Tensor<2>,
    /// Identity of A, `[B, 50]`.
    pub beta_a: Tensor<2>,
    /// Identity of B, `[B, 50]`.
    pub beta_b: Tensor<2>,
}

impl Cond {
    /// The same conditioning with the audio removed (classifier-free guidance's null input).
    pub fn without_audio(&self) -> Self {
        Self {
            audio: self.audio.zeros_like(),
            audio_present: self.audio_present.zeros_like(),
            ..self.clone()
        }
    }

    /// Several conditionings stacked along the batch, in order.
    pub fn cat(conds: &[Cond]) -> Cond {
        let pick3 = |f: fn(&Cond) -> &Tensor<3>| Tensor::cat(conds.iter().map(|c| f(c).clone()).collect(), 0);
        let pick2 = |f: fn(&Cond) -> &Tensor<2>| Tensor::cat(conds.iter().map(|c| f(c).clone()).collect(), 0);
        Cond {
            audio: pick3(|c| &c.audio),
            audio_present: Tensor::cat(conds.iter().map(|c| c.audio_present.clone()).collect(), 0),
            m_a: pick2(|c| &c.m_a),
            m_b: pick2(|c| &c.m_b),
            t0_a: pick2(|c| &c.t0_a),
            t0_b: pick2(|c| &c.t0_b),
            beta_a: pick2(|c| &c.beta_a),
            beta_b: pick2(|c| &c.beta_b),
        }
    }

    /// The conditioning with A and B exchanged.
    pub fn swapped(&self) -> Self {
        Self {
            m_a: self.m_b.clone(),
            m_b: self.m_a.clone(),
            t0_a: self.t0_b.clone(),
            t0_b: self.t0_a.clone(),
            beta_a: self.beta_b.clone(),
            beta_b: self.beta_a.clone(),
            ..self.clone()
        }
    }
}

/// FiLM from the per-frame embedding: `(gamma + 1) * h + beta` (paper §3.3).
#[derive(Module, Debug)]
struct Film {
    proj: Linear,
}

impl Film {
    fn new(c: &ModelConfig, device: &Device) -> Self {
        // Zero init: every FiLM starts as the identity, so conditioning is learnt as a change.
        let proj = LinearConfig::new(c.width, 2 * c.width).with_initializer(Initializer::Zeros).init(device);
        Self { proj }
    }

    /// `h` `[N, W, T]`, `emb` `[N, T, W]` -> `[N, W, T]`.
    fn forward(&self, h: Tensor<3>, emb: Tensor<3>) -> Tensor<3> {
        film(h, self.proj.forward(emb)) // gamma, beta from [N, T, 2W]
    }
}

/// One residual sub-block: norm-act-conv, FiLM, norm-act-conv, then optional self-attention
/// (levels >= `attention_from`) and optional cross-attention to the partner (decoder).
#[derive(Module, Debug)]
struct SubBlock {
    norm1: GroupNorm,
    conv1: Conv1d,
    norm2: GroupNorm,
    film: Film,
    conv2: Conv1d,
    self_attn: Option<Attn>,
    cross_attn: Option<Attn>,
}

/// Pre-normalised multi-head attention.
#[derive(Module, Debug)]
struct Attn {
    norm: GroupNorm,
    mha: MultiHeadAttention,
}

fn conv(c: &ModelConfig, stride: usize, device: &Device) -> Conv1d {
    let p = c.kernel / 2;
    Conv1dConfig::new(c.width, c.width, c.kernel)
        .with_stride(stride)
        .with_padding(PaddingConfig1d::Explicit(p, p))
        .init(device)
}

fn attention(c: &ModelConfig, device: &Device) -> Attn {
    Attn {
        norm: GroupNormConfig::new(c.groups, c.width).init(device),
        // No dropout: the paper states none, and it would make training steps irreproducible.
        mha: MultiHeadAttentionConfig::new(c.width, c.heads).with_dropout(0.0).init(device),
    }
}

/// Multi-head attention with `mha`'s weights (`q` `[N, T, W]` attends to `kv` `[N, S, W]`),
/// computed by [`crate::kernels::attention`] rather than `MultiHeadAttention::forward`'s
/// matmul-softmax-matmul: on `flex` one fused kernel per clip and head, with its own backward
/// under autodiff; elsewhere burn's attention operation. Same result up to float rounding
/// (scale 1/sqrt(d_k), no mask, no dropout: the module's own dropout is 0).
fn attend(mha: &MultiHeadAttention, q: Tensor<3>, kv: Tensor<3>) -> Tensor<3> {
    let [n, t, w] = q.dims();
    let s = kv.dims()[1];
    let (h, dk) = (mha.n_heads, mha.d_k);
    let heads =
        |x: Tensor<3>, lin: &Linear, len: usize| lin.forward(x).reshape([n, len, h, dk]).swap_dims(1, 2);
    let ctx =
        fused_attention(heads(q, &mha.query, t), heads(kv.clone(), &mha.key, s), heads(kv, &mha.value, s)); // [N, H, T, dk]
    mha.output.forward(ctx.swap_dims(1, 2).reshape([n, t, w]))
}

/// Exchanges the A and B halves of a stacked `[2B, ...]` tensor.
fn swap_streams(h: Tensor<3>) -> Tensor<3> {
    let n = h.dims()[0] / 2;
    Tensor::cat(vec![h.clone().narrow(0, n, n), h.narrow(0, 0, n)], 0)
}

impl SubBlock {
    fn new(c: &ModelConfig, self_attn: bool, cross_attn: bool, device: &Device) -> Self {
        Self {
            norm1: GroupNormConfig::new(c.groups, c.width).init(device),
            conv1: conv(c, 1, device),
            norm2: GroupNormConfig::new(c.groups, c.width).init(device),
            film: Film::new(c, device),
            conv2: conv(c, 1, device),
            self_attn: self_attn.then(|| attention(c, device)),
            cross_attn: cross_attn.then(|| attention(c, device)),
        }
    }

    /// `h` `[N, W, T]`, `emb` `[N, T, W]` -> `[N, W, T]`.
    fn forward(&self, h: Tensor<3>, emb: Tensor<3>) -> Tensor<3> {
        let r = span("groupnorm+silu", || group_norm(&self.norm1, h.clone(), true));
        let r = span("conv", || conv1d_same(&self.conv1, r));
        let r = span("groupnorm+silu", || group_norm(&self.norm2, r, false));
        let r = span("film", || self.film.forward(r, emb));
        let r = span("conv", || conv1d_same(&self.conv2, silu(r)));
        let mut h = span("residual add", || h + r);
        if let Some(Attn { norm, mha }) = &self.self_attn {
            h = span("self-attention", || {
                let q = group_norm(norm, h.clone(), false).swap_dims(1, 2); // [N, T, W]
                let a = attend(mha, q.clone(), q);
                h + a.swap_dims(1, 2)
            });
        }
        if let Some(Attn { norm, mha }) = &self.cross_attn {
            // Eq. 3-4: h'_A = Attn(Q_A, K_B, V_B), h'_B = Attn(Q_B, K_A, V_A), shared weights.
            h = span("cross-attention", || {
                let q = group_norm(norm, h.clone(), false).swap_dims(1, 2); // [N, T, W]
                let kv = swap_streams(q.clone());
                let a = attend(mha, q, kv);
                h + a.swap_dims(1, 2)
            });
        }
        h
    }
}

/// One U-Net level: `sub_blocks` sub-blocks at one time resolution.
#[derive(Module, Debug)]
struct Level {
    subs: Vec<SubBlock>,
}

impl Level {
    fn forward(&self, mut h: Tensor<3>, emb: Tensor<3>) -> Tensor<3> {
        for s in &self.subs {
            h = s.forward(h, emb.clone());
        }
        h
    }
}

/// The denoiser network G (paper eq. 2). Build it with [`DuoNet::new`].
#[derive(Module, Debug)]
pub struct DuoNet {
    /// e_speak, `[role_dim]` (paper eq. 5); `None` without role embeddings (Table 3 ablation).
    e_speak: Option<Param<Tensor<1>>>,
    /// e_listen, `[role_dim]`; `None` with `e_speak`.
    e_listen: Option<Param<Tensor<1>>>,
    cond1: Linear,
    cond2: Linear,
    time1: Linear,
    time2: Linear,
    input: Conv1d,
    encoder: Vec<Level>,
    down: Vec<Conv1d>,
    decoder: Vec<Level>,
    up: Vec<Conv1d>,
    out_norm: GroupNorm,
    output: Conv1d,
    width: usize,
    audio_dim: usize,
    gated_audio: bool,
}

/// Sinusoidal embedding of diffusion time t in [0, 1], `[N]` -> `[N, dim]`.
fn time_features(t: Tensor<1>, dim: usize) -> Tensor<2> {
    let half = dim / 2;
    let device = t.device();
    // Frequencies 1 .. 10^4 on a log scale, applied to 1000 t (the usual DDPM step scale).
    let freqs: Vec<f32> =
        (0..half).map(|i| (-(10_000f32.ln()) * i as f32 / half.max(1) as f32).exp() * 1000.0).collect();
    let f = Tensor::<1>::from_floats(freqs.as_slice(), &device).unsqueeze_dim::<2>(0); // [1, half]
    let a = t.unsqueeze_dim::<2>(1) * f; // [N, half]
    let mut parts = vec![a.clone().sin(), a.cos()];
    if dim % 2 == 1 {
        let n = parts[0].dims()[0];
        parts.push(Tensor::zeros([n, 1], &device));
    }
    Tensor::cat(parts, 1)
}

impl DuoNet {
    /// A freshly initialised network (call `device.seed(..)` first for a reproducible init).
    pub fn new(c: &ModelConfig, device: &Device) -> Self {
        let w = c.width;
        let normal = Initializer::Normal { mean: 0.0, std: 1.0 };
        let in_conv = Conv1dConfig::new(X_DIM + c.cond_dim(), w, c.kernel)
            .with_padding(PaddingConfig1d::Explicit(c.kernel / 2, c.kernel / 2))
            .init(device);
        let level = |i: usize, cross: bool| Level {
            subs: (0..c.sub_blocks).map(|_| SubBlock::new(c, i >= c.attention_from, cross, device)).collect(),
        };
        // Without role embeddings there are no role parameters at all (rather than unused ones
        // that would sit in checkpoints without gradients).
        let role = || c.role_embedding.then(|| normal.init([c.role_dim], device));
        Self {
            e_speak: role(),
            e_listen: role(),
            cond1: LinearConfig::new(c.cond_dim(), w).init(device),
            cond2: LinearConfig::new(w, w).init(device),
            time1: LinearConfig::new(w, w).init(device),
            time2: LinearConfig::new(w, w).init(device),
            input: in_conv,
            encoder: (0..c.blocks).map(|i| level(i, false)).collect(),
            down: (1..c.blocks).map(|_| conv(c, 2, device)).collect(),
            decoder: (0..c.blocks).map(|i| level(i, c.cross_attention)).collect(),
            up: (1..c.blocks).map(|_| conv(c, 1, device)).collect(),
            out_norm: GroupNormConfig::new(c.groups, w).init(device),
            output: Conv1dConfig::new(w, X_DIM, c.kernel)
                .with_padding(PaddingConfig1d::Explicit(c.kernel / 2, c.kernel / 2))
                .init(device),
            width: w,
            audio_dim: c.audio_dim,
            gated_audio: c.gated_audio && c.role_embedding,
        }
    }

    /// e_role = m * e_speak + (1 - m) * e_listen (eq. 5), `m` `[B, L]` -> `[B, L, role_dim]`;
    /// `None` when the network has no role embeddings.
    fn role(&self, m: Tensor<2>) -> Option<Tensor<3>> {
        let (speak, listen) = (self.e_speak.as_ref()?, self.e_listen.as_ref()?);
        let m = m.unsqueeze_dim::<3>(2); // [B, L, 1]
        let s = speak.val().unsqueeze_dims::<3>(&[0, 1]); // [1, 1, E]
        let l = listen.val().unsqueeze_dims::<3>(&[0, 1]);
        Some(m.clone() * s + (m.neg() + 1.0) * l)
    }

    /// c(k) for both streams stacked, `[2B, L, cond_dim]` (A's stream first). Each stream
    /// lists its own person first: [audio, present, (e_role self, e_role partner, m self,
    /// m partner,) t0 self, t0 partner, beta self, beta partner(, audio m self, audio m partner)];
    /// the first bracketed part only with role embeddings, so that without them the masks cannot
    /// reach the network, the last only with `gated_audio`.
    fn conditioning(&self, cond: &Cond) -> Tensor<3> {
        let [b, l, _] = cond.audio.dims();
        let frames = |t: Tensor<2>| -> Tensor<3> {
            let d = t.dims()[1];
            t.unsqueeze_dim::<3>(1).expand([b, l, d])
        };
        let present = frames(cond.audio_present.clone().unsqueeze_dim::<2>(1)); // [B, L, 1]

        // Per person, the parts that follow "self" / "partner" order, each [B, L, d].
        let person = |m: &Tensor<2>, t0: &Tensor<2>, beta: &Tensor<2>| {
            let roles = self.role(m.clone()).map(|r| (r, m.clone().unsqueeze_dim::<3>(2)));
            (roles, frames(t0.clone()), frames(beta.clone()))
        };
        let pa = person(&cond.m_a, &cond.t0_a, &cond.beta_a);
        let pb = person(&cond.m_b, &cond.t0_b, &cond.beta_b);
        type Parts = (Option<(Tensor<3>, Tensor<3>)>, Tensor<3>, Tensor<3>);
        let stream = |me: &Parts, other: &Parts| {
            let mut parts = vec![cond.audio.clone(), present.clone()];
            if let (Some((r_s, m_s)), Some((r_p, m_p))) = (&me.0, &other.0) {
                parts.extend([r_s.clone(), r_p.clone(), m_s.clone(), m_p.clone()]);
            }
            parts.extend([me.1.clone(), other.1.clone(), me.2.clone(), other.2.clone()]);
            if self.gated_audio {
                if let (Some((_, m_s)), Some((_, m_p))) = (&me.0, &other.0) {
                    parts.extend([cond.audio.clone() * m_s.clone(), cond.audio.clone() * m_p.clone()]);
                }
            }
            Tensor::cat(parts, 2) // [B, L, cond_dim]
        };
        Tensor::cat(vec![stream(&pa, &pb), stream(&pb, &pa)], 0)
    }

    /// Predicts x0 for both people (in diffusion space, see [`ModelConfig::scale`]).
    ///
    /// `x_a`, `x_b`: noisy `[B, L, 78]`; `time`: diffusion time in [0, 1], `[B]`.
    /// Returns `(x0_a, x0_b)`, each `[B, L, 78]`. L must be a multiple of
    /// [`ModelConfig::frame_multiple`] (checked by the callers that take user input).
    pub fn forward(
        &self,
        x_a: Tensor<3>,
        x_b: Tensor<3>,
        time: Tensor<1>,
        cond: &Cond,
    ) -> (Tensor<3>, Tensor<3>) {
        let [b, _l, _] = x_a.dims();
        let c = span("conditioning c(k)", || self.conditioning(cond)); // [N, L, Dc]
        let emb = span("conditioning projection", || {
            let t = Tensor::cat(vec![time.clone(), time], 0); // [N]
            let temb = self.time2.forward(silu(self.time1.forward(time_features(t, self.width)))); // [N, W]
            let cemb = self.cond2.forward(silu(self.cond1.forward(c.clone()))); // [N, L, W]
            cemb + temb.unsqueeze_dim::<3>(1) // [N, L, W]
        });
        let x = Tensor::cat(vec![x_a, x_b], 0); // [N, L, 78]
        let mut h =
            span("input conv", || conv1d_same(&self.input, Tensor::cat(vec![x, c], 2).swap_dims(1, 2))); // [N, W, L]

        // Per-level embeddings: average-pool the frame embedding with the time axis.
        let mut embs = vec![emb];
        for _ in 1..self.encoder.len() {
            let e = embs.last().expect("level 0 exists").clone();
            let [n, t, w] = e.dims();
            embs.push(span("conditioning projection", || {
                e.reshape([n, t / 2, 2, w]).mean_dim(2).reshape([n, t / 2, w])
            }));
        }

        let mut skips = Vec::with_capacity(self.encoder.len());
        for (i, level) in self.encoder.iter().enumerate() {
            if i > 0 {
                h = span("down/up conv", || conv1d_same(&self.down[i - 1], h)); // [N, W, T/2]
            }
            h = level.forward(h, embs[i].clone());
            skips.push(h.clone());
        }
        for i in (0..self.decoder.len()).rev() {
            if i + 1 < self.decoder.len() {
                let [n, w, t] = h.dims();
                // Nearest-neighbour x2 along time, then a convolution to smooth it.
                let rep = h.unsqueeze_dim::<4>(3).expand([n, w, t, 2]).reshape([n, w, 2 * t]);
                h = span("down/up conv", || conv1d_same(&self.up[i], rep));
            }
            let joined = span("residual add", || h + skips[i].clone());
            h = self.decoder[i].forward(joined, embs[i].clone());
        }
        let y = span("output conv", || {
            conv1d_same(&self.output, group_norm(&self.out_norm, h, true)).swap_dims(1, 2)
        }); // [N, L, 78]
        (y.clone().narrow(0, 0, b), y.narrow(0, b, b))
    }

    /// Audio feature width this network was built for.
    pub fn audio_dim(&self) -> usize {
        self.audio_dim
    }
}

/// x split into its named parts (DESIGN.md §3): `(psi [.., 63], theta [.., 12], dt [.., 3])`.
pub fn split_x(x: Tensor<3>) -> (Tensor<3>, Tensor<3>, Tensor<3>) {
    use duologue_params::{DT, PSI, THETA};
    (
        x.clone().narrow(2, PSI.start, PSI.len()),
        x.clone().narrow(2, THETA.start, THETA.len()),
        x.narrow(2, DT.start, DT.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::attention::MhaInput;
    use burn::tensor::Distribution;

    /// [`attend`] computes what burn-nn's `MultiHeadAttention::forward` computes, on the plain
    /// device (flex's fused kernel, both the short-sequence and the tiled path) and under
    /// autodiff (the composite), for self- and cross-attention.
    #[test]
    fn attend_matches_the_attention_module() {
        for device in [Device::flex(), Device::flex().autodiff()] {
            device.seed(3);
            let mha = MultiHeadAttentionConfig::new(32, 4).with_dropout(0.0).init(&device);
            for (t, s) in [(6, 6), (9, 5), (600, 600)] {
                let q = Tensor::<3>::random([2, t, 32], Distribution::Normal(0.0, 1.0), &device);
                let kv = Tensor::<3>::random([2, s, 32], Distribution::Normal(0.0, 1.0), &device);
                let want = mha.forward(MhaInput::new(q.clone(), kv.clone(), kv.clone())).context;
                let got = attend(&mha, q, kv);
                assert_eq!(got.dims(), [2, t, 32]);
                let err = (got - want.clone()).abs().max().into_scalar::<f32>();
                let size = want.abs().max().into_scalar::<f32>();
                assert!(
                    err <= 1e-5 * size.max(1.0),
                    "T {t}, S {s}: max difference {err} (values up to {size})"
                );
            }
        }
    }
}
