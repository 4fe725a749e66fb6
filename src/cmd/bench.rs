//! `duologue bench generate`: wall time, peak memory and real-time factor of the generate path
//! (DESIGN.md §1–3, §6; the model of paper §3 sampled window by window, L = 250 frames in the
//! versioned configs) for a few audio lengths and model sizes, on this machine (issue 9).
//!
//! Every case runs in a child process (this binary, hidden `bench case` subcommand) so that its
//! peak resident memory is its own: the child reads its high-water mark (`VmHWM`,
//! /proc/self/status) just before it exits and reports it with per-stage times as one JSON line.
//! The parent measures the child's whole wall time (process start, model load and all).
//!
//! The input is real speech: a two-voice conversation spoken by espeak-ng (alternating turns of
//! corpus sentences), made once into the work folder and cut to each duration. Untrained
//! checkpoints stand in for model sizes that have no trained weights: timing does not depend on
//! the weights' values.

use super::export::{write_exports, Format, Settings};
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::prelude::Device;
use clap::ValueEnum;
use duologue_audio::{mel::frames_for, MaskOptions};
use duologue_data::espeak::{english_voices, synthesize, VoiceSpec};
use duologue_data::text::Corpus;
use duologue_model::checkpoint::{save, CheckpointMeta};
use duologue_model::losses::Stage;
use duologue_model::{Checkpoint, Config, DuoNet};
use duologue_params::SAMPLE_RATE;
use duologue_pipeline::assets::DEFAULT_MODEL;
use duologue_pipeline::{
    default_generator, generate, load_generator, random_betas, read_audio, resolve_layout, window_starts,
    AudioInput, Conditioning, GenerateOptions, LayoutSpec, DEFAULT_MAX_MINUTES, DEFAULT_MODEL_LABEL,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The versioned configs, built in so the binary can time them from any folder.
const BUILTIN_CONFIGS: [(&str, &str); 3] = [
    ("cpu", include_str!("../../configs/cpu.toml")),
    ("paper", include_str!("../../configs/paper.toml")),
    ("tiny", include_str!("../../configs/tiny.toml")),
];

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
        value_parser = super::train::parse_duration
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
        Bench::Generate(a) => bench_generate(a),
        Bench::Case(a) => run_case(a),
    }
}

/// Peak resident set of this process so far (VmHWM), MiB; None where /proc is missing.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The generate path of `duologue generate` (src/cmd/generate.rs) with a clock between its
/// stages: load, decode, masks + log-mel, sampling, the .npz, the exports. Face-to-face layout
/// and random identities, as `generate` does without flags.
fn run_case(args: CaseArgs) -> Result<()> {
    let mut clock = Instant::now();
    let mut lap = || {
        let s = clock.elapsed().as_secs_f64();
        clock = Instant::now();
        (s, peak_rss_mib())
    };
    let generator = match &args.model {
        Some(path) => load_generator(path)?,
        None => default_generator()?,
    };
    let load = lap();
    let decoded = read_audio(&AudioInput::Mixed(args.audio.clone()), DEFAULT_MAX_MINUTES * 60.0)?;
    let decode = lap();
    let (layout, _) = resolve_layout(&LayoutSpec::Default, None);
    let l = generator.config().model.frames;
    let cond = Conditioning::from_audio(
        &decoded.tracks,
        &layout,
        random_betas(args.seed),
        &MaskOptions::default(),
        l,
    )?;
    let condition = lap();
    let opts = GenerateOptions { steps: args.steps, guidance: None, seed: args.seed, overlap: None };
    let duo = generate(&generator, &cond, &opts, &mut |_, _| {})?;
    let sample = lap();
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    duo.write(&args.out.join("talk.npz"))?;
    let write = lap();
    // Without exports nothing is called: even an empty export list loads the face model.
    let exports = if args.exports.is_empty() {
        None
    } else {
        let settings = Settings { audio: Some(args.audio.clone()), ..Settings::default() };
        write_exports(&duo, "talk", &args.out, &args.exports, &settings)?;
        Some(lap())
    };
    let stage = |(s, rss): (f64, Option<f64>)| json!({"s": s, "peak_rss_mib": rss});
    let report = json!({
        "frames": cond.frames,
        "window": l,
        "windows": window_starts(cond.frames, l, l / 5).len(),
        "steps": opts.steps.unwrap_or(generator.config().sample.steps),
        "speech_found": !cond.silent(),
        "peak_rss_mib": peak_rss_mib(),
        "stages": {
            "load": stage(load),
            "decode": stage(decode),
            "masks_features": stage(condition),
            "sample": stage(sample),
            "write_npz": stage(write),
            "exports": exports.map(stage),
        },
    });
    println!("{report}");
    Ok(())
}

/// A model to time: a checkpoint and what it is.
struct Model {
    /// Name in the table (`default`, `paper`, a config file stem).
    name: String,
    /// What the checkpoint holds.
    description: String,
    /// The checkpoint file; None: the model built into the binary.
    checkpoint: Option<PathBuf>,
    /// Window length L in frames.
    frames: usize,
    /// Parameter count when known.
    params: Option<usize>,
}

/// Writes an untrained checkpoint of `config` (fixed seed) that `Generator::load` reads.
fn untrained(name: &str, description: String, config: Config, work: &Path) -> Result<Model> {
    let device = Device::flex();
    device.seed(0);
    let net = DuoNet::new(&config.model, &device);
    let params = Module::num_params(&net);
    let checkpoint = work.join(format!("untrained-{name}.safetensors"));
    let frames = config.model.frames;
    let meta = CheckpointMeta { config, step: 0, stage: Stage::One, rng: [0; 4] };
    save(&checkpoint, &net, None, None, &meta)?;
    Ok(Model {
        name: name.to_string(),
        description,
        checkpoint: Some(checkpoint),
        frames,
        params: Some(params),
    })
}

fn resolve_model(spec: &str, explicit: Option<&Path>, work: &Path) -> Result<Model> {
    if let Some((name, text)) = BUILTIN_CONFIGS.iter().find(|(n, _)| *n == spec) {
        let description = format!("untrained configs/{name}.toml");
        return untrained(name, description, Config::from_toml(text)?, work);
    }
    match spec {
        "default" => {
            let (checkpoint, description, config) = match explicit {
                Some(path) => {
                    let config = Checkpoint::read(path)?.meta.config;
                    (Some(path.to_path_buf()), format!("checkpoint {}", path.display()), config)
                }
                None => {
                    let label = Path::new(DEFAULT_MODEL_LABEL);
                    let config = Checkpoint::from_bytes(DEFAULT_MODEL, label)?.meta.config;
                    (None, "built-in default model (models/default.safetensors)".into(), config)
                }
            };
            // Counted on a fresh network of the same config: the checkpoint has the same shapes.
            let params = Module::num_params(&DuoNet::new(&config.model, &Device::flex()));
            Ok(Model {
                name: "default".into(),
                description,
                checkpoint,
                frames: config.model.frames,
                params: Some(params),
            })
        }
        path if path.ends_with(".toml") => {
            let p = Path::new(path);
            let stem = p.file_stem().map_or("config".into(), |s| s.to_string_lossy().into_owned());
            untrained(&stem, format!("untrained {path}"), Config::load(p)?, work)
        }
        other => bail!("unknown model {other:?}: use default, cpu, paper, tiny or a config .toml path"),
    }
}

/// A two-person conversation of at least `seconds` at 16 kHz: turns of one to three corpus
/// sentences, alternating between a male and a female espeak-ng voice, 0.2–0.7 s apart.
fn conversation(seconds: f64) -> Result<Vec<f32>> {
    // A man with an American and a woman with a British voice when installed (names are
    // eSpeak voice file names), else the first two English voices there are.
    let available = english_voices()?;
    if available.is_empty() {
        bail!("espeak-ng has no English voice (scripts/setup.sh installs espeak-ng-data)");
    }
    let voice = |want: &str, fallback: usize, pitch| VoiceSpec {
        name: if available.iter().any(|v| v == want) {
            want.to_string()
        } else {
            available[fallback % available.len()].clone()
        },
        rate: 170,
        pitch,
        range: 60,
        volume: 100,
    };
    let voices = [voice("en-US+Andy", 0, 40), voice("en+Alicia", 1, 65)];
    let corpus = Corpus::bundled();
    if corpus.lines.is_empty() {
        bail!("the bundled sentence list is empty");
    }
    let need = (seconds * SAMPLE_RATE as f64).ceil() as usize;
    let mut out: Vec<f32> = Vec::with_capacity(need + SAMPLE_RATE as usize * 20);
    let mut line = 0usize;
    let mut turn = 0usize;
    while out.len() < need {
        let take = 1 + turn % 3;
        let text: Vec<&str> =
            (0..take).map(|k| corpus.lines[(line + k) % corpus.lines.len()].as_str()).collect();
        line += take;
        let u = synthesize(&voices[turn % 2], &text.join(" "))?;
        out.extend(u.samples);
        let gap = 0.2 + 0.1 * ((turn * 7) % 6) as f64;
        out.resize(out.len() + (gap * SAMPLE_RATE as f64) as usize, 0.0);
        turn += 1;
    }
    Ok(out)
}

/// The speech for the longest case, reused from `work` when a long enough one is there.
fn speech(work: &Path, seconds: f64) -> Result<Vec<f32>> {
    let path = work.join("conversation.wav");
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok((samples, rate)) = duologue_data::wav::decode(&bytes) {
            if rate == SAMPLE_RATE && samples.len() as f64 >= seconds * SAMPLE_RATE as f64 {
                return Ok(samples);
            }
        }
    }
    eprintln!("speaking a {seconds:.0} s conversation with espeak-ng into {}", path.display());
    let samples = conversation(seconds)?;
    std::fs::write(&path, duologue_data::wav::encode_pcm16(&samples, SAMPLE_RATE))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(samples)
}

/// One row of the results.
struct Row {
    model: usize,
    seconds: f64,
    windows: usize,
    /// The child's report; None for an estimated row.
    report: Option<Value>,
    wall: f64,
}

impl Row {
    fn stage(&self, name: &str) -> Option<f64> {
        self.report.as_ref()?.pointer(&format!("/stages/{name}/s"))?.as_f64()
    }
}

fn run_child(
    exe: &Path,
    audio: &Path,
    model: &Model,
    out: &Path,
    args: &GenerateArgs,
) -> Result<(Value, f64)> {
    let mut cmd = Command::new(exe);
    cmd.arg("bench").arg("case").arg("--audio").arg(audio);
    if let Some(path) = &model.checkpoint {
        cmd.arg("--model").arg(path);
    }
    cmd.arg("--out").arg(out).arg("--seed").arg(args.seed.to_string());
    if let Some(s) = args.steps {
        cmd.arg("--steps").arg(s.to_string());
    }
    if !args.exports.is_empty() {
        cmd.arg("--exports").arg(format_names(&args.exports).join(","));
    }
    let start = Instant::now();
    let output = cmd.stderr(Stdio::inherit()).output().context("cannot start the case process")?;
    let wall = start.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!("the case process failed ({})", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    let report: Value = serde_json::from_str(line).with_context(|| format!("case report {line:?}"))?;
    Ok((report, wall))
}

/// The command-line names of `formats` (`arkit-csv`, ...).
fn format_names(formats: &[Format]) -> Vec<String> {
    formats.iter().filter_map(|f| f.to_possible_value()).map(|v| v.get_name().to_string()).collect()
}

fn bench_generate(args: GenerateArgs) -> Result<()> {
    let durations: Vec<f64> = args.durations.iter().map(|d| d.as_secs_f64()).collect();
    if durations.iter().any(|&d| d * (SAMPLE_RATE as f64) < duologue_params::HOP as f64) {
        bail!("every duration must be at least one 25 fps frame (0.04 s)");
    }
    let work = args.work.clone().unwrap_or_else(|| std::env::temp_dir().join("duologue-bench"));
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    if args.model.is_some() && !args.configs.iter().any(|c| c == "default") {
        bail!("--model is timed as `default`: add default to --configs");
    }
    let models: Vec<Model> =
        args.configs.iter().map(|c| resolve_model(c, args.model.as_deref(), &work)).collect::<Result<_>>()?;
    // Names key the checkpoints and result folders in `work`.
    for (i, m) in models.iter().enumerate() {
        if models[..i].iter().any(|o| o.name == m.name) {
            bail!("two models are named {:?} in --configs", m.name);
        }
    }
    let longest = durations.iter().copied().fold(0.0, f64::max);
    let speech = speech(&work, longest)?;
    let mut sorted = durations.clone();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let load_start = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let mut rows = Vec::new();
    for (m, model) in models.iter().enumerate() {
        for &seconds in &sorted {
            let samples = ((seconds * SAMPLE_RATE as f64).round() as usize).min(speech.len());
            let windows = window_starts(frames_for(samples), model.frames, model.frames / 5).len();
            if args.max_windows.is_some_and(|max| windows > max) {
                rows.push(Row { model: m, seconds, windows, report: None, wall: f64::NAN });
                continue;
            }
            let audio = work.join(format!("talk-{seconds}s.wav"));
            std::fs::write(&audio, duologue_data::wav::encode_pcm16(&speech[..samples], SAMPLE_RATE))
                .with_context(|| format!("cannot write {}", audio.display()))?;
            eprintln!("{} / {}: {windows} window(s)...", model.name, human(seconds));
            let out = work.join(format!("out-{}-{seconds}s", model.name));
            let (report, wall) = run_child(&exe, &audio, model, &out, &args)?;
            eprintln!("  {wall:.1} s, RTF {:.3}", wall / seconds);
            rows.push(Row { model: m, seconds, windows, report: Some(report), wall });
        }
    }
    estimate(&mut rows);

    let cases: Vec<Value> = rows.iter().map(|r| row_json(r, &models[r.model])).collect();
    let summary = json!({
        "command": "duologue bench generate",
        "profile": if cfg!(debug_assertions) { "dev" } else { "release" },
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "loadavg_at_start": load_start.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "exports": format_names(&args.exports),
        "cases": cases,
    });
    print_table(&rows, &models);
    if let Some(path) = &args.out {
        let text = serde_json::to_string_pretty(&summary)?;
        std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Fills the skipped rows from the longest measured case of the same model: sampling scales
/// with windows, decode / masks / writing with audio length, the rest (process start, model
/// load) stays.
fn estimate(rows: &mut [Row]) {
    let measured: Vec<(usize, f64, f64, f64, f64)> = rows
        .iter()
        .filter(|r| r.report.is_some())
        .map(|r| {
            let sample = r.stage("sample").unwrap_or(0.0);
            let linear: f64 =
                ["decode", "masks_features", "write_npz", "exports"].iter().filter_map(|s| r.stage(s)).sum();
            (r.model, r.seconds, sample / r.windows as f64, linear / r.seconds, r.wall - sample - linear)
        })
        .collect();
    for r in rows.iter_mut().filter(|r| r.report.is_none()) {
        let base = measured.iter().filter(|m| m.0 == r.model).max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some(&(_, _, per_window, per_second, fixed)) = base {
            r.wall = fixed + per_second * r.seconds + per_window * r.windows as f64;
        }
    }
}

fn row_json(r: &Row, model: &Model) -> Value {
    let per_window = r.stage("sample").map(|s| s / r.windows as f64);
    json!({
        "config": model.name,
        "model": model.description,
        "params": model.params,
        "window_frames": model.frames,
        "audio_s": r.seconds,
        "windows": r.windows,
        "measured": r.report.is_some(),
        "wall_s": if r.wall.is_finite() { Some(r.wall) } else { None },
        "rtf": if r.wall.is_finite() { Some(r.wall / r.seconds) } else { None },
        "peak_rss_mib": r.report.as_ref().and_then(|v| v.get("peak_rss_mib")).and_then(Value::as_f64),
        "sample_s_per_window": per_window,
        "report": r.report,
    })
}

fn human(seconds: f64) -> String {
    if seconds >= 60.0 {
        format!("{} min", trim(seconds / 60.0))
    } else {
        format!("{} s", trim(seconds))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn print_table(rows: &[Row], models: &[Model]) {
    println!("| model | params | audio | windows | wall | RTF | peak RSS | load | decode | masks+mel | sampling | per window | .npz | exports |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let secs = |v: Option<f64>| v.map_or("-".into(), |s| format!("{s:.2} s"));
    for r in rows {
        let m = &models[r.model];
        let params = m.params.map_or("-".into(), |p| format!("{:.1} M", p as f64 / 1e6));
        let rss = r.report.as_ref().and_then(|v| v.get("peak_rss_mib")).and_then(Value::as_f64);
        let (wall, rtf) = match (r.report.is_some(), r.wall.is_finite()) {
            (true, _) => (format!("{:.1} s", r.wall), format!("{:.3}", r.wall / r.seconds)),
            (false, true) => (format!("~{:.0} s (estimated)", r.wall), format!("~{:.3}", r.wall / r.seconds)),
            (false, false) => ("not run".into(), "-".into()),
        };
        println!(
            "| {} | {params} | {} | {} | {wall} | {rtf} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.name,
            human(r.seconds),
            r.windows,
            rss.map_or("-".into(), |v| format!("{v:.0} MiB")),
            secs(r.stage("load")),
            secs(r.stage("decode")),
            secs(r.stage("masks_features")),
            secs(r.stage("sample")),
            secs(r.stage("sample").map(|s| s / r.windows as f64)),
            secs(r.stage("write_npz")),
            secs(r.stage("exports")),
        );
    }
}
