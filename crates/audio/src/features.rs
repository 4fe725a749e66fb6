//! The one interface the model uses for audio conditioning: 16 kHz mono in, `[frames, D]` at
//! 25 fps out (DESIGN.md §1, §7: the "audio features" part of the per-frame condition c(k)).

use crate::error::Result;
use crate::mel::{frames_for, LogMel};

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
}
