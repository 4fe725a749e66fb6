//! `duologue export RESULT.npz --format ... --out DIR`: the exports of DESIGN §6 (animated .glb,
//! ARKit curves as Live Link Face CSV / JSON, preview MP4 with the input audio, PNG stills).

use crate::ui::Progress;
use anyhow::{bail, Result};
use duologue_export::{write_exports, Format, Settings};
use duologue_params::Duo;
use duologue_render::RenderOptions;
use std::path::PathBuf;

/// Arguments of `duologue export`.
#[derive(clap::Args)]
pub struct Args {
    /// Result file written by `duologue generate` (.npz with x_A, x_B, beta_*, t0_*, m_*).
    pub result: PathBuf,
    /// Output format; repeat or separate with commas for several.
    #[arg(long = "format", short = 'f', value_enum, value_delimiter = ',', required = true)]
    pub formats: Vec<Format>,
    /// Folder for the exports (created if missing). Files are named after the result file.
    #[arg(long)]
    pub out: PathBuf,
    /// Audio to mux into the MP4 (any format ffmpeg reads), e.g. the conversation recording.
    #[arg(long)]
    pub audio: Option<PathBuf>,
    /// Draw the top-down layout inset in the MP4 / PNG previews.
    #[arg(long)]
    pub inset: bool,
    /// Preview width in pixels (even, for H.264).
    #[arg(long, default_value_t = RenderOptions::default().width, value_parser = clap::value_parser!(u32).range(2..=8192))]
    pub width: u32,
    /// Preview height in pixels (even, for H.264).
    #[arg(long, default_value_t = RenderOptions::default().height, value_parser = clap::value_parser!(u32).range(2..=8192))]
    pub height: u32,
    /// Anti-aliasing: samples per pixel along each axis (1..=4; 2 looks smoother, ~4x slower;
    /// width x height x supersample² at most 8192 x 8192).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4))]
    pub supersample: u32,
    /// For --format png: write every Nth frame instead of first/middle/last.
    #[arg(long, value_parser = super::at_least_one)]
    pub png_every: Option<usize>,
    /// The ffmpeg program to use.
    #[arg(long, default_value = "ffmpeg")]
    pub ffmpeg: PathBuf,
    #[command(flatten)]
    pub style: super::StyleArgs,
}

pub fn run(args: Args) -> Result<()> {
    let duo = Duo::read(&args.result)?;
    if let Some(audio) = &args.audio {
        if !audio.is_file() {
            bail!("{}: audio file not found", audio.display());
        }
    }
    let stem =
        args.result.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "result".into());
    let settings = Settings {
        audio: args.audio.clone(),
        render: RenderOptions {
            width: args.width,
            height: args.height,
            supersample: args.supersample,
            inset: args.inset,
            shot: args.style.camera,
            ..RenderOptions::default()
        },
        png_every: args.png_every,
        ffmpeg: args.ffmpeg.clone(),
        morphs: args.style.morphs(),
        arkit_fps: args.style.arkit_fps,
    };
    let mut progress = Progress::default();
    let written = write_exports(&duo, &stem, &args.out, &args.formats, &settings, &mut |e| progress.show(e))?;
    progress.finish();
    for w in written {
        println!("{}: {}{}", w.kind, w.path.display(), w.note);
    }
    Ok(())
}
