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

use std::io::Write as _;
use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer, MultiGradientsParams};
use burn::prelude::*;
use duologue_params::X_DIM;

use crate::checkpoint::{self, Checkpoint, CheckpointMeta, Weights};
use crate::config::Config;
use crate::data::{make_batch, Batch, BatchSource, Clip};
use crate::diffusion::{add_noise, Rng};
use crate::losses::{losses, FaceGeometry, LossTerms, Stage};
use crate::network::DuoNet;
use crate::ModelError;

/// File name of the latest checkpoint inside the run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";
/// File name of the metrics log inside the run folder.
pub const METRICS_FILE: &str = "metrics.jsonl";
/// File name of the best-validating weights inside the run folder: the EMA weights (stored as
/// the model's, no optimiser state) at the step with the lowest validation loss so far: an
/// inference checkpoint for [`crate::Generator::load`], small enough to ship.
pub const BEST_FILE: &str = "best.safetensors";

/// How to run [`train`] (everything that is not a hyper-parameter).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Run folder: checkpoint, metrics log, a copy of the config. Created if absent.
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

/// Picks a source index by ratio (`ratios` empty: uniform over non-empty sources).
fn pick_source(rng: &mut Rng, ratios: &[f64], data: &impl BatchSource) -> Result<usize, ModelError> {
    let n = data.num_sources();
    let w: Vec<f64> = (0..n)
        .map(|s| {
            if data.is_empty(s) {
                0.0
            } else {
                ratios.get(s).copied().unwrap_or(if ratios.is_empty() { 1.0 } else { 0.0 })
            }
        })
        .collect();
    let total: f64 = w.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return Err(ModelError::Data("no data source with clips and a positive ratio".into()));
    }
    let mut u = rng.uniform() * total;
    for (s, wi) in w.iter().enumerate() {
        if u < *wi {
            return Ok(s);
        }
        u -= wi;
    }
    Ok(w.iter().rposition(|&x| x > 0.0).unwrap_or(0))
}

/// Current parameters, flattened, on their (plain) device, in visiting order.
struct Flatten(Vec<Tensor<1>>);

impl burn::module::ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let n = t.shape().num_elements();
        self.0.push(t.reshape([n]));
    }
}

/// EMA update `ema = d ema + (1 - d) current`, matched by visiting order (same architecture);
/// stays on the device (no host round trip).
struct EmaUpdate {
    current: std::vec::IntoIter<Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for EmaUpdate {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(cur) = self.current.next() else { return param };
        let d = self.decay;
        param.map(|e| {
            let c = cur.reshape(e.dims());
            e * d + c * (1.0 - d)
        })
    }
}

fn ema_update(ema: DuoNet, model: &DuoNet, decay: f64) -> DuoNet {
    let mut cur = Flatten(Vec::new());
    model.valid().visit(&mut cur);
    ema.map(&mut EmaUpdate { current: cur.0.into_iter(), decay })
}

/// One diffusion training loss: noise both people at per-clip times, predict x0, score.
fn step_loss(
    model: &DuoNet,
    batch: &Batch,
    (times, eps): (&[f64], (Vec<f32>, Vec<f32>)),
    stage: Stage,
    config: &Config,
    face: Option<&FaceGeometry>,
    device: &Device,
) -> LossTerms {
    let [b, l, _] = batch.z_a.dims();
    let e = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [b, l, X_DIM]), device);
    let zt_a = add_noise(batch.z_a.clone(), e(eps.0), times);
    let zt_b = add_noise(batch.z_b.clone(), e(eps.1), times);
    let t = Tensor::<1>::from_data(
        TensorData::new(times.iter().map(|&t| t as f32).collect::<Vec<_>>(), [b]),
        device,
    );
    let (ha, hb) = model.forward(zt_a, zt_b, t, &batch.cond);
    losses(ha, hb, batch, stage, &config.train.loss, config.model.scale, face)
}

/// Draws the random parts of one step: times and noise (A then B).
fn draw_noise(rng: &mut Rng, b: usize, l: usize) -> (Vec<f64>, (Vec<f32>, Vec<f32>)) {
    let times: Vec<f64> = (0..b).map(|_| rng.uniform()).collect();
    let ea = rng.normals(b * l * X_DIM);
    let eb = rng.normals(b * l * X_DIM);
    (times, (ea, eb))
}

/// Validation loss of `model` over `clips` (fixed noise, so values compare across steps).
fn validation_loss(
    model: &DuoNet,
    clips: &[Clip],
    stage: Stage,
    config: &Config,
    face: Option<&FaceGeometry>,
    device: &Device,
) -> Result<Option<f32>, ModelError> {
    if clips.is_empty() {
        return Ok(None);
    }
    let mut rng = Rng::new(config.train.seed ^ 0x5EED_F00D);
    let (mut sum, mut n) = (0.0f64, 0usize);
    for chunk in clips.chunks(config.train.batch_size.max(1)) {
        let batch = make_batch(chunk, &vec![false; chunk.len()], &config.model, device)?;
        let (times, eps) = draw_noise(&mut rng, chunk.len(), config.model.frames);
        let t = step_loss(model, &batch, (&times, eps), stage, config, face, device);
        sum += t.total.into_scalar::<f32>() as f64 * chunk.len() as f64;
        n += chunk.len();
    }
    Ok(Some((sum / n as f64) as f32))
}

/// Keeps only the metrics rows up to `step` (a resumed run rewrites what came after) and
/// returns the lowest validation loss among the kept rows.
fn trim_metrics(path: &Path, step: usize) -> Result<Option<f32>, ModelError> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(None) };
    let mut best: Option<f32> = None;
    let kept: String = text
        .lines()
        .filter(|line| {
            let row = serde_json::from_str::<serde_json::Value>(line).ok();
            let keep = row
                .as_ref()
                .and_then(|v| v.get("step").and_then(|s| s.as_u64()))
                .is_some_and(|s| s as usize <= step);
            if let Some(v) = row.as_ref().and_then(|v| v.get("val_loss")).and_then(|v| v.as_f64()) {
                if keep && best.is_none_or(|b| (v as f32) < b) {
                    best = Some(v as f32);
                }
            }
            keep
        })
        .map(|l| format!("{l}\n"))
        .collect();
    checkpoint::write_atomic(path, kept.as_bytes())?;
    Ok(best)
}

/// Gradients of one step, from one device or several.
enum Grads {
    One(GradientsParams),
    Multi(MultiGradientsParams),
}

/// `(start, len)` of `parts` contiguous, nearly equal parts of `n` items.
fn split(n: usize, parts: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 0..parts {
        let len = n / parts + usize::from(k < n % parts);
        out.push((start, len));
        start += len;
    }
    out
}

/// Named term values, multiplied by `share` (host scalars, for the log).
fn scalars(terms: &LossTerms, share: f32) -> Vec<(&'static str, f32)> {
    terms.terms.iter().map(|(n, t)| (*n, t.clone().into_scalar::<f32>() * share)).collect()
}

fn add_scalars(acc: &mut Vec<(&'static str, f32)>, more: Vec<(&'static str, f32)>) {
    for (n, v) in more {
        match acc.iter_mut().find(|(m, _)| *m == n) {
            Some((_, a)) => *a += v,
            None => acc.push((n, v)),
        }
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
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ModelError::Io { path, source }
    };
    std::fs::create_dir_all(&opts.run_dir).map_err(io(&opts.run_dir))?;
    let ckpt_path = opts.run_dir.join(CHECKPOINT_FILE);
    let best_path = opts.run_dir.join(BEST_FILE);
    let started = std::time::Instant::now();
    let mut best: Option<f32> = None;
    let metrics_path = opts.run_dir.join(METRICS_FILE);
    checkpoint::write_atomic(&opts.run_dir.join("config.toml"), config.to_toml()?.as_bytes())?;

    let ad = device.clone().autodiff();
    let replicas: Vec<Device> =
        std::iter::once(ad.clone()).chain(opts.extra_devices.iter().map(|d| d.clone().autodiff())).collect();
    if replicas.len() > tc.batch_size {
        return Err(ModelError::Config(format!(
            "{} devices for a batch of {}",
            replicas.len(),
            tc.batch_size
        )));
    }
    device.seed(tc.seed);
    let mut model = DuoNet::new(&config.model, &ad);
    let mut ema = model.valid();
    let mut optim: ModuleOptimizer = AdamWConfig::new()
        .with_weight_decay(tc.weight_decay)
        .with_grad_clipping((tc.grad_clip > 0.0).then_some(GradientClippingConfig::Norm(tc.grad_clip)))
        .init();
    let mut rng = Rng::new(tc.seed);
    let mut step = 0usize;

    if opts.resume && ckpt_path.exists() {
        let ck = Checkpoint::read(&ckpt_path)?;
        if ck.meta.config.model != config.model {
            return Err(ModelError::Config(format!(
                "{} was trained with another model config",
                ckpt_path.display()
            )));
        }
        model = ck.load_into(model, Weights::Model, true)?;
        ema = ck.load_into(ema, Weights::Ema, false)?;
        if let Some(bytes) = &ck.optimizer {
            optim = optim
                .from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.clone()))
                .map_err(|e| ModelError::Checkpoint { path: ckpt_path.clone(), reason: format!("{e:?}") })?;
        }
        rng = Rng::from_state(ck.meta.rng);
        step = ck.meta.step;
        best = trim_metrics(&metrics_path, step)?;
    } else {
        if let Some(init) = &opts.init_from {
            let ck = Checkpoint::read(init)?;
            if ck.meta.config.model != config.model {
                return Err(ModelError::Config(format!("{} has another model config", init.display())));
            }
            model = ck.load_into(model, Weights::Model, false)?;
            ema = ck.load_into(ema, Weights::Ema, false)?;
        }
        // A fresh run starts a fresh log.
        checkpoint::write_atomic(&metrics_path, b"")?;
    }

    let validation = if tc.val_every > 0 { data.validation()? } else { Vec::new() };
    let face = opts.face.as_ref();
    let save = |model: &DuoNet, ema: &DuoNet, optim: &ModuleOptimizer, step: usize, rng: &Rng| {
        let bytes = optim
            .into_bytes()
            .map_err(|e| ModelError::Checkpoint { path: ckpt_path.clone(), reason: format!("{e:?}") })?;
        let meta = CheckpointMeta { config: config.clone(), step, stage: opts.stage, rng: rng.state() };
        checkpoint::save(&ckpt_path, model, Some(ema), Some(&bytes), &meta)
    };

    let mut last_loss = f32::NAN;
    let mut saved_at = step;
    let mut timed_out = false;
    while step < tc.steps {
        let lr = learning_rate(step, tc.lr, tc.warmup_steps);
        let mut clips = Vec::with_capacity(tc.batch_size);
        let mut drop = Vec::with_capacity(tc.batch_size);
        for _ in 0..tc.batch_size {
            let s = pick_source(&mut rng, &tc.source_ratios, data)?;
            let i = rng.below(data.len(s));
            clips.push(data.clip(s, i)?);
            drop.push(rng.uniform() < tc.cond_drop);
        }
        let batch = make_batch(&clips, &drop, &config.model, &ad)?;
        let (times, eps) = draw_noise(&mut rng, tc.batch_size, config.model.frames);
        let log_now = step + 1 == tc.steps
            || (step + 1) % tc.log_every.max(1) == 0
            || (tc.val_every > 0 && (step + 1) % tc.val_every == 0);
        let b = tc.batch_size;
        let (loss, named, grads) = if replicas.len() == 1 {
            let terms = step_loss(&model, &batch, (&times, eps), opts.stage, config, face, &ad);
            let named = if log_now { scalars(&terms, 1.0) } else { Vec::new() };
            let loss = terms.total.clone().into_scalar::<f32>();
            (loss, named, Grads::One(GradientsParams::from_grads(terms.total.backward(), &model)))
        } else {
            let per = X_DIM * config.model.frames;
            let (mut loss, mut named, mut multi) = (0.0f32, Vec::new(), MultiGradientsParams::default());
            for (k, (start, len)) in split(b, replicas.len()).into_iter().enumerate() {
                let dev = &replicas[k];
                let m = if k == 0 { model.clone() } else { model.clone().fork(dev) };
                let part = batch.slice(start, len, dev);
                let e = (
                    eps.0[start * per..(start + len) * per].to_vec(),
                    eps.1[start * per..(start + len) * per].to_vec(),
                );
                let terms =
                    step_loss(&m, &part, (&times[start..start + len], e), opts.stage, config, face, dev);
                let share = len as f32 / b as f32;
                if log_now {
                    add_scalars(&mut named, scalars(&terms, share));
                }
                let total = terms.total * share;
                loss += total.clone().into_scalar::<f32>();
                let base = if k == 0 { device.clone() } else { opts.extra_devices[k - 1].clone() };
                multi.grads.push((GradientsParams::from_grads(total.backward(), &m), base));
            }
            (loss, named, Grads::Multi(multi))
        };
        if !loss.is_finite() {
            return Err(ModelError::Diverged { step: step + 1, loss });
        }
        model = match grads {
            Grads::One(g) => optim.step(lr, model, g),
            Grads::Multi(g) => optim.step_multi(lr, model, g),
        };
        ema = ema_update(ema, &model, tc.ema_decay);
        step += 1;
        last_loss = loss;
        timed_out = opts.time_limit.is_some_and(|t| started.elapsed() >= t) && step < tc.steps;

        let val_loss = if tc.val_every > 0 && (step % tc.val_every == 0 || step == tc.steps || timed_out) {
            validation_loss(&ema, &validation, opts.stage, config, face, device)?
        } else {
            None
        };
        if let Some(v) = val_loss.filter(|v| v.is_finite() && best.is_none_or(|b| *v < b)) {
            best = Some(v);
            let meta = CheckpointMeta { config: config.clone(), step, stage: opts.stage, rng: rng.state() };
            checkpoint::save(&best_path, &ema, None, None, &meta)?;
        }
        if step % tc.log_every.max(1) == 0 || val_loss.is_some() || step == tc.steps || timed_out {
            let mut row = serde_json::Map::new();
            row.insert("step".into(), step.into());
            row.insert("loss".into(), (loss as f64).into());
            row.insert("lr".into(), lr.into());
            for (name, v) in &named {
                row.insert((*name).into(), (*v as f64).into());
            }
            if let Some(v) = val_loss {
                row.insert("val_loss".into(), (v as f64).into());
            }
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&metrics_path)
                .map_err(io(&metrics_path))?;
            writeln!(f, "{}", serde_json::Value::Object(row)).map_err(io(&metrics_path))?;
        }
        progress(&Progress { step, total: tc.steps, loss, lr, val_loss });
        if tc.checkpoint_every > 0 && step % tc.checkpoint_every == 0 {
            save(&model, &ema, &optim, step, &rng)?;
            saved_at = step;
        }
        if timed_out {
            break;
        }
    }
    if saved_at != step || !ckpt_path.exists() {
        save(&model, &ema, &optim, step, &rng)?;
    }
    let best = best.filter(|_| best_path.exists()).map(|v| (best_path, v));
    Ok(TrainSummary { step, last_loss, checkpoint: ckpt_path, best, timed_out })
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

    #[test]
    fn batches_split_into_near_equal_parts() {
        assert_eq!(split(7, 3), vec![(0, 3), (3, 2), (5, 2)]);
        assert_eq!(split(4, 1), vec![(0, 4)]);
    }

    #[test]
    fn sources_are_mixed_by_ratio() {
        let c = crate::data::Clip {
            x_a: vec![],
            x_b: vec![],
            beta_a: vec![],
            beta_b: vec![],
            t0_a: [0.0; 3],
            t0_b: [0.0; 3],
            m_a: vec![],
            m_b: vec![],
            audio: vec![],
            lip_reliable: false,
            gaze_reliable: false,
        };
        let data = crate::data::VecSource {
            sources: vec![vec![c.clone()], vec![c.clone()], vec![]],
            validation: vec![],
        };
        let mut rng = Rng::new(0);
        let mut counts = [0usize; 3];
        for _ in 0..4000 {
            counts[pick_source(&mut rng, &[3.0, 1.0, 5.0], &data).expect("source")] += 1;
        }
        assert_eq!(counts[2], 0, "an empty source is never drawn");
        let share = counts[0] as f64 / 4000.0;
        assert!((share - 0.75).abs() < 0.03, "share of source 0: {share}");
        assert!(pick_source(&mut rng, &[0.0, 0.0], &data).is_err());
    }
}
