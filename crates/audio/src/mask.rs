//! Soft speaker masks m_A, m_B in [0, 1] per 25 fps frame (paper §3.3 "Audio Speaker Masking",
//! DESIGN.md §5) and their summary.
//!
//! Raw voice activity flickers inside words and between syllables; the paper conditions on a
//! mask per person that means "this person holds the floor now". So raw probabilities are
//! (1) closed morphologically (max- then min-filter) to bridge pauses shorter than
//! `bridge_frames`, then (2) Gaussian-smoothed so on/offsets ramp over ~100 ms instead of
//! stepping. Both are pure functions on slices.

use duologue_params::FPS;

/// Smoothing settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmoothConfig {
    /// Pauses up to this many frames inside a turn are bridged (5 = 200 ms).
    pub bridge_frames: usize,
    /// Standard deviation of the Gaussian smoothing, in frames (1.5 = 60 ms).
    pub sigma: f32,
}

impl Default for SmoothConfig {
    fn default() -> Self {
        Self { bridge_frames: 5, sigma: 1.5 }
    }
}

/// Running max over a centred window of `w` frames (w odd or even; clipped at the ends).
pub fn max_filter(x: &[f32], w: usize) -> Vec<f32> {
    window_op(x, w, f32::max, f32::MIN)
}

/// Running min over a centred window of `w` frames.
pub fn min_filter(x: &[f32], w: usize) -> Vec<f32> {
    window_op(x, w, f32::min, f32::MAX)
}

fn window_op(x: &[f32], w: usize, op: fn(f32, f32) -> f32, init: f32) -> Vec<f32> {
    if w <= 1 {
        return x.to_vec();
    }
    let (before, after) = ((w - 1) / 2, w / 2);
    (0..x.len())
        .map(|i| {
            let lo = i.saturating_sub(before);
            let hi = (i + after + 1).min(x.len());
            x[lo..hi].iter().copied().fold(init, op)
        })
        .collect()
}

/// Morphological closing with a centred window of radius `ceil(gap / 2)`: dips of up to `gap`
/// frames (rounded up to even) between high values are filled; peaks keep their width and the
/// ends are not extended.
pub fn closing(x: &[f32], gap: usize) -> Vec<f32> {
    if gap == 0 {
        return x.to_vec();
    }
    let w = 2 * gap.div_ceil(2) + 1;
    min_filter(&max_filter(x, w), w)
}

/// Gaussian smoothing with edge renormalisation (no darkening at the ends).
pub fn gaussian_smooth(x: &[f32], sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 || x.is_empty() {
        return x.to_vec();
    }
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r).map(|i| (-0.5 * (i as f32 / sigma).powi(2)).exp()).collect();
    (0..x.len() as isize)
        .map(|i| {
            let (mut s, mut w) = (0.0, 0.0);
            for (j, kj) in (-r..=r).zip(&k) {
                let t = i + j;
                if t >= 0 && (t as usize) < x.len() {
                    s += kj * x[t as usize];
                    w += kj;
                }
            }
            s / w
        })
        .collect()
}

/// Raw per-frame activity -> soft mask in [0, 1]. Non-finite inputs count as 0.
pub fn soft_mask(raw: &[f32], cfg: &SmoothConfig) -> Vec<f32> {
    let clean: Vec<f32> = raw.iter().map(|&v| if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 }).collect();
    gaussian_smooth(&closing(&clean, cfg.bridge_frames), cfg.sigma)
        .into_iter()
        .map(|v| v.clamp(0.0, 1.0))
        .collect()
}

/// What two masks say about a conversation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Frames (25 fps).
    pub frames: usize,
    /// Seconds of audio covered.
    pub seconds: f32,
    /// Seconds where A speaks (m_A >= 0.5).
    pub speaking_a: f32,
    /// Seconds where B speaks.
    pub speaking_b: f32,
    /// Seconds where both speak.
    pub overlap: f32,
    /// Seconds where neither speaks.
    pub silence: f32,
    /// Turns: maximal runs in which the same single person speaks, counted across pauses and
    /// overlaps (A, pause, A, B, both, A -> 3 turns: A, B, A).
    pub turns: usize,
}

/// Summarises two equally long masks (the shorter length is used if they differ).
pub fn summarize(m_a: &[f32], m_b: &[f32]) -> Summary {
    let n = m_a.len().min(m_b.len());
    let fps = FPS as f32;
    let (mut a, mut b, mut both, mut none) = (0usize, 0usize, 0usize, 0usize);
    let mut turns = 0;
    let mut holder: Option<bool> = None;
    for k in 0..n {
        let (sa, sb) = (m_a[k] >= 0.5, m_b[k] >= 0.5);
        a += sa as usize;
        b += sb as usize;
        both += (sa && sb) as usize;
        none += (!sa && !sb) as usize;
        if sa != sb && holder != Some(sa) {
            holder = Some(sa);
            turns += 1;
        }
    }
    Summary {
        frames: n,
        seconds: n as f32 / fps,
        speaking_a: a as f32 / fps,
        speaking_b: b as f32 / fps,
        overlap: both as f32 / fps,
        silence: none as f32 / fps,
        turns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_bridges_short_gaps_only() {
        let mut x = vec![0.0; 40];
        x[5..15].iter_mut().for_each(|v| *v = 1.0);
        x[18..25].iter_mut().for_each(|v| *v = 1.0); // 3-frame gap: bridged by w = 5
        x[35..38].iter_mut().for_each(|v| *v = 1.0); // 10-frame gap: kept
        let c = closing(&x, 5);
        assert!(c[15..18].iter().all(|&v| v == 1.0));
        assert!(c[26..34].iter().all(|&v| v == 0.0));
        assert_eq!(c[35..38], [1.0, 1.0, 1.0]);
        assert_eq!(c[0..5], [0.0; 5]);
    }

    #[test]
    fn soft_mask_is_bounded_smooth_and_keeps_mass() {
        let raw: Vec<f32> = (0..100).map(|i| if (30..60).contains(&i) { 1.0 } else { 0.0 }).collect();
        let m = soft_mask(&raw, &SmoothConfig::default());
        assert!(m.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(m[29] > 0.0 && m[29] < 1.0, "onsets ramp");
        assert!((m[45] - 1.0).abs() < 1e-6 && m[0] == 0.0);
        let mass: f32 = m.iter().sum();
        assert!((mass - 30.0).abs() < 0.5, "{mass}");
        let bad = soft_mask(&[f32::NAN, 2.0, -1.0, f32::INFINITY], &SmoothConfig::default());
        assert!(bad.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)));
    }

    #[test]
    fn summary_counts_time_overlap_and_turns() {
        // A 0..50, B 40..100, A again 120..150.
        let a: Vec<f32> = (0..150).map(|i| if !(50..120).contains(&i) { 1.0 } else { 0.0 }).collect();
        let b: Vec<f32> = (0..150).map(|i| if (40..100).contains(&i) { 1.0 } else { 0.0 }).collect();
        let s = summarize(&a, &b);
        assert_eq!(s.frames, 150);
        assert!((s.speaking_a - 80.0 / 25.0).abs() < 1e-6);
        assert!((s.speaking_b - 60.0 / 25.0).abs() < 1e-6);
        assert!((s.overlap - 10.0 / 25.0).abs() < 1e-6);
        assert!((s.silence - 20.0 / 25.0).abs() < 1e-6);
        assert_eq!(s.turns, 3);
        assert_eq!(summarize(&[], &[]).turns, 0);
    }
}
