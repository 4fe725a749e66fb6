//! Model and training configuration (paper appendix §2.1, §4.1; DESIGN.md §7).
//!
//! One TOML file holds both sections: `[model]` ([`ModelConfig`], which builds the network and
//! is saved inside every checkpoint) and `[train]` ([`TrainConfig`]). Versioned files live in
//! `configs/` at the repository root: `paper.toml`, `cpu.toml`, `tiny.toml`.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::ModelError;

/// Network hyper-parameters. Paper names are given beside ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// Channel width of every block (paper: "embedding dimension", 512).
    pub width: usize,
    /// Resolution levels of the U-Net; level i runs at `frames / 2^i` (paper: "2 main blocks").
    pub blocks: usize,
    /// Residual sub-blocks per level, in encoder and decoder each (paper: "2 subblocks").
    pub sub_blocks: usize,
    /// First level (0-based) with self-attention (paper: "the second block incorporates
    /// self-attention ... with a temporal stride of 2", so 1).
    pub attention_from: usize,
    /// Attention heads, self- and cross-attention (paper: 8).
    pub heads: usize,
    /// GroupNorm groups; must divide `width`.
    pub groups: usize,
    /// Window length in frames (paper: L = 250).
    pub frames: usize,
    /// Per-frame audio feature width (paper: 768 Wav2Vec 2.0; ours: 80 log-mel by default).
    pub audio_dim: usize,
    /// Which audio features the model hears, by the name `duologue_audio::extractor` knows:
    /// "logmel" (80 bands, built in) or "whisper-tiny" (Whisper tiny's encoder, 384), and
    /// `audio_dim` must be that extractor's width. Training, evaluation and generation all
    /// compute what the checkpoint names. Absent in older files: "logmel".
    pub features: String,
    /// Width of the speaker-role embeddings e_speak / e_listen (paper §3.3 eq. 5; unstated).
    pub role_dim: usize,
    /// Convolution kernel size along time.
    pub kernel: usize,
    /// Multipliers from natural units to the diffusion space, per slice of x: the network and
    /// the sampler see `x * scale`, so that radians and metres are not drowned by unit noise.
    /// (Not in the paper, which does not state its normalisation.)
    pub scale: XScale,
    /// Cross-attention between the two streams in the decoder (paper §3.3 eq. 3–4). `false` is
    /// Table 3's "w/o Cross-Attn": the streams then share weights but never exchange features,
    /// so each person's output depends on the partner only through c(k) (the partner's role,
    /// mask, t0 and identity), never on the partner's motion. Absent in older files: `true`.
    pub cross_attention: bool,
    /// Speaker-role embeddings e_role = m e_speak + (1 - m) e_listen and the raw masks in c(k)
    /// (paper §3.3 eq. 5). `false` is Table 3's "w/o Speaker Emb.": both go, so the network
    /// cannot see who speaks (e_role is affine in m and the first conditioning layer is
    /// linear, so dropping e_role but keeping m would remove nothing). Absent in older files:
    /// `true`.
    pub role_embedding: bool,
    /// Ours, not the paper's: each stream's c(k) also carries the audio features gated by the
    /// masks, `audio * m_self` and `audio * m_partner`, appended after the betas. The paper's
    /// network has only the mix and must learn from the masks alone whose speech drives whose
    /// lips; with the gated copies "my own speech" is an input, and a listener's is zero
    /// (crates/model/README.md, "Beyond the paper", for the measurement). Needs `role_embedding`
    /// (the masks are part of it). Absent in older files: `false`.
    pub gated_audio: bool,
    /// Ours, not the paper's: the network predicts the neck's yaw (theta[1], about +Y) relative
    /// to the yaw that faces the partner from t0 ([`crate::data::facing_yaw`]), and sampling
    /// adds that yaw back. The paper's network must learn that atan2 of the two positions from
    /// data, and its rotation term is most of the loss until it has (crates/model/README.md).
    /// Absent in older files: `false`.
    pub facing_relative: bool,
}

/// Per-slice scale of x into diffusion space (see [`ModelConfig::scale`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct XScale {
    /// Multiplier for psi (expression, already of order 1).
    pub psi: f32,
    /// Multiplier for theta (radians; typical head/eye angles are a few tenths).
    pub theta: f32,
    /// Multiplier for dt (metres; typical motion is centimetres).
    pub dt: f32,
}

impl Default for XScale {
    fn default() -> Self {
        Self { psi: 1.0, theta: 4.0, dt: 10.0 }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            width: 512,
            blocks: 2,
            sub_blocks: 2,
            attention_from: 1,
            heads: 8,
            groups: 32,
            frames: duologue_params::WINDOW,
            audio_dim: 80,
            features: "logmel".into(),
            role_dim: 64,
            kernel: 3,
            scale: XScale::default(),
            cross_attention: true,
            role_embedding: true,
            gated_audio: false,
            facing_relative: false,
        }
    }
}

impl ModelConfig {
    /// Width of the per-frame conditioning vector c(k) of one stream:
    /// audio + audio-present flag + 2 role embeddings + 2 masks + 2 t(0) + 2 beta
    /// (without the role embeddings and masks when `role_embedding` is off) + 2 mask-gated
    /// copies of the audio with `gated_audio`.
    pub fn cond_dim(&self) -> usize {
        let roles = if self.role_embedding { 2 * self.role_dim + 2 } else { 0 };
        self.audio_dim + 1 + roles + 2 * 3 + 2 * duologue_params::N_ID + self.gated_dim()
    }

    /// Width of the mask-gated audio at the end of c(k): `2 * audio_dim` with `gated_audio`, else 0.
    pub fn gated_dim(&self) -> usize {
        if self.gated_audio {
            2 * self.audio_dim
        } else {
            0
        }
    }

    /// Frames must be a multiple of this (each level halves the time axis).
    pub fn frame_multiple(&self) -> usize {
        1 << self.blocks.saturating_sub(1)
    }

    /// Checks the invariants the network relies on.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |reason: String| Err(ModelError::Config(reason));
        if self.width == 0 || self.blocks == 0 || self.sub_blocks == 0 || self.heads == 0 {
            return bad("width, blocks, sub_blocks and heads must be positive".into());
        }
        if self.groups == 0 || self.width % self.groups != 0 {
            return bad(format!("groups {} must divide width {}", self.groups, self.width));
        }
        if self.width % self.heads != 0 {
            return bad(format!("heads {} must divide width {}", self.heads, self.width));
        }
        if self.kernel % 2 == 0 {
            return bad(format!("kernel {} must be odd", self.kernel));
        }
        if self.frames == 0 || self.frames % self.frame_multiple() != 0 {
            return bad(format!("frames {} must be a multiple of {}", self.frames, self.frame_multiple()));
        }
        if self.audio_dim == 0 || self.role_dim == 0 {
            return bad("audio_dim and role_dim must be positive".into());
        }
        if self.features.is_empty() {
            return bad("features must name an audio feature extractor (\"logmel\", \"whisper-tiny\")".into());
        }
        if self.gated_audio && !self.role_embedding {
            return bad(
                "gated_audio needs role_embedding (the masks that gate the audio are part of it)".into()
            );
        }
        let s = self.scale;
        if !(s.psi > 0.0 && s.theta > 0.0 && s.dt > 0.0) {
            return bad("scale factors must be positive".into());
        }
        Ok(())
    }
}

/// Loss weights (paper §4.1: expression 1, rotation 8, translation 1, vertex velocity 1, gaze 5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LossWeights {
    /// lambda_expr, L2 on psi.
    pub expression: f32,
    /// lambda_rot, L2 on theta.
    pub rotation: f32,
    /// lambda_trans, L2 on dt.
    pub translation: f32,
    /// lambda_vel, L2 on the frame-to-frame velocity of face-model vertices.
    pub velocity: f32,
    /// lambda_gaze, 1 - cosine between predicted and true gaze (gaze-reliable clips only).
    pub gaze: f32,
    /// Extra factor on the gaze term for the clips in the top 20% of head-rotation variance of
    /// the batch (paper §3.5 says "higher weight" without a number; we use 2).
    pub gaze_top_factor: f32,
    /// Weight of the stage-2 lip-only L2 on psi[0..20] of the speaking person.
    pub lip: f32,
    /// Number of face-model vertices used by the velocity loss (a deterministic subsample).
    pub velocity_vertices: usize,
    /// Unit multiplier for vertex positions in the velocity loss (100: centimetres), so that
    /// the term is of the same order as the parameter terms.
    pub vertex_unit: f32,
    /// Ours, not the paper's (0 there): L2 on the frame-to-frame differences of psi (diffusion
    /// space). The expression and vertex terms hardly see a frame-to-frame flicker of the
    /// coefficients (it is a small part of their error), this term weights exactly that; see
    /// crates/model/README.md ("Beyond the paper") for the measurement.
    pub expression_velocity: f32,
    /// How many leading psi coefficients the expression-velocity term covers: all 63 (the
    /// default), or 20 for the lips alone, leaving the brief events of the upper face (smiles,
    /// blinks, brow raises) free to be fast.
    pub expression_velocity_coefficients: usize,
    /// Ours, not the paper's (0 there): L2 on the frame-to-frame differences of the lips
    /// (psi[0..20], diffusion space) on the frames where that person listens (mask < 0.5 on
    /// both frames of the difference), averaged over those frames. The listener's lips are
    /// a tiny part of every other term, yet a listener's moving mouth is what a viewer sees
    /// first (issue 14); crates/model/README.md ("Beyond the paper") has the measurement.
    pub listener_lip_velocity: f32,
}

impl Default for LossWeights {
    fn default() -> Self {
        Self {
            expression: 1.0,
            rotation: 8.0,
            translation: 1.0,
            velocity: 1.0,
            gaze: 5.0,
            gaze_top_factor: 2.0,
            lip: 1.0,
            velocity_vertices: 256,
            vertex_unit: 100.0,
            expression_velocity: 0.0,
            expression_velocity_coefficients: duologue_params::N_EXPR,
            listener_lip_velocity: 0.0,
        }
    }
}

/// Training hyper-parameters (paper §4.1 and appendix §2.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Clips per optimiser step (paper: 1024 over 16 GPUs).
    pub batch_size: usize,
    /// Optimiser steps to run (paper: 200,000).
    pub steps: usize,
    /// Learning rate after warm-up (paper: 1e-4).
    pub lr: f64,
    /// Linear warm-up steps (paper: 2000); constant afterwards.
    pub warmup_steps: usize,
    /// AdamW weight decay (paper uses Adafactor in the appendix, AdamW in §4.1; we use AdamW).
    pub weight_decay: f32,
    /// Gradient clipping: each parameter tensor's gradient is scaled down to at most this L2
    /// norm (burn 0.22 clips per tensor, not over the global norm); 0 turns it off.
    pub grad_clip: f32,
    /// EMA decay of the weights kept for sampling.
    pub ema_decay: f64,
    /// Probability of dropping the audio (classifier-free guidance training; paper: 0.1).
    pub cond_drop: f64,
    /// Relative sampling ratio of each data source (index = source); empty: uniform.
    pub source_ratios: Vec<f64>,
    /// Log one metrics row every this many steps.
    pub log_every: usize,
    /// Compute the validation loss every this many steps (0: never).
    pub val_every: usize,
    /// Write a checkpoint every this many steps (and at the end).
    pub checkpoint_every: usize,
    /// Seed of the training RNG (noise, diffusion times, data order, condition dropout).
    pub seed: u64,
    /// Paper Table 3 ablations this run was made with (`duologue train --ablate`), as a record
    /// in the run's config.toml: each acts through the setting it changes (`model.cross_attention`,
    /// `model.role_embedding`, `loss.gaze`) or, for `single-person`, through the training data.
    /// The trainer itself never reads it. Empty: the full model.
    pub ablations: Vec<String>,
    /// Loss weights.
    pub loss: LossWeights,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch_size: 8,
            steps: 200_000,
            lr: 1e-4,
            warmup_steps: 2000,
            weight_decay: 1e-4,
            grad_clip: 1.0,
            ema_decay: 0.999,
            cond_drop: 0.1,
            source_ratios: Vec::new(),
            log_every: 10,
            val_every: 1000,
            checkpoint_every: 1000,
            seed: 0,
            ablations: Vec::new(),
            loss: LossWeights::default(),
        }
    }
}

/// Sampling defaults (paper §4.1, appendix §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SampleConfig {
    /// DDIM steps (paper: 8).
    pub steps: usize,
    /// Classifier-free guidance weight. The paper's main text (§4.1) says 2.5, its appendix
    /// §2.1 says 2.0; we follow the main text (2.5).
    pub guidance: f32,
    /// Diffusion times `[lo, hi]` (t = 1 is pure noise, 0 clean data) at which guidance is
    /// applied; at the other DDIM steps the conditional prediction alone is used (w = 1), which
    /// also saves the unconditional pass. Not in the paper: guidance limited to an interval of
    /// noise levels is Kynkäänniemi et al. 2024 ("Applying guidance in a limited interval
    /// improves sample and distribution quality"). Default `[0, 1]`: every step, as the paper.
    pub guidance_interval: [f32; 2],
    /// DDIM's eta (Song et al. 2021): 0 is the deterministic sampler (the paper's), 1 the
    /// ancestral (DDPM) step, which draws fresh noise at every step
    /// ([`crate::diffusion::ddim_step_noise`]).
    pub eta: f32,
}

impl Default for SampleConfig {
    fn default() -> Self {
        Self { steps: 8, guidance: 2.5, guidance_interval: [0.0, 1.0], eta: 0.0 }
    }
}

/// A whole configuration file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[model]`: the network.
    pub model: ModelConfig,
    /// `[train]`: the optimisation.
    pub train: TrainConfig,
    /// `[sample]`: generation defaults.
    pub sample: SampleConfig,
}

impl Config {
    /// Parses TOML text and validates the model section.
    pub fn from_toml(text: &str) -> Result<Self, ModelError> {
        let c: Config = toml::from_str(text).map_err(|e| ModelError::Config(e.to_string()))?;
        c.model.validate()?;
        Ok(c)
    }

    /// Reads and validates a TOML file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        Self::from_toml(&text).map_err(|e| match e {
            ModelError::Config(r) => ModelError::Config(format!("{}: {r}", path.display())),
            e => e,
        })
    }

    /// Serialises to TOML.
    pub fn to_toml(&self) -> Result<String, ModelError> {
        toml::to_string(self).map_err(|e| ModelError::Config(e.to_string()))
    }
}
