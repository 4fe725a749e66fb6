//! How a run starts (paper §3.4; DESIGN §7): a fresh model from the seed, optionally initialised
//! from another run's weights (stage 2 from stage 1), or continued exactly from the run's own
//! checkpoint (weights, EMA, optimiser state, step and RNG state), its metrics log cut back to
//! that step.

use super::metrics::MetricsSink;
use super::TrainOptions;
use crate::checkpoint::{Checkpoint, Weights};
use crate::config::Config;
use crate::diffusion::Rng;
use crate::network::DuoNet;
use crate::ModelError;
use burn::module::Module;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::prelude::*;
use std::path::{Path, PathBuf};

/// Everything a run carries from step to step.
pub(super) struct State {
    /// The trained weights (on the autodiff device).
    pub model: DuoNet,
    /// Their EMA (plain device).
    pub ema: DuoNet,
    /// AdamW with its moments.
    pub optim: ModuleOptimizer,
    /// The one RNG every draw comes from.
    pub rng: Rng,
    /// Steps done.
    pub step: usize,
    /// Lowest validation loss so far.
    pub best: Option<f32>,
    /// The metrics log.
    pub metrics: MetricsSink,
}

/// A fresh model, optimiser and RNG from the config's seed, on `ad` (the autodiff device).
fn fresh(config: &Config, ad: &Device, device: &Device) -> (DuoNet, DuoNet, ModuleOptimizer, Rng) {
    let tc = &config.train;
    device.seed(tc.seed);
    let model = DuoNet::new(&config.model, ad);
    let ema = model.valid();
    let optim: ModuleOptimizer = AdamWConfig::new()
        .with_weight_decay(tc.weight_decay)
        .with_grad_clipping((tc.grad_clip > 0.0).then_some(GradientClippingConfig::Norm(tc.grad_clip)))
        .init();
    (model, ema, optim, Rng::new(tc.seed))
}

/// Reads `path` as a checkpoint of the same model configuration.
fn same_model(path: &Path, config: &Config, what: &str) -> Result<Checkpoint, ModelError> {
    let ck = Checkpoint::read(path)?;
    if ck.meta.config.model != config.model {
        return Err(ModelError::Config(format!("{} {what}", path.display())));
    }
    Ok(ck)
}

/// The state a run starts from: resumed from `checkpoint` when asked for and there, else fresh
/// (initialised from `opts.init_from` when given) with an empty metrics log.
pub(super) fn start(
    config: &Config,
    opts: &TrainOptions,
    ad: &Device,
    device: &Device,
    checkpoint: &Path,
    metrics: PathBuf,
) -> Result<State, ModelError> {
    let (mut model, mut ema, mut optim, rng) = fresh(config, ad, device);
    if opts.resume && checkpoint.exists() {
        let ck = same_model(checkpoint, config, "was trained with another model config")?;
        model = ck.load_into(model, Weights::Model, true)?;
        ema = ck.load_into(ema, Weights::Ema, false)?;
        if let Some(bytes) = &ck.optimizer {
            optim = optim.from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.clone())).map_err(|e| {
                ModelError::Checkpoint { path: checkpoint.to_path_buf(), reason: format!("{e:?}") }
            })?;
        }
        let step = ck.meta.step;
        let (metrics, best) = MetricsSink::resumed(metrics, step, config.to_toml()?.into_bytes());
        return Ok(State { model, ema, optim, rng: Rng::from_state(ck.meta.rng), step, best, metrics });
    }
    if let Some(init) = &opts.init_from {
        let saved = Checkpoint::read(init)?;
        // A network that only adds the gated audio and/or switches facing_relative starts from
        // the old one's weights, new inputs at zero (Checkpoint::widened_to); any other
        // difference is refused.
        let ck =
            if saved.meta.config.model == config.model { saved } else { saved.widened_to(&config.model)? };
        model = ck.load_into(model, Weights::Model, false)?;
        ema = ck.load_into(ema, Weights::Ema, false)?;
    }
    // A fresh run starts a fresh log (at its first save).
    let metrics = MetricsSink::fresh(metrics, config.to_toml()?.into_bytes());
    Ok(State { model, ema, optim, rng, step: 0, best: None, metrics })
}
