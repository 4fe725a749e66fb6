//! `duologue data`: look into training datasets (DESIGN §6): statistics, and one clip out.

use anyhow::Result;
use duologue_data::{Dataset, OnError, Stats};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

/// Arguments of `duologue data`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// `duologue data` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Hours, clips, overlap ratio, speaking ratio and mask agreement of a dataset
    /// (verifies every shard's sha256).
    Stats {
        /// Dataset directory (with manifest.jsonl).
        dir: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Skip bad shards and clips (and count them) instead of stopping.
        #[arg(long)]
        skip_bad: bool,
    },
    /// Write one clip as KEY.npz + KEY.wav (for `duologue info` / `duologue export`).
    Extract {
        /// Dataset directory.
        dir: PathBuf,
        /// Clip key (default: the first clip of the split).
        #[arg(long)]
        key: Option<String>,
        /// Split to search.
        #[arg(long, default_value = "train")]
        split: String,
        /// Output path prefix (writes PREFIX.npz, PREFIX.wav, PREFIX.json).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Stats { dir, json, skip_bad } => {
            let ds = Dataset::open(&dir)?;
            let bar = ProgressBar::new(ds.manifest.shards.len() as u64);
            bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} shards")?);
            let on_error = if skip_bad { OnError::Skip } else { OnError::Fail };
            let s = Stats::of_dataset(&ds, on_error, |i, _| bar.set_position(i as u64))?;
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print!("{}", s.to_text(&format!("{} ({})", dir.display(), ds.manifest.header.source)));
            }
        }
        Command::Extract { dir, key, split, out } => {
            let c = duologue_data::make::extract_clip(&dir, &split, key.as_deref(), &out)?;
            println!("{} -> {} (.npz, .wav, .json): {}", c.key, out.display(), c.meta.layout_text);
        }
    }
    Ok(())
}
