//! Non-learned baselines of paper §4.2 and appendix §3.1 ("Retrieval-Based Baselines"), built
//! from a library of training windows: the mean pose, a random listener (Listen-R), audio
//! retrieval (Listen-A) and motion retrieval (Listen-M).
//!
//! Every baseline returns a [`Duo`] for one test clip that is trimmed or padded to the clip's
//! length (padding repeats the last frame, i.e. the person holds still), placed at the test
//! clip's ground-truth first-frame translations `t0` with its ground-truth identities `beta`
//! and carrying its ground-truth masks (so role metrics judge the same frames). Retrieved
//! windows keep both of their people; they are oriented so that the person who speaks more in
//! the retrieved window (larger sum of its mask) takes the role of the person who speaks more
//! in the test clip ([`orient`]).

use crate::EvalError;
use duologue_params::{Duo, Motion, Person, DT, PSI, X_DIM};
use std::ops::Range;

/// Neck and head axis-angles, `x[63..69]`: the head-rotation curves Listen-M compares.
pub const HEAD_ROT: Range<usize> = 63..69;

/// One training window of the library: both people (their `x` relative to the window's first
/// frame, masks, identities) and a pooled audio feature vector of the window.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryWindow {
    /// The window's motion and masks.
    pub duo: Duo,
    /// Time-mean-pooled audio features of the window, `[D]`.
    pub audio: Vec<f32>,
}

/// Training windows to retrieve from, with the statistics the baselines need.
#[derive(Debug, Clone)]
pub struct Library {
    windows: Vec<LibraryWindow>,
    /// Per-parameter mean over every frame of both people, `[78]`.
    mean_x: Vec<f64>,
    /// Mean pooled audio vector, `[D]` (subtracted before cosine distances).
    audio_mean: Vec<f64>,
    /// Mean per-coefficient variance of `psi` over library frames (Listen-M normaliser).
    var_psi: f64,
    /// Mean per-coefficient variance of the neck/head rotation (Listen-M normaliser).
    var_rot: f64,
}

/// Which person speaks more (larger sum of mask values): `false` = A, `true` = B. Ties go to A.
pub fn b_speaks_more(duo: &Duo) -> bool {
    let s = |m: &[f32]| m.iter().map(|v| *v as f64).sum::<f64>();
    s(&duo.b.mask) > s(&duo.a.mask)
}

impl Library {
    /// Builds the library. Errors if it is empty, windows hold inconsistent shapes or
    /// non-finite values, or the audio vectors differ in length.
    pub fn new(windows: Vec<LibraryWindow>) -> Result<Self, EvalError> {
        let first = windows.first().ok_or(EvalError::TooFew { what: "baseline library", need: 1, got: 0 })?;
        let d = first.audio.len();
        let mut mean_x = vec![0.0f64; X_DIM];
        let mut sq_x = vec![0.0f64; X_DIM];
        let mut audio_mean = vec![0.0f64; d];
        let mut frames = 0usize;
        for w in &windows {
            crate::check_duo(&w.duo, "result")?;
            if w.audio.len() != d {
                return Err(EvalError::DimMismatch { a: d, b: w.audio.len() });
            }
            if let Some(index) = w.audio.iter().position(|v| !v.is_finite()) {
                return Err(EvalError::NonFinite { what: "library audio", index });
            }
            audio_mean.iter_mut().zip(&w.audio).for_each(|(m, v)| *m += *v as f64);
            for p in [&w.duo.a, &w.duo.b] {
                for f in p.x.iter_frames() {
                    for (i, v) in f.iter().enumerate() {
                        mean_x[i] += *v as f64;
                        sq_x[i] += (*v as f64).powi(2);
                    }
                    frames += 1;
                }
            }
        }
        if frames == 0 {
            return Err(EvalError::TooFew { what: "baseline library frames", need: 1, got: 0 });
        }
        let n = frames as f64;
        mean_x.iter_mut().for_each(|m| *m /= n);
        let var = |r: Range<usize>| {
            let len = r.len() as f64;
            r.map(|i| (sq_x[i] / n - mean_x[i].powi(2)).max(0.0)).sum::<f64>() / len
        };
        // A constant library (zero variance) would make every distance infinite; fall back to 1.
        let norm = |v: f64| if v > 1e-12 { v } else { 1.0 };
        let (var_psi, var_rot) = (norm(var(PSI)), norm(var(HEAD_ROT)));
        audio_mean.iter_mut().for_each(|m| *m /= windows.len() as f64);
        Ok(Self { windows, mean_x, audio_mean, var_psi, var_rot })
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// True when empty (never, after [`Library::new`]).
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Window `i`.
    pub fn window(&self, i: usize) -> &LibraryWindow {
        &self.windows[i]
    }

    /// The mean pose: per-parameter mean over every library frame of both people, with the
    /// translation offsets `dt` set to 0 (the mean person stays at the layout), `[78]`.
    pub fn mean_pose(&self) -> Vec<f32> {
        let mut x: Vec<f32> = self.mean_x.iter().map(|v| *v as f32).collect();
        x[DT].iter_mut().for_each(|v| *v = 0.0);
        x
    }

    /// Listen-A: index of the window whose pooled audio vector has the smallest cosine distance
    /// to `query` (`[D]`, the test clip's pooled features). Both vectors are centred by the
    /// library's mean audio vector first: raw pooled log-mel vectors all point in nearly the
    /// same direction, which would make every cosine distance about 0.
    pub fn nearest_audio(&self, query: &[f32]) -> Result<usize, EvalError> {
        if query.len() != self.audio_mean.len() {
            return Err(EvalError::DimMismatch { a: self.audio_mean.len(), b: query.len() });
        }
        if let Some(index) = query.iter().position(|v| !v.is_finite()) {
            return Err(EvalError::NonFinite { what: "query audio", index });
        }
        let centre =
            |v: &[f32]| -> Vec<f64> { v.iter().zip(&self.audio_mean).map(|(a, m)| *a as f64 - m).collect() };
        let q = centre(query);
        let dist = |w: &LibraryWindow| cosine_distance(&q, &centre(&w.audio));
        Ok(argmin(self.windows.iter().map(dist)))
    }

    /// Listen-M: index of the window whose speaker moves most like `speaker` (the test clip's
    /// ground-truth speaker). Distance, over the first `min(len)` frames of both:
    /// `mean_k |psi_q(k) - psi_w(k)|^2 / (63 var_psi) + mean_k |r_q(k) - r_w(k)|^2 / (6 var_rot)`
    /// with `r` the neck and head axis-angles ([`HEAD_ROT`]) and the variances the library's
    /// mean per-coefficient variances, so both terms are unitless and weigh alike. The window's
    /// speaker is the person with the larger mask sum.
    pub fn nearest_motion(&self, speaker: &Motion) -> usize {
        argmin(self.windows.iter().map(|w| {
            let ws = if b_speaks_more(&w.duo) { &w.duo.b.x } else { &w.duo.a.x };
            motion_distance(speaker, ws, self.var_psi, self.var_rot)
        }))
    }
}

fn argmin(it: impl Iterator<Item = f64>) -> usize {
    let mut best = (0usize, f64::INFINITY);
    for (i, d) in it.enumerate() {
        if d < best.1 {
            best = (i, d);
        }
    }
    best.0
}

/// Cosine distance `1 - a.b / (|a| |b|)`, in [0, 2]; 1 when either vector is zero.
pub fn cosine_distance(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        return 1.0;
    }
    1.0 - dot / (na * nb)
}

/// Listen-M's joint distance between two motions (see [`Library::nearest_motion`]).
pub fn motion_distance(q: &Motion, w: &Motion, var_psi: f64, var_rot: f64) -> f64 {
    let n = q.frames().min(w.frames());
    if n == 0 {
        return f64::INFINITY;
    }
    let (mut e, mut r) = (0.0f64, 0.0f64);
    for k in 0..n {
        let (a, b) = (q.frame(k), w.frame(k));
        e += PSI.map(|i| (a[i] as f64 - b[i] as f64).powi(2)).sum::<f64>();
        r += HEAD_ROT.map(|i| (a[i] as f64 - b[i] as f64).powi(2)).sum::<f64>();
    }
    let n = n as f64;
    e / (n * PSI.len() as f64 * var_psi) + r / (n * HEAD_ROT.len() as f64 * var_rot)
}

/// `motion` trimmed to `frames` frames, or padded by repeating its last frame (a still pose).
/// An empty motion gives zeros.
pub fn fit_length(motion: &Motion, frames: usize) -> Motion {
    if motion.frames() == 0 {
        return Motion::zeros(frames);
    }
    let last = motion.frames() - 1;
    let mut out = Vec::with_capacity(frames * X_DIM);
    for k in 0..frames {
        out.extend_from_slice(motion.frame(k.min(last)));
    }
    Motion::from_vec(out).unwrap_or_else(|| Motion::zeros(frames))
}

/// A retrieved window as a baseline result for the test clip `gt`: oriented (swapped if its
/// more-speaking person is not on the same side as the test clip's), fitted to the clip's
/// length ([`fit_length`]) and given the clip's `t0`, `beta` and masks.
pub fn orient(retrieved: &Duo, gt: &Duo) -> Duo {
    let swap = b_speaks_more(retrieved) != b_speaks_more(gt);
    let (a, b) = if swap { (&retrieved.b, &retrieved.a) } else { (&retrieved.a, &retrieved.b) };
    let frames = gt.frames();
    let place = |src: &Person, g: &Person| Person {
        x: fit_length(&src.x, frames),
        beta: g.beta.clone(),
        t0: g.t0,
        mask: g.mask.clone(),
    };
    Duo { a: place(a, &gt.a), b: place(b, &gt.b), fps: gt.fps }
}

/// The mean-pose baseline for `gt`: every frame of both people is `mean` (`[78]`, from
/// [`Library::mean_pose`]), placed at the clip's `t0` with its `beta` and masks.
pub fn mean_baseline(mean: &[f32], gt: &Duo) -> Result<Duo, EvalError> {
    if mean.len() != X_DIM {
        return Err(EvalError::Shape { what: "mean pose", expected: X_DIM, got: mean.len() });
    }
    let frames = gt.frames();
    let x = Motion::from_vec(mean.repeat(frames)).unwrap_or_else(|| Motion::zeros(frames));
    let place = |g: &Person| Person { x: x.clone(), beta: g.beta.clone(), t0: g.t0, mask: g.mask.clone() };
    Ok(Duo { a: place(&gt.a), b: place(&gt.b), fps: gt.fps })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window where one person (`b_talks` picks who) talks for most frames; psi[0] of the
    /// talker is `level` throughout, neck pitch of the listener is `nod`.
    fn window(frames: usize, b_talks: bool, level: f32, nod: f32, audio: Vec<f32>) -> LibraryWindow {
        let mut talker = Person::neutral(frames, [0.0; 3]);
        let mut listener = Person::neutral(frames, [0.0; 3]);
        for k in 0..frames {
            talker.x.frame_mut(k)[0] = level;
            listener.x.frame_mut(k)[65] = nod;
        }
        talker.mask = vec![1.0; frames];
        let duo = if b_talks {
            Duo { a: listener, b: talker, fps: 25.0 }
        } else {
            Duo { a: talker, b: listener, fps: 25.0 }
        };
        LibraryWindow { duo, audio }
    }

    fn gt(frames: usize, b_talks: bool) -> Duo {
        let mut a = Person::neutral(frames, [0.1, 0.2, -0.5]);
        let mut b = Person::neutral(frames, [0.0, 0.0, 0.5]);
        a.beta = vec![0.3; 50];
        b.beta = vec![-0.3; 50];
        if b_talks {
            b.mask = vec![1.0; frames];
        } else {
            a.mask = vec![1.0; frames];
        }
        Duo { a, b, fps: 25.0 }
    }

    #[test]
    fn orientation_gives_the_retrieved_talker_to_the_test_talker() {
        let w = window(8, false, 0.7, 0.2, vec![1.0]); // A talks in the window
        let g = gt(12, true); // B talks in the test clip
        let o = orient(&w.duo, &g);
        assert_eq!(o.frames(), 12, "padded to the clip length");
        assert_eq!(o.b.x.frame(11)[0], 0.7, "B gets the window's talker, last frame repeated");
        assert_eq!(o.a.x.frame(0)[65], 0.2, "A gets the window's listener");
        assert_eq!(
            (o.a.t0, o.b.beta[0], o.b.mask[0]),
            ([0.1, 0.2, -0.5], -0.3, 1.0),
            "GT layout, ids, masks"
        );
        // Same sides: no swap, and trimming.
        let o = orient(&w.duo, &gt(5, false));
        assert_eq!((o.a.x.frame(0)[0], o.frames()), (0.7, 5));
    }

    #[test]
    fn retrieval_finds_the_matching_window() {
        let lib = Library::new(vec![
            window(10, false, 0.1, 0.0, vec![1.0, 0.0, 0.0]),
            window(10, true, 0.9, 0.3, vec![0.0, 1.0, 0.0]),
            window(10, false, 0.5, -0.3, vec![0.0, 0.0, 1.0]),
        ])
        .unwrap();
        assert_eq!(lib.len(), 3);
        // Audio: the centred query closest in direction to window 1.
        assert_eq!(lib.nearest_audio(&[0.0, 2.0, 0.1]).unwrap(), 1);
        assert!(lib.nearest_audio(&[1.0]).is_err());
        // Motion: a speaker with psi[0] = 0.55 matches window 2's talker (0.5), whoever talks.
        let mut q = Motion::zeros(10);
        (0..10).for_each(|k| q.frame_mut(k)[0] = 0.55);
        assert_eq!(lib.nearest_motion(&q), 2);
        (0..10).for_each(|k| q.frame_mut(k)[0] = 0.85);
        assert_eq!(lib.nearest_motion(&q), 1, "window 1's talker is B");
        // Mean pose: psi[0] averages talkers and listeners (0 for listeners), dt zeroed.
        let m = lib.mean_pose();
        assert!((m[0] - (0.1 + 0.9 + 0.5) / 6.0).abs() < 1e-6);
        assert!(m[DT].iter().all(|v| *v == 0.0));
        let mb = mean_baseline(&m, &gt(4, false)).unwrap();
        assert_eq!((mb.frames(), mb.b.t0, mb.a.x.frame(3)[0]), (4, [0.0, 0.0, 0.5], m[0]));
        assert!(Library::new(Vec::new()).is_err());
    }

    #[test]
    fn cosine_distance_known_values() {
        assert!((cosine_distance(&[1.0, 0.0], &[0.0, 3.0]) - 1.0).abs() < 1e-12);
        assert!(cosine_distance(&[1.0, 1.0], &[2.0, 2.0]).abs() < 1e-12);
        assert!((cosine_distance(&[1.0, 0.0], &[-1.0, 0.0]) - 2.0).abs() < 1e-12);
    }
}
