//! Kaldi's log mel filterbank (`compute-fbank-feats` with its defaults and no dither, as
//! kaldi-native-fbank and torchaudio's `compliance.kaldi.fbank` compute it): the front-end of the
//! CAM++ speaker encoder (3D-Speaker) that notes/speaker-embedders.md chose to port next.
//!
//! 16 kHz input; 25 ms frames (400 samples) every 10 ms (160), a frame only where all 400 samples
//! exist (Kaldi's `snip_edges`); per frame the mean is removed, then pre-emphasis 0.97 (the first
//! sample against itself), the Povey window (a symmetric Hann window to the power 0.85), a 512-point
//! power spectrum, `n_mels` triangles on Kaldi's mel scale `1127 ln(1 + f / 700)` between 20 Hz
//! and the Nyquist frequency (over the FFT bins below Nyquist), and the natural log floored at
//! `f32::EPSILON`. The samples are used as given (Kaldi's tools read 16-bit integers; a mean
//! normalisation over time, as CAM++ applies, removes the difference).

use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Samples per frame (25 ms at 16 kHz).
pub const FRAME: usize = 400;
/// Samples between frames (10 ms).
pub const SHIFT: usize = 160;
const NFFT: usize = 512;
const PREEMPH: f32 = 0.97;
const LOW_HZ: f32 = 20.0;
const SAMPLE_RATE: f32 = 16000.0;

/// A Kaldi filterbank of `n_mels` bands.
pub struct KaldiFbank {
    n_mels: usize,
    window: Vec<f32>,
    /// Per band: first FFT bin and the weights from there.
    bands: Vec<(usize, Vec<f32>)>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl std::fmt::Debug for KaldiFbank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KaldiFbank").field("n_mels", &self.n_mels).finish()
    }
}

fn mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

impl KaldiFbank {
    /// `n_mels` bands (CAM++: 80).
    pub fn new(n_mels: usize) -> Self {
        let window = (0..FRAME)
            .map(|i| {
                let hann = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / (FRAME - 1) as f64).cos();
                hann.powf(0.85) as f32
            })
            .collect();
        let (lo, hi) = (mel(LOW_HZ as f64), mel(SAMPLE_RATE as f64 / 2.0));
        let step = (hi - lo) / (n_mels + 1) as f64;
        let bands = (0..n_mels)
            .map(|m| {
                let (left, centre, right) =
                    (lo + m as f64 * step, lo + (m + 1) as f64 * step, lo + (m + 2) as f64 * step);
                let weights: Vec<(usize, f32)> = (0..NFFT / 2)
                    .filter_map(|k| {
                        let f = mel(SAMPLE_RATE as f64 * k as f64 / NFFT as f64);
                        let w = ((f - left) / (centre - left)).min((right - f) / (right - centre));
                        (w > 0.0).then_some((k, w as f32))
                    })
                    .collect();
                let first = weights.first().map_or(0, |w| w.0);
                (first, weights.into_iter().map(|w| w.1).collect())
            })
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(NFFT);
        Self { n_mels, window, bands, fft }
    }

    /// Bands per frame.
    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// Frames [`KaldiFbank::compute`] gives for `samples` samples.
    pub fn frames(samples: usize) -> usize {
        if samples < FRAME {
            0
        } else {
            1 + (samples - FRAME) / SHIFT
        }
    }

    /// Log mel energies of `audio` (16 kHz), `[frames, n_mels]` row-major.
    pub fn compute(&self, audio: &[f32]) -> Vec<f32> {
        let n = Self::frames(audio.len());
        let mut out = Vec::with_capacity(n * self.n_mels);
        let mut buf = vec![0.0f32; NFFT];
        let mut spec = self.fft.make_output_vec();
        let mut power = vec![0.0f32; NFFT / 2];
        for t in 0..n {
            let frame = &audio[t * SHIFT..t * SHIFT + FRAME];
            let mean = frame.iter().map(|&v| v as f64).sum::<f64>() / FRAME as f64;
            let mut prev = frame[0] - mean as f32;
            for (i, (b, &x)) in buf.iter_mut().zip(frame).enumerate() {
                let v = x - mean as f32;
                *b = (v - PREEMPH * prev) * self.window[i];
                prev = v;
            }
            buf[FRAME..].iter_mut().for_each(|v| *v = 0.0);
            // The buffer is the right length, so the transform cannot fail.
            if self.fft.process(&mut buf, &mut spec).is_err() {
                out.extend(std::iter::repeat_n(f32::EPSILON.ln(), self.n_mels));
                continue;
            }
            power.iter_mut().zip(&spec).for_each(|(p, c)| *p = c.norm_sqr());
            for (first, w) in &self.bands {
                let e: f32 = w.iter().zip(&power[*first..]).map(|(w, p)| w * p).sum();
                out.push(e.max(f32::EPSILON).ln());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_count_snips_the_edges() {
        assert_eq!(KaldiFbank::frames(399), 0);
        assert_eq!(KaldiFbank::frames(400), 1);
        assert_eq!(KaldiFbank::frames(16000), 98);
        assert_eq!(KaldiFbank::compute(&KaldiFbank::new(80), &[0.1; 16000]).len(), 98 * 80);
    }

    #[test]
    fn a_tone_lights_the_band_around_its_frequency() {
        let fb = KaldiFbank::new(80);
        let tone: Vec<f32> =
            (0..8000).map(|i| (std::f32::consts::TAU * 1000.0 * i as f32 / 16000.0).sin()).collect();
        let x = fb.compute(&tone);
        let row = &x[10 * 80..11 * 80];
        let best = (0..80).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        // Band centres on Kaldi's mel scale: the one nearest 1 kHz.
        let (lo, hi) = (mel(20.0), mel(8000.0));
        let centre = |m: usize| lo + (m + 1) as f64 * (hi - lo) / 81.0;
        let want = (0..80)
            .min_by(|&a, &b| (centre(a) - mel(1000.0)).abs().total_cmp(&(centre(b) - mel(1000.0)).abs()))
            .unwrap();
        assert!(best.abs_diff(want) <= 1, "peak band {best}, 1 kHz is band {want}");
        // Silence sits at the floor.
        assert!(fb.compute(&[0.0; 400]).iter().all(|&v| v == f32::EPSILON.ln()));
    }
}
