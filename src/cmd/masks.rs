//! `duologue masks AUDIO [--tracks A B | --stereo] [--json] [--swap]`: per-frame speaker masks
//! m_A, m_B (25 fps, soft, in [0, 1]; paper §3.3, DESIGN.md §5) and a summary.

use anyhow::{bail, Result};
use duologue_audio::diarize::{DiarizeConfig, SpectralStats};
use duologue_audio::ge2e::Ge2e;
use duologue_audio::{speaker_masks_with, MaskOptions, Masks, Source, VadKind};
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
    #[arg(long, default_value = "webrtc", value_parser = ["webrtc", "silero"])]
    pub vad: String,
    /// Tell the two voices of a mixed recording apart with the GE2E speaker encoder, weights
    /// from this safetensors file (crates/audio/weights/ge2e_resemblyzer.safetensors);
    /// without it, spectral statistics are used (no weights needed).
    #[arg(long, value_name = "SAFETENSORS")]
    pub ge2e: Option<PathBuf>,
    /// Print JSON: {"m_A": [...], "m_B": [...], "summary": {...}, ...}.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let source = match (&args.tracks, &args.audio, args.stereo) {
        (Some(t), _, _) => Source::Tracks(t[0].clone(), t[1].clone()),
        (None, Some(a), true) => Source::Stereo(a.clone()),
        (None, Some(a), false) => Source::Mixed(a.clone()),
        (None, None, _) => bail!("give an audio file, or --tracks A B"),
    };
    let vad = if args.vad == "silero" { VadKind::Silero } else { VadKind::WebRtc };
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
        println!("{}", serde_json::to_string(&to_json(&masks))?);
    } else {
        print_summary(&masks);
    }
    Ok(())
}

fn r3(v: f32) -> f64 {
    (v as f64 * 1000.0).round() / 1000.0
}

fn round3(m: &[f32]) -> Vec<f64> {
    m.iter().map(|&v| r3(v)).collect()
}

fn to_json(m: &Masks) -> serde_json::Value {
    serde_json::json!({
        "file": m.info.path.display().to_string(),
        "method": m.method,
        "fps": duologue_params::FPS,
        "frames": m.m_a.len(),
        "m_A": round3(&m.m_a),
        "m_B": round3(&m.m_b),
        "summary": {
            "seconds": r3(m.summary.seconds),
            "speaking_A": r3(m.summary.speaking_a),
            "speaking_B": r3(m.summary.speaking_b),
            "overlap": r3(m.summary.overlap),
            "silence": r3(m.summary.silence),
            "turns": m.summary.turns,
        },
        "warnings": m.warnings.iter().map(|(f, w)| format!("{}: {w}", f.display())).collect::<Vec<_>>(),
    })
}

fn print_summary(m: &Masks) {
    let s = &m.summary;
    println!(
        "{}: {:.2} s, {} frames at {} fps ({}; source {} Hz, {} ch)",
        m.info.path.display(),
        s.seconds,
        s.frames,
        duologue_params::FPS,
        m.method,
        m.info.sample_rate,
        m.info.channels
    );
    let pct = |x: f32| if s.seconds > 0.0 { 100.0 * x / s.seconds } else { 0.0 };
    println!("  A speaks {:.2} s ({:.0}%)", s.speaking_a, pct(s.speaking_a));
    println!("  B speaks {:.2} s ({:.0}%)", s.speaking_b, pct(s.speaking_b));
    println!("  overlap  {:.2} s, silence {:.2} s, {} turns", s.overlap, s.silence, s.turns);
}
