//! One training run from its settings (paper §3.4): the configuration with the job's overrides
//! and ablations, the datasets read into windows, then the model's training loop.

use crate::ablation::{ablate, without_partner, Ablation};
use crate::{LoadOptions, ShardSource, Source, TrainDataError};
use duologue_model::burn::prelude::Device;
use duologue_model::losses::Stage;
use duologue_model::train::{train, Progress, TrainOptions, TrainSummary};
use duologue_model::Config;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything a training run needs besides its progress display.
#[derive(Debug, Clone)]
pub struct TrainJob {
    /// Model and training configuration (TOML).
    pub config: PathBuf,
    /// Datasets and their shares of each batch.
    pub data: Vec<Source>,
    /// Run folder.
    pub out: PathBuf,
    /// Steps to reach (overrides `train.steps`).
    pub steps: Option<usize>,
    /// Batch size (overrides `train.batch_size`).
    pub batch: Option<usize>,
    /// Peak learning rate (overrides `train.lr`).
    pub lr: Option<f64>,
    /// Stage 1 (all terms) or 2 (lip fine-tuning).
    pub stage: Stage,
    /// Checkpoint to initialise from.
    pub init: Option<PathBuf>,
    /// Continue the run in `out`.
    pub resume: bool,
    /// Replace a run already in `out` (without it, and without `resume`, that is an error).
    pub overwrite: bool,
    /// Memory bound on training windows.
    pub max_windows: usize,
    /// Skip unreadable shards and clips (counted).
    pub skip_bad: bool,
    /// Compute devices, the first the main one; more split each batch data-parallel.
    pub devices: Vec<Device>,
    /// Wall-clock budget.
    pub time_limit: Option<Duration>,
    /// Table 3 ablations.
    pub ablations: Vec<Ablation>,
}

/// What a run reports while it works.
#[derive(Debug)]
pub enum Event<'a> {
    /// Reading dataset `dir`: `clips` clips so far.
    Reading {
        /// The dataset.
        dir: &'a Path,
        /// Clips read so far.
        clips: usize,
    },
    /// Data is in memory; training starts.
    Ready {
        /// The configuration as trained (overrides and ablations applied).
        config: &'a Config,
        /// Training windows per dataset.
        windows: Vec<usize>,
        /// Validation windows.
        validation: usize,
        /// Clips skipped as unreadable.
        skipped: usize,
    },
    /// A step finished.
    Step(&'a Progress),
}

/// Refuses to start where a run would be lost or cannot continue: `--resume` needs the run's
/// checkpoint; a fresh run needs an empty (or new) folder unless `--overwrite` says otherwise.
fn check_run_folder(job: &TrainJob) -> Result<(), TrainDataError> {
    use duologue_model::train::{BEST_FILE, CHECKPOINT_FILE, METRICS_FILE};
    if job.resume {
        if !job.out.join(CHECKPOINT_FILE).is_file() {
            return Err(TrainDataError::NothingToResume {
                dir: job.out.clone(),
                file: CHECKPOINT_FILE.into(),
            });
        }
        return Ok(());
    }
    if job.overwrite {
        return Ok(());
    }
    match [CHECKPOINT_FILE, BEST_FILE, METRICS_FILE].into_iter().find(|f| job.out.join(f).exists()) {
        Some(file) => Err(TrainDataError::RunExists { dir: job.out.clone(), file: file.into() }),
        None => Ok(()),
    }
}

/// Runs `job`, reporting through `on`.
pub fn run(job: &TrainJob, mut on: impl FnMut(Event<'_>)) -> Result<TrainSummary, TrainDataError> {
    check_run_folder(job)?;
    let mut config = Config::load(&job.config)?;
    ablate(&mut config, &job.ablations);
    let single = job.ablations.contains(&Ablation::SinglePerson);
    if single {
        for src in &job.data {
            let ds = duologue_data::Dataset::open(&src.dir)
                .map_err(|e| TrainDataError::Data { dir: src.dir.clone(), source: e })?;
            let kind = &ds.manifest.header.source;
            if kind != "monologue" {
                return Err(TrainDataError::NotMonologue { dir: src.dir.clone(), kind: kind.clone() });
            }
        }
    }
    if let Some(steps) = job.steps {
        config.train.steps = steps;
    }
    if let Some(b) = job.batch {
        config.train.batch_size = b;
    }
    if let Some(lr) = job.lr {
        config.train.lr = lr;
    }
    let features = duologue_audio::extractor(&config.model.features)
        .map_err(|source| TrainDataError::Extractor { path: job.config.clone(), source })?;
    if features.dim() != config.model.audio_dim {
        return Err(TrainDataError::FeatureDim {
            path: job.config.clone(),
            name: config.model.features.clone(),
            model: config.model.audio_dim,
            ours: features.dim(),
        });
    }
    if config.train.source_ratios.is_empty() {
        config.train.source_ratios = job.data.iter().map(|s| s.ratio).collect();
    }
    let opts = LoadOptions {
        frames: config.model.frames,
        max_windows: job.max_windows,
        skip_bad: job.skip_bad,
        ..LoadOptions::default()
    };
    let mut source = ShardSource::load(&job.data, features.as_ref(), &opts, |i, n| {
        on(Event::Reading { dir: &job.data[i].dir, clips: n })
    })?;
    if single {
        let s = &mut source.source;
        s.sources.iter_mut().flatten().chain(s.validation.iter_mut()).for_each(without_partner);
    }
    on(Event::Ready {
        config: &config,
        windows: source.windows(),
        validation: source.validation_windows(),
        skipped: source.skipped,
    });
    let (device, extra) = match job.devices.split_first() {
        Some((d, rest)) => (d.clone(), rest.to_vec()),
        None => (Device::flex(), Vec::new()),
    };
    let mut opts = TrainOptions::new(&job.out, job.stage, &config)?;
    opts.resume = job.resume;
    opts.init_from = job.init.clone();
    // Data parallelism: the batch is split across the main device and these (burn fork + step).
    opts.extra_devices = extra;
    opts.time_limit = job.time_limit;
    Ok(train(&config, &mut source.source, &opts, &device, |p| on(Event::Step(p)))?)
}
