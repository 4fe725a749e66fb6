//! `duologue masks AUDIO [--tracks A B | --stereo] [--json] [--swap]`: per-frame speaker masks
//! m_A, m_B (25 fps, soft, in [0, 1]; paper §3.3, DESIGN.md §5) and a summary.

use anyhow::{bail, Result};
use duologue_audio::diarize::{DiarizeConfig, SpectralStats};
use duologue_audio::ge2e::Ge2e;
use duologue_audio::{speaker_masks_with, MaskOptions, Source, VadKind};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

/// Arguments of `duologue masks`.
#[derive(clap::Args)]
pub struct Args {
    /// The conversation (wav/flac/mp3/ogg/m4a, any rate and channel count). Optional with
    /// --tracks.
    pub audio: Option<PathBuf>,
    /// Two separate recordings, A's then B's: each person's mask comes from their own track.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub tracks: Option<Vec<PathBuf>>,
    /// AUDIO's first channel is A, the second B.
    #[arg(long, conflicts_with = "tracks")]
    pub stereo: bool,
    /// Exchange A and B (by default A is whoever speaks first in a mixed recording).
    #[arg(long)]
    pub swap: bool,
    /// WebRTC VAD aggressiveness, 0 (keeps most) ..= 3 (rejects most non-speech).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub aggressiveness: u8,
    /// Voice activity detector: webrtc (the paper's) or silero (neural, built in).
    #[arg(long, value_enum, default_value = "webrtc")]
    pub vad: Vad,
    /// Tell the two voices of a mixed recording apart with the GE2E speaker encoder, weights
    /// from this safetensors file (crates/audio/weights/ge2e_resemblyzer.safetensors);
    /// without it, spectral statistics are used (no weights needed).
    #[arg(long, value_name = "SAFETENSORS")]
    pub ge2e: Option<PathBuf>,
    /// Print JSON: {"m_A": [...], "m_B": [...], "summary": {...}, ...}.
    #[arg(long)]
    pub json: bool,
}

/// Voice activity detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Vad {
    /// WebRTC's GMM detector, as the paper uses.
    Webrtc,
    /// Silero VAD, a small neural network (built in).
    Silero,
}

pub fn run(args: Args) -> Result<()> {
    let source = match (&args.tracks, &args.audio, args.stereo) {
        (Some(t), _, _) => Source::Tracks(t[0].clone(), t[1].clone()),
        (None, Some(a), true) => Source::Stereo(a.clone()),
        (None, Some(a), false) => Source::Mixed(a.clone()),
        (None, None, _) => bail!("give an audio file, or --tracks A B"),
    };
    let vad = match args.vad {
        Vad::Webrtc => VadKind::WebRtc,
        Vad::Silero => VadKind::Silero,
    };
    let mut opts =
        MaskOptions { vad, swap: args.swap, aggressiveness: args.aggressiveness, ..MaskOptions::default() };
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("{spinner} decoding + VAD [{bar:30}] {percent}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut progress = |f: f64| bar.set_position((f * 1000.0) as u64);
    let masks = match &args.ge2e {
        Some(w) => {
            let enc = Ge2e::open(w)?;
            // GE2E was trained on 1.6 s partials: use windows of that length.
            opts.diarize = DiarizeConfig { window: 40, ..opts.diarize };
            speaker_masks_with(&source, &opts, enc, "ge2e", &mut progress)
        }
        None => speaker_masks_with(&source, &opts, SpectralStats::default(), "spectral", &mut progress),
    };
    bar.finish_and_clear();
    let masks = masks?;
    for (file, w) in &masks.warnings {
        eprintln!("warning: {}: {w}", file.display());
    }
    if args.json {
        println!("{}", serde_json::to_string(&masks.to_json())?);
    } else {
        print!("{}", masks.summary_text());
    }
    Ok(())
}
