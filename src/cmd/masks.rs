//! `duologue masks AUDIO [--tracks A B | --stereo] [--json] [--swap]`: per-frame speaker masks
//! m_A, m_B (25 fps, soft, in [0, 1]; paper §3.3, DESIGN.md §5) and a summary.

use anyhow::{bail, Result};
use duologue_audio::{speaker_masks, EmbedderKind, MaskOptions, Source, VadKind};
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
    /// Voice activity detector: silero (neural, built in; the default) or webrtc (the
    /// paper's; only --aggressiveness applies to it).
    #[arg(long, value_enum, default_value = "silero")]
    pub vad: Vad,
    /// What tells the two voices of a mixed recording apart: ge2e (speaker encoder, built in)
    /// or spectral (mean MFCCs + pitch, weaker; see crates/audio/README.md "Speaker masks").
    #[arg(long, value_enum, default_value = "ge2e")]
    pub embedder: Embedder,
    /// GE2E weights from this safetensors file (Resemblyzer's layout) instead of the built-in
    /// ones.
    #[arg(long, value_name = "SAFETENSORS", conflicts_with = "embedder")]
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

/// Speaker embedders for mixed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Embedder {
    /// The GE2E speaker encoder (built-in weights).
    Ge2e,
    /// Spectral statistics, no weights.
    Spectral,
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
    let embedder = match (&args.ge2e, args.embedder) {
        (Some(w), _) => EmbedderKind::Ge2eFile(w.clone()),
        (None, Embedder::Ge2e) => EmbedderKind::Ge2e,
        (None, Embedder::Spectral) => EmbedderKind::Spectral,
    };
    let opts = MaskOptions {
        vad,
        swap: args.swap,
        aggressiveness: args.aggressiveness,
        embedder,
        ..MaskOptions::default()
    };
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("{spinner} decoding + VAD + voices [{bar:30}] {percent}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut progress = |f: f64| bar.set_position((f * 1000.0) as u64);
    let masks = speaker_masks(&source, &opts, &mut progress);
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
