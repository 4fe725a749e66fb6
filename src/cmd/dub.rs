//! `duologue dub`: the paper's synthetic dubbing (§3.6.2) — pseudo-conversations from
//! single-speaker clips by random cuts, alternation, muting and deliberate overlaps.

use anyhow::{bail, Context, Result};
use duologue_data::dub::{dub_clip, sources_from_dataset, sources_from_dir, DubConfig};
use duologue_data::rng::Rng;
use duologue_data::shard::{DatasetHeader, MANIFEST};
use duologue_data::{Dataset, OnError, ShardWriter, SplitPlan};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Arguments of `duologue dub`.
#[derive(clap::Args)]
pub struct Args {
    /// Single-speaker sources: a dataset made by `duologue simulate --single`, or a directory
    /// of NAME.wav (16 kHz mono) + NAME.npz (x [L,78], beta [50], optional m [L]) pairs.
    #[arg(long)]
    pub sources: PathBuf,
    /// Number of dubbed clips to make.
    #[arg(long)]
    pub clips: u64,
    /// Output dataset directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output clip length in frames (25 fps).
    #[arg(long, default_value_t = 250)]
    pub frames: usize,
    /// Probability that a speaking stretch deliberately overlaps the previous one.
    #[arg(long, default_value_t = 0.3)]
    pub overlap: f32,
    /// Clips per tar shard.
    #[arg(long, default_value_t = 256)]
    pub clips_per_shard: usize,
    /// For a wav+npz source directory: fraction of voices in val and in test.
    #[arg(long, default_value_t = 0.1)]
    pub holdout: f32,
    /// Skip bad source clips (and count them) instead of stopping.
    #[arg(long)]
    pub skip_bad: bool,
}

pub fn run(args: Args) -> Result<()> {
    let on_error = if args.skip_bad { OnError::Skip } else { OnError::Fail };
    let (sources, plan, skipped) = if args.sources.join(MANIFEST).exists() {
        let ds = Dataset::open(&args.sources)?;
        let (s, skipped) = sources_from_dataset(&ds, on_error)?;
        (s, ds.manifest.header.splits.clone(), skipped)
    } else {
        // Split by voice, written to the manifest: assign voice names found in the directory.
        let probe = sources_from_dir(&args.sources, &|_| "train".into())?;
        let mut voices: Vec<String> = probe.iter().map(|s| s.voice.clone()).collect();
        voices.sort();
        voices.dedup();
        let h = args.holdout.clamp(0.0, 0.45);
        let plan = if voices.len() >= 8 && h > 0.0 {
            SplitPlan::new(args.seed, &voices, voices.len(), h, h)?
        } else {
            SplitPlan::new(args.seed, &voices, voices.len(), 0.0, 0.0)?
        };
        let of: BTreeMap<String, String> = plan
            .voices
            .iter()
            .flat_map(|(split, vs)| vs.iter().map(move |v| (v.clone(), split.clone())))
            .collect();
        let s = probe.into_iter().map(|mut s| {
            s.split = of.get(&s.voice).cloned().unwrap_or_else(|| "train".into());
            s
        });
        (s.collect(), plan, 0)
    };
    if sources.len() < 2 {
        bail!(
            "{}: found {} single-speaker sources; dubbing needs at least two",
            args.sources.display(),
            sources.len()
        );
    }
    if sources.iter().all(|s| s.x.frames() < args.frames) {
        bail!("no source is at least {} frames long; lower --frames", args.frames);
    }
    let header = DatasetHeader {
        kind: "dataset".into(),
        version: 1,
        fps: duologue_params::FPS,
        sample_rate: duologue_params::SAMPLE_RATE,
        source: "dubbed".into(),
        splits: plan,
        extra: serde_json::json!({
            "sources": args.sources.display().to_string(),
            "seed": args.seed,
            "command": std::env::args().collect::<Vec<_>>().join(" "),
        }),
    };
    let mut writer = ShardWriter::create(&args.out, header, args.clips_per_shard)?;
    let layouts = duologue_layout::Library::builtin();
    let cfg = DubConfig { frames: args.frames, overlap: args.overlap, ..Default::default() };
    let bar = ProgressBar::new(args.clips);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} clips {per_sec}")?);
    let mut made = 0u64;
    let mut tries = 0u64;
    while made < args.clips {
        tries += 1;
        if tries > args.clips * 50 + 100 {
            bail!("could not find source pairs with different voices and identities in one split");
        }
        let mut rng = Rng::derive(args.seed, tries);
        let key = format!("dub-{:x}-{made:08}", args.seed);
        let Some(clip) = dub_clip(&mut rng, &sources, &layouts, &cfg, key) else { continue };
        writer.add(&clip).with_context(|| format!("writing {}", clip.key))?;
        made += 1;
        bar.inc(1);
    }
    let manifest = writer.finish()?;
    bar.finish_and_clear();
    println!(
        "{}: {made} dubbed clips from {} sources in {} shards{}",
        args.out.display(),
        sources.len(),
        manifest.shards.len(),
        if skipped > 0 { format!(" ({skipped} bad source clips skipped)") } else { String::new() }
    );
    Ok(())
}
