//! `duologue plot --pred P.npz [--gt G.npz] [--audio A.wav] --out clip.svg`: one clip's mouth
//! opening vs audio energy, gaze angle to the partner and speaker masks as a three-panel SVG
//! (paper §4.3; series defined in crates/eval/src/plot.rs).

use anyhow::{Context, Result};
use duologue_audio::{decode_file, ChannelMode};
use duologue_eval::plot::figure;
use duologue_face::FaceModel;
use duologue_params::Duo;
use std::path::PathBuf;

/// Arguments of `duologue plot`.
#[derive(clap::Args)]
pub struct Args {
    /// Result to plot (.npz, e.g. from `duologue generate`).
    #[arg(long)]
    pub pred: PathBuf,
    /// Ground truth of the same clip (.npz, e.g. `duologue data extract`), drawn dashed.
    #[arg(long)]
    pub gt: Option<PathBuf>,
    /// The clip's recording (any format `duologue generate` reads), for the energy curve.
    #[arg(long)]
    pub audio: Option<PathBuf>,
    /// SVG file to write.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let pred = Duo::read(&args.pred)?;
    let gt = args.gt.as_deref().map(Duo::read).transpose()?;
    let audio = match &args.audio {
        Some(path) => {
            let decoded = decode_file(path, ChannelMode::Mix)?;
            for w in &decoded.warnings {
                eprintln!("warning: {}: {w}", path.display());
            }
            Some(decoded.mix())
        }
        None => None,
    };
    let mut title = args.pred.display().to_string();
    if let Some(g) = &args.gt {
        title.push_str(&format!(" vs {} (dashed)", g.display()));
    }
    let fig = figure(&pred, gt.as_ref(), audio.as_deref(), &title, FaceModel::shared())
        .with_context(|| title.clone())?;
    for n in &fig.notes {
        eprintln!("warning: {n}");
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::write(&args.out, &fig.svg).with_context(|| args.out.display().to_string())?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let s = &fig.series;
    println!(
        "{}: {} frames ({:.1} s); mean mouth opening A {:.1} mm, B {:.1} mm; mean gaze angle A {:.1}°, B {:.1}°",
        args.out.display(),
        pred.frames(),
        pred.seconds(),
        mean(&s.mouth_mm[0]),
        mean(&s.mouth_mm[1]),
        mean(&s.gaze_deg[0]),
        mean(&s.gaze_deg[1])
    );
    Ok(())
}
