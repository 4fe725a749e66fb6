//! `duologue generate AUDIO [--layout TEXT | --positions .. | --preset ..] [--tracks A B |
//! --stereo] [--model CKPT] --out DIR`: the whole pipeline (DESIGN.md §1–3, §5, §6) as
//! [`duologue_pipeline::execute`] runs it: masks, layout (paper §3.5), the diffusion model window
//! by window, AUDIO_STEM.npz and the exports. Without --model the embedded default model runs.

use super::OutputArgs;
use crate::ui::{report, run_job};
use anyhow::{bail, Context, Result};
use duologue_layout::LlmClient;
use duologue_pipeline::{AudioInput, GenerateOptions, Job, LayoutSpec, DEFAULT_MAX_MINUTES};
use std::path::PathBuf;

/// Arguments of `duologue generate`.
#[derive(clap::Args)]
pub struct Args {
    /// The conversation recording (wav/flac/mp3/ogg/m4a, any rate and channel count). Not
    /// needed with --tracks.
    #[arg(required_unless_present = "tracks")]
    pub audio: Option<PathBuf>,
    /// Each person's own recording, A's then B's (results are named after A's file); the
    /// preview MP4 carries both, mixed.
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with_all = ["audio", "stereo", "track_b"])]
    pub tracks: Option<Vec<PathBuf>>,
    /// B's own track, AUDIO being A's (older spelling of --tracks AUDIO B).
    #[arg(long, hide = true, conflicts_with = "stereo")]
    pub track_b: Option<PathBuf>,
    /// AUDIO's first channel is A, its second B.
    #[arg(long)]
    pub stereo: bool,
    /// Model checkpoint (from `duologue train`: best.safetensors or checkpoint.safetensors).
    /// Default: the model built into this binary.
    #[arg(long, value_name = "CKPT")]
    pub model: Option<PathBuf>,
    /// Scene description for the layout (offline kNN, or the LLM when configured).
    #[arg(long, conflicts_with_all = ["positions", "preset"])]
    pub layout: Option<String>,
    /// Explicit positions "A=x,y,z;B=x,y,z" (metres).
    #[arg(long, conflicts_with = "preset")]
    pub positions: Option<String>,
    /// A named layout preset (`duologue layout --list-presets`).
    #[arg(long)]
    pub preset: Option<String>,
    #[command(flatten)]
    pub llm: super::LlmArgs,
    /// DDIM steps (default: the model's config, 8 as in the paper).
    #[arg(long, value_parser = super::ddim_steps)]
    pub steps: Option<usize>,
    /// Guidance weight (default: the model's config, 2.5 as in the paper).
    #[arg(long, value_parser = super::guidance)]
    pub guidance: Option<f32>,
    /// Seed of the noise and the random identities.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Take both people's identities (beta_A, beta_B) from this result .npz (a previous
    /// `generate`, `duologue data extract` ...) instead of drawing them from the seed.
    #[arg(long)]
    pub identity: Option<PathBuf>,
    /// Refuse recordings longer than this (minutes). Decoded audio takes ~3.8 MB per minute
    /// per track in memory.
    #[arg(long, default_value_t = DEFAULT_MAX_MINUTES)]
    pub max_minutes: f64,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: Args) -> Result<()> {
    let input = match (&args.tracks, &args.audio, &args.track_b, args.stereo) {
        (Some(t), ..) => AudioInput::Tracks(t[0].clone(), t[1].clone()),
        (None, Some(a), Some(b), _) => AudioInput::Tracks(a.clone(), b.clone()),
        (None, Some(a), None, true) => AudioInput::Stereo(a.clone()),
        (None, Some(a), None, false) => AudioInput::Mixed(a.clone()),
        (None, None, ..) => bail!("give an audio file, or --tracks A B"),
    };
    let layout = match (&args.layout, &args.positions, &args.preset) {
        (Some(t), _, _) => LayoutSpec::Text(t.clone()),
        (_, Some(p), _) => LayoutSpec::Positions(p.clone()),
        (_, _, Some(p)) => LayoutSpec::Preset(p.clone()),
        _ => LayoutSpec::Default,
    };
    let job = Job {
        model: args.model.clone(),
        llm: args.llm.config()?.map(LlmClient::new),
        opts: GenerateOptions { steps: args.steps, guidance: args.guidance, seed: args.seed, overlap: None },
        identities: match &args.identity {
            Some(p) => {
                let d = duologue_params::Duo::read(p)
                    .with_context(|| format!("--identity {}: not a duologue result", p.display()))?;
                Some((d.a.beta, d.b.beta))
            }
            None => None,
        },
        max_seconds: max_seconds(args.max_minutes)?,
        formats: args.output.formats.clone(),
        morphs: args.output.style.morphs(),
        arkit_fps: args.output.style.arkit_fps,
        camera: args.output.style.camera,
        ..Job::new(input, layout, args.out.clone())
    };
    let outcome = run_job(job)?;
    report(&outcome, args.output.json);
    Ok(())
}

/// `--max-minutes` in seconds, refusing nonsense.
pub fn max_seconds(minutes: f64) -> Result<f64> {
    if !(minutes.is_finite() && minutes > 0.0) {
        bail!("--max-minutes must be a positive number, not {minutes}");
    }
    Ok(minutes * 60.0)
}
