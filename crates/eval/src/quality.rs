//! Role-aware quality metrics for dataset evaluation (paper §4.3 and appendix
//! §3.3 "Region- and Role-Specific Evaluation"; DESIGN §8). Roles always come from the
//! *ground-truth* masks passed in (a frame is a speaker frame of a person when their mask
//! `m >= 0.5`, [`SPEAKER_THRESHOLD`]), so every method is judged on the same frames.
//!
//! - [`role_vertex_metrics`]: vertex MSE overall / speaker / listener (paper Table 2 "vMSE SPE /
//!   LIS") and the lip vertex error overall and **for the speaker only** (the FaceFormer /
//!   CodeTalker per-frame maximum over lip vertices, restricted to speaking frames), posing each
//!   head once per frame.
//! - [`lip_activity`] and [`role_agreement`]: does the person the masks say is talking move their
//!   lips more than the one listening?
//! - [`listening_gaze`]: how often a listener looks at the partner's eyes.

use crate::{check_duo, check_pair, EvalError, SPEAKER_THRESHOLD};
use duologue_face::{FaceModel, Posed, Region};
use duologue_params::{Duo, Person, PSI, THETA};

/// Default lip-activity window: 25 frames (1 s at 25 fps), centred on the frame.
pub const LIP_ACTIVITY_WINDOW: usize = 25;

/// Vertices per person in the vertex feature space of FD-V / P-FD-V ([`vertex_features`]).
pub const FD_VERTICES: usize = 64;

/// The [`FD_VERTICES`] vertices of the vertex feature space: evenly strided over the skin, lip
/// and brow vertices in index order (eyeballs, teeth and mouth interior left out: they move with
/// gaze and jaw already seen through the lids and lips), so the set is fixed for the face model.
pub fn vertex_feature_indices(model: &FaceModel) -> Vec<usize> {
    let surface: Vec<usize> = model
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Region::Skin | Region::Lips | Region::Brow))
        .map(|(i, _)| i)
        .collect();
    let n = surface.len();
    (0..FD_VERTICES.min(n)).map(|j| surface[j * n / FD_VERTICES.min(n).max(1)]).collect()
}

/// Per-frame vertex features of one person, `[frames * 3 * indices.len()]` row-major: world
/// positions in metres of the `indices` vertices (e.g. [`vertex_feature_indices`]) of the head
/// posed with its identity, expression, rotations and `t0 + dt` (DESIGN §3-4). The feature space
/// of FD-V / P-FD-V: FD on the face model's surface rather than on raw parameters.
pub fn vertex_features(person: &Person, model: &FaceModel, indices: &[usize]) -> Vec<f64> {
    let mut posed = Posed::default();
    let mut out = Vec::with_capacity(person.x.frames() * 3 * indices.len());
    for k in 0..person.x.frames() {
        let x = person.x.frame(k);
        model.pose_into(&person.beta, &x[PSI], &x[THETA], person.translation(k), &mut posed);
        for &i in indices {
            out.extend(posed.vertices[i].iter().map(|&v| v as f64));
        }
    }
    out
}

/// Vertex errors of a prediction split by the ground-truth role of each person-frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoleVertexMetrics {
    /// Vertex MSE over every person-frame (same definition as
    /// [`VertexMetrics::vmse`](crate::VertexMetrics)); metres².
    pub vmse: f64,
    /// Vertex MSE over speaker person-frames; `None` if there are none. Metres².
    pub vmse_speaker: Option<f64>,
    /// Vertex MSE over listener person-frames; `None` if there are none. Metres².
    pub vmse_listener: Option<f64>,
    /// Lip vertex error over every person-frame (same definition as
    /// [`VertexMetrics::lip_max_sq`](crate::VertexMetrics)); metres².
    pub lip_max_sq: f64,
    /// Lip vertex error of the speaker: the per-frame maximum over [`Region::Lips`] vertices of
    /// the squared L2 distance between predicted and ground-truth world positions, averaged over
    /// the person-frames whose ground-truth mask is `>= 0.5`; `None` if nobody speaks. Metres².
    pub lip_max_sq_speaker: Option<f64>,
    /// Number of person-frames (2 x frames).
    pub frames: usize,
    /// Number of speaker person-frames.
    pub speaker_frames: usize,
    /// Number of listener person-frames.
    pub listener_frames: usize,
}

fn pose(model: &FaceModel, p: &Person, k: usize, out: &mut Posed) {
    let x = p.x.frame(k);
    model.pose_into(&p.beta, &x[PSI], &x[THETA], p.translation(k), out);
}

fn dist2(a: [f32; 3], b: [f32; 3]) -> f64 {
    (0..3).map(|i| (a[i] as f64 - b[i] as f64).powi(2)).sum()
}

fn lip_vertices(model: &FaceModel) -> Vec<usize> {
    model.regions.iter().enumerate().filter(|(_, r)| **r == Region::Lips).map(|(i, _)| i).collect()
}

/// Vertex MSE and lip vertex error of `pred` against `gt`, overall and by the ground-truth role
/// ([`RoleVertexMetrics`]). Heads are posed in the world with their full pose and each side's
/// own identity, as in [`vertex_metrics`](crate::vertex_metrics). Errors on mismatched frame
/// rates, frame counts or shapes, non-finite values or no frames.
pub fn role_vertex_metrics(pred: &Duo, gt: &Duo, model: &FaceModel) -> Result<RoleVertexMetrics, EvalError> {
    let frames = check_pair(pred, gt)?;
    if frames == 0 {
        return Err(EvalError::TooFew { what: "vertex metrics", need: 1, got: 0 });
    }
    let lips = lip_vertices(model);
    let (mut pp, mut gg) = (Posed::default(), Posed::default());
    // [all, speaker, listener] sums of the per-frame vertex mean and lip maximum.
    let (mut v, mut l, mut n) = ([0.0f64; 3], [0.0f64; 3], [0usize; 3]);
    for (p, g) in [(&pred.a, &gt.a), (&pred.b, &gt.b)] {
        for k in 0..frames {
            pose(model, p, k, &mut pp);
            pose(model, g, k, &mut gg);
            let d: Vec<f64> = pp.vertices.iter().zip(&gg.vertices).map(|(a, b)| dist2(*a, *b)).collect();
            let vm = d.iter().sum::<f64>() / d.len().max(1) as f64;
            let lm = lips.iter().map(|&i| d[i]).fold(0.0, f64::max);
            let role = if g.mask[k] >= SPEAKER_THRESHOLD { 1 } else { 2 };
            for r in [0, role] {
                v[r] += vm;
                l[r] += lm;
                n[r] += 1;
            }
        }
    }
    let mean = |s: f64, c: usize| (c > 0).then(|| s / c as f64);
    Ok(RoleVertexMetrics {
        vmse: v[0] / n[0] as f64,
        vmse_speaker: mean(v[1], n[1]),
        vmse_listener: mean(v[2], n[2]),
        lip_max_sq: l[0] / n[0] as f64,
        lip_max_sq_speaker: mean(l[1], n[1]),
        frames: n[0],
        speaker_frames: n[1],
        listener_frames: n[2],
    })
}

/// One person's lip activity per frame, metres per second.
///
/// Definition: the lip vertices ([`Region::Lips`]) of the *unposed* head (identity and
/// expression only: head rotation and translation are left out so that nodding does not count
/// as talking) move between frames `k-1` and `k` by `sum_j (psi_j(k) - psi_j(k-1)) E_j[v]`
/// (identity is constant over a clip, so it cancels). The per-frame speed is the mean over lip
/// vertices of that displacement's length times `fps`; frame 0 takes frame 1's speed. The
/// activity at frame `k` is the mean speed over the centred window `[k - w/2, k + w/2]`
/// clipped to the clip (`w` = `window` frames, e.g. [`LIP_ACTIVITY_WINDOW`] = 1 s).
pub fn lip_activity(person: &Person, fps: f32, model: &FaceModel, window: usize) -> Vec<f64> {
    let frames = person.x.frames();
    if frames == 0 {
        return Vec::new();
    }
    let lips = lip_vertices(model);
    // Expression basis restricted to the lip vertices: [63][n_lips] displacements.
    let basis: Vec<Vec<[f32; 3]>> = (0..PSI.len())
        .map(|j| {
            let comp = model.expression_component(j);
            lips.iter().map(|&v| comp[v]).collect()
        })
        .collect();
    let mut speed = vec![0.0f64; frames];
    let mut disp = vec![[0.0f64; 3]; lips.len()];
    for (k, out) in speed.iter_mut().enumerate().skip(1) {
        let (a, b) = (person.x.psi(k - 1), person.x.psi(k));
        disp.iter_mut().for_each(|d| *d = [0.0; 3]);
        for (j, comp) in basis.iter().enumerate() {
            let dpsi = (b[j] - a[j]) as f64;
            if dpsi == 0.0 {
                continue;
            }
            for (d, e) in disp.iter_mut().zip(comp) {
                (0..3).for_each(|i| d[i] += dpsi * e[i] as f64);
            }
        }
        let mean_len = disp.iter().map(|d| (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()).sum::<f64>()
            / lips.len().max(1) as f64;
        *out = mean_len * fps as f64;
    }
    if frames > 1 {
        speed[0] = speed[1];
    }
    // Centred moving average via prefix sums.
    let mut prefix = vec![0.0f64; frames + 1];
    for k in 0..frames {
        prefix[k + 1] = prefix[k] + speed[k];
    }
    let half = window / 2;
    (0..frames)
        .map(|k| {
            let (lo, hi) = (k.saturating_sub(half), (k + half + 1).min(frames));
            (prefix[hi] - prefix[lo]) / (hi - lo) as f64
        })
        .collect()
}

/// Mask-role agreement of one result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoleAgreement {
    /// Fraction of single-speaker frames in which the speaker's [`lip_activity`] is strictly
    /// greater than the listener's; in [0, 1]; `None` when no frame has exactly one speaker.
    pub rate: Option<f64>,
    /// Frames in which exactly one ground-truth mask is `>= 0.5`.
    pub frames: usize,
    /// Of those, frames where the speaker's lips are more active.
    pub agree: usize,
}

/// Checks that `masks` fit a result of `frames` frames.
fn check_masks(masks: [&[f32]; 2], frames: usize) -> Result<(), EvalError> {
    for m in masks {
        if m.len() != frames {
            return Err(EvalError::Shape { what: "ground-truth mask", expected: frames, got: m.len() });
        }
        if let Some(index) = m.iter().position(|v| !v.is_finite()) {
            return Err(EvalError::NonFinite { what: "ground-truth mask", index });
        }
    }
    Ok(())
}

/// Mask-role agreement ([`RoleAgreement`]) of `duo` judged by the ground-truth masks
/// `[m_A, m_B]`: over frames where exactly one person speaks, the fraction in which that
/// person's lip activity ([`lip_activity`] with `window` frames) exceeds the other's. Ties
/// count as disagreement, so lips that never move score 0. The ground truth itself gives the
/// reference value. Errors on inconsistent shapes or non-finite values.
pub fn role_agreement(
    duo: &Duo,
    masks: [&[f32]; 2],
    model: &FaceModel,
    window: usize,
) -> Result<RoleAgreement, EvalError> {
    let [a, b] = role_agreement_by_speaker(duo, masks, model, window)?;
    let (n, agree) = (a.frames + b.frames, a.agree + b.agree);
    Ok(RoleAgreement { rate: (n > 0).then(|| agree as f64 / n as f64), frames: n, agree })
}

/// [`role_agreement`] split by who speaks: `[frames where only A speaks, frames where only B
/// speaks]`, so agreement can be told per speaker (per voice, per voice family).
pub fn role_agreement_by_speaker(
    duo: &Duo,
    masks: [&[f32]; 2],
    model: &FaceModel,
    window: usize,
) -> Result<[RoleAgreement; 2], EvalError> {
    let frames = check_duo(duo, "result")?;
    check_masks(masks, frames)?;
    let act = [lip_activity(&duo.a, duo.fps, model, window), lip_activity(&duo.b, duo.fps, model, window)];
    let (mut n, mut agree) = ([0usize; 2], [0usize; 2]);
    for k in 0..frames {
        let speaking = [masks[0][k] >= SPEAKER_THRESHOLD, masks[1][k] >= SPEAKER_THRESHOLD];
        if speaking[0] == speaking[1] {
            continue;
        }
        let (s, l) = if speaking[0] { (0, 1) } else { (1, 0) };
        n[s] += 1;
        agree[s] += usize::from(act[s][k] > act[l][k]);
    }
    Ok([0, 1].map(|s| RoleAgreement {
        rate: (n[s] > 0).then(|| agree[s] as f64 / n[s] as f64),
        frames: n[s],
        agree: agree[s],
    }))
}

/// Gaze at the partner while listening.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListeningGaze {
    /// Fraction of listening person-frames (ground-truth mask `< 0.5`) in which the angle
    /// between the person's gaze and the direction from their eye midpoint to the partner's eye
    /// midpoint is below `threshold_deg`; `None` without listening frames.
    pub rate: Option<f64>,
    /// Listening person-frames (A's plus B's).
    pub frames: usize,
    /// Of those, frames looking at the partner.
    pub hits: usize,
    /// Threshold used, degrees.
    pub threshold_deg: f64,
}

/// Angle in degrees between direction `g` and `to - from`; 180 if either is zero.
fn angle_deg(g: [f32; 3], from: [f64; 3], to: [f64; 3]) -> f64 {
    let d = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
    let g = g.map(|v| v as f64);
    let nd = d.iter().map(|v| v * v).sum::<f64>().sqrt();
    let ng = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    if nd == 0.0 || ng == 0.0 {
        return 180.0;
    }
    ((d[0] * g[0] + d[1] * g[1] + d[2] * g[2]) / (nd * ng)).clamp(-1.0, 1.0).acos().to_degrees()
}

/// Gaze direction (unit, world) and eye-centre midpoint of a person at frame `k`, from the rig
/// alone (no mesh): the eye joints' world origins are the eyeball centres, as in
/// [`FaceModel::pose`].
fn eyes(model: &FaceModel, p: &Person, k: usize) -> ([f32; 3], [f64; 3]) {
    let theta = &p.x.frame(k)[THETA];
    let g = model.joint_transforms(&p.beta, theta, p.translation(k));
    let mid = [0, 1, 2].map(|i| (g[2][i][3] as f64 + g[3][i][3] as f64) / 2.0);
    (model.gaze(theta), mid)
}

/// Gaze-at-partner rate while listening ([`ListeningGaze`]) of `duo`, listening frames from the
/// ground-truth masks `[m_A, m_B]`, gaze and target as in [`gaze_metrics`](crate::gaze_metrics)
/// (use [`MUTUAL_GAZE_DEG`](crate::MUTUAL_GAZE_DEG) as the threshold). Errors on inconsistent
/// shapes, non-finite values or a non-positive threshold.
pub fn listening_gaze(
    duo: &Duo,
    masks: [&[f32]; 2],
    model: &FaceModel,
    threshold_deg: f64,
) -> Result<ListeningGaze, EvalError> {
    if !(threshold_deg.is_finite() && threshold_deg > 0.0) {
        return Err(EvalError::InvalidArgument(format!("gaze threshold {threshold_deg} degrees")));
    }
    let frames = check_duo(duo, "result")?;
    check_masks(masks, frames)?;
    let (mut n, mut hits) = (0usize, 0usize);
    for (k, (ma, mb)) in masks[0].iter().zip(masks[1]).enumerate() {
        let listening = [*ma < SPEAKER_THRESHOLD, *mb < SPEAKER_THRESHOLD];
        if !listening[0] && !listening[1] {
            continue;
        }
        let (ga, ma) = eyes(model, &duo.a, k);
        let (gb, mb) = eyes(model, &duo.b, k);
        for (who, (g, from, to)) in [(ga, ma, mb), (gb, mb, ma)].into_iter().enumerate() {
            if listening[who] {
                n += 1;
                hits += usize::from(angle_deg(g, from, to) < threshold_deg);
            }
        }
    }
    Ok(ListeningGaze { rate: (n > 0).then(|| hits as f64 / n as f64), frames: n, hits, threshold_deg })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{vertex_metrics, MUTUAL_GAZE_DEG};
    use duologue_params::Motion;

    /// Face to face 1 m apart: A at z = -0.5 turned (neck yaw pi) towards +Z, B at z = +0.5
    /// facing -Z at rest, so both look straight at each other's eyes. A speaks the first half.
    fn facing(frames: usize) -> Duo {
        let mut a = Person::neutral(frames, [0.0, 0.0, -0.5]);
        let b = Person::neutral(frames, [0.0, 0.0, 0.5]);
        for k in 0..frames {
            a.x.frame_mut(k)[64] = std::f32::consts::PI;
        }
        a.mask = (0..frames).map(|k| if k < frames / 2 { 1.0 } else { 0.0 }).collect();
        let mut b = b;
        b.mask = (0..frames).map(|k| if k < frames / 2 { 0.0 } else { 1.0 }).collect();
        Duo { a, b, fps: 25.0 }
    }

    fn jaw(duo: &mut Duo, who: usize, frames: std::ops::Range<usize>) {
        let p = if who == 0 { &mut duo.a } else { &mut duo.b };
        for k in frames {
            p.x.frame_mut(k)[0] = 0.5 * (1.0 + (k as f32 * 0.9).sin()); // jaw_open oscillating
        }
    }

    #[test]
    fn gaze_exactly_at_partner_counts_one_and_turning_away_zero() {
        let d = facing(20);
        let g = listening_gaze(&d, [&d.a.mask, &d.b.mask], FaceModel::shared(), MUTUAL_GAZE_DEG).unwrap();
        assert_eq!(g.frames, 20, "10 listening frames each");
        assert_eq!(g.rate, Some(1.0));
        // B turns around (neck yaw pi): B never looks at A; A still does.
        let mut away = d.clone();
        for k in 0..20 {
            away.b.x.frame_mut(k)[64] = std::f32::consts::PI;
        }
        let g = listening_gaze(&away, [&d.a.mask, &d.b.mask], FaceModel::shared(), MUTUAL_GAZE_DEG).unwrap();
        assert_eq!(g.hits, 10);
        assert_eq!(g.rate, Some(0.5));
        // Nobody listens: no rate.
        let ones = vec![1.0f32; 20];
        let g = listening_gaze(&d, [&ones, &ones], FaceModel::shared(), MUTUAL_GAZE_DEG).unwrap();
        assert_eq!((g.rate, g.frames), (None, 0));
    }

    #[test]
    fn gaze_threshold_is_an_angle_in_degrees() {
        // A's eyes turned 20 degrees to the side: outside 10 degrees, inside 30.
        let mut d = facing(4);
        for k in 0..4 {
            d.a.x.frame_mut(k)[69..75].copy_from_slice(&[0.0, 0.35, 0.0, 0.0, 0.35, 0.0]);
        }
        let lis = [vec![0.0f32; 4], vec![1.0f32; 4]];
        let g = |t| listening_gaze(&d, [&lis[0], &lis[1]], FaceModel::shared(), t).unwrap().rate;
        assert_eq!(g(10.0), Some(0.0));
        assert_eq!(g(30.0), Some(1.0));
        assert!(listening_gaze(&d, [&lis[0], &lis[1]], FaceModel::shared(), 0.0).is_err());
    }

    #[test]
    fn still_lips_never_agree_and_moving_speaker_lips_always_do() {
        let model = FaceModel::shared();
        let mut d = facing(50);
        let masks = [d.a.mask.clone(), d.b.mask.clone()];
        let m = [masks[0].as_slice(), masks[1].as_slice()];
        // Nobody moves: every single-speaker frame is a tie, agreement 0.
        let r = role_agreement(&d, m, model, LIP_ACTIVITY_WINDOW).unwrap();
        assert_eq!((r.frames, r.rate), (50, Some(0.0)));
        // Each person's jaw moves exactly while they speak, and the window is one frame wide.
        jaw(&mut d, 0, 0..25);
        jaw(&mut d, 1, 25..50);
        let r = role_agreement(&d, m, model, 1).unwrap();
        // Frame 25 is where both change (A stops, B starts): A's jaw returns to 0 there.
        assert!(r.agree >= 48, "{r:?}");
        // Swap the roles in the masks: now the "speaker" is always the still one.
        let r = role_agreement(&d, [m[1], m[0]], model, 1).unwrap();
        // Split by speaker, the parts add up to the whole.
        let [ra, rb] = role_agreement_by_speaker(&d, [m[1], m[0]], model, 1).unwrap();
        assert_eq!((ra.frames + rb.frames, ra.agree + rb.agree), (r.frames, r.agree));
        assert!(r.agree <= 2, "{r:?}");
        // A speaker whose lips never move has agreement 0 even against a still listener.
        let mut still = facing(50);
        jaw(&mut still, 1, 0..50);
        let only_a = [vec![1.0f32; 50], vec![0.0f32; 50]];
        let r = role_agreement(&still, [&only_a[0], &only_a[1]], model, LIP_ACTIVITY_WINDOW).unwrap();
        assert_eq!(r.rate, Some(0.0));
    }

    #[test]
    fn lip_activity_is_speed_of_lip_vertices_and_ignores_head_motion() {
        let model = FaceModel::shared();
        let mut p = Person::neutral(10, [0.0; 3]);
        for k in 0..10 {
            p.x.frame_mut(k)[65] = 0.1 * k as f32; // neck pitch: head moves, lips don't deform
        }
        assert!(lip_activity(&p, 25.0, model, 5).iter().all(|v| *v == 0.0));
        // jaw_open grows linearly: constant speed everywhere, twice as fast for twice the slope.
        for k in 0..10 {
            p.x.frame_mut(k)[0] = 0.05 * k as f32;
        }
        let a = lip_activity(&p, 25.0, model, 5);
        assert!(a[0] > 0.0);
        assert!(a.iter().all(|v| (v - a[0]).abs() < 1e-6 * a[0]), "{a:?}");
        let mut q = p.clone();
        for k in 0..10 {
            q.x.frame_mut(k)[0] = 0.1 * k as f32;
        }
        let b = lip_activity(&q, 25.0, model, 5);
        assert!((b[3] / a[3] - 2.0).abs() < 1e-4);
    }

    #[test]
    fn role_vertex_metrics_match_vertex_metrics_and_split_by_role() {
        let model = FaceModel::shared();
        let gt = facing(6);
        let mut pred = gt.clone();
        // Only A's jaw is wrong, only while A speaks (frames 0..3).
        jaw(&mut pred, 0, 0..3);
        let r = role_vertex_metrics(&pred, &gt, model).unwrap();
        let v = vertex_metrics(&pred, &gt, model).unwrap();
        assert!((r.vmse - v.vmse).abs() < 1e-15 && (r.lip_max_sq - v.lip_max_sq).abs() < 1e-15);
        assert_eq!((r.frames, r.speaker_frames, r.listener_frames), (12, 6, 6));
        assert_eq!(r.vmse_listener, Some(0.0));
        // All the error sits in 3 of the 6 speaker frames, so twice the all-frame mean.
        let spk = r.lip_max_sq_speaker.unwrap();
        assert!(spk > 0.0 && (spk - 2.0 * r.lip_max_sq).abs() < 1e-12, "{spk} vs {}", r.lip_max_sq);
        // Against itself: zero everywhere.
        let z = role_vertex_metrics(&gt, &gt, model).unwrap();
        assert_eq!((z.vmse, z.lip_max_sq_speaker), (0.0, Some(0.0)));
        // Shapes must agree.
        let short = Duo { a: Person { x: Motion::zeros(5), ..gt.a.clone() }, ..gt.clone() };
        assert!(role_vertex_metrics(&short, &gt, model).is_err());
        assert!(role_agreement(&gt, [&[1.0; 3], &[0.0; 6]], model, 3).is_err());
    }
}
