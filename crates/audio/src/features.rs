//! The one interface the model uses for audio conditioning: 16 kHz mono in, `[frames, D]` at
//! 25 fps out (DESIGN.md §1, §7: the "audio features" part of the per-frame condition c(k)).

use crate::error::Result;
use crate::mel::{frames_for, LogMel};
use duologue_params::HOP;

/// Per-frame features, row-major `[frames, dim]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// `frames * dim` values, frame after frame.
    pub data: Vec<f32>,
    /// Number of 25 fps frames (`ceil(samples / 640)`).
    pub frames: usize,
    /// Values per frame.
    pub dim: usize,
}

impl Features {
    /// Frame `k`'s `dim` values.
    pub fn row(&self, k: usize) -> &[f32] {
        &self.data[k * self.dim..(k + 1) * self.dim]
    }
}

/// Audio (16 kHz mono, f32) -> per-frame features at 25 fps.
pub trait FeatureExtractor {
    /// Short name stored next to checkpoints ("logmel80", "wav2vec2").
    fn name(&self) -> &str;
    /// Values per frame, known before any audio is seen (the model's input width).
    fn dim(&self) -> usize;
    /// Features of a whole signal: exactly `ceil(audio.len() / 640)` frames.
    fn features(&self, audio: &[f32]) -> Result<Features>;

    /// Features of `audio` with `lead` frames of silence before it and silence after it up to
    /// at least `lead` frames and `total` frames in all: `[max(lead + frames + lead, total) *
    /// dim]`, row-major. The default pads a copy of the audio; extractors whose frames see
    /// only their own few samples (log-mel) override it without the copy.
    fn features_padded(&self, audio: &[f32], lead: usize, total: usize) -> Result<Vec<f32>> {
        let frames = frames_for(audio.len());
        let rows = (frames + 2 * lead).max(total);
        let mut padded = vec![0.0f32; rows * HOP];
        padded[lead * HOP..lead * HOP + audio.len()].copy_from_slice(audio);
        let f = self.features(&padded)?;
        debug_assert_eq!(f.frames, rows);
        Ok(f.data)
    }
}

/// 50 Hz vectors `[T50, d]` -> 25 fps `[frames, d]`: mean of pairs (2k, 2k+1), the last
/// vector repeated where the 50 Hz sequence is short.
pub fn pairs_to_25fps(h: &[f32], d: usize, frames: usize) -> Vec<f32> {
    let t50 = h.len() / d.max(1);
    let mut out = vec![0.0f32; frames * d];
    if t50 == 0 {
        return out;
    }
    for (k, row) in out.chunks_exact_mut(d).enumerate() {
        let (i, j) = ((2 * k).min(t50 - 1), (2 * k + 1).min(t50 - 1));
        for (c, o) in row.iter_mut().enumerate() {
            *o = 0.5 * (h[i * d + c] + h[j * d + c]);
        }
    }
    out
}

impl FeatureExtractor for LogMel {
    fn name(&self) -> &str {
        "logmel"
    }

    fn dim(&self) -> usize {
        LogMel::dim(self)
    }

    fn features(&self, audio: &[f32]) -> Result<Features> {
        Ok(Features { data: self.compute(audio), frames: frames_for(audio.len()), dim: LogMel::dim(self) })
    }

    /// Silence rows computed once around the recording's own features: no padded copy, so an
    /// hours-long recording stays one buffer.
    fn features_padded(&self, audio: &[f32], lead: usize, total: usize) -> Result<Vec<f32>> {
        let dim = LogMel::dim(self);
        let frames = frames_for(audio.len());
        let rows = (frames + 2 * lead).max(total);
        let silence = self.compute(&[0.0; HOP]);
        let mut out = Vec::with_capacity(rows * dim);
        (0..lead).for_each(|_| out.extend_from_slice(&silence[..dim]));
        out.extend_from_slice(&self.compute(audio));
        while out.len() < rows * dim {
            out.extend_from_slice(&silence[..dim]);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mel::LogMelConfig;

    /// Log-mel's copy-free padding gives what padding the audio gives (on a signal that fades
    /// in and out, so the edge frames' few milliseconds of context are silence either way).
    #[test]
    fn log_mel_padding_matches_padding_the_audio() {
        let lm = LogMel::new(LogMelConfig::default());
        let n = 20 * HOP;
        let audio: Vec<f32> = (0..n)
            .map(|i| {
                let env = (std::f32::consts::PI * i as f32 / n as f32).sin().powi(8);
                env * (0.05 * i as f32).sin()
            })
            .collect();
        let fast = lm.features_padded(&audio, 6, 40).unwrap();
        let mut padded = vec![0.0f32; 40 * HOP];
        padded[6 * HOP..6 * HOP + n].copy_from_slice(&audio);
        let slow = lm.features(&padded).unwrap().data;
        assert_eq!(fast.len(), slow.len());
        let d = fast.iter().zip(&slow).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(d < 1e-3, "max difference {d}");
    }
}
