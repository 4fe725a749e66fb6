//! Audio assembly and exact speaker masks (paper §3.3, §3.6.2; DESIGN §1, §5).
//!
//! Each person's utterances are placed on their own track, the tracks are summed to one mono
//! signal, then optionally convolved with a synthetic room (exponentially decaying noise tail
//! after a direct path) and mixed with noise at a chosen SNR. Masks come from the utterances'
//! own phoneme timings, so they are exact, not estimated from the audio.

use crate::conversation::Speech;
use crate::rng::Rng;
use duologue_params::{FPS, HOP, SAMPLE_RATE};

/// Place utterances of person `who` on a track of `n` samples (clip time 0 = sample 0).
pub fn render_track(speech: &[Speech], who: usize, n: usize, gain: f32) -> Vec<f32> {
    let mut track = vec![0.0f32; n];
    for s in speech.iter().filter(|s| s.who == who) {
        let offset = (s.start * SAMPLE_RATE as f32).round() as isize;
        for (i, &v) in s.utt.samples.iter().enumerate() {
            let j = offset + i as isize;
            if j >= 0 && (j as usize) < n {
                track[j as usize] += gain * v;
            }
        }
    }
    track
}

/// Per-frame speaking mask of `who` (1 when at least half the frame is inside their speech).
/// Speech is the union of non-pause phonemes, with gaps under 150 ms bridged (stop closures
/// and short breaks are part of talking).
pub fn speech_mask(speech: &[Speech], who: usize, frames: usize) -> Vec<f32> {
    let mut spans: Vec<(f32, f32)> = Vec::new();
    for s in speech.iter().filter(|s| s.who == who) {
        for p in s.utt.phonemes.iter().filter(|p| !p.symbol.starts_with('_')) {
            spans.push((s.start + p.start, s.start + p.end));
        }
    }
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f32, f32)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a - last.1 < 0.15 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    mask_from_spans(&merged, frames)
}

/// Frames whose [k/25, (k+1)/25) is at least half covered by `spans` get 1, others 0.
pub fn mask_from_spans(spans: &[(f32, f32)], frames: usize) -> Vec<f32> {
    let dt = 1.0 / FPS as f32;
    (0..frames)
        .map(|k| {
            let (f0, f1) = (k as f32 * dt, (k + 1) as f32 * dt);
            let cover: f32 = spans.iter().map(|&(a, b)| (b.min(f1) - a.max(f0)).max(0.0)).sum();
            if cover >= 0.5 * dt {
                1.0
            } else {
                0.0
            }
        })
        .collect()
}

/// Room and noise settings for one clip.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Acoustics {
    /// Reverberation time RT60 in seconds (0 = dry).
    pub rt60: f32,
    /// Signal-to-noise ratio in dB (infinite = no noise).
    pub snr_db: f32,
}

impl Acoustics {
    /// Draw a room: reverberant with probability `p_reverb`, noisy with probability `p_noise`.
    pub fn sample(rng: &mut Rng, p_reverb: f32, p_noise: f32) -> Self {
        Self {
            rt60: if rng.chance(p_reverb) { rng.range(0.15, 0.7) } else { 0.0 },
            snr_db: if rng.chance(p_noise) { rng.range(10.0, 40.0) } else { f32::INFINITY },
        }
    }
}

/// Synthetic room impulse response: a unit direct path, then a noise tail decaying 60 dB over
/// `rt60`, starting after a 5 ms gap.
pub fn room_impulse(rng: &mut Rng, rt60: f32) -> Vec<f32> {
    let sr = SAMPLE_RATE as f32;
    let len = (rt60 * sr) as usize;
    let mut h = vec![0.0f32; len.max(1)];
    h[0] = 1.0;
    let gap = (0.005 * sr) as usize;
    let decay = 6.9 / (rt60 * sr).max(1.0); // ln(1000) = 6.9: -60 dB at rt60
    for (i, v) in h.iter_mut().enumerate().skip(gap) {
        *v = 0.25 * rng.normal() * (-decay * i as f32).exp();
    }
    h
}

/// Direct convolution, truncated to the input length.
pub fn convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0f32; x.len()];
    for (i, &xi) in x.iter().enumerate() {
        if xi == 0.0 {
            continue;
        }
        for (j, &hj) in h.iter().enumerate() {
            match y.get_mut(i + j) {
                Some(v) => *v += xi * hj,
                None => break,
            }
        }
    }
    y
}

/// Sum the tracks, apply the room, add noise, and normalise to a peak of 0.9 (never clipping).
pub fn mix(tracks: &[Vec<f32>], acoustics: Acoustics, rng: &mut Rng) -> Vec<f32> {
    let n = tracks.iter().map(Vec::len).max().unwrap_or(0);
    let mut y = vec![0.0f32; n];
    for t in tracks {
        for (a, b) in y.iter_mut().zip(t) {
            *a += b;
        }
    }
    if acoustics.rt60 > 0.0 {
        // A long tail costs O(n * len); decimating the tail to every 4th tap keeps the energy
        // envelope (what masks and encoders care about) at a quarter of the cost.
        let h = room_impulse(rng, acoustics.rt60);
        let sparse: Vec<f32> =
            h.iter().enumerate().map(|(i, &v)| if i % 4 == 0 || i < 80 { v } else { 0.0 }).collect();
        y = convolve_sparse(&y, &sparse);
    }
    if acoustics.snr_db.is_finite() {
        let speech_power = {
            let active: Vec<f32> = y.iter().copied().filter(|v| v.abs() > 1e-4).collect();
            active.iter().map(|v| v * v).sum::<f32>() / active.len().max(1) as f32
        };
        let noise_rms = (speech_power / 10f32.powf(acoustics.snr_db / 10.0)).sqrt();
        // Pinkish noise: white noise through a one-pole low-pass.
        let mut lp = 0.0f32;
        let mut noise: Vec<f32> = (0..n)
            .map(|_| {
                lp = 0.95 * lp + 0.05 * rng.normal();
                0.5 * lp + 0.15 * rng.normal()
            })
            .collect();
        let nr = (noise.iter().map(|v| v * v).sum::<f32>() / n.max(1) as f32).sqrt().max(1e-9);
        for v in noise.iter_mut() {
            *v *= noise_rms / nr;
        }
        for (a, b) in y.iter_mut().zip(&noise) {
            *a += b;
        }
    }
    let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if peak > 1e-6 {
        let g = 0.9 / peak;
        for v in y.iter_mut() {
            *v *= g;
        }
    }
    y
}

fn convolve_sparse(x: &[f32], h: &[f32]) -> Vec<f32> {
    let taps: Vec<(usize, f32)> =
        h.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, v)| (i, *v)).collect();
    let mut y = vec![0.0f32; x.len()];
    for (j, hj) in taps {
        for (yi, xi) in y[j..].iter_mut().zip(x) {
            *yi += hj * xi;
        }
    }
    y
}

/// Per-frame RMS level (dBFS) of a signal: the loudness that drives speaker head motion.
pub fn frame_db(x: &[f32], frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|k| {
            let seg = x.get(k * HOP..((k + 1) * HOP).min(x.len())).unwrap_or(&[]);
            let p = seg.iter().map(|v| v * v).sum::<f32>() / seg.len().max(1) as f32;
            10.0 * (p + 1e-10).log10()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_frames_follow_spans_exactly() {
        // 0.11–0.29 s covers frames 3..=6 fully (frame k = [0.04k, 0.04(k+1))) and a quarter
        // of frames 2 and 7, which stay silent.
        let m = mask_from_spans(&[(0.11, 0.29)], 10);
        assert_eq!(m, vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn mix_respects_snr_and_never_clips() {
        let mut rng = Rng::new(5);
        let n = 16_000;
        let tone: Vec<f32> = (0..n).map(|i| 0.5 * (i as f32 * 0.05).sin()).collect();
        let y = mix(&[tone.clone(), vec![0.0; n]], Acoustics { rt60: 0.3, snr_db: 20.0 }, &mut rng);
        assert_eq!(y.len(), n);
        assert!(y.iter().all(|v| v.abs() <= 0.9 + 1e-6));
        let dry = mix(&[tone], Acoustics { rt60: 0.0, snr_db: f32::INFINITY }, &mut rng);
        let peak = dry.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((peak - 0.9).abs() < 1e-4);
    }

    #[test]
    fn room_decays_by_60_db() {
        let mut rng = Rng::new(1);
        let h = room_impulse(&mut rng, 0.4);
        let e = |a: usize, b: usize| h[a..b].iter().map(|v| v * v).sum::<f32>() / (b - a) as f32;
        let early = e(100, 900);
        let late = e(h.len() - 800, h.len());
        let db = 10.0 * (early / late).log10();
        assert!((45.0..75.0).contains(&db), "decay {db} dB");
    }
}
