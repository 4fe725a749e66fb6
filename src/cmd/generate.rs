//! `duologue generate AUDIO [--layout TEXT | --positions .. | --preset ..] [--tracks A B |
//! --stereo] [--model CKPT] --out DIR`: the whole pipeline (DESIGN.md §1–3, §5, §6): masks,
//! layout (paper §3.5), the diffusion model window by window, AUDIO_STEM.npz and the exports.
//! Without --model the default model embedded in the binary is used.

use super::export::{bar, write_exports, Format, Settings, Written};
use anyhow::{anyhow, bail, Context, Result};
use duologue_audio::MaskOptions;
use duologue_layout::{Layout, LlmClient};
use duologue_model::Generator;
use duologue_pipeline::{
    default_generator, generate, load_generator, random_betas, read_audio, resolve_layout, write_mix_wav,
    AudioInput, Conditioning, GenerateOptions, LayoutSpec, PipelineError, DEFAULT_MAX_MINUTES,
    DEFAULT_MODEL_LABEL,
};
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
    #[arg(long)]
    pub steps: Option<usize>,
    /// Guidance weight (default: the model's config, 2.5 as in the paper).
    #[arg(long)]
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

/// What `generate` and `demo` write besides the result .npz, and how they report it.
#[derive(clap::Args)]
pub struct OutputArgs {
    /// Exports besides the result .npz (named after the audio); comma separated.
    #[arg(
        long = "format",
        short = 'f',
        value_enum,
        value_delimiter = ',',
        default_value = "glb,arkit-csv,mp4"
    )]
    pub formats: Vec<Format>,
    /// Print a machine-readable JSON summary instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// One generation: everything `generate` and `demo` decide before running the pipeline.
pub(crate) struct Job {
    /// The recording(s).
    pub input: AudioInput,
    /// A checkpoint file, or None for the embedded default model.
    pub model: Option<PathBuf>,
    /// Where the heads stand.
    pub layout: LayoutSpec,
    /// The LLM for text layouts, if configured.
    pub llm: Option<LlmClient>,
    /// Steps, guidance, seed.
    pub opts: GenerateOptions,
    /// Identities (A, B), `[50]` each; None: random from the seed.
    pub identities: Option<(Vec<f32>, Vec<f32>)>,
    /// Cap on each input file's length, seconds.
    pub max_seconds: f64,
    /// Output folder.
    pub out: PathBuf,
    /// Exports besides the .npz.
    pub formats: Vec<Format>,
}

/// What a generation wrote.
pub(crate) struct Outcome {
    /// The result .npz.
    pub result: PathBuf,
    /// Frames (25 fps).
    pub frames: usize,
    /// Seconds.
    pub seconds: f32,
    /// Which model ran (a path or the embedded model's label).
    pub model: String,
    /// The resolved layout.
    pub layout: Layout,
    /// Every warning printed on the way.
    pub warnings: Vec<String>,
    /// The exports.
    pub files: Vec<Written>,
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
        input,
        model: args.model.clone(),
        layout,
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
        out: args.out.clone(),
        formats: args.output.formats.clone(),
    };
    let outcome = execute(job)?;
    report(&outcome, args.output.json);
    Ok(())
}

/// `--max-minutes` in seconds, refusing nonsense.
pub(crate) fn max_seconds(minutes: f64) -> Result<f64> {
    if !(minutes.is_finite() && minutes > 0.0) {
        bail!("--max-minutes must be a positive number, not {minutes}");
    }
    Ok(minutes * 60.0)
}

/// Prints a warning now and keeps it for the summary.
fn warn(warnings: &mut Vec<String>, w: String) {
    eprintln!("warning: {w}");
    warnings.push(w);
}

/// Runs the pipeline for `job`: load the model, decode, masks and layout, sample window by
/// window (with a progress bar), write `STEM.npz` and the exports into `job.out`.
pub(crate) fn execute(mut job: Job) -> Result<Outcome> {
    if job.opts.steps == Some(0) {
        bail!("--steps must be at least 1");
    }
    // The model first: a bad --model fails before any decoding work.
    let (generator, model): (Generator, String) = match &job.model {
        Some(p) => (load_generator(p)?, p.display().to_string()),
        None => (default_generator()?, DEFAULT_MODEL_LABEL.to_string()),
    };
    let main = job.input.main_path().to_path_buf();
    let mut warnings = Vec::new();
    let decoded = read_audio(&job.input, job.max_seconds).map_err(|e| match e {
        PipelineError::TooLong { .. } => anyhow!("{e} (raise it with --max-minutes)"),
        e => e.into(),
    })?;
    for w in &decoded.warnings {
        warn(&mut warnings, format!("{}: {w}", main.display()));
    }
    let (layout, notes) = resolve_layout(&job.layout, job.llm.take());
    for n in notes {
        warn(&mut warnings, n);
    }
    let l = generator.config().model.frames;
    let cond = Conditioning::from_audio(
        &decoded.tracks,
        &layout,
        job.identities.clone().unwrap_or_else(|| random_betas(job.opts.seed)),
        &MaskOptions::default(),
        l,
    )
    .with_context(|| format!("cannot use {}", main.display()))?;
    match cond.speaks() {
        [false, false] => warn(
            &mut warnings,
            format!("no speech found in {}; both people listen (idle) throughout", main.display()),
        ),
        [true, false] => warn(&mut warnings, "B never speaks; B listens throughout".into()),
        [false, true] => warn(&mut warnings, "A never speaks; A listens throughout".into()),
        [true, true] => {}
    }
    let progress = bar(1, "sampling");
    let duo = generate(&generator, &cond, &job.opts, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })?;
    progress.finish_and_clear();
    std::fs::create_dir_all(&job.out)
        .with_context(|| format!("cannot create output folder {}", job.out.display()))?;
    // Results are named after the recording: talk.wav -> talk.npz, talk.glb, talk_A.csv, ...
    let stem = main.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "result".into());
    let result = job.out.join(format!("{stem}.npz"));
    duo.write(&result)?;
    // The preview's soundtrack: the recording itself, or both people's tracks mixed.
    let mix = match &job.input {
        AudioInput::Tracks(..) if job.formats.contains(&Format::Mp4) => {
            let path = std::env::temp_dir().join(format!("duologue-{}-{stem}-mix.wav", std::process::id()));
            write_mix_wav(&path, &decoded.tracks)?;
            Some(TempFile(path))
        }
        _ => None,
    };
    // The decoded audio is not needed any more: free it before rendering.
    drop(decoded);
    let audio = mix.as_ref().map_or_else(|| main.clone(), |m| m.0.clone());
    let settings = Settings { audio: Some(audio), ..Settings::default() };
    let files = write_exports(&duo, &stem, &job.out, &job.formats, &settings)?;
    Ok(Outcome { result, frames: duo.frames(), seconds: duo.seconds(), model, layout, warnings, files })
}

/// Prints what a generation wrote: lines for people, or one JSON object.
pub(crate) fn report(o: &Outcome, json: bool) {
    if json {
        let files: Vec<_> = o
            .files
            .iter()
            .map(|w| serde_json::json!({"kind": w.kind, "path": w.path.display().to_string()}))
            .collect();
        let v = serde_json::json!({
            "result": o.result.display().to_string(),
            "frames": o.frames,
            "seconds": o.seconds,
            "model": o.model,
            "layout": {"A": o.layout.a, "B": o.layout.b},
            "warnings": o.warnings,
            "files": files,
        });
        println!("{v}");
    } else {
        println!("result: {} ({} frames, {:.1} s)", o.result.display(), o.frames, o.seconds);
        for w in &o.files {
            println!("{}: {}{}", w.kind, w.path.display(), w.note);
        }
    }
}

/// A temporary file removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
