//! `duologue train --config FILE --data DIR[:RATIO]... --out RUN`: trains the dual-stream model
//! (paper §3.4: stage 1 on conversations, stage 2 lip fine-tuning with `--stage 2 --init`;
//! `--ablate` for the rows of the paper's Table 3).

use anyhow::{Context, Result};
use duologue_model::losses::Stage;
use duologue_train::{Ablation, Event, Source, TrainJob};
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
    #[arg(long, value_parser = super::at_least_one)]
    pub steps: Option<usize>,
    /// Training stage: 1 (all terms) or 2 (lip-only fine-tuning on lip-reliable clips).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub stage: u8,
    /// Initialise from this checkpoint (stage 2 starts from stage 1's).
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint.
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Replace the run already in --out (its checkpoint, best weights and metrics).
    #[arg(long)]
    pub overwrite: bool,
    /// Batch size (overrides the config's `train.batch_size`).
    #[arg(long, value_parser = super::at_least_one)]
    pub batch: Option<usize>,
    /// Peak learning rate (overrides the config's `train.lr`; recorded in the run's config.toml),
    /// e.g. a lower one to continue from another run's weights with `--init`.
    #[arg(long, value_parser = super::learning_rate)]
    pub lr: Option<f64>,
    /// Memory bound: at most this many training windows held in memory.
    #[arg(long, default_value_t = 20_000, value_parser = super::at_least_one)]
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
    #[arg(long, value_parser = super::parse_duration)]
    pub time_limit: Option<std::time::Duration>,
    /// Paper Table 3 ablations, comma-separated: no-cross-attn (model.cross_attention = false),
    /// no-role (model.role_embedding = false), no-gaze (train.loss.gaze = 0), single-person
    /// (train on `duologue simulate --single` monologues with a still, silent partner). Edits
    /// the loaded config; recorded in the run's config.toml as train.ablations.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub ablate: Vec<Ablation>,
}

pub fn run(args: Args) -> Result<()> {
    let job = TrainJob {
        config: args.config,
        data: args.data,
        out: args.out,
        steps: args.steps,
        batch: args.batch,
        lr: args.lr,
        stage: if args.stage == 2 { Stage::Two } else { Stage::One },
        init: args.init,
        resume: args.resume,
        overwrite: args.overwrite,
        max_windows: args.max_windows,
        skip_bad: args.skip_bad,
        devices: super::devices(&args.device)?,
        time_limit: args.time_limit,
        ablations: args.ablate,
    };
    let loading = ProgressBar::new_spinner().with_message("reading datasets");
    let bar = ProgressBar::hidden();
    let style =
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps [{elapsed_precise}<{eta_precise}] {msg}")
            .context("progress template")?;
    let summary = duologue_train::run(&job, |event| match event {
        Event::Reading { dir, clips } => {
            loading.set_message(format!("reading {}: {clips} clips", dir.display()));
            loading.tick();
        }
        Event::Ready { config, windows, validation, skipped } => {
            loading.finish_and_clear();
            if !config.train.ablations.is_empty() {
                eprintln!("ablations: {}", config.train.ablations.join(", "));
            }
            let skipped = if skipped > 0 { format!(", {skipped} clips skipped") } else { String::new() };
            eprintln!("data: {windows:?} training windows, {validation} validation windows{skipped}");
            bar.set_length(config.train.steps as u64);
            bar.set_style(style.clone());
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        Event::Step(p) => {
            bar.set_position(p.step as u64);
            let val = p.val_loss.map(|v| format!(" val {v:.4}")).unwrap_or_default();
            bar.set_message(format!("loss {:.4}{val}", p.loss));
        }
    })?;
    bar.finish();
    println!(
        "trained to step {}{} (last loss {:.4}); checkpoint: {}; metrics: {}",
        summary.step,
        if summary.timed_out { " (time limit reached)" } else { "" },
        summary.last_loss,
        summary.checkpoint.display(),
        job.out.join("metrics.jsonl").display()
    );
    if let Some((path, val)) = &summary.best {
        println!("best validation loss {val:.4}: {}", path.display());
    }
    Ok(())
}
