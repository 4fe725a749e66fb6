//! `duologue bench generate`: wall time, peak memory and real-time factor of the generate path
//! per audio length and model size on this machine ([`duologue_harness::bench`]: each case in
//! its own process, this binary's hidden `bench case`).
//!
//! `duologue bench preview`: how readable both mouths are in the MP4 preview — the share of
//! frames where each mouth shows at least [`MIN_LIP_PIXELS`] lip pixels (at 1280x720) — for
//! the demo and for every preset layout, with the shot the camera chose.
//!
//! `duologue bench serve`: latency percentiles and throughput of `duologue serve` under
//! concurrent clients ([`super::bench_serve`]).

use anyhow::{Context, Result};
use duologue_export::Format;
use duologue_export::Shot;
use duologue_face::FaceModel;
use duologue_harness::bench::{bench_generate, case, human, table, BenchEvent, BenchSpec, CaseSpec};
use duologue_params::Duo;
use duologue_pipeline::{execute, Job, LayoutSpec, DEMO_LAYOUT};
use duologue_render::{RenderOptions, Scene, MIN_LIP_PIXELS};
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
    /// Share of preview frames in which both mouths are readable, per preset layout.
    Preview(PreviewArgs),
    /// Latency percentiles and throughput of `duologue serve` under concurrent clients.
    Serve(super::bench_serve::ServeArgs),
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

/// Arguments of `duologue bench preview`.
#[derive(clap::Args)]
struct PreviewArgs {
    /// Layouts: `demo` (the demo's sentence) and preset names (`duologue layout
    /// --list-presets`); comma separated. Default: demo and every preset.
    #[arg(long, value_delimiter = ',')]
    layouts: Vec<String>,
    /// The preview camera (auto, two-shot, split, front).
    #[arg(long, default_value = "auto", value_parser = super::camera)]
    camera: Shot,
    /// Preview width in pixels.
    #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(2..=8192))]
    width: u32,
    /// Preview height in pixels.
    #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(2..=8192))]
    height: u32,
    /// Measure every Nth frame.
    #[arg(long, default_value_t = 1, value_parser = super::at_least_one)]
    every: usize,
    /// A checkpoint instead of the built-in model.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Seed of the noise and identities.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for the results (default: duologue-bench-preview in the system temporary folder).
    #[arg(long)]
    work: Option<PathBuf>,
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
        Bench::Preview(a) => run_preview(a),
        Bench::Serve(a) => super::bench_serve::run(a),
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

fn run_preview(args: PreviewArgs) -> Result<()> {
    let layouts = if args.layouts.is_empty() {
        let library = duologue_layout::Library::builtin();
        std::iter::once("demo".to_string())
            .chain(library.preset_names().into_iter().map(String::from))
            .collect()
    } else {
        args.layouts.clone()
    };
    let work = args.work.clone().unwrap_or_else(|| std::env::temp_dir().join("duologue-bench-preview"));
    let face = FaceModel::shared();
    let opts = RenderOptions {
        width: args.width,
        height: args.height,
        shot: args.camera,
        ..RenderOptions::default()
    };
    let target = duologue_render::shot::lip_pixel_target(args.width, args.height);
    eprintln!(
        "lip pixels per mouth at {}x{} (target {target:.0}, i.e. {MIN_LIP_PIXELS:.0} at 1280x720), every {} frame(s)",
        args.width, args.height, args.every
    );
    println!(
        "{:<14} {:<9} {:>7} {:>9} {:>13} {:>13} {:>9}",
        "layout", "shot", "frames", "legible", "min A/B", "median A/B", "ms/frame"
    );
    let mut rows = Vec::new();
    for name in &layouts {
        let mut job = Job::demo(work.join(name), DEMO_LAYOUT)?;
        if name != "demo" {
            job.layout = LayoutSpec::Preset(name.clone());
        }
        job.model = args.model.clone();
        job.opts.seed = args.seed;
        let outcome = execute(job, &mut |_| {})?;
        let duo = Duo::read(&outcome.result)?;
        let scene = Scene::for_duo(face, &duo, opts.clone())?;
        let start = std::time::Instant::now();
        let cov = scene.lip_coverage(args.every);
        let ms = start.elapsed().as_secs_f64() * 1e3 / cov.frames.max(1) as f64;
        println!(
            "{name:<14} {:<9} {:>7} {:>8.1}% {:>6.0}/{:<6.0} {:>6.0}/{:<6.0} {ms:>9.1}",
            scene.shot().name(),
            cov.frames,
            100.0 * cov.fraction(),
            cov.min[0],
            cov.min[1],
            cov.median[0],
            cov.median[1]
        );
        rows.push(serde_json::json!({
            "layout": name, "shot": scene.shot().name(), "frames": cov.frames,
            "legible_fraction": cov.fraction(), "target": cov.target,
            "min": cov.min, "median": cov.median, "ms_per_frame": ms,
        }));
    }
    if let Some(path) = &args.out {
        let json = serde_json::json!({ "width": args.width, "height": args.height, "camera": args.camera.name(), "every": args.every, "layouts": rows });
        std::fs::write(path, serde_json::to_string_pretty(&json)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
