//! `duologue simulate`: two-person conversations (or single-speaker monologues) made offline
//! with espeak-ng, written as tar shards with a manifest (paper §3.6, DESIGN §6;
//! [`duologue_data::make::simulate_dataset`]). Conversations are augmented by default (room,
//! noise, microphone, telephone, codec, level: [`duologue_data::channel`]); `--clean` turns it off.

use anyhow::Result;
use duologue_data::make::{simulate_dataset, SimulateJob};
use duologue_data::SimConfig;
use indicatif::{ProgressBar, ProgressStyle};

/// Arguments of `duologue simulate`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dataset: super::DatasetArgs,
    /// Clip length in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f32,
    /// Fraction of voices, identities and clips in the validation split.
    #[arg(long, default_value_t = 0.05, value_parser = super::fraction)]
    pub val: f32,
    /// Fraction of voices, identities and clips in the test split.
    #[arg(long, default_value_t = 0.05, value_parser = super::fraction)]
    pub test: f32,
    /// Seed of the voice/identity split assignment (keep it fixed across runs that must not
    /// leak voices between splits).
    #[arg(long, default_value_t = 0)]
    pub split_seed: u64,
    /// Size of the identity pool.
    #[arg(long, default_value_t = 2000, value_parser = super::at_least_one)]
    pub identities: usize,
    #[command(flatten)]
    pub augment: super::augment::AugmentArgs,
    /// Leave out Piper's neural voice (speak with espeak-ng's voices only).
    #[arg(long)]
    pub no_neural: bool,
    /// Probability that a person speaks with the neural voice.
    #[arg(long, default_value_t = 0.25, value_parser = super::fraction)]
    pub p_neural: f32,
    /// A voice family whose voices all go to the test split, so training never hears its kind
    /// of voice: espeak, espeak-klatt, mbrola or piper.
    #[arg(long)]
    pub hold_out_family: Option<String>,
    /// Make single-speaker monologues (dubbing sources for `duologue dub`) instead.
    #[arg(long)]
    pub single: bool,
    /// Worker threads (espeak-ng itself runs one at a time; motion and mixing run in parallel).
    #[arg(long, value_parser = super::at_least_one)]
    pub jobs: Option<usize>,
}

pub fn run(args: Args) -> Result<()> {
    let ((p_reverb, p_noise), channel) = args.augment.odds();
    let job = SimulateJob {
        clips: args.dataset.clips,
        out: args.dataset.out,
        seed: args.dataset.seed,
        config: SimConfig {
            seconds: args.seconds,
            p_reverb,
            p_noise,
            channel,
            neural: !args.no_neural,
            p_neural: args.p_neural,
            held_out_family: args.hold_out_family,
            ..Default::default()
        },
        clips_per_shard: args.dataset.clips_per_shard,
        val: args.val,
        test: args.test,
        split_seed: args.split_seed,
        identities: args.identities,
        single: args.single,
        jobs: args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let bar = ProgressBar::new(job.clips);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} clips {per_sec} eta {eta}")?);
    let manifest = simulate_dataset(&job, &mut |done| bar.set_position(done))?;
    bar.finish_and_clear();
    let clips: usize = manifest.shards.iter().map(|s| s.clips).sum();
    let hours: f64 = manifest.shards.iter().map(|s| s.seconds).sum::<f64>() / 3600.0;
    println!(
        "{}: {clips} clips, {hours:.3} h in {} shards ({})",
        job.out.display(),
        manifest.shards.len(),
        manifest.shards.iter().map(|s| format!("{} {}", s.split, s.clips)).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
