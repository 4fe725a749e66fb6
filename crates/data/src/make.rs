//! Whole datasets written to disk (DESIGN §6): simulated conversations or monologues
//! ([`simulate_dataset`], paper §3.6) and dubbed pseudo-conversations ([`dub_dataset`], paper
//! §3.6.2), as tar shards with a manifest; and one clip taken back out ([`extract_clip`]).

use crate::channel::augment;
use crate::dub::{dub_clip, sources_from_dataset, sources_from_dir, DubConfig};
use crate::rng::Rng;
use crate::shard::{DatasetHeader, Manifest, MANIFEST};
use crate::{Clip, DataError, Dataset, OnError, ShardWriter, SimConfig, Simulator, SplitPlan, StreamConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// A simulated dataset's settings.
#[derive(Debug, Clone)]
pub struct SimulateJob {
    /// Clips to make.
    pub clips: u64,
    /// Output dataset folder (must not already hold a manifest).
    pub out: PathBuf,
    /// Seed of the clips' draws.
    pub seed: u64,
    /// The simulator's settings.
    pub config: SimConfig,
    /// Clips per tar shard.
    pub clips_per_shard: usize,
    /// Validation fraction of voices, identities and clips.
    pub val: f32,
    /// Test fraction.
    pub test: f32,
    /// Seed of the voice/identity split assignment.
    pub split_seed: u64,
    /// Size of the identity pool.
    pub identities: usize,
    /// Single-speaker monologues instead of conversations.
    pub single: bool,
    /// Worker threads.
    pub jobs: usize,
    /// Recorded in the manifest: the command that made it.
    pub command: String,
}

/// Simulates `job.clips` clips on `job.jobs` threads and writes them in index order whatever
/// thread made them, so a run is reproducible; `progress(clips_written)` after each clip.
pub fn simulate_dataset(job: &SimulateJob, progress: &mut dyn FnMut(u64)) -> Result<Manifest, DataError> {
    let sim = Simulator::new(job.config.clone(), job.split_seed, job.identities, job.val, job.test)?;
    let extra = serde_json::json!({
        "seed": job.seed,
        "clips": job.clips,
        "seconds": job.config.seconds,
        "corpus": sim.corpus_source(),
        "command": job.command,
    });
    let source = if job.single { "monologue" } else { "simulated" };
    let header = DatasetHeader::new(source, sim.plan().clone(), extra);
    let mut writer = ShardWriter::create(&job.out, header, job.clips_per_shard)?;
    let jobs = job.jobs.max(1);
    let next = AtomicU64::new(0);
    let (tx, rx) = mpsc::sync_channel(jobs * 2);
    std::thread::scope(|s| -> Result<(), DataError> {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (sim, next) = (&sim, &next);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= job.clips {
                    break;
                }
                let clip = if job.single { sim.monologue(job.seed, i) } else { sim.clip(job.seed, i) };
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
                let clip = clip.map_err(|e| DataError::Config { reason: format!("clip {want}: {e}") })?;
                writer.add(&clip)?;
                want += 1;
                progress(want);
            }
        }
        Ok(())
    })?;
    writer.finish()
}

/// A dubbed dataset's settings.
#[derive(Debug, Clone)]
pub struct DubJob {
    /// Single-speaker clips: a dataset folder (`duologue simulate --single`) or a folder of
    /// audio + motion files.
    pub sources: PathBuf,
    /// Clips to make.
    pub clips: u64,
    /// Output dataset folder.
    pub out: PathBuf,
    /// Seed.
    pub seed: u64,
    /// The dubbing settings (clip length, overlap).
    pub config: DubConfig,
    /// Clips per tar shard.
    pub clips_per_shard: usize,
    /// Validation and test fraction of the voices of a plain folder of sources.
    pub holdout: f32,
    /// Skip unreadable source clips (counted).
    pub skip_bad: bool,
    /// Recorded in the manifest: the command that made it.
    pub command: String,
}

/// What a dubbing run made.
#[derive(Debug, Clone)]
pub struct Dubbed {
    /// The manifest written.
    pub manifest: Manifest,
    /// Single-speaker sources used.
    pub sources: usize,
    /// Bad source clips skipped.
    pub skipped: usize,
}

/// Sources of a plain folder, split by voice (the split written to the manifest).
fn split_sources(
    dir: &Path,
    seed: u64,
    holdout: f32,
    policy: OnError,
) -> Result<(Vec<crate::dub::Source>, SplitPlan, usize), DataError> {
    let (probe, skipped) = sources_from_dir(dir, &|_| "train".into(), policy)?;
    let mut voices: Vec<String> = probe.iter().map(|s| s.voice.clone()).collect();
    voices.sort();
    voices.dedup();
    let h = holdout.clamp(0.0, 0.45);
    let h = if voices.len() >= 8 && h > 0.0 { h } else { 0.0 };
    let plan = SplitPlan::new(seed, &voices, voices.len(), h, h)?;
    let of: BTreeMap<String, String> = plan
        .voices
        .iter()
        .flat_map(|(split, vs)| vs.iter().map(move |v| (v.clone(), split.clone())))
        .collect();
    let sources = probe
        .into_iter()
        .map(|mut s| {
            s.split = of.get(&s.voice).cloned().unwrap_or_else(|| "train".into());
            s
        })
        .collect();
    Ok((sources, plan, skipped))
}

/// Salt of the random stream that draws each dubbed clip's room, noise and channel.
const DUB_AUGMENT_STREAM: u64 = 0xD0B0_A0C0_0000_0000;

/// Dubs `job.clips` pseudo-conversations, augmented as [`crate::channel::augment`] draws;
/// `progress(clips_written)` after each clip.
pub fn dub_dataset(job: &DubJob, progress: &mut dyn FnMut(u64)) -> Result<Dubbed, DataError> {
    let on_error = if job.skip_bad { OnError::Skip } else { OnError::Fail };
    let (sources, plan, skipped) = if job.sources.join(MANIFEST).exists() {
        let ds = Dataset::open(&job.sources)?;
        let (s, skipped) = sources_from_dataset(&ds, on_error)?;
        (s, ds.manifest.header.splits.clone(), skipped)
    } else {
        split_sources(&job.sources, job.seed, job.holdout, on_error)?
    };
    crate::channel::check(&job.config.channel)?;
    if sources.len() < 2 {
        return Err(DataError::Config {
            reason: format!(
                "{}: found {} single-speaker sources; dubbing needs at least two",
                job.sources.display(),
                sources.len()
            ),
        });
    }
    if sources.iter().all(|s| s.x.frames() < job.config.frames) {
        return Err(DataError::Config {
            reason: format!("no source is at least {} frames long; lower --frames", job.config.frames),
        });
    }
    let extra = serde_json::json!({
        "sources": job.sources.display().to_string(),
        "seed": job.seed,
        "command": job.command,
    });
    let mut writer =
        ShardWriter::create(&job.out, DatasetHeader::new("dubbed", plan, extra), job.clips_per_shard)?;
    let layouts = duologue_layout::Library::builtin();
    let mut made = 0u64;
    let mut tries = 0u64;
    while made < job.clips {
        tries += 1;
        if tries > job.clips * 50 + 100 {
            return Err(DataError::Config {
                reason: "could not find source pairs with different voices and identities in one split"
                    .into(),
            });
        }
        let mut rng = Rng::derive(job.seed, tries);
        let key = format!("dub-{:x}-{made:08}", job.seed);
        let Some(mut clip) = dub_clip(&mut rng, &sources, &layouts, &job.config, key) else { continue };
        // Room, noise and channel from a stream of their own (the dry sources are monologues).
        let mut arng = Rng::derive(job.seed ^ DUB_AUGMENT_STREAM, tries);
        let (audio, drawn) = augment(&clip.audio, &mut arng, job.config.room, &job.config.channel)?;
        clip.audio = audio;
        if let (Some(meta), Some(drawn)) = (clip.meta.extra.as_object_mut(), drawn.as_object()) {
            meta.extend(drawn.clone());
        }
        writer.add(&clip)?;
        made += 1;
        progress(made);
    }
    Ok(Dubbed { manifest: writer.finish()?, sources: sources.len(), skipped })
}

/// Finds clip `key` (None: the first) in `split` of the dataset in `dir` and writes it as
/// `OUT.npz` (the motion), `OUT.wav` (the mix) and `OUT.json` (its metadata).
pub fn extract_clip(dir: &Path, split: &str, key: Option<&str>, out: &Path) -> Result<Clip, DataError> {
    let ds = Dataset::open(dir)?;
    let mut cfg = StreamConfig::train(split, 0);
    cfg.shuffle = false;
    let mut found = None;
    for c in ds.stream(cfg)? {
        let c = c?;
        if key.is_none_or(|k| k == c.key) {
            found = Some(c);
            break;
        }
    }
    let Some(c) = found else {
        let which = key.map_or("no clip".to_string(), |k| format!("no clip '{k}'"));
        return Err(DataError::Config { reason: format!("{which} in split '{split}' of {}", dir.display()) });
    };
    let with = |ext: &str| {
        let mut p = out.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    let io = |path: PathBuf| move |source| DataError::Io { path, source };
    c.duo.write(&with(".npz"))?;
    let wav = with(".wav");
    duologue_params::atomic::write(&wav, &crate::wav::encode_pcm16(&c.audio, duologue_params::SAMPLE_RATE))
        .map_err(io(wav.clone()))?;
    let json = with(".json");
    let meta = serde_json::to_string_pretty(&c.meta)
        .map_err(|e| DataError::Json { what: json.display().to_string(), reason: e.to_string() })?;
    duologue_params::atomic::write(&json, meta.as_bytes()).map_err(io(json.clone()))?;
    Ok(c)
}
