//! `duologue eval`: the paper's metrics (§4.2–4.3, appendix §3.1 and §3.3; DESIGN §8).
//!
//! Two modes:
//! - `--pred P.npz --gt G.npz [--json]`: one predicted result against its ground truth.
//! - `--model CKPT --data DATASET [--split test] [--clips N] [--baselines ...]`: a checkpoint on
//!   a dataset's held-out split, with the paper's non-learned baselines, aggregated over clips
//!   (frame-weighted) into a table, `eval.json` and `eval.md`.
//!
//! Dataset protocol (paper §4.1, "we use the ground-truth translation as our condition"): for
//! each clip the model gets the log-mel features of the clip's mixed audio, the ground-truth
//! masks, first-frame translations and identities; both people are sampled (seeded DDIM) in
//! windows of the checkpoint's length `L` (hop `L - L/5`, the last window ending on the last
//! frame, overlaps cross-faded linearly, each window's `t0` the stitched position at its first
//! frame: the same scheme as `duologue generate`). Feature spaces and units are documented in
//! crates/eval; FD, P-FD and SID are on parameters (DualTalk's way), not on renders.
//!
//! Baselines (paper §4.2, appendix §3.1; `duologue_eval::baselines`): `mean`, `listen-r`,
//! `listen-a`, `listen-m` draw from a library of training windows (the train split of --data or
//! --train-data, at most --max-train-windows windows as long as the test clips); `independent`
//! runs the model once per person. Each one's exact definition is printed in the report's notes
//! (`Baseline::describe`). Shards hold only the mixed audio, so `independent` removes the
//! partner by silencing the mix wherever that person's ground-truth mask is 0 (overlapping
//! speech keeps the partner's voice) and giving the partner a zero mask.

use anyhow::{anyhow, bail, Context, Result};
use duologue_audio::{LogMel, LogMelConfig};
use duologue_data::{Clip as DataClip, Dataset, OnError, StreamConfig};
use duologue_eval::baselines::{b_speaks_more, mean_baseline, orient};
use duologue_eval::plot::{clip_svg, frame_energy_db, ClipSeries};
use duologue_eval::{
    fd, gaze_metrics, paired_features, param_features, param_mse, sid, split_by_role, vertex_metrics,
    AggregateConfig, GroupMse, Library, LibraryWindow, MethodAccumulator, MethodSummary, SidConfig,
    LIP_ACTIVITY_WINDOW, MUTUAL_GAZE_DEG,
};
use duologue_face::FaceModel;
use duologue_model::Generator;
use duologue_params::rng::Xoshiro256;
use duologue_params::{Duo, Motion, Person, FPS, HOP, SAMPLE_RATE, X_DIM};
use duologue_pipeline::{Conditioning, GenerateOptions};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// Arguments of `duologue eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Predicted result (.npz, e.g. from `duologue generate`); with --gt.
    #[arg(long, requires = "gt", required_unless_present = "model", conflicts_with_all = ["model", "data"])]
    pub pred: Option<PathBuf>,
    /// Ground-truth result of the same clip (.npz, e.g. `duologue data extract`); with --pred.
    #[arg(long, requires = "pred")]
    pub gt: Option<PathBuf>,
    /// Checkpoint to evaluate on a dataset (.safetensors from `duologue train`); with --data.
    #[arg(long, requires = "data")]
    pub model: Option<PathBuf>,
    /// Dataset folder (manifest + shards, from `duologue simulate` or `dub`); with --model.
    #[arg(long, requires = "model")]
    pub data: Option<PathBuf>,
    /// Split of --data to evaluate on.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Evaluate only the first N clips of the split (file order).
    #[arg(long)]
    pub clips: Option<usize>,
    /// Baselines, comma-separated: mean, listen-r, listen-a, listen-m, independent (or none).
    #[arg(long, value_delimiter = ',', default_value = "mean,listen-r,listen-a,listen-m,independent")]
    pub baselines: Vec<String>,
    /// Dataset whose training split the mean / retrieval baselines draw from (default: --data).
    #[arg(long)]
    pub train_data: Option<PathBuf>,
    /// Split of the training dataset the baselines draw from.
    #[arg(long, default_value = "train")]
    pub train_split: String,
    /// Memory bound: at most this many training windows are read for the baselines (each
    /// costs about `frames * 2 * 78` floats, 156 KB for 250 frames).
    #[arg(long, default_value_t = 2000)]
    pub max_train_windows: usize,
    /// Length in frames of the training windows the retrieval baselines draw from (default: the
    /// first test clip's length, at most max(model window, 250)).
    #[arg(long)]
    pub retrieval_frames: Option<usize>,
    /// Seed of the model's noise and of Listen-R's draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// DDIM steps (default: the checkpoint config's).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Classifier-free guidance weight (default: the checkpoint config's).
    #[arg(long)]
    pub guidance: Option<f32>,
    /// Skip the vertex metrics (vMSE, lip vertex errors), the slowest part.
    #[arg(long)]
    pub no_vertices: bool,
    /// Output folder for eval.json and eval.md (default: ./eval-<dataset name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Device for the model: flex (CPU), or cuda[:N] / wgpu[:N] in builds with those features.
    #[arg(long, default_value = "flex")]
    pub device: String,
    /// Clip (key) whose per-frame curves are drawn as SVG into the output folder: mouth opening
    /// against audio energy, gaze angle to the partner, masks; the model solid, the ground
    /// truth dashed. Default: the first clip evaluated.
    #[arg(long)]
    pub plot_clip: Option<String>,
    /// Print the raw values as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn group_json(g: &GroupMse) -> serde_json::Value {
    serde_json::json!({"FULL": g.full, "EXP": g.exp, "ROT": g.rot, "TRANSL": g.transl, "EYE": g.eye, "LIP": g.lip})
}

pub fn run(args: Args) -> Result<()> {
    match (&args.pred, &args.gt, &args.model, &args.data) {
        (Some(pred), Some(gt), None, None) => run_pair(pred, gt, args.json),
        (None, None, Some(_), Some(_)) => run_dataset(&args),
        _ => bail!("give either --pred and --gt, or --model and --data"),
    }
}

/// `--pred P --gt G`: one result against its ground truth.
fn run_pair(pred_path: &Path, gt_path: &Path, json: bool) -> Result<()> {
    let pred = Duo::read(pred_path)?;
    let gt = Duo::read(gt_path)?;
    let face = FaceModel::shared();
    let what = || format!("{} vs {}", pred_path.display(), gt_path.display());
    let mse = param_mse(&pred, &gt).with_context(what)?;
    let verts = vertex_metrics(&pred, &gt, face).with_context(what)?;
    let gaze_pred = gaze_metrics(&pred, face, MUTUAL_GAZE_DEG).with_context(what)?;
    let gaze_gt = gaze_metrics(&gt, face, MUTUAL_GAZE_DEG).with_context(what)?;
    // FD over both people's frames pooled; P-FD over frames of A and B side by side.
    let pooled = |d: &Duo| [param_features(&d.a), param_features(&d.b)].concat();
    let fd_params = fd(&pooled(&pred), &pooled(&gt), X_DIM).with_context(what)?;
    let pfd = fd(&paired_features(&pred)?, &paired_features(&gt)?, 2 * X_DIM).with_context(what)?;
    // SID per role on the prediction, roles from the ground-truth masks (needs >= k frames).
    let cfg = SidConfig::default();
    let mut speaker = Vec::new();
    let mut listener = Vec::new();
    for (p, g) in [(&pred.a, &gt.a), (&pred.b, &gt.b)] {
        let (s, l) = split_by_role(p, &g.mask).with_context(what)?;
        speaker.extend(s);
        listener.extend(l);
    }
    let sid_of = |rows: &[f64]| (rows.len() / X_DIM >= cfg.k).then(|| sid(rows, X_DIM, &cfg)).transpose();
    let sid_spe = sid_of(&speaker).with_context(what)?;
    let sid_lis = sid_of(&listener).with_context(what)?;

    if json {
        let v = serde_json::json!({
            "pred": pred_path.display().to_string(),
            "gt": gt_path.display().to_string(),
            "frames": gt.frames(),
            "mse": group_json(&mse.all),
            "mse_speaker": mse.speaker.as_ref().map(group_json),
            "mse_listener": mse.listener.as_ref().map(group_json),
            "vmse_m2": verts.vmse,
            "lip_vertex_error_m2": verts.lip_max_sq,
            "fd_params": fd_params,
            "pfd_params": pfd,
            "sid_speaker_bits": sid_spe,
            "sid_listener_bits": sid_lis,
            "gaze_pred": {"angle_A_deg": gaze_pred.angle_a_deg, "angle_B_deg": gaze_pred.angle_b_deg, "mutual_rate": gaze_pred.mutual_rate},
            "gaze_gt": {"angle_A_deg": gaze_gt.angle_a_deg, "angle_B_deg": gaze_gt.angle_b_deg, "mutual_rate": gaze_gt.mutual_rate},
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{} vs {} ({} frames)", pred_path.display(), gt_path.display(), gt.frames());
    println!("parameter MSE (raw; EXP/LIP coefficient², ROT/EYE rad², TRANSL m²):");
    println!(
        "  {:<9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "", "FULL", "EXP", "ROT", "TRANSL", "EYE", "LIP"
    );
    for (name, g) in
        [("all", Some(&mse.all)), ("speaker", mse.speaker.as_ref()), ("listener", mse.listener.as_ref())]
    {
        if let Some(g) = g {
            println!(
                "  {name:<9} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e}",
                g.full, g.exp, g.rot, g.transl, g.eye, g.lip
            );
        }
    }
    println!("vertex MSE {:.3e} m², lip vertex error {:.3e} m²", verts.vmse, verts.lip_max_sq);
    // Rounding can leave a tiny negative FD for identical sets; show it as 0 (JSON keeps it raw).
    println!("FD (parameters) {:.4}, P-FD (parameters) {:.4}", fd_params.max(0.0), pfd.max(0.0));
    let bits = |v: Option<f64>| v.map_or("n/a (fewer frames than k)".to_string(), |b| format!("{b:.3} bits"));
    println!("SID (k={}) speaker {}, listener {}", cfg.k, bits(sid_spe), bits(sid_lis));
    println!(
        "gaze to partner: predicted A {:.1}°, B {:.1}°, mutual {:.0}%; ground truth A {:.1}°, B {:.1}°, mutual {:.0}%",
        gaze_pred.angle_a_deg,
        gaze_pred.angle_b_deg,
        100.0 * gaze_pred.mutual_rate,
        gaze_gt.angle_a_deg,
        gaze_gt.angle_b_deg,
        100.0 * gaze_gt.mutual_rate
    );
    Ok(())
}

/// The paper's baselines this command can run (paper §4.2, appendix §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Baseline {
    Mean,
    ListenR,
    ListenA,
    ListenM,
    Independent,
}

impl Baseline {
    const ALL: [Baseline; 5] =
        [Baseline::Mean, Baseline::ListenR, Baseline::ListenA, Baseline::ListenM, Baseline::Independent];

    fn name(self) -> &'static str {
        match self {
            Baseline::Mean => "mean",
            Baseline::ListenR => "listen-r",
            Baseline::ListenA => "listen-a",
            Baseline::ListenM => "listen-m",
            Baseline::Independent => "independent",
        }
    }

    /// Draws from the training library (everything but `independent`).
    fn needs_library(self) -> bool {
        self != Baseline::Independent
    }

    fn describe(self) -> &'static str {
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

fn parse_baselines(list: &[String]) -> Result<Vec<Baseline>> {
    let mut out = Vec::new();
    for name in list.iter().map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()) {
        if name == "none" {
            continue;
        }
        let b = Baseline::ALL.into_iter().find(|b| b.name() == name).ok_or_else(|| {
            anyhow!(
                "--baselines: unknown baseline '{name}' (known: {}, none)",
                Baseline::ALL.map(Baseline::name).join(", ")
            )
        })?;
        if !out.contains(&b) {
            out.push(b);
        }
    }
    Ok(out)
}

/// Streams `split` of `ds` in file order, failing on bad shards (errors name the shard).
fn stream_split(ds: &Dataset, split: &str) -> Result<duologue_data::ClipStream> {
    let cfg =
        StreamConfig { shuffle: false, buffer: 1, on_error: OnError::Fail, ..StreamConfig::train(split, 0) };
    ds.stream(cfg).with_context(|| format!("{}: split '{split}'", ds.dir().display()))
}

/// Opens a dataset and checks that it is at 25 fps / 16 kHz and that `split` has clips.
fn open_dataset(dir: &Path, split: &str) -> Result<(Dataset, usize)> {
    let ds = Dataset::open(dir).with_context(|| format!("cannot open dataset {}", dir.display()))?;
    let h = &ds.manifest.header;
    if h.fps != FPS || h.sample_rate != SAMPLE_RATE {
        bail!(
            "{}: dataset is {} fps / {} Hz, duologue needs {FPS} fps / {SAMPLE_RATE} Hz",
            dir.join(duologue_data::shard::MANIFEST).display(),
            h.fps,
            h.sample_rate
        );
    }
    let clips: usize = ds.manifest.split(split).iter().map(|s| s.clips).sum();
    if clips == 0 {
        bail!("{}: no clips in split '{split}'", dir.display());
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

/// Samples both people over a whole clip with the generator, windowed and stitched exactly as
/// `duologue generate` does ([`duologue_pipeline::generate`]). Returns `[x_A, x_B]`.
fn sample_clip(
    gen: &Generator,
    cond: &Conditioning,
    steps: usize,
    guidance: f32,
    seed: u64,
) -> Result<[Motion; 2]> {
    let opts = GenerateOptions { steps: Some(steps), guidance: Some(guidance), seed, overlap: None };
    let duo = duologue_pipeline::generate(gen, cond, &opts, &mut |_, _| {})?;
    Ok([duo.a.x, duo.b.x])
}

/// One clip's per-frame curves as SVG: the prediction against the ground truth (dashed) and
/// the audio energy (crates/eval `plot`).
fn plot_clip(pred: &Duo, gt: &Duo, audio: &[f32], face: &FaceModel, title: &str) -> Result<String> {
    let (p, g) = ClipSeries::pair(pred, gt, face)?;
    let energy = frame_energy_db(audio)?;
    let energy = &energy[..energy.len().min(p.mask[0].len())];
    Ok(clip_svg(&p, Some(&g), Some(energy), title)?)
}

/// Reads up to `cap` training windows of `l` frames (windows as in training: hop `l/2`,
/// translations re-referenced to each window's start) into the baseline library. Returns the
/// library and whether the cap cut the split short.
fn read_library(dir: &Path, split: &str, l: usize, cap: usize, mel: &LogMel) -> Result<(Library, bool)> {
    let (ds, _) = open_dataset(dir, split)?;
    let mut windows = Vec::new();
    let mut capped = false;
    let spinner = ProgressBar::new_spinner().with_message(format!("reading {} ({split})", dir.display()));
    'clips: for clip in stream_split(&ds, split)? {
        let clip = clip.with_context(|| format!("{}: split '{split}'", dir.display()))?;
        let n = clip.frames();
        let feats = features(mel, &clip.audio, n);
        let dim = mel.dim();
        for s in duologue_train::window_starts(n, l) {
            if windows.len() >= cap {
                capped = true;
                break 'clips;
            }
            let w = duologue_train::window(&clip, &feats, dim, s, l);
            let real = n.saturating_sub(s).min(l).max(1);
            let mut pooled = vec![0.0f32; dim];
            for row in w.audio.chunks_exact(dim).take(real) {
                pooled.iter_mut().zip(row).for_each(|(p, v)| *p += v / real as f32);
            }
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
        spinner.set_message(format!("reading {} ({split}): {} windows", dir.display(), windows.len()));
        spinner.tick();
    }
    spinner.finish_and_clear();
    let lib = Library::new(windows).with_context(|| format!("{}: split '{split}'", dir.display()))?;
    Ok((lib, capped))
}

fn opt_json(v: Option<f64>) -> serde_json::Value {
    v.map_or(serde_json::Value::Null, serde_json::Value::from)
}

fn summary_json(s: &MethodSummary) -> serde_json::Value {
    serde_json::json!({
        "clips": s.clips,
        "frames": s.frames,
        "fd_params": opt_json(s.fd),
        "pfd_params": opt_json(s.pfd),
        "fd_vertices": opt_json(s.fd_vertices),
        "pfd_vertices": opt_json(s.pfd_vertices),
        "mse": s.mse.as_ref().map(group_json),
        "mse_speaker": s.mse_speaker.as_ref().map(group_json),
        "mse_listener": s.mse_listener.as_ref().map(group_json),
        "vmse_m2": opt_json(s.vmse),
        "vmse_speaker_m2": opt_json(s.vmse_speaker),
        "vmse_listener_m2": opt_json(s.vmse_listener),
        "lip_vertex_error_m2": opt_json(s.lip_max_sq),
        "lip_vertex_error_speaker_m2": opt_json(s.lip_max_sq_speaker),
        "sid_speaker_bits": opt_json(s.sid_speaker),
        "sid_listener_bits": opt_json(s.sid_listener),
        "sid_rows": s.sid_rows,
        "sid_groups_bits": s
            .sid_groups
            .iter()
            .map(|(g, [sp, li])| ((*g).to_string(), serde_json::json!({"speaker": opt_json(*sp), "listener": opt_json(*li)})))
            .collect::<serde_json::Map<_, _>>(),
        "role_agreement": opt_json(s.role_agreement),
        "listening_gaze_rate": opt_json(s.listening_gaze),
    })
}

/// The Markdown report: header lines saying how values are scaled, then one row per method.
fn markdown(title: &str, rows: &[(String, MethodSummary)], notes: &[String]) -> String {
    let mut s = format!("# {title}\n\n");
    s.push_str(
        "Units: FD / P-FD on per-frame motion parameters (78 per person-frame, both people pooled / \
         156 per frame, A then B), not on Inception features of renders; FD-V / P-FD-V the same on 64 \
         posed face-model vertices (world positions, cm², so x 1e4); parameter MSE columns \
         are raw MSE x 1e3 (EXP/LIP coefficient², ROT/EYE rad², TRANSL m² of t0 + dt); vMSE and \
         lip errors in mm² (m² x 1e6); SID in bits (k = 40, max 5.32); agree = mask-role \
         agreement, gaze-L = gaze at the partner while listening, both in %. Frame-weighted over \
         clips. `gt` is the ground truth scored against itself (reference for SID, agree, gaze-L).\n\n",
    );
    s.push_str(
        "| method | FD | P-FD | FD-V | P-FD-V | FULL | EXP | ROT | TRANSL | EYE | LIP | vMSE | vMSE-S | vMSE-L | lip-S | \
         SID-S | SID-L | agree | gaze-L |\n",
    );
    s.push_str(&format!("|---|{}\n", "---|".repeat(18)));
    let f = |v: Option<f64>, scale: f64, prec: usize| {
        v.map_or("-".to_string(), |v| format!("{:.prec$}", if v.abs() < 1e-12 { 0.0 } else { v * scale }))
    };
    for (name, r) in rows {
        let g = |sel: fn(&GroupMse) -> f64| f(r.mse.as_ref().map(sel), 1e3, 3);
        s.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(r.fd.map(|v| v.max(0.0)), 1.0, 3),
            f(r.pfd.map(|v| v.max(0.0)), 1.0, 3),
            f(r.fd_vertices.map(|v| v.max(0.0)), 1e4, 3),
            f(r.pfd_vertices.map(|v| v.max(0.0)), 1e4, 3),
            g(|m| m.full),
            g(|m| m.exp),
            g(|m| m.rot),
            g(|m| m.transl),
            g(|m| m.eye),
            g(|m| m.lip),
            f(r.vmse, 1e6, 2),
            f(r.vmse_speaker, 1e6, 2),
            f(r.vmse_listener, 1e6, 2),
            f(r.lip_max_sq_speaker, 1e6, 2),
            f(r.sid_speaker, 1.0, 2),
            f(r.sid_listener, 1.0, 2),
            f(r.role_agreement, 100.0, 1),
            f(r.listening_gaze, 100.0, 1),
        ));
    }
    // Diversity per parameter group (DualTalk reports expression, jaw and head separately).
    s.push_str("\nSID per parameter group, bits, speaker / listener (EXP psi 0..63, JAW psi 0..20, HEAD neck + head rotation):\n\n| method |");
    let groups: Vec<&str> =
        rows.first().map(|(_, r)| r.sid_groups.iter().map(|g| g.0).collect()).unwrap_or_default();
    for g in &groups {
        s.push_str(&format!(" {g} |"));
    }
    s.push_str(&format!("\n|---|{}\n", "---|".repeat(groups.len())));
    for (name, r) in rows {
        s.push_str(&format!("| {name} |"));
        for (_, [sp, li]) in &r.sid_groups {
            s.push_str(&format!(" {} / {} |", f(*sp, 1.0, 2), f(*li, 1.0, 2)));
        }
        s.push('\n');
    }
    if !notes.is_empty() {
        s.push('\n');
        for n in notes {
            s.push_str(&format!("- {n}\n"));
        }
    }
    s
}

/// `--model CKPT --data DIR`: the checkpoint and the baselines on a dataset split.
fn run_dataset(args: &Args) -> Result<()> {
    let (model_path, data_dir) =
        (args.model.as_deref().expect("checked"), args.data.as_deref().expect("checked"));
    let baselines = parse_baselines(&args.baselines)?;
    if args.clips == Some(0) {
        bail!("--clips must be at least 1");
    }
    if args.max_train_windows == 0 && baselines.iter().any(|b| b.needs_library()) {
        bail!("--max-train-windows must be at least 1 for the mean and retrieval baselines");
    }
    let device = super::devices(&args.device)?.remove(0);
    let gen = Generator::load(model_path, &device)
        .with_context(|| format!("cannot load model {}", model_path.display()))?;
    let cfg = gen.config().clone();
    let mel = LogMel::new(LogMelConfig::default());
    if cfg.model.audio_dim != mel.dim() {
        bail!(
            "{}: the model expects {}-dim audio features, eval computes {}-dim log-mel",
            model_path.display(),
            cfg.model.audio_dim,
            mel.dim()
        );
    }
    let l = cfg.model.frames;
    let steps = args.steps.unwrap_or(cfg.sample.steps);
    let guidance = args.guidance.unwrap_or(cfg.sample.guidance);
    if steps == 0 || !guidance.is_finite() {
        bail!("--steps must be positive and --guidance finite");
    }
    let (ds, split_clips) = open_dataset(data_dir, &args.split)?;
    let total = args.clips.map_or(split_clips, |c| c.min(split_clips));

    let train_dir = args.train_data.as_deref().unwrap_or(data_dir);
    // Library windows as long as the test clips (the first one's length: simulated and dubbed
    // datasets have one clip length), so retrieved motion rarely needs trimming or padding;
    // at most max(L, 250) frames by default to keep the library's memory bounded.
    let retrieval_frames = match args.retrieval_frames {
        Some(0) => bail!("--retrieval-frames must be at least 1"),
        Some(f) => f,
        None => match stream_split(&ds, &args.split)?.next() {
            Some(clip) => clip
                .with_context(|| format!("{}: split '{}'", data_dir.display(), args.split))?
                .frames()
                .min(l.max(duologue_params::WINDOW)),
            None => l,
        },
    };
    let library = if baselines.iter().any(|b| b.needs_library()) {
        Some(read_library(train_dir, &args.train_split, retrieval_frames, args.max_train_windows, &mel)?)
    } else {
        None
    };
    let mean = library.as_ref().map(|(lib, _)| lib.mean_pose());

    let face = FaceModel::shared();
    let agg = AggregateConfig { vertices: !args.no_vertices, seed: args.seed, ..Default::default() };
    let mut methods: Vec<(String, MethodAccumulator)> = ["gt", "model"]
        .into_iter()
        .map(String::from)
        .chain(baselines.iter().map(|b| b.name().to_string()))
        .map(|n| (n, MethodAccumulator::new(agg)))
        .collect();
    let mut rng = Xoshiro256::new(args.seed ^ 0x4C49_5354_454E_5F52);
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} clips [{elapsed_precise}<{eta_precise}] {msg}")
            .context("progress template")?,
    );
    let name = data_dir.file_name().map_or("dataset".into(), |s| s.to_string_lossy().into_owned());
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("eval-{name}")));
    let mut plotted: Option<PathBuf> = None;
    let mut keys = Vec::new();
    for (i, clip) in stream_split(&ds, &args.split)?.take(total).enumerate() {
        let clip: DataClip =
            clip.with_context(|| format!("{}: split '{}'", data_dir.display(), args.split))?;
        bar.set_message(clip.key.clone());
        let what = || format!("{}: clip {}", data_dir.display(), clip.key);
        let gt = &clip.duo;
        let n = gt.frames();
        let feats = features(&mel, &clip.audio, l);
        let seed = args.seed.wrapping_add((i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let cond = Conditioning {
            frames: n,
            features: feats.clone(),
            dim: mel.dim(),
            m_a: gt.a.mask.clone(),
            m_b: gt.b.mask.clone(),
            t0_a: gt.a.t0,
            t0_b: gt.b.t0,
            beta_a: gt.a.beta.clone(),
            beta_b: gt.b.beta.clone(),
        };
        let [xa, xb] = sample_clip(&gen, &cond, steps, guidance, seed).with_context(what)?;
        let with_x = |xa: Motion, xb: Motion| Duo {
            a: Person { x: xa, ..gt.a.clone() },
            b: Person { x: xb, ..gt.b.clone() },
            fps: gt.fps,
        };
        let mut preds: Vec<Duo> = vec![gt.clone(), with_x(xa, xb)];
        for b in &baselines {
            let lib = library.as_ref().map(|(lib, _)| lib);
            let pred = match (b, lib) {
                (Baseline::Mean, _) => {
                    mean_baseline(mean.as_deref().unwrap_or(&[]), gt).with_context(what)?
                }
                (Baseline::ListenR, Some(lib)) => {
                    let j = (rng.next_u64() % lib.len() as u64) as usize;
                    orient(&lib.window(j).duo, gt)
                }
                (Baseline::ListenA, Some(lib)) => {
                    let dim = mel.dim();
                    let mut q = vec![0.0f32; dim];
                    for row in feats.chunks_exact(dim).take(n) {
                        q.iter_mut().zip(row).for_each(|(p, v)| *p += v / n as f32);
                    }
                    orient(&lib.window(lib.nearest_audio(&q).with_context(what)?).duo, gt)
                }
                (Baseline::ListenM, Some(lib)) => {
                    let speaker = if b_speaks_more(gt) { &gt.b.x } else { &gt.a.x };
                    orient(&lib.window(lib.nearest_motion(speaker)).duo, gt)
                }
                (Baseline::Independent, _) => {
                    let zeros = vec![0.0f32; n];
                    let mut x = Vec::new();
                    for (p, own) in [&gt.a.mask, &gt.b.mask].into_iter().enumerate() {
                        // This person's "track": the mix with the partner-only frames silenced.
                        let gated: Vec<f32> = clip
                            .audio
                            .iter()
                            .enumerate()
                            .map(|(s, v)| v * own.get(s / HOP).copied().unwrap_or(0.0))
                            .collect();
                        let (m_a, m_b) =
                            if p == 0 { (own.clone(), zeros.clone()) } else { (zeros.clone(), own.clone()) };
                        let solo =
                            Conditioning { features: features(&mel, &gated, l), m_a, m_b, ..cond.clone() };
                        let [sa, sb] =
                            sample_clip(&gen, &solo, steps, guidance, seed ^ (0xA5A5_0000 + p as u64))
                                .with_context(what)?;
                        x.push(if p == 0 { sa } else { sb });
                    }
                    let xb = x.pop().expect("two people");
                    let xa = x.pop().expect("two people");
                    with_x(xa, xb)
                }
                (_, None) => bail!("baseline {} needs the training library", b.name()),
            };
            preds.push(pred);
        }
        // Methods are scored independently (posing heads for the vertex metrics dominates):
        // one scoped thread each.
        let results: Vec<Result<(), duologue_eval::EvalError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = methods
                .iter_mut()
                .zip(&preds)
                .map(|((_, acc), pred)| scope.spawn(move || acc.add(pred, gt, face)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(duologue_eval::EvalError::InvalidArgument("metric thread panicked".into()))
                    })
                })
                .collect()
        });
        for ((name, _), r) in methods.iter().zip(results) {
            r.with_context(|| format!("{}: method {name}", what()))?;
        }
        let plot_this = args.plot_clip.as_deref().map_or(keys.is_empty(), |k| k == clip.key);
        if plot_this && !args.no_vertices {
            let svg = plot_clip(
                &preds[1],
                gt,
                &clip.audio,
                face,
                &format!("{} — {}", clip.key, model_path.display()),
            )
            .with_context(what)?;
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let path = out.join(format!("plot-{}.svg", clip.key.replace(['/', '\\'], "_")));
            std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
            plotted = Some(path);
        }
        keys.push(clip.key.clone());
        bar.inc(1);
    }
    bar.finish_and_clear();
    if keys.is_empty() {
        bail!("{}: no clips in split '{}'", data_dir.display(), args.split);
    }

    let sid_cfg = SidConfig { seed: args.seed, ..SidConfig::default() };
    let reference = methods[0].1.clone();
    let mut rows = Vec::new();
    for (name, acc) in &methods {
        rows.push((
            name.clone(),
            acc.summary(&reference, &sid_cfg).with_context(|| format!("method {name}"))?,
        ));
    }

    let (train_windows, capped) = library.as_ref().map_or((0, false), |(lib, c)| (lib.len(), *c));
    let mut notes: Vec<String> = vec![
        format!(
            "model: {} ({} DDIM steps, guidance {guidance}, windows of {l} frames); inputs per paper §4.1: \
             log-mel of the clip's mixed audio, GT masks, GT t0 and identities",
            model_path.display(),
            steps
        ),
        format!(
            "{} clips ({} frames) of split '{}' of {}",
            keys.len(),
            rows[0].1.frames,
            args.split,
            data_dir.display()
        ),
    ];
    for b in &baselines {
        notes.push(format!("{}: {}", b.name(), b.describe()));
    }
    if let Some(p) = &plotted {
        notes.push(format!(
            "per-frame curves of one clip (the model solid, the ground truth dashed): {}",
            p.display()
        ));
    } else if let Some(k) = &args.plot_clip {
        notes.push(format!("--plot-clip {k}: no such clip evaluated (or --no-vertices), nothing plotted"));
    }
    if library.is_some() {
        notes.push(format!(
            "baseline library: {train_windows} windows of {retrieval_frames} frames (hop half a window) \
             from split '{}' of {}{}; retrieved windows are trimmed, or padded by holding the last frame, \
             to the clip length and placed at the GT t0 with GT identities",
            args.train_split,
            train_dir.display(),
            if capped {
                format!(" (capped at --max-train-windows {})", args.max_train_windows)
            } else {
                String::new()
            }
        ));
    }
    let methods_json: serde_json::Map<String, serde_json::Value> =
        rows.iter().map(|(n, s)| (n.clone(), summary_json(s))).collect();
    let json = serde_json::json!({
        "dataset": data_dir.display().to_string(),
        "split": args.split,
        "model": model_path.display().to_string(),
        "clips": keys.len(),
        "frames": rows[0].1.frames,
        "clip_keys": keys,
        "order": rows.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        "methods": methods_json,
        "settings": {
            "seed": args.seed,
            "ddim_steps": steps,
            "guidance": guidance,
            "window_frames": l,
            "audio_features": format!("log-mel, {} bands, 25 fps", mel.dim()),
            "train_data": train_dir.display().to_string(),
            "train_split": args.train_split,
            "train_windows": train_windows,
            "retrieval_window_frames": retrieval_frames,
            "max_train_windows": args.max_train_windows,
            "train_windows_capped": capped,
            "vertices": !args.no_vertices,
            "lip_activity_window_frames": LIP_ACTIVITY_WINDOW,
            "gaze_threshold_deg": MUTUAL_GAZE_DEG,
            "sid_k": sid_cfg.k,
            "sid_max_rows_per_role": agg.sid_cap,
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
        "baselines": baselines.iter().map(|b| (b.name().to_string(), serde_json::Value::from(b.describe()))).collect::<serde_json::Map<_, _>>(),
        "notes": notes,
    });
    let md = markdown(&format!("duologue eval: {}", data_dir.display()), &rows, &notes);
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let text = serde_json::to_string_pretty(&json)?;
    std::fs::write(out.join("eval.json"), &text)
        .with_context(|| format!("cannot write {}", out.join("eval.json").display()))?;
    std::fs::write(out.join("eval.md"), &md)
        .with_context(|| format!("cannot write {}", out.join("eval.md").display()))?;
    if args.json {
        println!("{text}");
    } else {
        print!("{md}");
        println!("\nwrote {} and {}", out.join("eval.json").display(), out.join("eval.md").display());
    }
    Ok(())
}
