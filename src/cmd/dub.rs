//! `duologue dub`: the paper's synthetic dubbing (§3.6.2) — pseudo-conversations from
//! single-speaker clips by random cuts, alternation, muting and deliberate overlaps
//! ([`duologue_data::make::dub_dataset`]).

use anyhow::Result;
use duologue_data::dub::DubConfig;
use duologue_data::make::{dub_dataset, DubJob};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

/// Arguments of `duologue dub`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dataset: super::DatasetArgs,
    /// Single-speaker sources: a dataset made by `duologue simulate --single`, or a directory
    /// of NAME.wav (16 kHz mono) + NAME.npz (x [L,78], beta [50], optional m [L]) pairs.
    #[arg(long)]
    pub sources: PathBuf,
    /// Output clip length in frames (25 fps).
    #[arg(long, default_value_t = 250, value_parser = super::at_least_one)]
    pub frames: usize,
    /// Probability that a speaking stretch deliberately overlaps the previous one.
    #[arg(long, default_value_t = 0.3, value_parser = super::fraction)]
    pub overlap: f32,
    /// For a wav+npz source directory: fraction of voices in val and in test.
    #[arg(long, default_value_t = 0.1, value_parser = super::fraction)]
    pub holdout: f32,
    /// Skip bad source clips (and count them) instead of stopping.
    #[arg(long)]
    pub skip_bad: bool,
    #[command(flatten)]
    pub augment: super::augment::AugmentArgs,
}

pub fn run(args: Args) -> Result<()> {
    let (room, channel) = args.augment.odds();
    let job = DubJob {
        sources: args.sources,
        clips: args.dataset.clips,
        out: args.dataset.out,
        seed: args.dataset.seed,
        config: DubConfig { frames: args.frames, overlap: args.overlap, room, channel, ..Default::default() },
        clips_per_shard: args.dataset.clips_per_shard,
        holdout: args.holdout,
        skip_bad: args.skip_bad,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let bar = ProgressBar::new(job.clips);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} clips {per_sec}")?);
    let dubbed = dub_dataset(&job, &mut |done| bar.set_position(done))?;
    bar.finish_and_clear();
    let skipped = dubbed.skipped;
    println!(
        "{}: {} dubbed clips from {} sources in {} shards{}",
        job.out.display(),
        job.clips,
        dubbed.sources,
        dubbed.manifest.shards.len(),
        if skipped > 0 { format!(" ({skipped} bad source clips skipped)") } else { String::new() }
    );
    Ok(())
}
