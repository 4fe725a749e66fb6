//! `duologue demo [--out DIR] [--seed N] [--layout TEXT]`: the product in one command, from any
//! directory, with nothing to download: the conversation clip and the default model built into
//! the binary go through `generate` (DESIGN.md §1–3, §6), and the results land in
//! `./duologue-demo/` (result .npz, animated .glb, ARKit CSV per person, MP4 with the sound).

use super::OutputArgs;
use crate::ui::{report, run_job};
use anyhow::Result;
use duologue_pipeline::{GenerateOptions, Job, DEMO_LAYOUT};
use std::path::PathBuf;

/// Arguments of `duologue demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Output folder (created if missing; files in it with the demo's names are replaced).
    #[arg(long, default_value = "duologue-demo")]
    pub out: PathBuf,
    /// Seed of the noise and the two random identities.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where the two people are, in words.
    #[arg(long, default_value = DEMO_LAYOUT)]
    pub layout: String,
    /// DDIM steps (default: the model's config).
    #[arg(long, value_parser = super::ddim_steps)]
    pub steps: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: Args) -> Result<()> {
    let job = Job {
        opts: GenerateOptions { steps: args.steps, seed: args.seed, ..GenerateOptions::default() },
        formats: args.output.formats.clone(),
        morphs: args.output.style.morphs(),
        arkit_fps: args.output.style.arkit_fps,
        camera: args.output.style.camera,
        ..Job::demo(args.out.clone(), &args.layout)?
    };
    if !args.output.json {
        println!(
            "duologue demo: a built-in 9.5 s conversation, \"{}\", default model -> {}",
            args.layout,
            args.out.display()
        );
        println!("audio: {}", job.input.main_path().display());
    }
    let outcome = run_job(job)?;
    report(&outcome, args.output.json);
    Ok(())
}
