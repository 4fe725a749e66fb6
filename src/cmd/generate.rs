//! `duologue generate AUDIO --model CKPT [--layout TEXT | --positions .. | --preset ..] --out DIR`:
//! the whole pipeline (DESIGN.md §1–3, §6): masks, layout (paper §3.5), the diffusion model window
//! by window, AUDIO_STEM.npz and the exports.

use super::export::{bar, write_exports, Format, Settings};
use anyhow::{bail, Context, Result};
use duologue_audio::{decode_file, decode_pair, ChannelMode, MaskOptions};
use duologue_layout::LlmClient;
use duologue_pipeline::{
    generate, load_generator, random_betas, resolve_layout, Conditioning, GenerateOptions, LayoutSpec,
};
use std::path::PathBuf;

/// Arguments of `duologue generate`.
#[derive(clap::Args)]
pub struct Args {
    /// The conversation recording (any format ffmpeg/symphonia reads); A's track with --track-b.
    pub audio: PathBuf,
    /// B's own track: AUDIO is then A's track.
    #[arg(long, conflicts_with = "stereo")]
    pub track_b: Option<PathBuf>,
    /// AUDIO's first channel is A, its second B.
    #[arg(long)]
    pub stereo: bool,
    /// Model checkpoint (checkpoint.safetensors from `duologue train`). Required for now: no
    /// default model is shipped yet.
    #[arg(long)]
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
    /// DDIM steps (default: the checkpoint's config).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Guidance weight (default: the checkpoint's config).
    #[arg(long)]
    pub guidance: Option<f32>,
    /// Seed of the noise and the random identities.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Exports besides the result .npz (named after AUDIO); comma separated.
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

pub fn run(args: Args) -> Result<()> {
    let Some(model) = &args.model else {
        bail!("--model CKPT is required: no default model is shipped yet (train one with `duologue train`)");
    };
    let generator = load_generator(model)?;
    let decoded = match (&args.track_b, args.stereo) {
        (Some(b), _) => decode_pair(&args.audio, b),
        (None, true) => decode_file(&args.audio, ChannelMode::Stereo),
        (None, false) => decode_file(&args.audio, ChannelMode::Mix),
    }
    .with_context(|| format!("cannot read audio {}", args.audio.display()))?;
    for w in &decoded.warnings {
        eprintln!("warning: {}: {w}", args.audio.display());
    }
    let spec = match (&args.layout, &args.positions, &args.preset) {
        (Some(t), _, _) => LayoutSpec::Text(t.clone()),
        (_, Some(p), _) => LayoutSpec::Positions(p.clone()),
        (_, _, Some(p)) => LayoutSpec::Preset(p.clone()),
        _ => LayoutSpec::Default,
    };
    let llm = args.llm.config()?;
    let (layout, notes) = resolve_layout(&spec, llm.map(LlmClient::new));
    for n in &notes {
        eprintln!("warning: {n}");
    }
    let l = generator.config().model.frames;
    let cond = Conditioning::from_audio(
        &decoded.tracks,
        &layout,
        random_betas(args.seed),
        &MaskOptions::default(),
        l,
    )?;
    if cond.silent() {
        eprintln!("warning: no speech found in {}; generating listening faces", args.audio.display());
    }
    let opts = GenerateOptions { steps: args.steps, guidance: args.guidance, seed: args.seed, overlap: None };
    let progress = bar(1, "generating");
    let duo = generate(&generator, &cond, &opts, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })?;
    progress.finish_and_clear();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output folder {}", args.out.display()))?;
    // Results are named after the recording: talk.wav -> talk.npz, talk.glb, talk_A.csv, ...
    let stem =
        args.audio.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "result".into());
    let result = args.out.join(format!("{stem}.npz"));
    duo.write(&result)?;
    let settings = Settings { audio: Some(args.audio.clone()), ..Settings::default() };
    let written = write_exports(&duo, &stem, &args.out, &args.formats, &settings)?;
    if args.json {
        let files: Vec<_> = written
            .iter()
            .map(|w| serde_json::json!({"kind": w.kind, "path": w.path.display().to_string()}))
            .collect();
        let v = serde_json::json!({
            "result": result.display().to_string(),
            "frames": duo.frames(),
            "seconds": duo.seconds(),
            "layout": {"A": layout.a, "B": layout.b},
            "warnings": notes,
            "files": files,
        });
        println!("{v}");
    } else {
        println!("result: {} ({} frames, {:.1} s)", result.display(), duo.frames(), duo.seconds());
        for w in written {
            println!("{}: {}{}", w.kind, w.path.display(), w.note);
        }
    }
    Ok(())
}
