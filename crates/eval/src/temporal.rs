//! Temporal quality: does the motion move like a person's (BEHAVIOR.md "Lips and jaw", "Head
//! motion"; DESIGN §8)? The per-frame errors of paper Table 2 cannot see lips that flicker in a
//! listener, noise on every expression or a head that jumps between two frames; these can.
//!
//! - **Jitter** per group: mean absolute second difference `|x[k+1] - 2 x[k] + x[k-1]|` over
//!   frames and coefficients of the lips (psi[0..20]), the other expressions (psi[20..63]) and
//!   the rotations (theta, all four joints, rad). Smooth motion has small second differences;
//!   frame-to-frame noise has large ones.
//! - **Lip speed** by ground-truth role: per person-frame, the sum over psi[0..20] of the absolute
//!   frame difference, averaged over speaking (`m >= 0.5`) and listening frames.
//! - **Largest head step**: the largest rotation of the neck or head between two consecutive
//!   frames, `max_k max_j angle(R(r_j(k-1))^T R(r_j(k)))` (rad, the geodesic angle, so that
//!   axis-angles near pi that name the same pose from both sides, such as yaw pi - e and
//!   -(pi - e), count as the small turn they are), first and last frames included.
//! - **Lip sync**: on the frames where a person speaks alone (their ground-truth mask >= 0.5, the
//!   partner's below), the correlation between that person's mouth opening (mm, the lip landmarks
//!   of the posed head) and the mixed audio's frame energy (dB), which on those frames is their
//!   own speech; both series z-scored per clip and person, correlations at lags of -200..=200 ms
//!   (mouth leading is a negative lag), pooled over clips; the best lag and its correlation.

use crate::plot::mouth_opening_mm;
use crate::{check_pair, EvalError, SPEAKER_THRESHOLD};
use duologue_face::FaceModel;
use duologue_params::{Duo, Person, LIP, PSI, THETA};

/// Largest lag of the lip-sync correlation, frames (200 ms at 25 fps).
pub const MAX_LAG: usize = 5;

/// The three jitter groups, as columns of the 78-float frame: lips, other expressions, rotations.
pub const JITTER_GROUPS: [(&str, std::ops::Range<usize>); 3] =
    [("LIP", LIP), ("EXP", LIP.end..PSI.end), ("ROT", THETA)];

/// Neck and head axis-angle columns (joints 0 and 1 of theta).
const HEAD_JOINTS: [std::ops::Range<usize>; 2] =
    [THETA.start..THETA.start + 3, THETA.start + 3..THETA.start + 6];

/// Sum and count, for a mean.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Mean {
    sum: f64,
    n: usize,
}

impl Mean {
    fn push(&mut self, v: f64, n: usize) {
        self.sum += v;
        self.n += n;
    }

    fn value(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// Sum of `|x[k+1] - 2x[k] + x[k-1]|` over frames and the columns `cols`, and the count.
fn second_differences(p: &Person, cols: std::ops::Range<usize>) -> (f64, usize) {
    let n = p.x.frames();
    let mut sum = 0.0;
    for k in 1..n.saturating_sub(1) {
        let (a, b, c) = (p.x.frame(k - 1), p.x.frame(k), p.x.frame(k + 1));
        for d in cols.clone() {
            sum += (c[d] as f64 - 2.0 * b[d] as f64 + a[d] as f64).abs();
        }
    }
    (sum, n.saturating_sub(2) * cols.len())
}

/// Lip speed of frame `k >= 1`: sum over psi[0..20] of `|x[k] - x[k-1]|`.
fn lip_speed(p: &Person, k: usize) -> f64 {
    let (a, b) = (p.x.frame(k - 1), p.x.frame(k));
    LIP.map(|d| (b[d] as f64 - a[d] as f64).abs()).sum()
}

/// The largest neck or head rotation change between consecutive frames, rad.
pub fn max_head_step(p: &Person) -> f64 {
    let mut best = 0.0f64;
    for k in 1..p.x.frames() {
        let (a, b) = (p.x.frame(k - 1), p.x.frame(k));
        for j in &HEAD_JOINTS {
            let r = |f: &[f32]| [f[j.start] as f64, f[j.start + 1] as f64, f[j.start + 2] as f64];
            best = best.max(rotation_between(r(a), r(b)));
        }
    }
    best
}

/// The geodesic angle (rad, 0..=pi) between the rotations of two axis-angle vectors: the angle
/// of `q_a^-1 q_b` for their unit quaternions.
pub fn rotation_between(a: [f64; 3], b: [f64; 3]) -> f64 {
    let quat = |r: [f64; 3]| {
        let angle = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
        let s = if angle < 1e-12 { 0.5 } else { (angle / 2.0).sin() / angle };
        [(angle / 2.0).cos(), r[0] * s, r[1] * s, r[2] * s]
    };
    let (p, q) = (quat(a), quat(b));
    // conj(p) * q: scalar part and vector part.
    let w = p[0] * q[0] + p[1] * q[1] + p[2] * q[2] + p[3] * q[3];
    let v = [
        p[0] * q[1] - q[0] * p[1] - (p[2] * q[3] - p[3] * q[2]),
        p[0] * q[2] - q[0] * p[2] - (p[3] * q[1] - p[1] * q[3]),
        p[0] * q[3] - q[0] * p[3] - (p[1] * q[2] - p[2] * q[1]),
    ];
    let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    2.0 * norm.atan2(w.abs())
}

/// `v` z-scored over the frames in `keep` (None when fewer than 3 or constant).
fn zscore(v: &[f64], keep: &[bool]) -> Option<Vec<f64>> {
    let sel: Vec<f64> = v.iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| *x).collect();
    if sel.len() < 3 {
        return None;
    }
    let mean = sel.iter().sum::<f64>() / sel.len() as f64;
    let var = sel.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / sel.len() as f64;
    (var > 1e-12).then(|| v.iter().map(|x| (x - mean) / var.sqrt()).collect())
}

/// Temporal quality of one method over many clips (frame-weighted, see the module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemporalAcc {
    jitter: [Mean; 3],
    lip_speaking: Mean,
    lip_listening: Mean,
    max_head_step: f64,
    sync: LipSyncAcc,
}

/// Lip sync (see the module docs) pooled over any set of person-clips, so it can be told per
/// person or per voice, not only per method.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LipSyncAcc {
    /// Per lag (index `lag + MAX_LAG`): sum of z-score products and count.
    sync: [Mean; 2 * MAX_LAG + 1],
}

impl LipSyncAcc {
    /// Adds one person of one clip: `mouth` their mouth opening (mm per frame), `me` and
    /// `partner` the ground-truth masks, `energy_db` the mix's frame energy. Only the frames where
    /// this person speaks alone count; a clip with fewer than 3 of them adds nothing.
    pub fn add_person(&mut self, mouth: &[f64], me: &[f32], partner: &[f32], energy_db: &[f64]) {
        let n = mouth.len().min(energy_db.len()).min(me.len()).min(partner.len());
        let solo: Vec<bool> =
            (0..n).map(|k| me[k] >= SPEAKER_THRESHOLD && partner[k] < SPEAKER_THRESHOLD).collect();
        let (Some(zm), Some(ze)) = (zscore(&mouth[..n], &solo), zscore(&energy_db[..n], &solo)) else {
            return;
        };
        for (i, acc) in self.sync.iter_mut().enumerate() {
            let lag = i as isize - MAX_LAG as isize;
            for k in (0..n).filter(|&k| solo[k]) {
                let j = k as isize + lag;
                if j >= 0 && (j as usize) < n {
                    acc.push(zm[j as usize] * ze[k], 1);
                }
            }
        }
    }

    /// `(correlation at the best lag, that lag in ms, correlation at lag 0)`; `None` when
    /// nothing was added.
    pub fn best(&self) -> (Option<f64>, Option<f64>, Option<f64>) {
        let corr: Vec<Option<f64>> = self.sync.iter().map(Mean::value).collect();
        let best =
            corr.iter().enumerate().filter_map(|(i, c)| c.map(|c| (i, c))).max_by(|a, b| a.1.total_cmp(&b.1));
        (
            best.map(|b| b.1),
            best.map(|b| (b.0 as f64 - MAX_LAG as f64) * 1000.0 / duologue_params::FPS as f64),
            corr[MAX_LAG],
        )
    }
}

/// A method's temporal quality.
#[derive(Debug, Clone, PartialEq)]
pub struct TemporalSummary {
    /// Jitter per [`JITTER_GROUPS`] group (LIP, EXP, ROT), coefficient units / rad per frame².
    pub jitter: [Option<f64>; 3],
    /// Mean lip speed on ground-truth speaking person-frames.
    pub lip_speed_speaking: Option<f64>,
    /// Mean lip speed on ground-truth listening person-frames.
    pub lip_speed_listening: Option<f64>,
    /// Largest frame-to-frame neck or head rotation change anywhere, rad.
    pub max_head_step: f64,
    /// Lip-sync correlation at the best lag.
    pub lipsync_corr: Option<f64>,
    /// The best lag, ms (negative: the mouth leads the audio).
    pub lipsync_lag_ms: Option<f64>,
    /// Lip-sync correlation at lag 0.
    pub lipsync_corr_0: Option<f64>,
}

impl TemporalAcc {
    /// Adds one clip: `[pred, gt]`, the prediction judged with the roles of the ground truth;
    /// `energy_db` is the clip's mixed audio's frame energy ([`crate::plot::frame_energy_db`]),
    /// `None` skips lip sync.
    pub fn add(
        &mut self,
        [pred, gt]: [&Duo; 2],
        energy_db: Option<&[f64]>,
        model: &FaceModel,
    ) -> Result<(), EvalError> {
        check_pair(pred, gt)?;
        for (p, g) in [(&pred.a, &gt.a), (&pred.b, &gt.b)] {
            for (acc, (_, cols)) in self.jitter.iter_mut().zip(JITTER_GROUPS) {
                let (s, n) = second_differences(p, cols);
                acc.push(s, n);
            }
            for k in 1..p.x.frames() {
                let acc = if g.mask[k] >= SPEAKER_THRESHOLD {
                    &mut self.lip_speaking
                } else {
                    &mut self.lip_listening
                };
                acc.push(lip_speed(p, k), 1);
            }
            self.max_head_step = self.max_head_step.max(max_head_step(p));
        }
        if let Some(energy) = energy_db {
            let mouths = mouth_opening_mm(pred, model)?;
            for (mouth, (g, partner)) in mouths.iter().zip([(&gt.a, &gt.b), (&gt.b, &gt.a)]) {
                self.sync.add_person(mouth, &g.mask, &partner.mask, energy);
            }
        }
        Ok(())
    }

    /// The summary of everything added.
    pub fn summary(&self) -> TemporalSummary {
        let (lipsync_corr, lipsync_lag_ms, lipsync_corr_0) = self.sync.best();
        TemporalSummary {
            jitter: self.jitter.map(|m| m.value()),
            lip_speed_speaking: self.lip_speaking.value(),
            lip_speed_listening: self.lip_listening.value(),
            max_head_step: self.max_head_step,
            lipsync_corr,
            lipsync_lag_ms,
            lipsync_corr_0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duologue_params::{Motion, X_DIM};

    fn person(frames: usize, f: impl Fn(usize, usize) -> f32, mask: impl Fn(usize) -> f32) -> Person {
        let data: Vec<f32> = (0..frames * X_DIM).map(|i| f(i / X_DIM, i % X_DIM)).collect();
        Person {
            x: Motion::from_vec(data).expect("whole frames"),
            beta: vec![0.0; duologue_params::N_ID],
            t0: [0.0; 3],
            mask: (0..frames).map(mask).collect(),
        }
    }

    #[test]
    fn jitter_is_zero_on_straight_lines_and_large_on_flicker() {
        let line = person(50, |k, d| 0.01 * k as f32 * (d % 3) as f32, |_| 1.0);
        for (_, cols) in JITTER_GROUPS {
            let (s, n) = second_differences(&line, cols);
            assert!(s / (n as f64) < 1e-6, "{}", s / n as f64);
        }
        let flicker = person(50, |k, _| if k % 2 == 0 { 0.1 } else { -0.1 }, |_| 1.0);
        let (s, n) = second_differences(&flicker, LIP);
        assert!((s / n as f64 - 0.4).abs() < 1e-6, "{}", s / n as f64);
    }

    #[test]
    fn head_steps_and_lip_speed_by_role() {
        // The head turns 0.3 rad between frames 9 and 10; lips move only in the speaking half.
        let p = person(
            20,
            |k, d| match d {
                d if d == THETA.start + 4 && k >= 10 => 0.3,
                0 => 0.05 * k.min(9) as f32,
                _ => 0.0,
            },
            |k| if k < 10 { 1.0 } else { 0.0 },
        );
        assert!((max_head_step(&p) - 0.3).abs() < 1e-6);
        let duo = Duo { a: p.clone(), b: p.clone(), fps: 25.0 };
        let mut acc = TemporalAcc::default();
        acc.add([&duo, &duo], None, FaceModel::shared()).expect("same shapes");
        let s = acc.summary();
        assert!((s.lip_speed_speaking.unwrap() - 0.05).abs() < 1e-6, "{s:?}");
        assert!(s.lip_speed_listening.unwrap() < 1e-6, "{s:?}");
        assert!(s.lipsync_corr.is_none());
    }

    #[test]
    fn head_steps_are_geodesic_angles() {
        // Yaw pi - 0.01 then -(pi - 0.01): the same pose seen from both sides of the axis-angle
        // ball, a turn of 0.02 rad (the naive difference would say 6.26).
        let e = 0.01f32;
        let yaw = THETA.start + 1;
        let p = person(
            4,
            |k, d| {
                if d == yaw {
                    if k < 2 {
                        std::f32::consts::PI - e
                    } else {
                        e - std::f32::consts::PI
                    }
                } else {
                    0.0
                }
            },
            |_| 0.0,
        );
        assert!((max_head_step(&p) - 0.02).abs() < 1e-5, "{}", max_head_step(&p));
        // Different axes: from pitch 0.3 to yaw 0.4 is R_x(0.3)^T R_y(0.4), whose quaternion has
        // the scalar part cos 0.15 cos 0.2, a turn of 2 acos(cos 0.15 cos 0.2) = 0.4976 rad.
        let angle = rotation_between([0.3, 0.0, 0.0], [0.0, 0.4, 0.0]);
        let want = 2.0 * (0.15f64.cos() * 0.2f64.cos()).acos();
        assert!((angle - want).abs() < 1e-9, "{angle} vs {want}");
        assert!(rotation_between([0.0, 0.2, 0.0], [0.0, 0.2, 0.0]).abs() < 1e-12);
    }

    #[test]
    fn lip_sync_finds_the_lag_of_a_delayed_mouth() {
        // The jaw follows the audio's energy two frames (80 ms) late.
        let frames = 200;
        let energy: Vec<f64> =
            (0..frames).map(|k| ((k as f64) * 0.7).sin() + ((k as f64) * 0.23).cos()).collect();
        let jaw = |k: usize| if k >= 2 { 0.3 + 0.2 * energy[k - 2] as f32 } else { 0.3 };
        let a = person(frames, |k, d| if d == 0 { jaw(k) } else { 0.0 }, |_| 1.0);
        let b = person(frames, |_, _| 0.0, |_| 0.0);
        let duo = Duo { a, b, fps: 25.0 };
        let mut acc = TemporalAcc::default();
        acc.add([&duo, &duo], Some(&energy), FaceModel::shared()).expect("same shapes");
        let s = acc.summary();
        assert_eq!(s.lipsync_lag_ms, Some(80.0), "{s:?}");
        assert!(s.lipsync_corr.unwrap() > 0.95, "{s:?}");
        assert!(s.lipsync_corr_0.unwrap() < s.lipsync_corr.unwrap());
    }
}
