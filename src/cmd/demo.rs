//! `duologue demo [--out DIR] [--seed N] [--layout TEXT]`: the product in one command, from any
//! directory, with nothing to download: the conversation clip and the default model built into
//! the binary go through `generate` (DESIGN.md §1–3, §6), and the results land in
//! `./duologue-demo/` (result .npz, animated .glb, ARKit CSV per person, MP4 with the sound).

use super::generate::{max_seconds, report, run_job, OutputArgs};
use anyhow::{Context, Result};
use duologue_pipeline::{
    AudioInput, GenerateOptions, Job, LayoutSpec, DEFAULT_MAX_MINUTES, DEMO_CLIP, DEMO_CLIP_NAME, DEMO_LAYOUT,
};
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
    #[arg(long)]
    pub steps: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: Args) -> Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output folder {}", args.out.display()))?;
    // The clip goes next to the results: the MP4 muxes it, and it is there to listen to.
    let clip = args.out.join(DEMO_CLIP_NAME);
    std::fs::write(&clip, DEMO_CLIP).with_context(|| format!("cannot write {}", clip.display()))?;
    if !args.output.json {
        println!(
            "duologue demo: a built-in 9.5 s conversation, \"{}\", default model -> {}",
            args.layout,
            args.out.display()
        );
        println!("audio: {}", clip.display());
    }
    let job = Job {
        input: AudioInput::Mixed(clip),
        model: None,
        layout: LayoutSpec::Text(args.layout.clone()),
        // Offline on purpose: the demo never touches the network.
        llm: None,
        opts: GenerateOptions { steps: args.steps, guidance: None, seed: args.seed, overlap: None },
        identities: None,
        max_seconds: max_seconds(DEFAULT_MAX_MINUTES)?,
        out: args.out.clone(),
        formats: args.output.formats.clone(),
        name: None,
    };
    let outcome = run_job(job)?;
    report(&outcome, args.output.json);
    Ok(())
}
