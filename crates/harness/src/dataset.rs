//! The paper's Table 2 on a dataset split (paper §4.1–4.3, appendix §3.1 and §3.3; DESIGN §8).
//!
//! Protocol (paper §4.1, "we use the ground-truth translation as our condition"): for each clip
//! the model gets the audio features its checkpoint names (log-mel or Whisper) of the clip's mixed audio, the ground-truth masks,
//! first-frame translations and identities; both people are sampled (seeded DDIM) through
//! [`duologue_pipeline::generate`], windowed and stitched exactly as `duologue generate` does.
//! Feature spaces and units are documented in crates/eval; FD, P-FD and SID are on parameters
//! (DualTalk's way), not on renders.
//!
//! Baselines (paper §4.2, appendix §3.1; [`duologue_eval::baselines`]): `mean`, `listen-r`,
//! `listen-a`, `listen-m` draw from a library of training windows (cut as in training,
//! [`duologue_train::window`]); `independent` runs the model once per person. Each one's exact
//! definition goes into the report's notes ([`Baseline::describe`]). Shards hold only the mixed
//! audio, so `independent` removes the partner by silencing the mix wherever that person's
//! ground-truth mask is 0 (overlapping speech keeps the partner's voice) and giving the partner
//! a zero mask.

use crate::{HarnessError, Result};
use duologue_audio::{FeatureExtractor, LogMel, LogMelConfig};
use duologue_data::{Clip as DataClip, Dataset, OnError, StreamConfig};
use duologue_eval::baselines::{b_speaks_more, mean_baseline, orient};
use duologue_eval::plot::{figure, frame_energy_db, mouth_opening_mm};
use duologue_eval::{
    markdown_table, role_agreement_by_speaker, summary_json, AggregateConfig, EvalError, Library,
    LibraryWindow, LipSyncAcc, MethodAccumulator, MethodSummary, SidConfig, LIP_ACTIVITY_WINDOW,
    MUTUAL_GAZE_DEG,
};
use duologue_face::FaceModel;
use duologue_model::burn::prelude::Device;
use duologue_model::Generator;
use duologue_params::rng::Xoshiro256;
use duologue_params::window::{starts, train_hop};
use duologue_params::{Duo, Motion, Person, FPS, HOP, SAMPLE_RATE};
use duologue_pipeline::{Conditioning, GenerateOptions};
use std::path::{Path, PathBuf};

/// The paper's baselines (paper §4.2, appendix §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Baseline {
    /// The per-parameter mean pose of the training windows.
    Mean,
    /// A random training window (Listen-R).
    ListenR,
    /// The training window nearest by audio (Listen-A).
    ListenA,
    /// The training window nearest by the speaker's motion (Listen-M).
    ListenM,
    /// The model once per person on that person's gated audio.
    Independent,
}

impl Baseline {
    /// Every baseline, in report order.
    pub const ALL: [Baseline; 5] =
        [Baseline::Mean, Baseline::ListenR, Baseline::ListenA, Baseline::ListenM, Baseline::Independent];

    /// The name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Baseline::Mean => "mean",
            Baseline::ListenR => "listen-r",
            Baseline::ListenA => "listen-a",
            Baseline::ListenM => "listen-m",
            Baseline::Independent => "independent",
        }
    }

    /// Draws from the training library (everything but `independent`).
    pub fn needs_library(self) -> bool {
        self != Baseline::Independent
    }

    /// The exact definition, for the report's notes.
    pub fn describe(self) -> &'static str {
        match self {
            Baseline::Mean => "per-parameter mean over the training windows' frames (both people), dt = 0",
            Baseline::ListenR => {
                "a random training window (seeded), both people, oriented by who speaks more"
            }
            Baseline::ListenA => {
                "nearest training window by cosine distance of time-mean-pooled log-mel features (the paper \
                 uses Wav2Vec 2.0), centred by the library mean; whole clip vs whole window"
            }
            Baseline::ListenM => {
                "nearest training window by motion: the test clip's GT speaker's psi and neck/head \
                 rotation curves vs each window's speaker's, each term normalised by the library's \
                 per-coefficient variance; both people of the window kept"
            }
            Baseline::Independent => {
                "two independent speakers: the model run once per person on the mix gated by that \
                 person's GT mask (samples of frames where they do not speak set to 0), partner mask 0; \
                 the partner stream's output discarded"
            }
        }
    }
}

/// One dataset evaluation's settings.
#[derive(Debug, Clone)]
pub struct EvalJob {
    /// The checkpoint.
    pub model: PathBuf,
    /// The dataset.
    pub data: PathBuf,
    /// Its split evaluated on.
    pub split: String,
    /// Only the first N clips of the split (file order).
    pub clips: Option<usize>,
    /// Baselines beside the model (duplicates once).
    pub baselines: Vec<Baseline>,
    /// Dataset the library baselines draw from (None: `data`).
    pub train_data: Option<PathBuf>,
    /// Its split the library is read from.
    pub train_split: String,
    /// Memory bound on the library's windows.
    pub max_train_windows: usize,
    /// Library window length (None: the first test clip's length, at most max(L, 250)).
    pub retrieval_frames: Option<usize>,
    /// Seed of the model's noise and of Listen-R's draws.
    pub seed: u64,
    /// DDIM steps (None: the checkpoint config's).
    pub steps: Option<usize>,
    /// Guidance weight (None: the checkpoint config's).
    pub guidance: Option<f32>,
    /// Diffusion times `[lo, hi]` where guidance applies (None: the checkpoint config's).
    pub guidance_interval: Option<[f32; 2]>,
    /// DDIM's eta (None: the checkpoint config's; 0 = deterministic).
    pub eta: Option<f32>,
    /// Skip the vertex metrics (vMSE, lip vertex errors, FD-V, the plot).
    pub no_vertices: bool,
    /// Output folder of eval.json, eval.md and the plot.
    pub out: PathBuf,
    /// The clip whose curves are drawn (None: the first one).
    pub plot_clip: Option<String>,
    /// Also write the model's result for each clip as `predictions/KEY.npz` in `out` (the
    /// ground truth's masks, t0 and identities with the sampled motion), for `duologue plot`,
    /// `export` or an analysis of one's own. Held in memory until the end (~160 KB a clip).
    pub save_predictions: bool,
    /// The model's device.
    pub device: Device,
}

/// What an evaluation reports while it works.
#[derive(Debug)]
pub enum Event<'a> {
    /// Reading the baseline library: `windows` so far.
    Library {
        /// The dataset read.
        dir: &'a Path,
        /// Windows read so far.
        windows: usize,
    },
    /// Clip `done` of `total` is scored.
    Clip {
        /// Clips done.
        done: usize,
        /// Clips in all.
        total: usize,
        /// The clip just scored.
        key: &'a str,
    },
}

/// The evaluation's results, as written to disk.
#[derive(Debug, Clone)]
pub struct EvalReport {
    /// Every raw value, the settings, feature spaces, units and notes (eval.json).
    pub json: serde_json::Value,
    /// The table (eval.md).
    pub markdown: String,
    /// Where eval.json went.
    pub json_path: PathBuf,
    /// Where eval.md went.
    pub markdown_path: PathBuf,
}

/// Streams `split` of `ds` in file order, failing on bad shards (errors name the shard).
fn stream_split(ds: &Dataset, split: &str) -> Result<duologue_data::ClipStream> {
    let cfg =
        StreamConfig { shuffle: false, buffer: 1, on_error: OnError::Fail, ..StreamConfig::train(split, 0) };
    ds.stream(cfg).map_err(|source| HarnessError::Data { dir: split_dir(ds.dir(), split), source })
}

/// `DIR: split 'S'` as a path, for messages.
fn split_dir(dir: &Path, split: &str) -> PathBuf {
    PathBuf::from(format!("{}: split '{split}'", dir.display()))
}

/// Opens a dataset and checks that it is at 25 fps / 16 kHz and that `split` has clips.
fn open_dataset(dir: &Path, split: &str) -> Result<(Dataset, usize)> {
    let ds = Dataset::open(dir).map_err(|source| HarnessError::Data { dir: dir.to_path_buf(), source })?;
    let h = &ds.manifest.header;
    if h.fps != FPS || h.sample_rate != SAMPLE_RATE {
        return Err(HarnessError::Invalid(format!(
            "{}: dataset is {} fps / {} Hz, duologue needs {FPS} fps / {SAMPLE_RATE} Hz",
            dir.join(duologue_data::shard::MANIFEST).display(),
            h.fps,
            h.sample_rate
        )));
    }
    let clips: usize = ds.manifest.split(split).iter().map(|s| s.clips).sum();
    if clips == 0 {
        return Err(HarnessError::Invalid(format!("{}: no clips in split '{split}'", dir.display())));
    }
    Ok((ds, clips))
}

/// Log-mel features of `audio` padded with silence to at least `min_frames` frames:
/// `[max(frames, min_frames) * D]`.
fn features(mel: &LogMel, audio: &[f32], min_frames: usize) -> Vec<f32> {
    let mut a = audio.to_vec();
    a.resize(audio.len().max(min_frames * HOP), 0.0);
    mel.compute(&a)
}

/// Mean of the first `n` rows of `[rows, dim]` features: `[dim]`.
fn time_mean(feats: &[f32], dim: usize, n: usize) -> Vec<f32> {
    let n = n.max(1);
    let mut q = vec![0.0f32; dim];
    for row in feats.chunks_exact(dim).take(n) {
        q.iter_mut().zip(row).for_each(|(p, v)| *p += v / n as f32);
    }
    q
}

/// Reads up to `cap` training windows of `l` frames (windows as in training: hop `l/2`,
/// translations re-referenced to each window's start) into the baseline library. Returns the
/// library and whether the cap cut the split short.
fn read_library(
    dir: &Path,
    split: &str,
    l: usize,
    cap: usize,
    mel: &LogMel,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<(Library, bool)> {
    let (ds, _) = open_dataset(dir, split)?;
    let mut windows = Vec::new();
    let mut capped = false;
    'clips: for clip in stream_split(&ds, split)? {
        let clip = clip.map_err(|source| HarnessError::Data { dir: split_dir(dir, split), source })?;
        let n = clip.frames();
        let feats = features(mel, &clip.audio, n);
        let dim = mel.dim();
        for s in starts(n, l, train_hop(l)) {
            if windows.len() >= cap {
                capped = true;
                break 'clips;
            }
            let w = duologue_train::window(&clip, &feats, dim, s, l);
            let pooled = time_mean(&w.audio, dim, n.saturating_sub(s).min(l));
            let person = |x: Vec<f32>, beta: Vec<f32>, t0, mask| Person {
                x: Motion::from_vec(x).unwrap_or_else(|| Motion::zeros(l)),
                beta,
                t0,
                mask,
            };
            let duo = Duo {
                a: person(w.x_a, w.beta_a, w.t0_a, w.m_a),
                b: person(w.x_b, w.beta_b, w.t0_b, w.m_b),
                fps: FPS as f32,
            };
            windows.push(LibraryWindow { duo, audio: pooled });
        }
        on(Event::Library { dir, windows: windows.len() });
    }
    let lib = Library::new(windows).map_err(|source| HarnessError::Metric {
        what: split_dir(dir, split).display().to_string(),
        source,
    })?;
    Ok((lib, capped))
}

/// The model and what it is sampled with.
struct Model<'a> {
    gen: &'a Generator,
    /// The extractor the model's checkpoint names.
    features: &'a dyn FeatureExtractor,
    steps: usize,
    guidance: f32,
}

impl Model<'_> {
    /// Both people over a whole clip, windowed and stitched as `duologue generate` does.
    fn sample(
        &self,
        cond: &Conditioning,
        seed: u64,
    ) -> std::result::Result<[Motion; 2], duologue_pipeline::PipelineError> {
        let opts =
            GenerateOptions { steps: Some(self.steps), guidance: Some(self.guidance), seed, overlap: None };
        let duo = duologue_pipeline::generate(self.gen, cond, &opts, &mut |_, _| {})?;
        Ok([duo.a.x, duo.b.x])
    }
}

/// `gt` with both people's motion replaced.
fn with_x(gt: &Duo, xa: Motion, xb: Motion) -> Duo {
    Duo { a: Person { x: xa, ..gt.a.clone() }, b: Person { x: xb, ..gt.b.clone() }, fps: gt.fps }
}

/// What the model is conditioned on for a clip (paper §4.1): the `audio` (cut or padded to the
/// clip's frames) with `masks`, and the ground truth's t0 and identities, exactly as `duologue
/// generate` builds it from a recording.
fn conditioning(
    audio: &[f32],
    gt: &Duo,
    masks: (Vec<f32>, Vec<f32>),
    features: &dyn FeatureExtractor,
    l: usize,
) -> std::result::Result<Conditioning, duologue_pipeline::PipelineError> {
    let mut mix = audio.to_vec();
    mix.resize(gt.frames() * HOP, 0.0);
    let betas = (gt.a.beta.clone(), gt.b.beta.clone());
    Conditioning::from_mix(&mix, masks, [gt.a.t0, gt.b.t0], betas, features, l)
}

/// The `independent` baseline on one clip: the model once per person on the mix with the
/// partner-only frames silenced, the partner's mask zero, the partner stream discarded.
fn independent(
    model: &Model<'_>,
    clip: &DataClip,
    l: usize,
    seed: u64,
) -> std::result::Result<Duo, duologue_pipeline::PipelineError> {
    let gt = &clip.duo;
    let zeros = vec![0.0f32; gt.frames()];
    let mut x = Vec::new();
    for (p, own) in [&gt.a.mask, &gt.b.mask].into_iter().enumerate() {
        let gated: Vec<f32> = clip
            .audio
            .iter()
            .enumerate()
            .map(|(s, v)| v * own.get(s / HOP).copied().unwrap_or(0.0))
            .collect();
        let (m_a, m_b) = if p == 0 { (own.clone(), zeros.clone()) } else { (zeros.clone(), own.clone()) };
        let solo = conditioning(&gated, gt, (m_a, m_b), model.features, l)?;
        let [sa, sb] = model.sample(&solo, seed ^ (0xA5A5_0000 + p as u64))?;
        x.push(if p == 0 { sa } else { sb });
    }
    let (xb, xa) = (x.pop(), x.pop());
    match (xa, xb) {
        (Some(xa), Some(xb)) => Ok(with_x(gt, xa, xb)),
        _ => Err(duologue_pipeline::PipelineError::Input("two people expected".into())),
    }
}

/// Scores every method's prediction of one clip, one scoped thread each (posing heads for the
/// vertex metrics dominates and the methods are independent).
fn score(
    methods: &mut [(String, MethodAccumulator)],
    preds: &[Duo],
    gt: &Duo,
    energy_db: &[f64],
    what: &str,
) -> Result<()> {
    let face = FaceModel::shared();
    let results: Vec<std::result::Result<(), EvalError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = methods
            .iter_mut()
            .zip(preds)
            .map(|((_, acc), pred)| scope.spawn(move || acc.add_with_audio(pred, gt, Some(energy_db), face)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Err(EvalError::InvalidArgument("metric thread panicked".into())))
            })
            .collect()
    });
    for ((name, _), r) in methods.iter().zip(results) {
        r.map_err(|source| HarnessError::Metric { what: format!("{what}: method {name}"), source })?;
    }
    Ok(())
}

/// Runs `job`: every clip through the model and the baselines, scored, then eval.json, eval.md
/// and one clip's SVG written into `job.out`.
pub fn evaluate(job: &EvalJob, on: &mut dyn FnMut(Event<'_>)) -> Result<EvalReport> {
    let mut baselines = Vec::new();
    for b in &job.baselines {
        if !baselines.contains(b) {
            baselines.push(*b);
        }
    }
    if job.clips == Some(0) {
        return Err(HarnessError::Invalid("--clips must be at least 1".into()));
    }
    if job.max_train_windows == 0 && baselines.iter().any(|b| b.needs_library()) {
        return Err(HarnessError::Invalid(
            "--max-train-windows must be at least 1 for the mean and retrieval baselines".into(),
        ));
    }
    let model_err = |source| HarnessError::Model { path: job.model.clone(), source };
    let mut gen = Generator::load(&job.model, &job.device).map_err(model_err)?;
    if let Some(interval) = job.guidance_interval {
        gen = gen.with_guidance_interval(interval).map_err(|e| HarnessError::Invalid(e.to_string()))?;
    }
    if let Some(eta) = job.eta {
        gen = gen.with_eta(eta).map_err(|e| HarnessError::Invalid(e.to_string()))?;
    }
    let cfg = gen.config().clone();
    // The model hears the features its checkpoint names; the retrieval baselines' library
    // and Listen-A's query are log-mel whatever the model hears.
    let mel = LogMel::new(LogMelConfig::default());
    let heard = duologue_audio::extractor(&cfg.model.features)
        .map_err(|e| HarnessError::Invalid(format!("{}: model.features: {e}", job.model.display())))?;
    if cfg.model.audio_dim != heard.dim() {
        return Err(HarnessError::Invalid(format!(
            "{}: the model expects {}-dim audio features, {} gives {}",
            job.model.display(),
            cfg.model.audio_dim,
            cfg.model.features,
            heard.dim()
        )));
    }
    let l = cfg.model.frames;
    let model = Model {
        gen: &gen,
        features: heard.as_ref(),
        steps: job.steps.unwrap_or(cfg.sample.steps),
        guidance: job.guidance.unwrap_or(cfg.sample.guidance),
    };
    if model.steps == 0 || !model.guidance.is_finite() {
        return Err(HarnessError::Invalid("--steps must be positive and --guidance finite".into()));
    }
    let data_dir = job.data.as_path();
    let (ds, split_clips) = open_dataset(data_dir, &job.split)?;
    let total = job.clips.map_or(split_clips, |c| c.min(split_clips));
    let clip_err = |source| HarnessError::Data { dir: split_dir(data_dir, &job.split), source };

    let train_dir = job.train_data.as_deref().unwrap_or(data_dir);
    // Library windows as long as the test clips (the first one's length: simulated and dubbed
    // datasets have one clip length), so retrieved motion rarely needs trimming or padding;
    // at most max(L, 250) frames by default to keep the library's memory bounded.
    let retrieval_frames = match job.retrieval_frames {
        Some(0) => return Err(HarnessError::Invalid("--retrieval-frames must be at least 1".into())),
        Some(f) => f,
        None => match stream_split(&ds, &job.split)?.next() {
            Some(clip) => clip.map_err(clip_err)?.frames().min(l.max(duologue_params::WINDOW)),
            None => l,
        },
    };
    let library = if baselines.iter().any(|b| b.needs_library()) {
        Some(read_library(train_dir, &job.train_split, retrieval_frames, job.max_train_windows, &mel, on)?)
    } else {
        None
    };
    let mean = library.as_ref().map(|(lib, _)| lib.mean_pose());

    let agg = AggregateConfig { vertices: !job.no_vertices, seed: job.seed, ..Default::default() };
    let mut methods: Vec<(String, MethodAccumulator)> = ["gt", "model"]
        .into_iter()
        .map(String::from)
        .chain(baselines.iter().map(|b| b.name().to_string()))
        .map(|n| (n, MethodAccumulator::new(agg)))
        .collect();
    let mut rng = Xoshiro256::new(job.seed ^ 0x4C49_5354_454E_5F52);
    // The plot's file name and SVG, written with the report.
    let mut plotted: Option<(String, String)> = None;
    // (file name, result) of each clip, with --save-predictions.
    let mut saved: Vec<(String, Duo)> = Vec::new();
    let mut keys = Vec::new();
    let mut families = Families::default();
    for (i, clip) in stream_split(&ds, &job.split)?.take(total).enumerate() {
        let clip: DataClip = clip.map_err(clip_err)?;
        let what = format!("{}: clip {}", data_dir.display(), clip.key);
        let pipeline_err = |source| HarnessError::Pipeline { what: what.clone(), source };
        let metric_err = |source| HarnessError::Metric { what: what.clone(), source };
        let gt = &clip.duo;
        let n = gt.frames();
        let seed = job.seed.wrapping_add((i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let cond = conditioning(&clip.audio, gt, (gt.a.mask.clone(), gt.b.mask.clone()), model.features, l)
            .map_err(pipeline_err)?;
        let [xa, xb] = model.sample(&cond, seed).map_err(pipeline_err)?;
        // The clip's log-mel, for Listen-A's query into the log-mel library.
        let feats = features(&mel, &clip.audio, n);
        let mut preds: Vec<Duo> = vec![gt.clone(), with_x(gt, xa, xb)];
        // The clip's key as a file name.
        let stem = clip.key.replace(['/', '\\'], "_");
        if job.save_predictions {
            saved.push((format!("{stem}.npz"), preds[1].clone()));
        }
        for b in &baselines {
            let lib = library.as_ref().map(|(lib, _)| lib);
            let pred = match (b, lib) {
                (Baseline::Mean, _) => {
                    mean_baseline(mean.as_deref().unwrap_or(&[]), gt).map_err(metric_err)?
                }
                (Baseline::ListenR, Some(lib)) => {
                    let j = rng.below(lib.len() as u64) as usize;
                    orient(&lib.window(j).duo, gt)
                }
                (Baseline::ListenA, Some(lib)) => {
                    let q = time_mean(&feats, mel.dim(), n);
                    orient(&lib.window(lib.nearest_audio(&q).map_err(metric_err)?).duo, gt)
                }
                (Baseline::ListenM, Some(lib)) => {
                    let speaker = if b_speaks_more(gt) { &gt.b.x } else { &gt.a.x };
                    orient(&lib.window(lib.nearest_motion(speaker)).duo, gt)
                }
                (Baseline::Independent, _) => independent(&model, &clip, l, seed).map_err(pipeline_err)?,
                (_, None) => {
                    return Err(HarnessError::Invalid(format!(
                        "baseline {} needs the training library",
                        b.name()
                    )))
                }
            };
            preds.push(pred);
        }
        let energy = frame_energy_db(&clip.audio).map_err(metric_err)?;
        score(&mut methods, &preds, gt, &energy, &what)?;
        families.add(&clip, &preds[0], &preds[1], &energy).map_err(metric_err)?;
        let plot_this = job.plot_clip.as_deref().map_or(keys.is_empty(), |k| k == clip.key);
        if plot_this && !job.no_vertices {
            let title = format!("{} — {}", clip.key, job.model.display());
            let svg = plot_clip(&preds[1], gt, &clip.audio, &title).map_err(metric_err)?;
            // Written with the report at the end (all of eval's files land together).
            plotted = Some((format!("plot-{stem}.svg"), svg));
        }
        keys.push(clip.key.clone());
        on(Event::Clip { done: i + 1, total, key: &clip.key });
    }
    if keys.is_empty() {
        return Err(HarnessError::Invalid(format!(
            "{}: no clips in split '{}'",
            data_dir.display(),
            job.split
        )));
    }

    let sid_cfg = SidConfig { seed: job.seed, ..SidConfig::default() };
    let reference = methods[0].1.clone();
    let mut rows = Vec::new();
    for (name, acc) in &methods {
        let summary = acc
            .summary(&reference, &sid_cfg)
            .map_err(|source| HarnessError::Metric { what: format!("method {name}"), source })?;
        rows.push((name.clone(), summary));
    }
    let facts = Facts {
        job,
        steps: model.steps,
        guidance: model.guidance,
        interval: cfg.sample.guidance_interval,
        eta: cfg.sample.eta,
        l,
        heard: format!("{}, {} per frame, 25 fps", cfg.model.features, cfg.model.audio_dim),
        train_dir,
        retrieval_frames,
        library: library.as_ref().map(|(lib, capped)| (lib.len(), *capped)),
        agg,
        sid_cfg,
        baselines: &baselines,
        plotted: plotted.as_ref().map(|(name, svg)| (name.as_str(), svg.as_str())),
        saved: &saved,
        keys: &keys,
        families: &families,
    };
    write_report(&facts, &rows)
}

/// One clip's per-frame curves as SVG: the prediction against the ground truth (dashed) and
/// the audio energy (crates/eval `plot`), the audio cut to the clip's frames.
fn plot_clip(pred: &Duo, gt: &Duo, audio: &[f32], title: &str) -> std::result::Result<String, EvalError> {
    let audio = &audio[..audio.len().min(gt.frames() * HOP)];
    Ok(figure(pred, Some(gt), Some(audio), title, FaceModel::shared())?.svg)
}

/// Mask-role agreement and lip sync per voice family of the speaker (clips that name their
/// voices' families, as `duologue simulate` writes them): frames where only one person speaks
/// count for that person's family, so a family training never heard can be compared with the
/// rest.
#[derive(Debug, Default)]
struct Families {
    by: std::collections::BTreeMap<String, Family>,
}

/// One voice family's counts.
#[derive(Debug, Default)]
struct Family {
    /// Single-speaker frames.
    frames: usize,
    /// Of those, frames where the model's / the ground truth's roles agree with the masks.
    agree: [usize; 2],
    /// Lip sync of the model's / the ground truth's speakers of this family.
    sync: [LipSyncAcc; 2],
}

impl Families {
    fn add(
        &mut self,
        clip: &DataClip,
        gt: &Duo,
        model: &Duo,
        energy_db: &[f64],
    ) -> std::result::Result<(), EvalError> {
        let Some(fams) = clip.meta.extra["voice_families"].as_array() else { return Ok(()) };
        let masks = [gt.a.mask.as_slice(), gt.b.mask.as_slice()];
        let face = FaceModel::shared();
        let m = role_agreement_by_speaker(model, masks, face, LIP_ACTIVITY_WINDOW)?;
        let g = role_agreement_by_speaker(gt, masks, face, LIP_ACTIVITY_WINDOW)?;
        let mouths = [mouth_opening_mm(model, face)?, mouth_opening_mm(gt, face)?];
        for (s, fam) in fams.iter().take(2).enumerate() {
            let e = self.by.entry(fam.as_str().unwrap_or("?").to_string()).or_default();
            e.frames += m[s].frames;
            e.agree[0] += m[s].agree;
            e.agree[1] += g[s].agree;
            for (acc, mouth) in e.sync.iter_mut().zip(&mouths) {
                acc.add_person(&mouth[s], masks[s], masks[1 - s], energy_db);
            }
        }
        Ok(())
    }

    fn json(&self) -> serde_json::Value {
        let rate = |a: usize, n: usize| {
            if n > 0 {
                serde_json::json!(a as f64 / n as f64)
            } else {
                serde_json::Value::Null
            }
        };
        let sync = |acc: &LipSyncAcc| {
            let (corr, lag, _) = acc.best();
            serde_json::json!({ "corr": corr, "lag_ms": lag })
        };
        self.by
            .iter()
            .map(|(f, fam)| {
                let n = fam.frames;
                (
                    f.clone(),
                    serde_json::json!({
                        "frames": n,
                        "model": rate(fam.agree[0], n),
                        "gt": rate(fam.agree[1], n),
                        "lipsync_model": sync(&fam.sync[0]),
                        "lipsync_gt": sync(&fam.sync[1]),
                    }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    fn markdown(&self) -> String {
        if self.by.is_empty() {
            return String::new();
        }
        let mut md = String::from(
            "\n## Mask-role agreement and lip sync by the speaker's voice family\n\n\
             | family | single-speaker frames | agreement: model | agreement: ground truth | lip sync: model (lag) | lip sync: ground truth (lag) |\n\
             |---|---|---|---|---|---|\n",
        );
        let pct = |a: usize, n: usize| {
            if n > 0 {
                format!("{:.1} %", 100.0 * a as f64 / n as f64)
            } else {
                "-".into()
            }
        };
        let sync = |acc: &LipSyncAcc| match acc.best() {
            (Some(c), Some(lag), _) => format!("{c:.2} ({lag:+.0} ms)"),
            _ => "-".into(),
        };
        for (f, fam) in &self.by {
            let n = fam.frames;
            md.push_str(&format!(
                "| {f} | {n} | {} | {} | {} | {} |\n",
                pct(fam.agree[0], n),
                pct(fam.agree[1], n),
                sync(&fam.sync[0]),
                sync(&fam.sync[1])
            ));
        }
        md
    }
}

/// What the report states besides the values.
struct Facts<'a> {
    job: &'a EvalJob,
    steps: usize,
    guidance: f32,
    interval: [f32; 2],
    eta: f32,
    l: usize,
    /// What the model hears: extractor, width.
    heard: String,
    train_dir: &'a Path,
    retrieval_frames: usize,
    /// Library windows and whether the cap cut them short; None without a library.
    library: Option<(usize, bool)>,
    agg: AggregateConfig,
    sid_cfg: SidConfig,
    baselines: &'a [Baseline],
    /// The plot's file name in `job.out` and its SVG.
    plotted: Option<(&'a str, &'a str)>,
    /// The model's results to write under `predictions/` (empty without --save-predictions).
    saved: &'a [(String, Duo)],
    families: &'a Families,
    keys: &'a [String],
}

/// The report's notes: how the model ran, which clips, each baseline's definition, the plot and
/// the library.
fn notes(f: &Facts<'_>, frames: usize) -> Vec<String> {
    let job = f.job;
    let mut notes = vec![
        format!(
            "model: {} ({} DDIM steps with eta {}, guidance {} at diffusion times {}..{}, windows of {} frames); \
             inputs per paper §4.1: audio features ({}) of the clip's mixed audio, GT masks, GT t0 and identities",
            job.model.display(),
            f.steps,
            f.eta,
            f.guidance,
            f.interval[0],
            f.interval[1],
            f.l,
            f.heard
        ),
        format!(
            "{} clips ({frames} frames) of split '{}' of {}",
            f.keys.len(),
            job.split,
            job.data.display()
        ),
    ];
    for b in f.baselines {
        notes.push(format!("{}: {}", b.name(), b.describe()));
    }
    if let Some((name, _)) = f.plotted {
        notes.push(format!(
            "per-frame curves of one clip (the model solid, the ground truth dashed): {}",
            job.out.join(name).display()
        ));
    } else if let Some(k) = &job.plot_clip {
        notes.push(format!("--plot-clip {k}: no such clip evaluated (or --no-vertices), nothing plotted"));
    }
    if !f.saved.is_empty() {
        notes.push(format!(
            "the model's result for each clip (GT masks, t0 and identities with the sampled motion): {}",
            job.out.join("predictions").display()
        ));
    }
    if let Some((windows, capped)) = f.library {
        let cap = if capped {
            format!(" (capped at --max-train-windows {})", job.max_train_windows)
        } else {
            String::new()
        };
        notes.push(format!(
            "baseline library: {windows} windows of {} frames (hop half a window) from split '{}' of {}{cap}; \
             retrieved windows are trimmed, or padded by holding the last frame, to the clip length and \
             placed at the GT t0 with GT identities",
            f.retrieval_frames,
            job.train_split,
            f.train_dir.display(),
        ));
    }
    notes
}

/// Writes eval.json and eval.md into the job's output folder.
fn write_report(f: &Facts<'_>, rows: &[(String, MethodSummary)]) -> Result<EvalReport> {
    let job = f.job;
    let frames = rows[0].1.frames;
    let notes = notes(f, frames);
    let (train_windows, capped) = f.library.unwrap_or((0, false));
    let methods_json: serde_json::Map<String, serde_json::Value> =
        rows.iter().map(|(n, s)| (n.clone(), summary_json(s))).collect();
    let json = serde_json::json!({
        "dataset": job.data.display().to_string(),
        "split": job.split,
        "model": job.model.display().to_string(),
        "clips": f.keys.len(),
        "frames": frames,
        "clip_keys": f.keys,
        "order": rows.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        "methods": methods_json,
        "settings": {
            "seed": job.seed,
            "ddim_steps": f.steps,
            "guidance": f.guidance,
            "window_frames": f.l,
            "audio_features": f.heard,
            "train_data": f.train_dir.display().to_string(),
            "train_split": job.train_split,
            "train_windows": train_windows,
            "retrieval_window_frames": f.retrieval_frames,
            "max_train_windows": job.max_train_windows,
            "train_windows_capped": capped,
            "vertices": !job.no_vertices,
            "lip_activity_window_frames": LIP_ACTIVITY_WINDOW,
            "gaze_threshold_deg": MUTUAL_GAZE_DEG,
            "sid_k": f.sid_cfg.k,
            "sid_max_rows_per_role": f.agg.sid_cap,
            "speaker_threshold": duologue_eval::SPEAKER_THRESHOLD,
            "aggregation": "frame-weighted over clips (pooled person-frames); FD/P-FD Gaussians fitted to all frames",
        },
        "feature_spaces": {
            "fd_params": "per person-frame motion parameters x [78] (psi, theta, dt), both people pooled",
            "pfd_params": "per frame [156]: A's 78 parameters then B's",
            "fd_vertices": "per person-frame world positions (m) of 64 posed face-model vertices strided over skin, lips and brows [192], both people pooled",
            "pfd_vertices": "per frame [384]: A's vertex features then B's",
            "sid": "per person-frame parameters [78], split by the GT mask (speaker m >= 0.5)",
            "role_agreement": "mean lip-vertex speed (unposed head, expression only) over a centred 25-frame (1 s) window",
            "listening_gaze_rate": "angle between gaze (mean of both eyes) and the direction to the partner's eye-centre midpoint",
        },
        "units": {
            "mse": "raw: EXP/LIP coefficient², ROT/EYE rad², TRANSL m² (absolute t0 + dt), FULL mixed",
            "vmse_m2": "m²", "lip_vertex_error_m2": "m² (per-frame max over lip vertices, FaceFormer)",
            "fd_params": "parameter units²", "fd_vertices": "m²", "sid": "bits", "role_agreement": "fraction", "listening_gaze_rate": "fraction",
        },
        "baselines": f.baselines.iter().map(|b| (b.name().to_string(), serde_json::Value::from(b.describe()))).collect::<serde_json::Map<_, _>>(),
        "role_agreement_by_voice_family": f.families.json(),
        "notes": notes,
    });
    let markdown = markdown_table(&format!("duologue eval: {}", job.data.display()), rows, &notes)
        + &f.families.markdown();
    // The report, its table and the plot land in `out` together, or not at all.
    let staging = duologue_params::atomic::Staging::new(&job.out).map_err(crate::error::io(&job.out))?;
    let put = |name: &str, bytes: &[u8]| {
        let path = staging.path().join(name);
        duologue_params::atomic::write(&path, bytes).map_err(crate::error::io(&job.out.join(name)))
    };
    let text = serde_json::to_string_pretty(&json).map_err(|e| HarnessError::Invalid(e.to_string()))?;
    put("eval.json", text.as_bytes())?;
    put("eval.md", markdown.as_bytes())?;
    if let Some((name, svg)) = f.plotted {
        put(name, svg.as_bytes())?;
    }
    if !f.saved.is_empty() {
        let dir = staging.path().join("predictions");
        std::fs::create_dir_all(&dir).map_err(crate::error::io(&job.out.join("predictions")))?;
        for (name, duo) in f.saved {
            duo.write(&dir.join(name)).map_err(|source| HarnessError::Params {
                path: job.out.join("predictions").join(name),
                source,
            })?;
        }
    }
    staging.commit().map_err(crate::error::io(&job.out))?;
    let (json_path, markdown_path) = (job.out.join("eval.json"), job.out.join("eval.md"));
    Ok(EvalReport { json, markdown, json_path, markdown_path })
}
