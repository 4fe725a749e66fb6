//! Windows: the one way duologue cuts a sequence of frames into the model's fixed-length windows
//! and joins windows back into a sequence (paper §3.3 samples fixed windows; DESIGN §3).
//!
//! A window is `len` consecutive frames starting at a frame `start`. The windows of a sequence of
//! `frames` frames start every `hop` frames from 0, and the last one ends exactly on the last
//! frame, so every frame is covered and no window runs past the end unless the whole sequence is
//! shorter than one window (then there is a single window at 0, padded by whoever cuts it).
//! Only the hop differs between uses:
//! - training and the evaluation's retrieval library: [`train_hop`], half a window, so every frame
//!   is seen in two contexts;
//! - generation and dataset evaluation: [`generate_hop`], `len - overlap`, consecutive windows
//!   sharing `overlap` frames that [`Stitcher`] cross-fades.
//!
//! Translations inside a window are relative to the window's first frame (DESIGN §3: `t0`
//! absorbs `dt` at the window start); cutting re-references them, stitching works on absolute
//! positions and the caller converts back.

use crate::ParamsError;

/// First frames of the windows of `len` frames covering `frames` frames, `hop` apart, the last
/// window ending on frame `frames - 1`; one window at 0 when `frames <= len`.
pub fn starts(frames: usize, len: usize, hop: usize) -> Vec<usize> {
    if frames <= len {
        return vec![0];
    }
    let last = frames - len;
    let mut out: Vec<usize> = (0..=last).step_by(hop.max(1)).collect();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

/// The training hop for windows of `len` frames: half a window (at least 1).
pub fn train_hop(len: usize) -> usize {
    (len / 2).max(1)
}

/// The generation hop for windows of `len` frames sharing `overlap` frames (at least 1; an
/// overlap of a whole window or more is treated as `len - 1`).
pub fn generate_hop(len: usize, overlap: usize) -> usize {
    len.saturating_sub(overlap.min(len.saturating_sub(1))).max(1)
}

/// Accumulates windows into one sequence `[n, width]`, cross-fading where a new window overlaps
/// what is already there: over an overlap of `o` frames the new window's weight rises linearly
/// (1/(o+1) .. o/(o+1)), so constant windows give a straight ramp and joins are continuous.
#[derive(Debug, Clone)]
pub struct Stitcher {
    width: usize,
    data: Vec<f32>,
    filled: usize,
}

impl Stitcher {
    /// An empty sequence of `frames` rows of `width` values.
    pub fn new(frames: usize, width: usize) -> Self {
        Self { width, data: vec![0.0; frames * width], filled: 0 }
    }

    /// Frames written so far (a prefix).
    pub fn filled(&self) -> usize {
        self.filled
    }

    /// Row `k` (valid for `k < filled()`).
    pub fn row(&self, k: usize) -> &[f32] {
        &self.data[k * self.width..(k + 1) * self.width]
    }

    /// Adds `window` (`[len, width]`, rows past the end are dropped) starting at frame `start`,
    /// which must not leave a gap after the frames already written.
    pub fn add(&mut self, start: usize, window: &[f32]) -> Result<(), ParamsError> {
        let w = self.width;
        if start > self.filled || window.len() % w != 0 {
            return Err(ParamsError::Window(format!(
                "window at {start} leaves a gap after {} frames or is not whole rows",
                self.filled
            )));
        }
        let n = self.data.len() / w;
        let len = (window.len() / w).min(n.saturating_sub(start));
        let overlap = (self.filled - start).min(len);
        for i in 0..len {
            let k = start + i;
            let src = &window[i * w..(i + 1) * w];
            let dst = &mut self.data[k * w..(k + 1) * w];
            if i < overlap {
                let a = (i + 1) as f32 / (overlap + 1) as f32;
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = (1.0 - a) * *d + a * s;
                }
            } else {
                dst.copy_from_slice(src);
            }
        }
        self.filled = self.filled.max(start + len);
        Ok(())
    }

    /// The rows, `[n, width]`.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_and_generation_hops_cover_every_frame_and_end_on_the_last() {
        assert_eq!(starts(100, 250, train_hop(250)), vec![0]);
        assert_eq!(starts(250, 250, train_hop(250)), vec![0]);
        assert_eq!(starts(400, 250, train_hop(250)), vec![0, 125, 150]);
        assert_eq!(starts(500, 250, train_hop(250)), vec![0, 125, 250]);
        assert_eq!(starts(113, 50, generate_hop(50, 10)), vec![0, 40, 63]);
        assert_eq!(starts(760, 250, generate_hop(250, 50)), vec![0, 200, 400, 510]);
        assert_eq!(generate_hop(10, 10), 1);
        assert_eq!(generate_hop(10, 0), 10);
    }
}
