//! `duologue bench generate`: wall time, peak memory and real-time factor of the generate path
//! per audio length and model size on this machine ([`duologue_harness::bench`]: each case in
//! its own process, this binary's hidden `bench case`).

use anyhow::{Context, Result};
use duologue_export::Format;
use duologue_harness::bench::{bench_generate, case, human, table, BenchEvent, BenchSpec, CaseSpec};
use std::path::PathBuf;

/// Arguments of `duologue bench`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Bench,
}

#[derive(clap::Subcommand)]
enum Bench {
    /// Wall time, peak RSS and real-time factor of `generate` per audio length and model.
    Generate(GenerateArgs),
    /// One case in this process; prints its measurements as one JSON line (used by `generate`).
    #[command(hide = true)]
    Case(CaseArgs),
}

/// Arguments of `duologue bench generate`.
#[derive(clap::Args)]
struct GenerateArgs {
    /// Audio lengths: seconds, or with a unit (10s, 1m, 10m); comma separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,60,600",
        value_parser = super::parse_duration
    )]
    durations: Vec<std::time::Duration>,
    /// Models: `default` (the model `generate` uses: --model, else the built-in one), `cpu`,
    /// `paper`, `tiny` (untrained, from the versioned configs), or a path to a config .toml
    /// (untrained); comma separated.
    #[arg(long, value_delimiter = ',', default_value = "default,paper")]
    configs: Vec<String>,
    /// A checkpoint to time as `default` instead of the built-in model.
    #[arg(long)]
    model: Option<PathBuf>,
    /// DDIM steps (default: each checkpoint's config, 8 in the versioned ones).
    #[arg(long)]
    steps: Option<usize>,
    /// Also time these exports after the .npz (e.g. glb,arkit-csv,mp4); default: none, so the
    /// numbers are the model path.
    #[arg(long, value_enum, value_delimiter = ',')]
    exports: Vec<Format>,
    /// Estimate instead of run the cases that need more windows than this, from the same
    /// model's measured time per window (marked "estimated"; no memory figure).
    #[arg(long)]
    max_windows: Option<usize>,
    /// Folder for the speech, the untrained checkpoints and the results (reused between runs;
    /// default: duologue-bench in the system temporary folder).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Seed of the noise and identities.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write the measurements as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Arguments of the hidden `duologue bench case`.
#[derive(clap::Args)]
struct CaseArgs {
    /// The recording.
    #[arg(long)]
    audio: PathBuf,
    /// The checkpoint; default: the model built into the binary.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long, value_enum, value_delimiter = ',')]
    exports: Vec<Format>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Bench::Generate(a) => run_generate(a),
        Bench::Case(a) => {
            let spec = CaseSpec {
                audio: a.audio,
                model: a.model,
                out: a.out,
                steps: a.steps,
                exports: a.exports,
                seed: a.seed,
            };
            println!("{}", case(&spec)?);
            Ok(())
        }
    }
}

fn run_generate(args: GenerateArgs) -> Result<()> {
    let spec = BenchSpec {
        durations: args.durations.iter().map(|d| d.as_secs_f64()).collect(),
        configs: args.configs,
        model: args.model,
        steps: args.steps,
        exports: args.exports,
        max_windows: args.max_windows,
        work: args.work.unwrap_or_else(|| std::env::temp_dir().join("duologue-bench")),
        seed: args.seed,
        exe: std::env::current_exe().context("cannot find this program's path")?,
    };
    let report = bench_generate(&spec, &mut |event| match event {
        BenchEvent::Speaking { seconds, path } => {
            eprintln!("speaking a {seconds:.0} s conversation with espeak-ng into {}", path.display())
        }
        BenchEvent::Case { model, seconds, windows } => {
            eprintln!("{model} / {}: {windows} window(s)...", human(seconds))
        }
        BenchEvent::Done { seconds, wall } => eprintln!("  {wall:.1} s, RTF {:.3}", wall / seconds),
    })?;
    print!("{}", table(&report));
    if let Some(path) = &args.out {
        let text = serde_json::to_string_pretty(&report.json)?;
        std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
