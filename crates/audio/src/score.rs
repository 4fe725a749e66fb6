//! Scoring two-person speaker masks against a reference, at 25 fps (DESIGN.md §5): frame
//! accuracy, diarisation error rate (DER, with an optional collar), turn boundaries.
//!
//! All scores take the better of the two ways to pair hypothesis A/B with reference A/B (a
//! mixed recording does not say who is "A"). A frame's activity is `mask >= 0.5`. The
//! reference comes from an RTTM file ([`rttm_frames`]) or from each person's own clean track
//! ([`track_activity`]); either way pauses of up to 200 ms inside a turn are bridged
//! ([`bridge`]), as the masks themselves do.

use duologue_params::{FPS, HOP};

/// Per-frame activity of the two people (`true` = speaks).
pub type Pair = [Vec<bool>; 2];

/// Masks -> activity (`>= 0.5`).
pub fn binarize(m: &[f32]) -> Vec<bool> {
    m.iter().map(|&v| v >= 0.5).collect()
}

/// Fills pauses of at most `max_gap` frames between two active frames.
pub fn bridge(x: &mut [bool], max_gap: usize) {
    let mut last: Option<usize> = None;
    for i in 0..x.len() {
        if x[i] {
            if let Some(l) = last {
                if i - l > 1 && i - l - 1 <= max_gap {
                    x[l + 1..i].iter_mut().for_each(|v| *v = true);
                }
            }
            last = Some(i);
        }
    }
}

/// Speakers of an RTTM file (`SPEAKER file 1 start dur <NA> <NA> name ...`) as per-frame
/// activity over `frames` frames, in order of first appearance; pauses <= 200 ms bridged.
/// Lines that are not `SPEAKER` lines are ignored; a malformed `SPEAKER` line is an error.
pub fn rttm_frames(text: &str, frames: usize) -> Result<Vec<Vec<bool>>, String> {
    let mut names: Vec<String> = Vec::new();
    let mut acts: Vec<Vec<bool>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first() != Some(&"SPEAKER") {
            continue;
        }
        let bad = || format!("RTTM line {}: expected `SPEAKER file chan start dur <NA> <NA> name`", i + 1);
        let start: f64 = f.get(3).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let dur: f64 = f.get(4).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let name = f.get(7).ok_or_else(bad)?.to_string();
        if !(start.is_finite() && dur.is_finite() && start >= 0.0 && dur >= 0.0) {
            return Err(bad());
        }
        let k = match names.iter().position(|n| *n == name) {
            Some(k) => k,
            None => {
                names.push(name);
                acts.push(vec![false; frames]);
                acts.len() - 1
            }
        };
        let a = ((start * FPS as f64).round() as usize).min(frames);
        let b = (((start + dur) * FPS as f64).round() as usize).min(frames);
        acts[k][a..b].iter_mut().for_each(|v| *v = true);
    }
    for a in &mut acts {
        bridge(a, 5);
    }
    Ok(acts)
}

/// One person's activity from their own clean track (16 kHz): a 40 ms frame is active when its
/// RMS is within 35 dB of the track's loud frames (95th percentile); pauses <= 200 ms bridged.
pub fn track_activity(track: &[f32]) -> Vec<bool> {
    let rms: Vec<f32> = track
        .chunks(HOP)
        .map(|c| (c.iter().map(|v| v * v).sum::<f32>() / c.len().max(1) as f32).sqrt())
        .collect();
    let mut sorted = rms.clone();
    sorted.sort_by(f32::total_cmp);
    let loud = sorted.get(sorted.len() * 95 / 100).copied().unwrap_or(0.0);
    let floor = (loud * 10f32.powf(-35.0 / 20.0)).max(1e-5);
    let mut act: Vec<bool> = rms.iter().map(|&r| r > floor).collect();
    bridge(&mut act, 5);
    act
}

fn get(x: &[bool], k: usize) -> bool {
    x.get(k).copied().unwrap_or(false)
}

/// Fraction of frames where both people's activity is right, better pairing (the reference's
/// length counts; a hypothesis shorter than it is silent past its end).
pub fn frame_accuracy(hyp: &Pair, reference: &Pair) -> f32 {
    let n = reference[0].len().max(reference[1].len());
    if n == 0 {
        return 1.0;
    }
    let right = |p: [usize; 2]| {
        (0..n)
            .filter(|&k| {
                get(&hyp[p[0]], k) == get(&reference[0], k) && get(&hyp[p[1]], k) == get(&reference[1], k)
            })
            .count()
    };
    right([0, 1]).max(right([1, 0])) as f32 / n as f32
}

/// Which hypothesis person plays reference A: `[0, 1]` or `[1, 0]`, by frame accuracy.
pub fn pairing(hyp: &Pair, reference: &Pair) -> [usize; 2] {
    let swapped = [hyp[1].clone(), hyp[0].clone()];
    if frame_accuracy(&swapped, reference) > frame_accuracy(hyp, reference) {
        [1, 0]
    } else {
        [0, 1]
    }
}

/// Diarisation error rate: (missed + false alarm + confusion) / reference speech, frame by
/// frame (per frame, `max(n_ref, n_hyp) - n_correct`), better pairing. Frames within `collar`
/// frames of a reference boundary (either person's on- or offset) are not scored, as NIST's
/// md-eval does with a collar (0.25 s = 6 frames at 25 fps). No reference speech: 0 when the
/// hypothesis is silent too, else 1.
pub fn der(hyp: &Pair, reference: &Pair, collar: usize) -> f32 {
    let n = reference[0].len().max(reference[1].len());
    let mut scored = vec![true; n];
    for r in reference {
        for k in 1..n {
            if get(r, k) != get(r, k - 1) {
                let (lo, hi) = (k.saturating_sub(collar), (k + collar).min(n));
                scored[lo..hi].iter_mut().for_each(|v| *v = false);
            }
        }
    }
    let score = |p: [usize; 2]| {
        let (mut err, mut total) = (0usize, 0usize);
        for (k, _) in scored.iter().enumerate().filter(|(_, s)| **s) {
            let r = [get(&reference[0], k), get(&reference[1], k)];
            let h = [get(&hyp[p[0]], k), get(&hyp[p[1]], k)];
            let n_ref = r.iter().filter(|v| **v).count();
            let n_hyp = h.iter().filter(|v| **v).count();
            let correct = (0..2).filter(|&i| r[i] && h[i]).count();
            err += n_ref.max(n_hyp) - correct;
            total += n_ref;
        }
        (err, total)
    };
    let ((e1, t), (e2, _)) = (score([0, 1]), score([1, 0]));
    let err = e1.min(e2);
    if t == 0 {
        return if err == 0 { 0.0 } else { 1.0 };
    }
    err as f32 / t as f32
}

/// Turns of the reference (runs of activity of one person at least `min_len` frames long) and
/// how many of them the hypothesis's paired person starts and ends within `tol` frames of the
/// reference (an on- or offset of that person's activity nearby). Returns (hits, turns).
pub fn boundary_hits(hyp: &Pair, reference: &Pair, min_len: usize, tol: usize) -> (usize, usize) {
    let p = pairing(hyp, reference);
    let (mut hits, mut turns) = (0, 0);
    for (s, r) in reference.iter().enumerate() {
        let h = &hyp[p[s]];
        let edges = |x: &[bool], on: bool| -> Vec<usize> {
            (0..=x.len()).filter(|&k| get(x, k) == on && (k == 0 || get(x, k - 1) != on)).collect()
        };
        let (h_on, h_off) = (edges(h, true), edges(h, false));
        let near = |e: &[usize], k: usize| e.iter().any(|&x| x.abs_diff(k) <= tol);
        let (r_on, r_off) = (edges(r, true), edges(r, false));
        for &on in &r_on {
            let Some(&off) = r_off.iter().find(|&&o| o > on) else { continue };
            if off - on < min_len {
                continue;
            }
            turns += 1;
            if near(&h_on, on) && near(&h_off, off) {
                hits += 1;
            }
        }
    }
    (hits, turns)
}

/// Signed edge errors of the reference's turns (as [`boundary_hits`] counts them): for each
/// turn, the hypothesis's nearest onset minus the reference onset and the nearest offset minus
/// the reference offset, in frames (negative = early); `None` where the paired person has no
/// edge of that kind at all. Shows whether missed boundaries are late, early or absent.
pub fn boundary_errors(hyp: &Pair, reference: &Pair, min_len: usize) -> Vec<[Option<i64>; 2]> {
    let p = pairing(hyp, reference);
    let edges = |x: &[bool], on: bool| -> Vec<usize> {
        (0..=x.len()).filter(|&k| get(x, k) == on && (k == 0 || get(x, k - 1) != on)).collect()
    };
    let nearest = |e: &[usize], k: usize| e.iter().map(|&x| x as i64 - k as i64).min_by_key(|d| d.abs());
    let mut out = Vec::new();
    for (s, r) in reference.iter().enumerate() {
        let h = &hyp[p[s]];
        let (h_on, h_off) = (edges(h, true), edges(h, false));
        let (r_on, r_off) = (edges(r, true), edges(r, false));
        for &on in &r_on {
            let Some(&off) = r_off.iter().find(|&&o| o > on) else { continue };
            if off - on >= min_len {
                out.push([nearest(&h_on, on), nearest(&h_off, off)]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    #[test]
    fn bridging_fills_short_pauses_only() {
        let mut x = b("1001000000001");
        bridge(&mut x, 5);
        assert_eq!(x, b("1111000000001"));
    }

    #[test]
    fn rttm_becomes_frames_in_order_of_appearance() {
        let t =
            "SPEAKER s 1 0.00 0.40 <NA> <NA> bob <NA> <NA>\nSPEAKER s 1 0.40 0.20 <NA> <NA> amy <NA> <NA>\n";
        let a = rttm_frames(t, 20).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].iter().filter(|v| **v).count(), 10);
        assert_eq!(a[1][10..15], [true; 5]);
        assert!(rttm_frames("SPEAKER s 1 x 1 <NA> <NA> a", 5).is_err());
    }

    #[test]
    fn scores_use_the_better_pairing() {
        let r = [b("1111000000"), b("0000011110")];
        let swapped = [r[1].clone(), r[0].clone()];
        assert_eq!(frame_accuracy(&swapped, &r), 1.0);
        assert_eq!(der(&swapped, &r, 0), 0.0);
        // All speech on one person: B's 4 frames are confused -> DER 4/8.
        let one = [b("1111011110"), b("0000000000")];
        assert!((der(&one, &r, 0) - 0.5).abs() < 1e-6);
        assert!((frame_accuracy(&one, &r) - 0.6).abs() < 1e-6);
        // A collar of 1 frame drops frames next to the 4 reference edges.
        assert!(der(&one, &r, 1) < 0.5);
    }

    #[test]
    fn boundaries_count_turns_whose_edges_land_near() {
        let r = [b("0111110000000000"), b("0000000011111100")];
        let late = [b("0001111100000000"), b("0000000011111100")];
        assert_eq!(boundary_hits(&late, &r, 3, 1), (1, 2));
        assert_eq!(boundary_hits(&late, &r, 3, 2), (2, 2));
        // A's turn starts 2 frames late and ends 2 late; B's edges are exact.
        assert_eq!(boundary_errors(&late, &r, 3), vec![[Some(2), Some(2)], [Some(0), Some(0)]]);
        let silent = [b("0000000000000000"), b("0000000011111100")];
        assert_eq!(boundary_errors(&silent, &r, 3)[0][0], None);
    }

    #[test]
    fn a_clean_track_gives_activity_where_it_is_loud() {
        let mut x = vec![0.0f32; 16000];
        for (i, v) in x[4000..8000].iter_mut().enumerate() {
            *v = 0.3 * (i as f32 * 0.1).sin();
        }
        let a = track_activity(&x);
        assert_eq!(a.len(), 25);
        assert!(a[7..12].iter().all(|v| *v) && !a[0] && !a[20]);
    }
}
