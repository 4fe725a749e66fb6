//! `duologue eval`: the paper's metrics (§4.2–4.3, appendix §3.1 and §3.3; DESIGN §8).
//!
//! Two modes:
//! - `--pred P.npz --gt G.npz [--json]`: one predicted result against its ground truth
//!   ([`duologue_eval::PairReport`]).
//! - `--model CKPT --data DATASET [--split test] [--clips N] [--baselines ...]`: a checkpoint on
//!   a dataset's held-out split with the paper's non-learned baselines, aggregated over clips
//!   into a table, `eval.json` and `eval.md` ([`duologue_harness::dataset`]).

use crate::ui::steps_bar;
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use duologue_eval::PairReport;
use duologue_face::FaceModel;
use duologue_harness::dataset::{evaluate, Baseline, EvalJob, Event};
use duologue_params::Duo;
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};

/// Arguments of `duologue eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Predicted result (.npz, e.g. from `duologue generate`); with --gt.
    #[arg(long, requires = "gt", required_unless_present = "model", conflicts_with_all = ["model", "data"])]
    pub pred: Option<PathBuf>,
    /// Ground-truth result of the same clip (.npz, e.g. `duologue data extract`); with --pred.
    #[arg(long, requires = "pred")]
    pub gt: Option<PathBuf>,
    /// Checkpoint to evaluate on a dataset (.safetensors from `duologue train`); with --data.
    #[arg(long, requires = "data")]
    pub model: Option<PathBuf>,
    /// Dataset folder (manifest + shards, from `duologue simulate` or `dub`); with --model.
    #[arg(long, requires = "model")]
    pub data: Option<PathBuf>,
    /// Split of --data to evaluate on.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Evaluate only the first N clips of the split (file order).
    #[arg(long, value_parser = super::at_least_one)]
    pub clips: Option<usize>,
    /// Baselines, comma-separated: mean, listen-r, listen-a, listen-m, independent (or none).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "mean,listen-r,listen-a,listen-m,independent",
        value_parser = baseline_or_none
    )]
    pub baselines: Vec<Option<Baseline>>,
    /// Dataset whose training split the mean / retrieval baselines draw from (default: --data).
    #[arg(long)]
    pub train_data: Option<PathBuf>,
    /// Split of the training dataset the baselines draw from.
    #[arg(long, default_value = "train")]
    pub train_split: String,
    /// Memory bound: at most this many training windows are read for the baselines (each
    /// costs about `frames * 2 * 78` floats, 156 KB for 250 frames).
    #[arg(long, default_value_t = 2000, value_parser = super::at_least_one)]
    pub max_train_windows: usize,
    /// Length in frames of the training windows the retrieval baselines draw from (default: the
    /// first test clip's length, at most max(model window, 250)).
    #[arg(long, value_parser = super::at_least_one)]
    pub retrieval_frames: Option<usize>,
    /// Seed of the model's noise and of Listen-R's draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// DDIM steps (default: the checkpoint config's).
    #[arg(long, value_parser = super::ddim_steps)]
    pub steps: Option<usize>,
    /// Classifier-free guidance weight (default: the checkpoint config's).
    #[arg(long, value_parser = super::guidance)]
    pub guidance: Option<f32>,
    /// Apply guidance only at diffusion times LO,HI (1 = pure noise, 0 = clean; elsewhere the
    /// conditional prediction alone), e.g. `0.3,1` (default: the checkpoint config's, 0,1)
    #[arg(long, value_parser = super::unit_interval, value_name = "LO,HI")]
    pub guidance_interval: Option<[f32; 2]>,
    /// DDIM's eta in [0, 1]: 0 the deterministic sampler (the paper's), 1 the ancestral step
    /// that adds fresh noise at each step (default: the checkpoint config's, 0)
    #[arg(long, value_parser = super::fraction)]
    pub eta: Option<f32>,
    /// Skip the vertex metrics (vMSE, lip vertex errors), the slowest part.
    #[arg(long)]
    pub no_vertices: bool,
    /// Output folder for eval.json and eval.md (default: ./eval-<dataset name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Device for the model: flex (CPU), or cuda[:N] / wgpu[:N] in builds with those features.
    #[arg(long, default_value = "flex")]
    pub device: String,
    /// Clip (key) whose per-frame curves are drawn as SVG into the output folder: mouth opening
    /// against audio energy, gaze angle to the partner, masks; the model solid, the ground
    /// truth dashed. Default: the first clip evaluated.
    #[arg(long)]
    pub plot_clip: Option<String>,
    /// Also write the model's result for each clip as `predictions/KEY.npz` in the output
    /// folder (the clip's ground-truth masks, t0 and identities with the sampled motion), for
    /// `duologue plot`, `export` or your own analysis.
    #[arg(long)]
    pub save_predictions: bool,
    /// Print the raw values as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A `--baselines` item: a baseline's name, or `none`.
fn baseline_or_none(text: &str) -> Result<Option<Baseline>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    Baseline::from_str(t, true).map(Some).map_err(|_| {
        let known: Vec<&str> = Baseline::ALL.iter().map(|b| b.name()).collect();
        format!("unknown baseline '{t}' (known: {}, none)", known.join(", "))
    })
}

pub fn run(args: Args) -> Result<()> {
    match (&args.pred, &args.gt, &args.model, &args.data) {
        (Some(pred), Some(gt), None, None) => run_pair(pred, gt, args.json),
        (None, None, Some(_), Some(_)) => run_dataset(args),
        _ => bail!("give either --pred and --gt, or --model and --data"),
    }
}

/// `--pred P --gt G`: one result against its ground truth.
fn run_pair(pred_path: &Path, gt_path: &Path, json: bool) -> Result<()> {
    let pred = Duo::read(pred_path)?;
    let gt = Duo::read(gt_path)?;
    let (p, g) = (pred_path.display().to_string(), gt_path.display().to_string());
    let report =
        PairReport::compute(&pred, &gt, FaceModel::shared()).with_context(|| format!("{p} vs {g}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json(&p, &g))?);
    } else {
        print!("{}", report.to_text(&p, &g));
    }
    Ok(())
}

/// `--model CKPT --data DIR`: the checkpoint and the baselines on a dataset split.
fn run_dataset(args: Args) -> Result<()> {
    let (Some(model), Some(data)) = (args.model, args.data) else {
        bail!("give --model and --data together");
    };
    let name = data.file_name().map_or("dataset".into(), |s| s.to_string_lossy().into_owned());
    let job = EvalJob {
        out: args.out.unwrap_or_else(|| PathBuf::from(format!("eval-{name}"))),
        model,
        data,
        split: args.split,
        clips: args.clips,
        baselines: args.baselines.into_iter().flatten().collect(),
        train_data: args.train_data,
        train_split: args.train_split,
        max_train_windows: args.max_train_windows,
        retrieval_frames: args.retrieval_frames,
        seed: args.seed,
        steps: args.steps,
        guidance: args.guidance,
        guidance_interval: args.guidance_interval,
        eta: args.eta,
        no_vertices: args.no_vertices,
        plot_clip: args.plot_clip,
        save_predictions: args.save_predictions,
        device: super::devices(&args.device)?.remove(0),
    };
    let spinner = ProgressBar::new_spinner();
    let bar = steps_bar(0, "clips");
    let report = evaluate(&job, &mut |event| match event {
        Event::Library { dir, windows } => {
            spinner.set_message(format!("reading {}: {windows} windows", dir.display()));
            spinner.tick();
        }
        Event::Clip { done, total, key } => {
            spinner.finish_and_clear();
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(key.to_string());
        }
    })?;
    spinner.finish_and_clear();
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.json)?);
    } else {
        print!("{}", report.markdown);
        println!("\nwrote {} and {}", report.json_path.display(), report.markdown_path.display());
    }
    Ok(())
}
