//! Dataset-level aggregation of the metrics of paper Table 2 and the project's quality metrics
//! (paper Table 2; DESIGN §8) over many test clips, in bounded memory.
//!
//! One [`MethodAccumulator`] per method collects, clip by clip, a prediction against its ground
//! truth. Averages are **frame-weighted** over clips: each metric is the mean over every
//! person-frame (or frame) it is defined on, pooled across clips, so a long clip counts more
//! than a short one, exactly as if all clips were one long recording.
//!
//! - FD / P-FD: the Gaussians are fitted to *all* frames of all clips (streaming sums of
//!   features and their outer products, not per-clip FDs averaged); feature spaces as in
//!   [`param_features`](crate::param_features) (`[78]` per person-frame, both people pooled) and
//!   [`paired_features`](crate::paired_features) (`[156]` per frame).
//! - FD-V / P-FD-V: the same on the face model's surface, [`vertex_features`] of
//!   [`FD_VERTICES`] posed vertices (`[192]` per person-frame; `[384]` per frame), computed with
//!   the vertex metrics.
//! - SID: k-means over speaker (listener) person-frames of all clips; to bound memory and time,
//!   at most `sid_cap` rows per role are kept by seeded reservoir sampling (uniform over frames).

use crate::quality::{
    listening_gaze, role_agreement, role_vertex_metrics, vertex_feature_indices, vertex_features,
    FD_VERTICES, LIP_ACTIVITY_WINDOW,
};
use crate::temporal::{TemporalAcc, TemporalSummary};
use crate::{frechet_distance, param_mse, sid, EvalError, Gaussian, GroupMse, SidConfig, SPEAKER_THRESHOLD};
use duologue_face::FaceModel;
use duologue_params::rng::Xoshiro256;
use duologue_params::{Duo, X_DIM};

/// Streaming mean and unbiased covariance of `dim`-dimensional rows.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianAcc {
    dim: usize,
    n: usize,
    sum: Vec<f64>,
    /// Upper triangle (row-major, full storage) of the sum of outer products.
    outer: Vec<f64>,
}

impl GaussianAcc {
    /// An empty accumulator of `dim`-dimensional rows.
    pub fn new(dim: usize) -> Self {
        Self { dim, n: 0, sum: vec![0.0; dim], outer: vec![0.0; dim * dim] }
    }

    /// Adds one row (`[dim]`, finite; the caller checks).
    pub fn push(&mut self, row: &[f64]) {
        let d = self.dim;
        self.n += 1;
        for i in 0..d {
            self.sum[i] += row[i];
            let ri = row[i];
            if ri != 0.0 {
                let o = &mut self.outer[i * d..(i + 1) * d];
                for j in i..d {
                    o[j] += ri * row[j];
                }
            }
        }
    }

    /// Rows added so far.
    pub fn count(&self) -> usize {
        self.n
    }

    /// The fitted [`Gaussian`]: `mean = sum / n`, `cov = (sum xx^T - n mean mean^T) / (n - 1)`.
    /// Errors with fewer than two rows.
    pub fn gaussian(&self) -> Result<Gaussian, EvalError> {
        if self.n < 2 {
            return Err(EvalError::TooFew { what: "FD covariance", need: 2, got: self.n });
        }
        let (d, n) = (self.dim, self.n as f64);
        let mean: Vec<f64> = self.sum.iter().map(|s| s / n).collect();
        let mut cov = vec![0.0; d * d];
        for i in 0..d {
            for j in i..d {
                let v = (self.outer[i * d + j] - n * mean[i] * mean[j]) / (n - 1.0);
                cov[i * d + j] = v;
                cov[j * d + i] = v;
            }
        }
        Ok(Gaussian { dim: d, mean, cov })
    }
}

/// Seeded reservoir sample of at most `cap` rows of width `dim`.
#[derive(Debug, Clone)]
struct Reservoir {
    dim: usize,
    cap: usize,
    seen: u64,
    rows: Vec<f64>,
    rng: Xoshiro256,
}

impl Reservoir {
    fn new(dim: usize, cap: usize, seed: u64) -> Self {
        Self { dim, cap, seen: 0, rows: Vec::new(), rng: Xoshiro256::new(seed) }
    }

    fn push(&mut self, row: &[f32]) {
        self.seen += 1;
        let n = self.rows.len() / self.dim;
        if n < self.cap {
            self.rows.extend(row.iter().map(|v| *v as f64));
            return;
        }
        // Algorithm R: keep the new row with probability cap / seen.
        let j = self.rng.below(self.seen);
        if (j as usize) < self.cap {
            let j = j as usize;
            for (dst, v) in self.rows[j * self.dim..(j + 1) * self.dim].iter_mut().zip(row) {
                *dst = *v as f64;
            }
        }
    }
}

/// Frame-weighted sum of a mean that was computed over `n` units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Weighted {
    sum: f64,
    n: usize,
}

impl Weighted {
    fn add(&mut self, mean: Option<f64>, n: usize) {
        if let Some(m) = mean {
            self.sum += m * n as f64;
            self.n += n;
        }
    }
    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct GroupAcc {
    full: Weighted,
    exp: Weighted,
    rot: Weighted,
    transl: Weighted,
    eye: Weighted,
    lip: Weighted,
}

impl GroupAcc {
    fn add(&mut self, g: Option<&GroupMse>, n: usize) {
        if let Some(g) = g {
            self.full.add(Some(g.full), n);
            self.exp.add(Some(g.exp), n);
            self.rot.add(Some(g.rot), n);
            self.transl.add(Some(g.transl), n);
            self.eye.add(Some(g.eye), n);
            self.lip.add(Some(g.lip), n);
        }
    }
    fn mean(&self) -> Option<GroupMse> {
        Some(GroupMse {
            full: self.full.mean()?,
            exp: self.exp.mean()?,
            rot: self.rot.mean()?,
            transl: self.transl.mean()?,
            eye: self.eye.mean()?,
            lip: self.lip.mean()?,
        })
    }
}

/// What to compute and how (defaults: everything, 1 s lip-activity window, 10° gaze threshold,
/// 10,000 SID rows per role).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggregateConfig {
    /// Compute the vertex metrics (posing two heads per person-frame: the slowest part).
    pub vertices: bool,
    /// Lip-activity window in frames ([`LIP_ACTIVITY_WINDOW`]).
    pub lip_window: usize,
    /// Gaze threshold in degrees ([`MUTUAL_GAZE_DEG`](crate::MUTUAL_GAZE_DEG)).
    pub gaze_deg: f64,
    /// At most this many rows per role for SID (reservoir sampled).
    pub sid_cap: usize,
    /// Seed of the SID reservoir.
    pub seed: u64,
}

impl Default for AggregateConfig {
    fn default() -> Self {
        Self {
            vertices: true,
            lip_window: LIP_ACTIVITY_WINDOW,
            gaze_deg: crate::MUTUAL_GAZE_DEG,
            sid_cap: 10_000,
            seed: 0,
        }
    }
}

/// Collects one method's predictions against the ground truth, clip by clip.
#[derive(Debug, Clone)]
pub struct MethodAccumulator {
    cfg: AggregateConfig,
    clips: usize,
    frames: usize,
    mse_all: GroupAcc,
    mse_speaker: GroupAcc,
    mse_listener: GroupAcc,
    vmse: Weighted,
    vmse_speaker: Weighted,
    vmse_listener: Weighted,
    lip: Weighted,
    lip_speaker: Weighted,
    agree: Weighted,
    gaze: Weighted,
    fd: GaussianAcc,
    pfd: GaussianAcc,
    fd_vertices: GaussianAcc,
    pfd_vertices: GaussianAcc,
    vertex_indices: Option<Vec<usize>>,
    sid_speaker: Reservoir,
    sid_listener: Reservoir,
    temporal: TemporalAcc,
}

/// One method's dataset-level values (raw units; see each field).
#[derive(Debug, Clone, PartialEq)]
pub struct MethodSummary {
    /// Clips seen.
    pub clips: usize,
    /// Frames seen (per person; person-frames are twice this).
    pub frames: usize,
    /// Parameter MSE, all person-frames ([`GroupMse`] units: coeff², rad², m²).
    pub mse: Option<GroupMse>,
    /// Parameter MSE on ground-truth speaker person-frames.
    pub mse_speaker: Option<GroupMse>,
    /// Parameter MSE on ground-truth listener person-frames.
    pub mse_listener: Option<GroupMse>,
    /// Vertex MSE, m² (`None` when vertices were not computed).
    pub vmse: Option<f64>,
    /// Vertex MSE on speaker person-frames, m².
    pub vmse_speaker: Option<f64>,
    /// Vertex MSE on listener person-frames, m².
    pub vmse_listener: Option<f64>,
    /// Lip vertex error (FaceFormer max), all person-frames, m².
    pub lip_max_sq: Option<f64>,
    /// Lip vertex error on speaker person-frames only, m².
    pub lip_max_sq_speaker: Option<f64>,
    /// Mask-role agreement, fraction of single-speaker frames.
    pub role_agreement: Option<f64>,
    /// Gaze-at-partner rate while listening, fraction of listening person-frames.
    pub listening_gaze: Option<f64>,
    /// FD against the reference (ground-truth) Gaussian, parameter features `[78]`.
    pub fd: Option<f64>,
    /// P-FD against the reference, paired parameter features `[156]`.
    pub pfd: Option<f64>,
    /// FD of the marginals over each of [`FD_GROUPS`] (which part of the motion holds the FD),
    /// `(name, value)`, the same units as `fd`.
    pub fd_groups: Vec<(&'static str, Option<f64>)>,
    /// Spread of each of [`SPREAD_GROUPS`] relative to the reference's: the square root of the
    /// summed per-coefficient variances, this method's over the reference's (1 = as lively as
    /// the truth, 0 = a constant). Shows a model that collapses brief, unforeseeable events
    /// (smiles, blinks, brow raises) to their mean, which the FD only sums up.
    pub spread: Vec<(&'static str, Option<f64>)>,
    /// FD on vertex features (`[3 * FD_VERTICES]` per person-frame, m²); `None` without vertices.
    pub fd_vertices: Option<f64>,
    /// P-FD on vertex features (both people's side by side per frame), m².
    pub pfd_vertices: Option<f64>,
    /// SID of speaker person-frames, bits (`None` with fewer frames than k).
    pub sid_speaker: Option<f64>,
    /// SID of listener person-frames, bits.
    pub sid_listener: Option<f64>,
    /// Rows that went into the speaker / listener SID (after the reservoir cap).
    pub sid_rows: [usize; 2],
    /// SID per parameter group, as DualTalk reports diversity separately for expression, jaw
    /// and head: `(name, [speaker, listener])` for [`SID_GROUPS`], bits, same rows and k.
    pub sid_groups: Vec<(&'static str, [Option<f64>; 2])>,
    /// Jitter, lip speed by role, the largest head step and lip sync ([`crate::temporal`]).
    pub temporal: TemporalSummary,
}

/// Parameter groups of the per-group SID (DESIGN §3 columns): EXP all 63 expression
/// coefficients, JAW the lip/jaw group psi[0..20], HEAD the neck and head axis-angles theta[0..6].
pub const SID_GROUPS: [(&str, std::ops::Range<usize>); 3] =
    [("EXP", 0..63), ("JAW", 0..20), ("HEAD", 63..69)];

/// Parameter groups of the per-group FD: EXP psi[0..63], LIP psi[0..20], ROT the neck and head
/// axis-angles theta[0..6], EYE the eyes' theta[6..12], TRANSL dt.
pub const FD_GROUPS: [(&str, std::ops::Range<usize>); 5] =
    [("EXP", 0..63), ("LIP", 0..20), ("ROT", 63..69), ("EYE", 69..75), ("TRANSL", 75..78)];

/// The expression groups whose spread [`MethodSummary::spread`] reports (psi indices of the
/// face model's expression basis: lips, smiles, cheek squints that go with them, brows,
/// blinks, the other upper-face and lower-face coefficients), then the rotations and eyes.
pub const SPREAD_GROUPS: [(&str, std::ops::Range<usize>); 8] = [
    ("lips", 0..20),
    ("smile", 20..22),
    ("cheek squint", 28..30),
    ("brows", 33..40),
    ("blink", 40..42),
    ("other psi", 42..63),
    ("ROT", 63..69),
    ("EYE", 69..75),
];

impl MethodAccumulator {
    /// An empty accumulator.
    pub fn new(cfg: AggregateConfig) -> Self {
        Self {
            cfg,
            clips: 0,
            frames: 0,
            mse_all: GroupAcc::default(),
            mse_speaker: GroupAcc::default(),
            mse_listener: GroupAcc::default(),
            vmse: Weighted::default(),
            vmse_speaker: Weighted::default(),
            vmse_listener: Weighted::default(),
            lip: Weighted::default(),
            lip_speaker: Weighted::default(),
            agree: Weighted::default(),
            gaze: Weighted::default(),
            fd: GaussianAcc::new(X_DIM),
            pfd: GaussianAcc::new(2 * X_DIM),
            fd_vertices: GaussianAcc::new(3 * FD_VERTICES),
            pfd_vertices: GaussianAcc::new(6 * FD_VERTICES),
            vertex_indices: None,
            sid_speaker: Reservoir::new(X_DIM, cfg.sid_cap, cfg.seed),
            sid_listener: Reservoir::new(X_DIM, cfg.sid_cap, cfg.seed ^ 0x5EED),
            temporal: TemporalAcc::default(),
        }
    }

    /// Adds one clip: `pred` against `gt` (same frame count and rate). Roles come from the
    /// ground-truth masks. Errors (nothing added) on mismatched or non-finite inputs.
    pub fn add(&mut self, pred: &Duo, gt: &Duo, model: &FaceModel) -> Result<(), EvalError> {
        self.add_with_audio(pred, gt, None, model)
    }

    /// [`add`](Self::add) with the clip's mixed-audio frame energy (dB, 25 fps,
    /// [`crate::plot::frame_energy_db`]) for the lip-sync metric ([`crate::temporal`]).
    pub fn add_with_audio(
        &mut self,
        pred: &Duo,
        gt: &Duo,
        energy_db: Option<&[f64]>,
        model: &FaceModel,
    ) -> Result<(), EvalError> {
        let mse = param_mse(pred, gt)?;
        let mut temporal = self.temporal.clone();
        temporal.add([pred, gt], energy_db, model)?;
        let masks = [gt.a.mask.as_slice(), gt.b.mask.as_slice()];
        let agree = role_agreement(pred, masks, model, self.cfg.lip_window)?;
        let gaze = listening_gaze(pred, masks, model, self.cfg.gaze_deg)?;
        let verts = if self.cfg.vertices { Some(role_vertex_metrics(pred, gt, model)?) } else { None };
        let frames = gt.frames();
        self.clips += 1;
        self.frames += frames;
        self.mse_all.add(Some(&mse.all), 2 * frames);
        self.mse_speaker.add(mse.speaker.as_ref(), mse.speaker_frames);
        self.mse_listener.add(mse.listener.as_ref(), mse.listener_frames);
        if let Some(v) = verts {
            self.vmse.add(Some(v.vmse), v.frames);
            self.vmse_speaker.add(v.vmse_speaker, v.speaker_frames);
            self.vmse_listener.add(v.vmse_listener, v.listener_frames);
            self.lip.add(Some(v.lip_max_sq), v.frames);
            self.lip_speaker.add(v.lip_max_sq_speaker, v.speaker_frames);
        }
        if self.cfg.vertices {
            let idx = self.vertex_indices.get_or_insert_with(|| vertex_feature_indices(model)).clone();
            let w = 3 * idx.len();
            let (fa, fb) = (vertex_features(&pred.a, model, &idx), vertex_features(&pred.b, model, &idx));
            if w == 3 * FD_VERTICES {
                for k in 0..frames {
                    let (ra, rb) = (&fa[k * w..(k + 1) * w], &fb[k * w..(k + 1) * w]);
                    self.fd_vertices.push(ra);
                    self.fd_vertices.push(rb);
                    self.pfd_vertices.push(&[ra, rb].concat());
                }
            }
        }
        self.temporal = temporal;
        self.agree.add(agree.rate, agree.frames);
        self.gaze.add(gaze.rate, gaze.frames);
        let mut pair = vec![0.0f64; 2 * X_DIM];
        for k in 0..frames {
            for (i, p) in [&pred.a, &pred.b].into_iter().enumerate() {
                let row = p.x.frame(k);
                let row64: Vec<f64> = row.iter().map(|v| *v as f64).collect();
                self.fd.push(&row64);
                pair[i * X_DIM..(i + 1) * X_DIM].copy_from_slice(&row64);
                let speaking = [&gt.a, &gt.b][i].mask[k] >= SPEAKER_THRESHOLD;
                if speaking {
                    self.sid_speaker.push(row);
                } else {
                    self.sid_listener.push(row);
                }
            }
            self.pfd.push(&pair);
        }
        Ok(())
    }

    /// Clips added.
    pub fn clips(&self) -> usize {
        self.clips
    }

    /// The dataset-level values, FD and P-FD against `reference` (the ground truth's own
    /// accumulator; pass `self` for the ground-truth row). FD needs two frames on each side,
    /// SID `k` rows per role: otherwise those values are `None`.
    pub fn summary(
        &self,
        reference: &MethodAccumulator,
        sid_cfg: &SidConfig,
    ) -> Result<MethodSummary, EvalError> {
        let fd_of = |a: &GaussianAcc, b: &GaussianAcc| -> Result<Option<f64>, EvalError> {
            if a.count() < 2 || b.count() < 2 {
                return Ok(None);
            }
            frechet_distance(&a.gaussian()?, &b.gaussian()?).map(Some)
        };
        let sid_of = |r: &Reservoir| -> Result<Option<f64>, EvalError> {
            if r.rows.len() / X_DIM < sid_cfg.k.max(1) {
                return Ok(None);
            }
            sid(&r.rows, X_DIM, sid_cfg).map(Some)
        };
        let sid_cols = |r: &Reservoir, cols: &std::ops::Range<usize>| -> Result<Option<f64>, EvalError> {
            if r.rows.len() / X_DIM < sid_cfg.k.max(1) {
                return Ok(None);
            }
            let sub: Vec<f64> =
                r.rows.chunks_exact(X_DIM).flat_map(|row| row[cols.clone()].iter().copied()).collect();
            sid(&sub, cols.len(), sid_cfg).map(Some)
        };
        // Gaussians of the parameters, for the FD and spread of each group.
        let gaussians = if self.fd.count() < 2 || reference.fd.count() < 2 {
            None
        } else {
            Some((self.fd.gaussian()?, reference.fd.gaussian()?))
        };
        let fd_groups = match &gaussians {
            None => FD_GROUPS.iter().map(|(n, _)| (*n, None)).collect(),
            Some((a, b)) => {
                let mut v = Vec::with_capacity(FD_GROUPS.len());
                for (n, cols) in &FD_GROUPS {
                    v.push((
                        *n,
                        Some(frechet_distance(&a.marginal(cols.clone()), &b.marginal(cols.clone()))?),
                    ));
                }
                v
            }
        };
        let var = |g: &crate::fd::Gaussian, cols: &std::ops::Range<usize>| -> f64 {
            cols.clone().map(|i| g.cov[i * g.dim + i]).sum()
        };
        let spread = SPREAD_GROUPS
            .iter()
            .map(|(n, cols)| {
                // A constant's variance can come out a rounding error below zero.
                let ratio = gaussians.as_ref().and_then(|(a, b)| {
                    let (mine, truth) = (var(a, cols), var(b, cols));
                    (truth > 0.0).then(|| (mine.max(0.0) / truth).sqrt())
                });
                (*n, ratio)
            })
            .collect();
        let mut sid_groups = Vec::with_capacity(SID_GROUPS.len());
        for (name, cols) in &SID_GROUPS {
            sid_groups
                .push((*name, [sid_cols(&self.sid_speaker, cols)?, sid_cols(&self.sid_listener, cols)?]));
        }
        Ok(MethodSummary {
            clips: self.clips,
            frames: self.frames,
            mse: self.mse_all.mean(),
            mse_speaker: self.mse_speaker.mean(),
            mse_listener: self.mse_listener.mean(),
            vmse: self.vmse.mean(),
            vmse_speaker: self.vmse_speaker.mean(),
            vmse_listener: self.vmse_listener.mean(),
            lip_max_sq: self.lip.mean(),
            lip_max_sq_speaker: self.lip_speaker.mean(),
            role_agreement: self.agree.mean(),
            listening_gaze: self.gaze.mean(),
            fd: fd_of(&self.fd, &reference.fd)?,
            pfd: fd_of(&self.pfd, &reference.pfd)?,
            fd_groups,
            spread,
            fd_vertices: fd_of(&self.fd_vertices, &reference.fd_vertices)?,
            pfd_vertices: fd_of(&self.pfd_vertices, &reference.pfd_vertices)?,
            sid_speaker: sid_of(&self.sid_speaker)?,
            sid_listener: sid_of(&self.sid_listener)?,
            sid_rows: [self.sid_speaker.rows.len() / X_DIM, self.sid_listener.rows.len() / X_DIM],
            sid_groups,
            temporal: self.temporal.summary(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd;
    use duologue_params::{Motion, Person};

    fn duo(frames: usize, seed: u64) -> Duo {
        let mut rng = Xoshiro256::new(seed);
        let mut u = || rng.uniform_f64() as f32 - 0.5;
        let mut person = |z: f32, talk: bool| {
            let x: Vec<f32> = (0..frames * X_DIM).map(|_| 0.05 * u()).collect();
            let mut p = Person::neutral(frames, [0.0, 0.0, z]);
            p.x = Motion::from_vec(x).unwrap();
            p.mask = (0..frames).map(|k| if (k % 20 < 10) == talk { 1.0 } else { 0.0 }).collect();
            p
        };
        Duo { a: person(-0.5, true), b: person(0.5, false), fps: 25.0 }
    }

    #[test]
    fn streaming_gaussian_matches_the_batch_fit() {
        let rows: Vec<f64> = (0..60).map(|i| ((i * 37 % 11) as f64).sin() + i as f64 * 0.01).collect();
        let mut acc = GaussianAcc::new(3);
        rows.chunks_exact(3).for_each(|r| acc.push(r));
        let (a, b) = (acc.gaussian().unwrap(), Gaussian::fit(&rows, 3).unwrap());
        for (x, y) in a.mean.iter().chain(&a.cov).zip(b.mean.iter().chain(&b.cov)) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
        assert!(GaussianAcc::new(3).gaussian().is_err());
    }

    #[test]
    fn frame_weighted_means_over_clips_and_zero_for_the_ground_truth() {
        let model = FaceModel::shared();
        let cfg = AggregateConfig { vertices: false, sid_cap: 1000, ..Default::default() };
        let clips = [duo(40, 1), duo(80, 2)];
        let mut gt_acc = MethodAccumulator::new(cfg);
        let mut off = MethodAccumulator::new(cfg);
        let mut pooled_pred = Vec::new();
        for (i, gt) in clips.iter().enumerate() {
            gt_acc.add(gt, gt, model).unwrap();
            // Clip i is off by 0.1 * (i + 1) on every lip coefficient of both people.
            let mut pred = gt.clone();
            for p in [&mut pred.a, &mut pred.b] {
                for k in 0..p.x.frames() {
                    p.x.frame_mut(k)[..20].iter_mut().for_each(|v| *v += 0.1 * (i + 1) as f32);
                }
            }
            off.add(&pred, gt, model).unwrap();
            pooled_pred.push(pred);
        }
        let sid_cfg = SidConfig::default();
        let g = gt_acc.summary(&gt_acc, &sid_cfg).unwrap();
        assert_eq!(g.mse.unwrap().full, 0.0);
        assert!(g.fd.unwrap().abs() < 1e-9);
        let s = off.summary(&gt_acc, &sid_cfg).unwrap();
        // Frame-weighted: (40 * 0.01 + 80 * 0.04) / 120.
        let want = (40.0 * 0.01 + 80.0 * 0.04) / 120.0;
        assert!((s.mse.unwrap().lip - want).abs() < 1e-6, "{:?}", s.mse);
        assert_eq!((s.clips, s.frames), (2, 120));
        assert!(s.vmse.is_none());
        // The streaming FD equals the FD of the pooled frames.
        let pool = |ds: &[Duo]| -> Vec<f64> {
            ds.iter()
                .flat_map(|d| crate::param_features(&d.a).into_iter().chain(crate::param_features(&d.b)))
                .collect()
        };
        let batch = fd(&pool(&pooled_pred), &pool(&clips), X_DIM).unwrap();
        assert!((s.fd.unwrap() - batch).abs() < 1e-6 * batch.max(1.0), "{:?} vs {batch}", s.fd);
        // 120 frames x 2 people, half speaking: SID on 120 rows per role (>= k = 40).
        assert_eq!(s.sid_rows, [120, 120]);
        assert!(s.sid_speaker.unwrap() > 0.0);
        // Per-group SID: one value per group and role, each within [0, log2 k].
        assert_eq!(s.sid_groups.iter().map(|g| g.0).collect::<Vec<_>>(), ["EXP", "JAW", "HEAD"]);
        for (_, v) in &s.sid_groups {
            for b in v {
                let b = b.expect("enough rows");
                assert!((0.0..=(sid_cfg.k as f64).log2() + 1e-9).contains(&b), "{b}");
            }
        }
    }

    #[test]
    fn spread_is_the_std_ratio_per_group() {
        let model = FaceModel::shared();
        let cfg = AggregateConfig { vertices: false, sid_cap: 1000, ..Default::default() };
        let gt = duo(120, 3);
        // Smiles held constant, blinks at half their size, everything else as the truth.
        let mut pred = gt.clone();
        for p in [&mut pred.a, &mut pred.b] {
            for k in 0..p.x.frames() {
                let f = p.x.frame_mut(k);
                f[20..22].iter_mut().for_each(|v| *v = 0.3);
                f[40..42].iter_mut().for_each(|v| *v *= 0.5);
            }
        }
        let (mut truth, mut model_acc) = (MethodAccumulator::new(cfg), MethodAccumulator::new(cfg));
        truth.add(&gt, &gt, model).unwrap();
        model_acc.add(&pred, &gt, model).unwrap();
        let s = model_acc.summary(&truth, &SidConfig::default()).unwrap();
        let get = |n: &str| s.spread.iter().find(|g| g.0 == n).and_then(|g| g.1).expect(n);
        assert!(get("smile").abs() < 1e-9);
        assert!((get("blink") - 0.5).abs() < 1e-9, "{}", get("blink"));
        assert!((get("lips") - 1.0).abs() < 1e-9 && (get("ROT") - 1.0).abs() < 1e-9);
        assert_eq!(s.spread.len(), SPREAD_GROUPS.len());
        // A constant method (the mean pose) has spread 0, never NaN.
        let mut flat = gt.clone();
        for p in [&mut flat.a, &mut flat.b] {
            p.x.as_mut_slice().iter_mut().for_each(|v| *v = 0.1);
        }
        let mut still = MethodAccumulator::new(cfg);
        still.add(&flat, &gt, model).unwrap();
        let s = still.summary(&truth, &SidConfig::default()).unwrap();
        assert!(s.spread.iter().all(|(_, v)| v.is_none_or(|v| v == 0.0)), "{:?}", s.spread);
    }

    #[test]
    fn reservoir_keeps_at_most_cap_rows() {
        let mut r = Reservoir::new(2, 5, 0);
        for i in 0..100 {
            r.push(&[i as f32, 0.0]);
        }
        assert_eq!(r.rows.len(), 10);
        assert!(r.rows.chunks(2).any(|c| c[0] >= 5.0), "later rows get in");
    }
}
