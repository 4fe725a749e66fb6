//! `duologue bench generate`: wall time, peak memory and real-time factor of the generate path
//! ([`duologue_pipeline::execute`], the model of paper §3 sampled window by window) for a few
//! audio lengths and model sizes, on this machine.
//!
//! Every case runs in a child process (the `duologue` binary's hidden `bench case` subcommand,
//! [`case`]) so that its peak resident memory is its own: the child reads its high-water mark
//! (`VmHWM`, /proc/self/status) at each stage's end and reports per-stage times as one JSON
//! line. The parent measures the child's whole wall time (process start, model load and all).
//!
//! The input is real speech: a two-voice conversation spoken by espeak-ng
//! ([`duologue_data::talk::conversation`]), made once into the work folder and cut to each
//! duration. Untrained checkpoints stand in for model sizes that have no trained weights:
//! timing does not depend on the weights' values.

use crate::error::io;
use crate::{HarnessError, Result};
use burn::module::Module;
use burn::prelude::Device;
use duologue_audio::mel::frames_for;
use duologue_export::Format;
use duologue_model::checkpoint::{save, CheckpointMeta};
use duologue_model::losses::Stage as TrainStage;
use duologue_model::{Checkpoint, Config, DuoNet};
use duologue_params::SAMPLE_RATE;
use duologue_pipeline::assets::DEFAULT_MODEL;
use duologue_pipeline::{
    execute, timeline_starts, AudioInput, Event, GenerateOptions, Job, LayoutSpec, DEFAULT_MODEL_LABEL,
    EDGE_MARGIN,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The versioned configs, built in so the binary can time them from any folder.
const BUILTIN_CONFIGS: [(&str, &str); 3] = [
    ("cpu", include_str!("../../../configs/cpu.toml")),
    ("paper", include_str!("../../../configs/paper.toml")),
    ("tiny", include_str!("../../../configs/tiny.toml")),
];

/// One case, run in this process.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    /// The recording.
    pub audio: PathBuf,
    /// The checkpoint; None: the model built into the binary.
    pub model: Option<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// DDIM steps (None: the checkpoint's config).
    pub steps: Option<usize>,
    /// Exports timed after the .npz.
    pub exports: Vec<Format>,
    /// Seed of the noise and identities.
    pub seed: u64,
}

/// Peak resident set of this process so far (VmHWM), MiB; None where /proc is missing.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Runs one case through [`execute`] (face-to-face layout and random identities, as `generate`
/// does without flags) with a clock between its stages; returns the report line's JSON.
pub fn case(spec: &CaseSpec) -> Result<Value> {
    let job = Job {
        model: spec.model.clone(),
        opts: GenerateOptions { steps: spec.steps, seed: spec.seed, ..GenerateOptions::default() },
        formats: spec.exports.clone(),
        name: Some("talk".into()),
        ..Job::new(AudioInput::Mixed(spec.audio.clone()), LayoutSpec::Default, spec.out.clone())
    };
    let mut stages = serde_json::Map::new();
    stages.insert("exports".into(), Value::Null);
    let mut clock = Instant::now();
    let outcome = execute(job, &mut |event| {
        if let Event::Stage(stage) = event {
            let s = clock.elapsed().as_secs_f64();
            clock = Instant::now();
            stages.insert(stage.name().into(), json!({"s": s, "peak_rss_mib": peak_rss_mib()}));
        }
    })
    .map_err(|source| HarnessError::Pipeline { what: spec.audio.display().to_string(), source })?;
    // Linux sums RSS from per-CPU counters lazily, so a later VmHWM can read a little below an
    // earlier one (seen: 64.73 MiB after 64.87 MiB): the peak is the highest reading.
    let peak = stages
        .values()
        .filter_map(|s| s["peak_rss_mib"].as_f64())
        .chain(peak_rss_mib())
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    Ok(json!({
        "frames": outcome.frames,
        "windows": outcome.windows,
        "steps": outcome.steps,
        "speech_found": outcome.speech_found,
        "peak_rss_mib": peak,
        "stages": stages,
    }))
}

/// The benchmark's settings.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    /// Audio lengths, seconds.
    pub durations: Vec<f64>,
    /// Models: `default`, `cpu`, `paper`, `tiny` or a config .toml path.
    pub configs: Vec<String>,
    /// A checkpoint timed as `default` instead of the built-in model.
    pub model: Option<PathBuf>,
    /// DDIM steps (None: each checkpoint's config).
    pub steps: Option<usize>,
    /// Exports timed after the .npz.
    pub exports: Vec<Format>,
    /// Cases needing more windows than this are estimated, not run.
    pub max_windows: Option<usize>,
    /// Folder for the speech, untrained checkpoints and results.
    pub work: PathBuf,
    /// Seed of the noise and identities.
    pub seed: u64,
    /// The program whose `bench case` runs each case (the `duologue` binary).
    pub exe: PathBuf,
}

/// A model to time: a checkpoint and what it is.
#[derive(Debug, Clone)]
pub struct BenchModel {
    /// Name in the table (`default`, `paper`, a config file stem).
    pub name: String,
    /// What the checkpoint holds.
    pub description: String,
    /// The checkpoint file; None: the model built into the binary.
    pub checkpoint: Option<PathBuf>,
    /// Window length L in frames.
    pub frames: usize,
    /// Parameter count.
    pub params: usize,
}

/// One row of the results.
#[derive(Debug, Clone)]
pub struct Row {
    /// Index into [`BenchReport::models`].
    pub model: usize,
    /// Audio length, seconds.
    pub seconds: f64,
    /// Windows sampled.
    pub windows: usize,
    /// The child's report; None for an estimated row.
    pub report: Option<Value>,
    /// Wall time of the child, seconds (estimated rows: the estimate; NaN: neither).
    pub wall: f64,
}

impl Row {
    /// Seconds spent in a stage (`load`, `decode`, `masks_features`, `sample`, `write_npz`,
    /// `exports`).
    pub fn stage(&self, name: &str) -> Option<f64> {
        self.report.as_ref()?.pointer(&format!("/stages/{name}/s"))?.as_f64()
    }

    /// The child's peak resident memory, MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        self.report.as_ref()?.get("peak_rss_mib")?.as_f64()
    }
}

/// The benchmark's results.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The models timed.
    pub models: Vec<BenchModel>,
    /// One row per model and duration.
    pub rows: Vec<Row>,
    /// Everything as JSON (`--out`).
    pub json: Value,
}

/// What the benchmark reports while it works.
#[derive(Debug)]
pub enum BenchEvent<'a> {
    /// The conversation is being spoken (once per work folder and length).
    Speaking {
        /// Its length, seconds.
        seconds: f64,
        /// Where it goes.
        path: &'a Path,
    },
    /// A case starts.
    Case {
        /// Model name.
        model: &'a str,
        /// Audio length, seconds.
        seconds: f64,
        /// Windows it samples.
        windows: usize,
    },
    /// A case ended after `wall` seconds.
    Done {
        /// Audio length, seconds.
        seconds: f64,
        /// Wall time.
        wall: f64,
    },
}

/// Writes an untrained checkpoint of `config` (fixed seed) that `Generator::load` reads.
fn untrained(name: &str, description: String, config: Config, work: &Path) -> Result<BenchModel> {
    let device = Device::flex();
    device.seed(0);
    let net = DuoNet::new(&config.model, &device);
    let params = Module::num_params(&net);
    let checkpoint = work.join(format!("untrained-{name}.safetensors"));
    let frames = config.model.frames;
    let meta = CheckpointMeta { config, step: 0, stage: TrainStage::One, rng: [0; 4] };
    save(&checkpoint, &net, None, None, &meta)
        .map_err(|source| HarnessError::Model { path: checkpoint.clone(), source })?;
    Ok(BenchModel { name: name.to_string(), description, checkpoint: Some(checkpoint), frames, params })
}

fn resolve_model(spec: &str, explicit: Option<&Path>, work: &Path) -> Result<BenchModel> {
    let model_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HarnessError::Model { path, source }
    };
    if let Some((name, text)) = BUILTIN_CONFIGS.iter().find(|(n, _)| *n == spec) {
        let description = format!("untrained configs/{name}.toml");
        let config = Config::from_toml(text).map_err(model_err(Path::new(name)))?;
        return untrained(name, description, config, work);
    }
    match spec {
        "default" => {
            let (checkpoint, description, config) = match explicit {
                Some(path) => {
                    let config = Checkpoint::read(path).map_err(model_err(path))?.meta.config;
                    (Some(path.to_path_buf()), format!("checkpoint {}", path.display()), config)
                }
                None => {
                    let label = Path::new(DEFAULT_MODEL_LABEL);
                    let config =
                        Checkpoint::from_bytes(DEFAULT_MODEL, label).map_err(model_err(label))?.meta.config;
                    (None, "built-in default model (models/default.safetensors)".into(), config)
                }
            };
            // Counted on a fresh network of the same config: the checkpoint has the same shapes.
            let params = Module::num_params(&DuoNet::new(&config.model, &Device::flex()));
            Ok(BenchModel {
                name: "default".into(),
                description,
                checkpoint,
                frames: config.model.frames,
                params,
            })
        }
        path if path.ends_with(".toml") => {
            let p = Path::new(path);
            let stem = p.file_stem().map_or("config".into(), |s| s.to_string_lossy().into_owned());
            untrained(&stem, format!("untrained {path}"), Config::load(p).map_err(model_err(p))?, work)
        }
        other => Err(HarnessError::Invalid(format!(
            "unknown model {other:?}: use default, cpu, paper, tiny or a config .toml path"
        ))),
    }
}

/// The speech for the longest case, reused from `work` when a long enough one is there.
fn speech(work: &Path, seconds: f64, on: &mut dyn FnMut(BenchEvent<'_>)) -> Result<Vec<f32>> {
    let path = work.join("conversation.wav");
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok((samples, rate)) = duologue_data::wav::decode(&bytes) {
            if rate == SAMPLE_RATE && samples.len() as f64 >= seconds * SAMPLE_RATE as f64 {
                return Ok(samples);
            }
        }
    }
    on(BenchEvent::Speaking { seconds, path: &path });
    let samples = duologue_data::talk::conversation(seconds).map_err(HarnessError::Speech)?;
    std::fs::write(&path, duologue_data::wav::encode_pcm16(&samples, SAMPLE_RATE)).map_err(io(&path))?;
    Ok(samples)
}

/// Runs `model`'s case on `audio` in a child process; returns its report and wall time.
fn run_child(spec: &BenchSpec, audio: &Path, model: &BenchModel, out: &Path) -> Result<(Value, f64)> {
    let mut cmd = Command::new(&spec.exe);
    cmd.arg("bench").arg("case").arg("--audio").arg(audio);
    if let Some(path) = &model.checkpoint {
        cmd.arg("--model").arg(path);
    }
    cmd.arg("--out").arg(out).arg("--seed").arg(spec.seed.to_string());
    if let Some(s) = spec.steps {
        cmd.arg("--steps").arg(s.to_string());
    }
    if !spec.exports.is_empty() {
        cmd.arg("--exports").arg(format_names(&spec.exports).join(","));
    }
    let start = Instant::now();
    let output = cmd.stderr(Stdio::inherit()).output().map_err(io(&spec.exe))?;
    let wall = start.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(HarnessError::Case(format!("the case process failed ({})", output.status)));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    let report: Value =
        serde_json::from_str(line).map_err(|e| HarnessError::Case(format!("report {line:?}: {e}")))?;
    Ok((report, wall))
}

/// The command-line names of `formats` (`arkit-csv`, ...).
fn format_names(formats: &[Format]) -> Vec<&'static str> {
    formats.iter().map(|f| f.name()).collect()
}

/// Runs the benchmark: every model at every duration (shortest first), each in a child process.
pub fn bench_generate(spec: &BenchSpec, on: &mut dyn FnMut(BenchEvent<'_>)) -> Result<BenchReport> {
    let one_frame = duologue_params::HOP as f64 / SAMPLE_RATE as f64;
    if spec.durations.iter().any(|d| d.is_nan() || *d < one_frame) {
        return Err(HarnessError::Invalid(
            "every duration must be at least one 25 fps frame (0.04 s)".into(),
        ));
    }
    // The speech for the longest case is held in memory (3.8 MB a minute): no longer than what
    // `generate` accepts by default.
    let most = duologue_pipeline::DEFAULT_MAX_MINUTES * 60.0;
    if let Some(d) = spec.durations.iter().find(|d| **d > most) {
        return Err(HarnessError::Invalid(format!(
            "a duration of {:.0} minutes is longer than generate accepts by default ({:.0} minutes)",
            d / 60.0,
            most / 60.0
        )));
    }
    std::fs::create_dir_all(&spec.work).map_err(io(&spec.work))?;
    if spec.model.is_some() && !spec.configs.iter().any(|c| c == "default") {
        return Err(HarnessError::Invalid("--model is timed as `default`: add default to --configs".into()));
    }
    let models: Vec<BenchModel> = spec
        .configs
        .iter()
        .map(|c| resolve_model(c, spec.model.as_deref(), &spec.work))
        .collect::<Result<_>>()?;
    // Names key the checkpoints and result folders in `work`.
    for (i, m) in models.iter().enumerate() {
        if models[..i].iter().any(|o| o.name == m.name) {
            return Err(HarnessError::Invalid(format!("two models are named {:?} in --configs", m.name)));
        }
    }
    let longest = spec.durations.iter().copied().fold(0.0, f64::max);
    let speech = speech(&spec.work, longest, on)?;
    let mut sorted = spec.durations.clone();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let load_start = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let mut rows = Vec::new();
    for (m, model) in models.iter().enumerate() {
        for &seconds in &sorted {
            let samples = ((seconds * SAMPLE_RATE as f64).round() as usize).min(speech.len());
            let windows =
                timeline_starts(frames_for(samples), EDGE_MARGIN, model.frames, model.frames / 5).len();
            if spec.max_windows.is_some_and(|max| windows > max) {
                rows.push(Row { model: m, seconds, windows, report: None, wall: f64::NAN });
                continue;
            }
            let audio = spec.work.join(format!("talk-{seconds}s.wav"));
            std::fs::write(&audio, duologue_data::wav::encode_pcm16(&speech[..samples], SAMPLE_RATE))
                .map_err(io(&audio))?;
            on(BenchEvent::Case { model: &model.name, seconds, windows });
            let out = spec.work.join(format!("out-{}-{seconds}s", model.name));
            let (report, wall) = run_child(spec, &audio, model, &out)?;
            on(BenchEvent::Done { seconds, wall });
            rows.push(Row { model: m, seconds, windows, report: Some(report), wall });
        }
    }
    estimate(&mut rows);
    let cases: Vec<Value> = rows.iter().map(|r| row_json(r, &models[r.model])).collect();
    let json = json!({
        "command": "duologue bench generate",
        "profile": if cfg!(debug_assertions) { "dev" } else { "release" },
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "loadavg_at_start": load_start.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "exports": format_names(&spec.exports),
        "cases": cases,
    });
    Ok(BenchReport { models, rows, json })
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

fn row_json(r: &Row, model: &BenchModel) -> Value {
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
        "peak_rss_mib": r.peak_rss_mib(),
        "sample_s_per_window": per_window,
        "report": r.report,
    })
}

/// `90` -> `1.5 min`, `10` -> `10 s`.
pub fn human(seconds: f64) -> String {
    let trim = |v: f64| {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if seconds >= 60.0 {
        format!("{} min", trim(seconds / 60.0))
    } else {
        format!("{} s", trim(seconds))
    }
}

/// The results as a Markdown table, one row per case.
pub fn table(report: &BenchReport) -> String {
    let mut s = String::from(
        "| model | params | audio | windows | wall | RTF | peak RSS | load | decode | masks+mel | sampling | per window | .npz | exports |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let secs = |v: Option<f64>| v.map_or("-".into(), |s| format!("{s:.2} s"));
    for r in &report.rows {
        let m = &report.models[r.model];
        let (wall, rtf) = match (r.report.is_some(), r.wall.is_finite()) {
            (true, _) => (format!("{:.1} s", r.wall), format!("{:.3}", r.wall / r.seconds)),
            (false, true) => (format!("~{:.0} s (estimated)", r.wall), format!("~{:.3}", r.wall / r.seconds)),
            (false, false) => ("not run".into(), "-".into()),
        };
        s.push_str(&format!(
            "| {} | {:.1} M | {} | {} | {wall} | {rtf} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            m.name,
            m.params as f64 / 1e6,
            human(r.seconds),
            r.windows,
            r.peak_rss_mib().map_or("-".into(), |v| format!("{v:.0} MiB")),
            secs(r.stage("load")),
            secs(r.stage("decode")),
            secs(r.stage("masks_features")),
            secs(r.stage("sample")),
            secs(r.stage("sample").map(|s| s / r.windows as f64)),
            secs(r.stage("write_npz")),
            secs(r.stage("exports")),
        ));
    }
    s
}
