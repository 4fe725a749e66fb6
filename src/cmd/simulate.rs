//! `duologue simulate`: two-person conversations (or single-speaker monologues) made offline
//! with espeak-ng, written as tar shards with a manifest (issue 5; paper §3.6, DESIGN §6).

use anyhow::{Context, Result};
use duologue_data::shard::DatasetHeader;
use duologue_data::{ShardWriter, SimConfig, Simulator};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// Arguments of `duologue simulate`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of clips to make.
    #[arg(long)]
    pub clips: u64,
    /// Output dataset directory (must not already hold a manifest).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed: clip i of seed S draws the same text, voices, layout and identity every time
    /// (espeak-ng keeps state between calls, so its audio and timings can differ slightly).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Clip length in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f32,
    /// Clips per tar shard.
    #[arg(long, default_value_t = 256)]
    pub clips_per_shard: usize,
    /// Fraction of voices, identities and clips in the validation split.
    #[arg(long, default_value_t = 0.05)]
    pub val: f32,
    /// Fraction of voices, identities and clips in the test split.
    #[arg(long, default_value_t = 0.05)]
    pub test: f32,
    /// Seed of the voice/identity split assignment (keep it fixed across runs that must not
    /// leak voices between splits).
    #[arg(long, default_value_t = 0)]
    pub split_seed: u64,
    /// Size of the identity pool.
    #[arg(long, default_value_t = 2000)]
    pub identities: usize,
    /// Probability of room reverberation per clip.
    #[arg(long, default_value_t = 0.5)]
    pub p_reverb: f32,
    /// Probability of background noise per clip.
    #[arg(long, default_value_t = 0.5)]
    pub p_noise: f32,
    /// Make single-speaker monologues (dubbing sources for `duologue dub`) instead.
    #[arg(long)]
    pub single: bool,
    /// Worker threads (espeak-ng itself runs one at a time; motion and mixing run in parallel).
    #[arg(long)]
    pub jobs: Option<usize>,
}

pub fn run(args: Args) -> Result<()> {
    let config = SimConfig {
        seconds: args.seconds,
        p_reverb: args.p_reverb,
        p_noise: args.p_noise,
        ..Default::default()
    };
    let sim = Simulator::new(config, args.split_seed, args.identities, args.val, args.test)
        .context("setting up the simulator")?;
    let header = DatasetHeader {
        kind: "dataset".into(),
        version: 1,
        fps: duologue_params::FPS,
        sample_rate: duologue_params::SAMPLE_RATE,
        source: if args.single { "monologue" } else { "simulated" }.into(),
        splits: sim.plan().clone(),
        extra: serde_json::json!({
            "seed": args.seed,
            "clips": args.clips,
            "seconds": args.seconds,
            "corpus": sim.corpus_source(),
            "command": std::env::args().collect::<Vec<_>>().join(" "),
        }),
    };
    let mut writer = ShardWriter::create(&args.out, header, args.clips_per_shard)?;
    let bar = ProgressBar::new(args.clips);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} clips {per_sec} eta {eta}")?);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
        .max(1);
    let next = AtomicU64::new(0);
    let (tx, rx) = mpsc::sync_channel(jobs * 2);
    // Clips are written in index order whatever thread made them, so a run is reproducible.
    std::thread::scope(|s| -> Result<()> {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (sim, next) = (&sim, &next);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= args.clips {
                    break;
                }
                let clip = if args.single { sim.monologue(args.seed, i) } else { sim.clip(args.seed, i) };
                if tx.send((i, clip)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut want = 0u64;
        for (i, clip) in rx.iter() {
            waiting.insert(i, clip);
            while let Some(clip) = waiting.remove(&want) {
                let clip = clip.with_context(|| format!("clip {want}"))?;
                writer.add(&clip)?;
                bar.inc(1);
                want += 1;
            }
        }
        Ok(())
    })?;
    let manifest = writer.finish()?;
    bar.finish_and_clear();
    let clips: usize = manifest.shards.iter().map(|s| s.clips).sum();
    let hours: f64 = manifest.shards.iter().map(|s| s.seconds).sum::<f64>() / 3600.0;
    println!(
        "{}: {clips} clips, {hours:.3} h in {} shards ({})",
        args.out.display(),
        manifest.shards.len(),
        manifest.shards.iter().map(|s| format!("{} {}", s.split, s.clips)).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
