//! Log-mel filterbank features at the animation rate (25 fps), the embedded default front-end.
//!
//! The paper (§3.6, appendix 3.1) conditions on wav2vec 2.0 features; this is the weight-free
//! stand-in. Frame k of the animation covers samples `[640k, 640(k+1))` (DESIGN.md §1); inside it
//! four 25 ms Hann windows are centred every 10 ms (at 640k + 80 + 160j), their mel power
//! spectra are averaged and the log taken. So each 25 fps frame summarises exactly its own 40 ms,
//! without a half-frame shift, and the window reaches 120 samples into each neighbour.
//! Everything here is a pure function on slices.

use duologue_params::HOP;
use realfft::RealFftPlanner;
use std::sync::Arc;

/// Samples of context a 25 fps frame reads before its own first sample (and after its last).
pub const CONTEXT: usize = 120;
/// Samples one 25 fps frame reads in total: `CONTEXT + HOP + CONTEXT`.
pub const SPAN: usize = HOP + 2 * CONTEXT;

/// Log-mel settings. Defaults: 80 bands from 20 Hz to 7600 Hz, 25 ms Hann windows, FFT 512.
#[derive(Debug, Clone, PartialEq)]
pub struct LogMelConfig {
    /// Mel bands (the feature dimension D).
    pub n_mels: usize,
    /// FFT size (samples, zero-padded window).
    pub n_fft: usize,
    /// Window length in samples (400 = 25 ms at 16 kHz).
    pub win: usize,
    /// Lowest band edge (Hz).
    pub fmin: f32,
    /// Highest band edge (Hz).
    pub fmax: f32,
    /// Floor added to the mel power before the log, so silence gives a finite value.
    pub floor: f32,
}

impl Default for LogMelConfig {
    fn default() -> Self {
        Self { n_mels: 80, n_fft: 512, win: 400, fmin: 20.0, fmax: 7600.0, floor: 1e-6 }
    }
}

/// Hz -> mel (HTK formula).
pub fn hz_to_mel(hz: f32) -> f32 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

/// mel -> Hz (HTK formula).
pub fn mel_to_hz(mel: f32) -> f32 {
    700.0 * (10f32.powf(mel / 2595.0) - 1.0)
}

/// Periodic Hann window of length `n` (the usual STFT window).
pub fn hann(n: usize) -> Vec<f32> {
    (0..n).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos()).collect()
}

/// Dense filters stored sparsely: each as (first non-zero bin, the weights up to its last
/// non-zero bin).
pub(crate) fn sparse_filters(dense: Vec<Vec<f32>>) -> Vec<(usize, Vec<f32>)> {
    dense
        .into_iter()
        .map(|w| {
            let first = w.iter().position(|&v| v > 0.0).unwrap_or(0);
            let last = w.iter().rposition(|&v| v > 0.0).map_or(first, |l| l + 1);
            (first, w[first..last.max(first)].to_vec())
        })
        .collect()
}

/// Triangular mel filters, `[n_mels][n_fft/2 + 1]`, each peaking at 1 (HTK-style, no area
/// normalisation, so a flat spectrum gives roughly equal band energies per bin count).
pub fn mel_filterbank(n_mels: usize, n_fft: usize, sample_rate: f32, fmin: f32, fmax: f32) -> Vec<Vec<f32>> {
    let bins = n_fft / 2 + 1;
    let (mlo, mhi) = (hz_to_mel(fmin), hz_to_mel(fmax));
    let edges: Vec<f32> =
        (0..n_mels + 2).map(|i| mel_to_hz(mlo + (mhi - mlo) * i as f32 / (n_mels + 1) as f32)).collect();
    let bin_hz = sample_rate / n_fft as f32;
    (0..n_mels)
        .map(|m| {
            let (lo, mid, hi) = (edges[m], edges[m + 1], edges[m + 2]);
            (0..bins)
                .map(|b| {
                    let f = b as f32 * bin_hz;
                    if f <= lo || f >= hi {
                        0.0
                    } else if f <= mid {
                        (f - lo) / (mid - lo)
                    } else {
                        (hi - f) / (hi - mid)
                    }
                })
                .collect()
        })
        .collect()
}

/// Number of 25 fps frames for `n` samples: a partly filled last frame counts.
pub fn frames_for(n: usize) -> usize {
    n.div_ceil(HOP)
}

/// The log-mel extractor: filterbank, window and FFT plan built once.
#[derive(Clone)]
pub struct LogMel {
    cfg: LogMelConfig,
    /// Filters stored sparsely: (first bin, weights).
    filters: Vec<(usize, Vec<f32>)>,
    window: Vec<f32>,
    fft: Arc<dyn realfft::RealToComplex<f32>>,
}

impl std::fmt::Debug for LogMel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogMel").field("cfg", &self.cfg).finish()
    }
}

impl LogMel {
    /// Builds the extractor (16 kHz input).
    pub fn new(cfg: LogMelConfig) -> Self {
        let dense =
            mel_filterbank(cfg.n_mels, cfg.n_fft, duologue_params::SAMPLE_RATE as f32, cfg.fmin, cfg.fmax);
        let filters = sparse_filters(dense);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(cfg.n_fft);
        Self { window: hann(cfg.win), filters, fft, cfg }
    }

    /// The settings.
    pub fn config(&self) -> &LogMelConfig {
        &self.cfg
    }

    /// Feature dimension D.
    pub fn dim(&self) -> usize {
        self.cfg.n_mels
    }

    /// Mel power spectrum of one window of `win` samples centred at `centre` in `span`
    /// (indices outside `span` read as zero), added into `acc`.
    fn add_mel_power(
        &self,
        span: &[f32],
        centre: isize,
        acc: &mut [f32],
        buf: &mut [f32],
        spec: &mut [realfft::num_complex::Complex<f32>],
    ) {
        let half = (self.cfg.win / 2) as isize;
        buf.iter_mut().for_each(|v| *v = 0.0);
        for (i, w) in self.window.iter().enumerate() {
            let idx = centre - half + i as isize;
            if idx >= 0 && (idx as usize) < span.len() {
                buf[i] = span[idx as usize] * w;
            }
        }
        // The plan's lengths match the buffers by construction, so this cannot fail.
        if self.fft.process(buf, spec).is_err() {
            return;
        }
        for ((first, w), a) in self.filters.iter().zip(acc.iter_mut()) {
            let mut s = 0.0;
            for (j, wj) in w.iter().enumerate() {
                s += wj * spec[first + j].norm_sqr();
            }
            *a += s;
        }
    }

    /// Features of one 25 fps frame from its [`SPAN`] samples (`CONTEXT` before the frame, the
    /// frame's `HOP` samples, `CONTEXT` after; zeros where the audio has none). `out`: `[D]`.
    pub fn frame(&self, span: &[f32], out: &mut [f32]) {
        let mut buf = self.fft.make_input_vec();
        let mut spec = self.fft.make_output_vec();
        out.iter_mut().for_each(|v| *v = 0.0);
        for j in 0..4 {
            let centre = (CONTEXT + 80 + 160 * j) as isize;
            self.add_mel_power(span, centre, out, &mut buf, &mut spec);
        }
        for v in out.iter_mut() {
            *v = (*v / 4.0 + self.cfg.floor).ln();
        }
    }

    /// Features of a whole signal: `[frames_for(len), D]`, row-major.
    pub fn compute(&self, audio: &[f32]) -> Vec<f32> {
        let n = frames_for(audio.len());
        let d = self.dim();
        let mut out = vec![0.0; n * d];
        let mut span = vec![0.0f32; SPAN];
        for (k, row) in out.chunks_exact_mut(d).enumerate() {
            fill_span(audio, k, &mut span);
            self.frame(&span, row);
        }
        out
    }
}

/// Copies frame `k`'s [`SPAN`] samples out of `audio` (zeros past either end).
pub fn fill_span(audio: &[f32], k: usize, span: &mut [f32]) {
    let start = (k * HOP) as isize - CONTEXT as isize;
    for (i, s) in span.iter_mut().enumerate() {
        let idx = start + i as isize;
        *s = if idx >= 0 && (idx as usize) < audio.len() { audio[idx as usize] } else { 0.0 };
    }
}

/// Slaney's mel scale (librosa's default, `htk=False`).
pub fn slaney_hz_to_mel(hz: f64) -> f64 {
    let (f_sp, min_log_hz, min_log_mel, logstep) = (200.0 / 3.0, 1000.0, 15.0, (6.4f64).ln() / 27.0);
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

/// Inverse of [`slaney_hz_to_mel`].
pub fn slaney_mel_to_hz(mel: f64) -> f64 {
    let (f_sp, min_log_hz, min_log_mel, logstep) = (200.0 / 3.0, 1000.0, 15.0, (6.4f64).ln() / 27.0);
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// librosa.filters.mel(sr, n_fft, n_mels, fmin=0, fmax=sr/2, htk=False, norm="slaney"):
/// `[n_mels][n_fft/2 + 1]`, area-normalised triangles.
pub fn slaney_filterbank(sr: f64, n_fft: usize, n_mels: usize) -> Vec<Vec<f32>> {
    let bins = n_fft / 2 + 1;
    let fft_hz: Vec<f64> = (0..bins).map(|i| i as f64 * sr / n_fft as f64).collect();
    let (lo, hi) = (slaney_hz_to_mel(0.0), slaney_hz_to_mel(sr / 2.0));
    let mel_hz: Vec<f64> =
        (0..n_mels + 2).map(|i| slaney_mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64)).collect();
    (0..n_mels)
        .map(|m| {
            let enorm = 2.0 / (mel_hz[m + 2] - mel_hz[m]);
            fft_hz
                .iter()
                .map(|&f| {
                    let lower = (f - mel_hz[m]) / (mel_hz[m + 1] - mel_hz[m]);
                    let upper = (mel_hz[m + 2] - f) / (mel_hz[m + 2] - mel_hz[m + 1]);
                    (lower.min(upper).max(0.0) * enorm) as f32
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_is_linear_below_1k_and_log_above() {
        assert!((slaney_hz_to_mel(1000.0) - 15.0).abs() < 1e-9);
        assert!((slaney_hz_to_mel(500.0) - 7.5).abs() < 1e-9);
        for hz in [0.0, 300.0, 1000.0, 4000.0, 8000.0] {
            assert!((slaney_mel_to_hz(slaney_hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 100.0, 1000.0, 7600.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 0.05);
        }
        assert!((hz_to_mel(1000.0) - 1000.0).abs() < 1.0, "HTK: 1000 Hz is about 1000 mel");
    }

    #[test]
    fn filters_cover_the_band_and_peak_at_one() {
        let fb = mel_filterbank(80, 512, 16000.0, 20.0, 7600.0);
        assert_eq!(fb.len(), 80);
        for f in &fb {
            assert_eq!(f.len(), 257);
            let peak = f.iter().cloned().fold(0.0, f32::max);
            assert!(peak > 0.3 && peak <= 1.0, "each band has a bin near its centre: {peak}");
        }
        // Nothing above fmax.
        assert!(fb.iter().all(|f| f[(7700.0 / 31.25) as usize..].iter().all(|&v| v == 0.0)));
    }

    #[test]
    fn a_tone_lights_the_band_holding_its_frequency() {
        let lm = LogMel::new(LogMelConfig::default());
        let tone: Vec<f32> = (0..16000)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16000.0).sin())
            .collect();
        let f = lm.compute(&tone);
        assert_eq!(f.len(), 25 * 80);
        let row = &f[10 * 80..11 * 80];
        let best = row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0);
        let edges: Vec<f32> = (0..82)
            .map(|i| mel_to_hz(hz_to_mel(20.0) + (hz_to_mel(7600.0) - hz_to_mel(20.0)) * i as f32 / 81.0))
            .collect();
        assert!(edges[best] < 1000.0 && edges[best + 2] > 1000.0, "band {best} should hold 1 kHz");
        assert!(row[best] - row[0] > 10.0, "the tone band is far above the lowest band");
    }

    #[test]
    fn silence_is_the_floor_and_frames_round_up() {
        let lm = LogMel::new(LogMelConfig::default());
        let f = lm.compute(&vec![0.0; 641]);
        assert_eq!(f.len(), 2 * 80);
        assert!(f.iter().all(|&v| (v - 1e-6f32.ln()).abs() < 1e-3));
        assert!(lm.compute(&[]).is_empty());
    }

    #[test]
    fn a_frame_only_sees_its_own_span() {
        // An impulse in frame 3 must not change frame 1 (farther than CONTEXT away).
        let lm = LogMel::new(LogMelConfig::default());
        let mut a = vec![0.0f32; 640 * 6];
        let base = lm.compute(&a);
        a[3 * 640 + 320] = 1.0;
        let hit = lm.compute(&a);
        assert_eq!(&base[80..160], &hit[80..160]);
        assert!(hit[3 * 80..4 * 80].iter().zip(&base[3 * 80..4 * 80]).any(|(h, b)| h > b));
    }
}
