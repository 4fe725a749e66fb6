//! The training loop (paper §3.1, §3.4, §4.1, appendix §2.1; DESIGN.md §6–7).
//!
//! AdamW with a linear warm-up then a constant learning rate, gradient clipping, EMA weights,
//! per-clip data-source mixing by ratio, x0-prediction on the cosine schedule with 10% audio
//! dropout, stage 1 then stage 2 (initialised from a stage-1 checkpoint), a validation loss, a
//! JSON-lines metrics log and atomic checkpoints that resume exactly: weights (with their
//! parameter ids), optimiser state, EMA, step and RNG state all go in the checkpoint, and
//! every random draw (data order, dropout, times, noise) comes from the one saved RNG.
//!
//! Data parallelism ([`TrainOptions::extra_devices`]): each step's batch is split into one
//! contiguous part per device; the model is `fork`ed to each extra device, every part's loss
//! (scaled by its share of the batch, so the gradients add up to the full-batch gradient) is
//! back-propagated on its device, and burn 0.22's `MultiGradientsParams` +
//! `ModuleOptimizer::step_multi` sum the gradients and update the one model. Parts run one
//! after another from this thread; on GPUs the kernels queue asynchronously, so devices overlap.
//! The batch-level choices (data, dropout, times, noise, the gaze top-20%) are made before the
//! split, so the result does not depend on the number of devices (up to float rounding).

//!
//! The loop is in parts: [`resume`] (how a run starts), [`step`] (one step's passes), [`ema`],
//! [`checkpoints`] (when to validate, log and save) and [`metrics`] (the log).

mod checkpoints;
mod ema;
mod metrics;
mod resume;
mod step;

use std::path::PathBuf;

use burn::prelude::*;

use crate::config::Config;
use crate::data::BatchSource;
use crate::losses::{FaceGeometry, Stage};
use crate::profile::span;
use crate::ModelError;
use checkpoints::Checkpoints;
use step::{Devices, Grads};

/// File name of the latest checkpoint inside the run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";
/// File name of the metrics log inside the run folder.
pub const METRICS_FILE: &str = "metrics.jsonl";
/// File name of the best-validating weights inside the run folder: the EMA weights (stored as
/// the model's, no optimiser state) at the step with the lowest validation loss so far: an
/// inference checkpoint for [`crate::Generator::load`], small enough to ship.
pub const BEST_FILE: &str = "best.safetensors";

/// File name of the run's copy of its configuration inside the run folder.
pub const CONFIG_FILE: &str = "config.toml";

/// How to run [`train`] (everything that is not a hyper-parameter).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Run folder: checkpoint, metrics log, a copy of the config. Created at the first save.
    pub run_dir: PathBuf,
    /// Training stage.
    pub stage: Stage,
    /// Checkpoint to initialise from (stage 2 starts from stage 1's weights and EMA; the
    /// optimiser, step and RNG start afresh).
    pub init_from: Option<PathBuf>,
    /// Continue from `run_dir`'s checkpoint when there is one.
    pub resume: bool,
    /// Face-model vertices for the velocity loss; `None` leaves that term out.
    pub face: Option<FaceGeometry>,
    /// Further devices for data-parallel training besides the main one (plain devices, e.g.
    /// `Device::cuda(1)`); empty: one device.
    pub extra_devices: Vec<Device>,
    /// Wall-clock budget: stop (validate and checkpoint) after the first step that ends past
    /// it, even before `train.steps`. `None`: run to `train.steps`.
    pub time_limit: Option<std::time::Duration>,
}

impl TrainOptions {
    /// Options for a fresh run in `run_dir` with the velocity loss on the project's face model
    /// (`config.train.loss.velocity_vertices` vertices); set `resume` / `init_from` after.
    pub fn new(run_dir: impl Into<PathBuf>, stage: Stage, config: &Config) -> Result<Self, ModelError> {
        let face = FaceGeometry::from_face_model(
            duologue_face::FaceModel::shared(),
            config.train.loss.velocity_vertices,
        )?;
        Ok(Self {
            run_dir: run_dir.into(),
            stage,
            init_from: None,
            resume: false,
            face: Some(face),
            extra_devices: Vec::new(),
            time_limit: None,
        })
    }
}

/// What the progress callback receives after each step.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Steps done (1-based after the first step).
    pub step: usize,
    /// Steps the run will reach.
    pub total: usize,
    /// This step's training loss.
    pub loss: f32,
    /// Learning rate used for this step.
    pub lr: f64,
    /// Validation loss, when computed at this step.
    pub val_loss: Option<f32>,
}

/// Result of a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    /// Steps done in total (including resumed ones).
    pub step: usize,
    /// Loss of the last step run here (NaN if no step ran).
    pub last_loss: f32,
    /// Latest checkpoint.
    pub checkpoint: PathBuf,
    /// Best-validating weights ([`BEST_FILE`]) and their validation loss, when validation ran.
    pub best: Option<(PathBuf, f32)>,
    /// Stopped early because [`TrainOptions::time_limit`] ran out.
    pub timed_out: bool,
}

/// Learning rate at (0-based) step: linear warm-up to `lr`, then constant (appendix §2.1).
pub fn learning_rate(step: usize, lr: f64, warmup: usize) -> f64 {
    if warmup == 0 {
        lr
    } else {
        lr * ((step + 1) as f64 / warmup as f64).min(1.0)
    }
}

/// Trains the model on `data` on `device` (a plain device, e.g. `Device::flex()`; gradients
/// run on its autodiff form). `progress` is called after every step.
pub fn train(
    config: &Config,
    data: &mut impl BatchSource,
    opts: &TrainOptions,
    device: &Device,
    mut progress: impl FnMut(&Progress),
) -> Result<TrainSummary, ModelError> {
    config.model.validate()?;
    let tc = &config.train;
    if tc.batch_size == 0 {
        return Err(ModelError::Config("batch_size must be positive".into()));
    }
    let started = std::time::Instant::now();

    let ad = device.clone().autodiff();
    let devices = Devices {
        main: device,
        extra: &opts.extra_devices,
        replicas: std::iter::once(ad.clone())
            .chain(opts.extra_devices.iter().map(|d| d.clone().autodiff()))
            .collect(),
    };
    if devices.replicas.len() > tc.batch_size {
        return Err(ModelError::Config(format!(
            "{} devices for a batch of {}",
            devices.replicas.len(),
            tc.batch_size
        )));
    }
    let latest = opts.run_dir.join(CHECKPOINT_FILE);
    let mut state = resume::start(config, opts, &ad, device, &latest, opts.run_dir.join(METRICS_FILE))?;
    // config.toml and the log are written at the first save (metrics.rs): a refused resume, or a
    // run that fails before it saves, leaves the folder as it was.
    let mut files = Checkpoints::new(&opts.run_dir, config, opts.stage, state.step);
    let validation = if tc.val_every > 0 { data.validation()? } else { Vec::new() };
    let face = opts.face.as_ref();

    let mut last_loss = f32::NAN;
    let mut timed_out = false;
    while state.step < tc.steps {
        let lr = learning_rate(state.step, tc.lr, tc.warmup_steps);
        let batch =
            span("data: clips + batch upload", || step::draw_batch(&mut state.rng, data, config, &ad))?;
        let noise =
            span("data: noise draw", || step::draw_noise(&mut state.rng, tc.batch_size, config.model.frames));
        let log_terms = checkpoints::logs_terms(tc, state.step);
        let out = step::run(
            &state.model,
            &batch,
            (&noise.0, noise.1),
            log_terms,
            opts.stage,
            config,
            face,
            &devices,
        );
        if !out.loss.is_finite() {
            return Err(ModelError::Diverged { step: state.step + 1, loss: out.loss });
        }
        state.model = span("AdamW + clipping", || match out.grads {
            Grads::One(g) => state.optim.step(lr, state.model, g),
            Grads::Multi(g) => state.optim.step_multi(lr, state.model, g),
        });
        state.ema = span("EMA", || ema::ema_update(state.ema, &state.model, tc.ema_decay));
        state.step += 1;
        let step = state.step;
        last_loss = out.loss;
        timed_out = opts.time_limit.is_some_and(|t| started.elapsed() >= t) && step < tc.steps;

        let val_loss = if checkpoints::validates(tc, step, timed_out) {
            span("validation", || {
                step::validation_loss(&state.ema, &validation, opts.stage, config, face, device)
            })?
        } else {
            None
        };
        files.offer_best(&mut state, val_loss)?;
        if checkpoints::logs(tc, step, val_loss.is_some(), timed_out) {
            state.metrics.append(step, out.loss, lr, &out.named, val_loss)?;
        }
        progress(&Progress { step, total: tc.steps, loss: out.loss, lr, val_loss });
        span("checkpoints + log", || files.on_schedule(&state))?;
        if timed_out {
            break;
        }
    }
    files.finish(&state)?;
    let best = state.best.filter(|_| files.best.exists()).map(|v| (files.best.clone(), v));
    Ok(TrainSummary { step: state.step, last_loss, checkpoint: files.latest, best, timed_out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_is_linear_then_constant() {
        assert_eq!(learning_rate(0, 1e-4, 2000), 1e-4 / 2000.0);
        assert!((learning_rate(999, 1e-4, 2000) - 0.5e-4).abs() < 1e-12);
        assert_eq!(learning_rate(1999, 1e-4, 2000), 1e-4);
        assert_eq!(learning_rate(150_000, 1e-4, 2000), 1e-4);
        assert_eq!(learning_rate(0, 1e-4, 0), 1e-4);
    }
}
