//! `duologue train --config FILE --data DIR[:RATIO]... --out RUN`: trains the dual-stream model
//! (paper §3.4: stage 1 on conversations, stage 2 lip fine-tuning with `--stage 2 --init`;
//! `--ablate` for the rows of the paper's Table 3).

use anyhow::{bail, Context, Result};
use duologue_audio::{LogMel, LogMelConfig};
use duologue_model::config::Config;
use duologue_model::losses::Stage;
use duologue_model::train::{train, TrainOptions};
use duologue_train::{LoadOptions, ShardSource, Source};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

/// Arguments of `duologue train`.
#[derive(clap::Args)]
pub struct Args {
    /// Model and training configuration (e.g. configs/cpu.toml).
    #[arg(long)]
    pub config: PathBuf,
    /// Dataset folder written by `duologue simulate` / `duologue dub`, optionally `DIR:RATIO`
    /// to set its share of each batch; repeat for several sources.
    #[arg(long = "data", required = true, value_parser = Source::parse)]
    pub data: Vec<Source>,
    /// Run folder: checkpoint, metrics.jsonl, config copy (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Optimiser steps to reach (overrides the config's `train.steps`).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Training stage: 1 (all terms) or 2 (lip-only fine-tuning on lip-reliable clips).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub stage: u8,
    /// Initialise from this checkpoint (stage 2 starts from stage 1's).
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Batch size (overrides the config's `train.batch_size`).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Memory bound: at most this many training windows held in memory.
    #[arg(long, default_value_t = 20_000)]
    pub max_windows: usize,
    /// Skip unreadable shards/clips (counted) instead of stopping.
    #[arg(long)]
    pub skip_bad: bool,
    /// Compute device(s): flex (CPU, default); in builds with `--features cuda` / `wgpu`,
    /// `cuda`, `cuda:1`, `wgpu`...; a comma-separated list trains data-parallel across them,
    /// e.g. `cuda:0,cuda:1,cuda:2,cuda:3`.
    #[arg(long, default_value = "flex")]
    pub device: String,
    /// Wall-clock budget, e.g. `300s`, `45m`, `2h` (plain numbers are seconds): the run stops
    /// after the step that crosses it, validates and checkpoints; `--resume` continues it.
    #[arg(long, value_parser = parse_duration)]
    pub time_limit: Option<std::time::Duration>,
    /// Paper Table 3 ablations, comma-separated: no-cross-attn (model.cross_attention = false),
    /// no-role (model.role_embedding = false), no-gaze (train.loss.gaze = 0), single-person
    /// (train on `duologue simulate --single` monologues with a still, silent partner). Edits
    /// the loaded config; recorded in the run's config.toml as train.ablations.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub ablate: Vec<Ablation>,
}

/// One row of the paper's Table 3 (w/o 2nd stage is a procedure: skip `--stage 2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Ablation {
    /// "w/o Cross-Attn": the two streams never exchange features.
    NoCrossAttn,
    /// "w/o Speaker Emb.": no role embeddings and no masks in the conditioning.
    NoRole,
    /// "w/o Gaze Loss": the gaze term is left out of the loss.
    NoGaze,
    /// "Single-Person Only": single-speaker data, no listener behaviour to learn from.
    SinglePerson,
}

impl Ablation {
    /// The flag's spelling, as recorded in config.toml.
    pub fn name(self) -> &'static str {
        match self {
            Ablation::NoCrossAttn => "no-cross-attn",
            Ablation::NoRole => "no-role",
            Ablation::NoGaze => "no-gaze",
            Ablation::SinglePerson => "single-person",
        }
    }
}

/// Applies the config-level ablations and records all of them in `train.ablations`.
pub fn ablate(config: &mut Config, ablations: &[Ablation]) {
    let mut list = ablations.to_vec();
    list.sort();
    list.dedup();
    for a in &list {
        match a {
            Ablation::NoCrossAttn => config.model.cross_attention = false,
            Ablation::NoRole => config.model.role_embedding = false,
            Ablation::NoGaze => config.train.loss.gaze = 0.0,
            // Acts on the data (see `without_partner`).
            Ablation::SinglePerson => {}
        }
    }
    config.train.ablations = list.iter().map(|a| a.name().to_string()).collect();
}

/// A monologue window as single-person training data: B, the virtual listener of
/// `duologue simulate --single`, is simulated idle listening that the paper's single-person
/// corpus would not have. The partner stream becomes a still, silent, neutral head at its
/// place (identity and t0 kept), so nothing teaches listener behaviour (paper Table 3:
/// "provides no guidance for listener behavior") while the dual-stream network and losses
/// stay unchanged.
pub fn without_partner(clip: &mut duologue_model::Clip) {
    clip.x_b.fill(0.0);
    clip.m_b.fill(0.0);
}

/// `300`, `300s`, `45m`, `2h`, `1.5h` -> a duration.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t, 's'),
    };
    let factor = match unit {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in {text:?} (use s, m or h)")),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(std::time::Duration::from_secs_f64(v * factor)),
        _ => Err(format!("{text:?} is not a positive duration such as 300s, 45m or 2h")),
    }
}

pub fn run(args: Args) -> Result<()> {
    let mut config = Config::load(&args.config)?;
    ablate(&mut config, &args.ablate);
    let single = args.ablate.contains(&Ablation::SinglePerson);
    if single {
        for src in &args.data {
            let ds = duologue_data::Dataset::open(&src.dir)?;
            let kind = &ds.manifest.header.source;
            if kind != "monologue" {
                bail!(
                    "--ablate single-person trains on single-speaker monologues (`duologue simulate --single`); {} holds '{kind}' clips",
                    src.dir.display()
                );
            }
        }
    }
    if let Some(steps) = args.steps {
        config.train.steps = steps;
    }
    if let Some(b) = args.batch {
        config.train.batch_size = b;
    }
    let mut devices = super::devices(&args.device)?;
    let device = devices.remove(0);
    let features = LogMel::new(LogMelConfig::default());
    if features.dim() != config.model.audio_dim {
        bail!(
            "{}: model.audio_dim is {} but the log-mel front-end gives {}",
            args.config.display(),
            config.model.audio_dim,
            features.dim()
        );
    }
    if config.train.source_ratios.is_empty() {
        config.train.source_ratios = args.data.iter().map(|s| s.ratio).collect();
    }

    let opts = LoadOptions {
        frames: config.model.frames,
        max_windows: args.max_windows,
        skip_bad: args.skip_bad,
        ..LoadOptions::default()
    };
    let loading = ProgressBar::new_spinner().with_message("reading datasets");
    let mut source = ShardSource::load(&args.data, &features, &opts, |i, n| {
        loading.set_message(format!("reading {}: {n} clips", args.data[i].dir.display()));
        loading.tick();
    })?;
    loading.finish_and_clear();
    if single {
        let s = &mut source.source;
        s.sources.iter_mut().flatten().chain(s.validation.iter_mut()).for_each(without_partner);
    }
    if !config.train.ablations.is_empty() {
        eprintln!("ablations: {}", config.train.ablations.join(", "));
    }
    eprintln!(
        "data: {:?} training windows, {} validation windows{}",
        source.windows(),
        source.validation_windows(),
        if source.skipped > 0 { format!(", {} clips skipped", source.skipped) } else { String::new() }
    );

    let stage = if args.stage == 2 { Stage::Two } else { Stage::One };
    let mut opts = TrainOptions::new(&args.out, stage, &config)?;
    opts.resume = args.resume;
    opts.init_from = args.init.clone();
    // Data parallelism: the batch is split across the main device and these (burn fork + step).
    opts.extra_devices = devices;
    opts.time_limit = args.time_limit;
    let bar = ProgressBar::new(config.train.steps as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps [{elapsed_precise}<{eta_precise}] {msg}")
            .context("progress template")?,
    );
    let summary = train(&config, &mut source.source, &opts, &device, |p| {
        bar.set_position(p.step as u64);
        let val = p.val_loss.map(|v| format!(" val {v:.4}")).unwrap_or_default();
        bar.set_message(format!("loss {:.4}{val}", p.loss));
    })?;
    bar.finish();
    println!(
        "trained to step {}{} (last loss {:.4}); checkpoint: {}; metrics: {}",
        summary.step,
        if summary.timed_out { " (time limit reached)" } else { "" },
        summary.last_loss,
        summary.checkpoint.display(),
        args.out.join("metrics.jsonl").display()
    );
    if let Some((path, val)) = &summary.best {
        println!("best validation loss {val:.4}: {}", path.display());
    }
    Ok(())
}
