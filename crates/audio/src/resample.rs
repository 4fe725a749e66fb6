//! Band-limited conversion to the pipeline's 16 kHz (DESIGN.md §1): rubato's synchronous FFT
//! resampler, whose anti-aliasing filter keeps energy above 8 kHz out of the speech band, run in
//! fixed input chunks so memory stays flat. The project's one resampler: the decoder
//! ([`crate::AudioStream`]) streams through [`ChunkResampler`], and whole buffers (the
//! simulator's 22,050 Hz speech in duologue-data) go through [`resample_to_16k`].

use crate::error::{AudioError, Result};
use audioadapter_buffers::direct::InterleavedSlice;
use duologue_params::SAMPLE_RATE;
use rubato::{Fft, FixedSync, Indexing, Resampler};
use std::fmt;

/// Input frames per resampler call: ~0.1 s at 44.1 kHz, small enough to keep memory flat.
const CHUNK: usize = 4096;

/// Interleaved audio of `tracks` channels at a source rate in, 16 kHz out, one chunk at a time.
/// The resampler's start-up delay is removed, so output sample 0 lines up with input sample 0,
/// and output is limited to [-1, 1].
pub struct ChunkResampler {
    from: u32,
    tracks: usize,
    rs: Fft<f32>,
    /// Output frames of start-up delay still to drop.
    to_trim: usize,
    /// Output frames handed out so far.
    frames_out: u64,
}

impl fmt::Debug for ChunkResampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkResampler").field("from", &self.from).field("tracks", &self.tracks).finish()
    }
}

impl ChunkResampler {
    /// A resampler from `from` Hz (not 0) for `tracks` interleaved channels.
    pub fn new(from: u32, tracks: usize) -> Result<Self> {
        let rs = Fft::<f32>::new(from as usize, SAMPLE_RATE as usize, CHUNK, tracks, FixedSync::Input)
            .map_err(|e| AudioError::Resample { from, msg: e.to_string() })?;
        Ok(Self { from, tracks, to_trim: rs.output_delay(), rs, frames_out: 0 })
    }

    /// Input frames the next full chunk takes.
    pub fn chunk_frames(&self) -> usize {
        self.rs.input_frames_next()
    }

    /// Runs the resampler once on the head of `pending` (interleaved) and removes what it used:
    /// a full chunk, or with `partial` that many frames (fewer than a chunk, zero-padded).
    /// Returns interleaved 16 kHz output, possibly empty while the start-up delay is dropped.
    pub fn process(&mut self, pending: &mut Vec<f32>, partial: Option<usize>) -> Result<Vec<f32>> {
        let (from, tracks) = (self.from, self.tracks);
        let need = self.rs.input_frames_next();
        let avail = partial.unwrap_or(need);
        // rubato reads `need` frames from the adapter even for a partial chunk.
        let mut input = vec![0.0f32; need * tracks];
        input[..avail * tracks].copy_from_slice(&pending[..avail * tracks]);
        let mut output = vec![0.0f32; self.rs.output_frames_max() * tracks];
        let map = |e: &dyn fmt::Display| AudioError::Resample { from, msg: e.to_string() };
        let inp = InterleavedSlice::new(&input, tracks, need).map_err(|e| map(&e))?;
        let out_frames = output.len() / tracks;
        let mut outp = InterleavedSlice::new_mut(&mut output, tracks, out_frames).map_err(|e| map(&e))?;
        let indexing = partial.map(|n| Indexing::new().partial_len(n));
        let (_, produced) =
            self.rs.process_into_buffer(&inp, &mut outp, indexing.as_ref()).map_err(|e| map(&e))?;
        pending.drain(..avail * tracks);
        output.truncate(produced * tracks);
        let trim = self.to_trim.min(produced);
        self.to_trim -= trim;
        output.drain(..trim * tracks);
        for v in &mut output {
            *v = v.clamp(-1.0, 1.0);
        }
        self.frames_out += (output.len() / tracks) as u64;
        Ok(output)
    }

    /// End of input (`frames_in` source frames in all): resamples what is left in `pending` and
    /// pumps zeros until the output has the length the input implies,
    /// `ceil(frames_in * 16000 / from)`, then cuts it there.
    pub fn finish(&mut self, pending: &mut Vec<f32>, frames_in: u64) -> Result<Vec<f32>> {
        let expected = (frames_in as u128 * SAMPLE_RATE as u128).div_ceil(self.from as u128) as u64;
        let mut out = Vec::new();
        let mut guard = 0;
        while self.frames_out < expected && guard < 64 {
            let left = pending.len() / self.tracks;
            out.extend(self.process(pending, Some(left))?);
            guard += 1;
        }
        let excess = self.frames_out.saturating_sub(expected) as usize;
        let keep = (out.len() / self.tracks).saturating_sub(excess);
        out.truncate(keep * self.tracks);
        self.frames_out = expected;
        Ok(out)
    }
}

/// A whole mono buffer at `from` Hz -> 16 kHz, `ceil(len * 16000 / from)` samples (a copy when
/// `from` is already 16 kHz).
pub fn resample_to_16k(input: &[f32], from: u32) -> Result<Vec<f32>> {
    if from == SAMPLE_RATE {
        return Ok(input.to_vec());
    }
    let mut rs = ChunkResampler::new(from, 1)?;
    let mut pending = input.to_vec();
    let mut out =
        Vec::with_capacity((input.len() as u64 * SAMPLE_RATE as u64 / from.max(1) as u64) as usize + 1);
    while pending.len() >= rs.chunk_frames() {
        out.extend(rs.process(&mut pending, None)?);
    }
    out.extend(rs.finish(&mut pending, input.len() as u64)?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f32, rate: f32, n: usize) -> Vec<f32> {
        (0..n).map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate).sin()).collect()
    }

    #[test]
    fn passband_tone_keeps_amplitude_frequency_and_timing() {
        let out = resample_to_16k(&tone(1000.0, 22050.0, 22050), 22050).unwrap();
        assert_eq!(out.len(), 16000);
        // Fit a sin + b cos at 1 kHz over the middle: amplitude ~1, and the phase says how far
        // the output lags the input (rubato's start-up delay is trimmed in whole samples).
        let w = 2.0 * std::f64::consts::PI * 1000.0 / 16000.0;
        let mid = 1000..15000;
        let (mut a, mut b) = (0.0f64, 0.0f64);
        for i in mid.clone() {
            a += out[i] as f64 * (w * i as f64).sin();
            b += out[i] as f64 * (w * i as f64).cos();
        }
        let n = mid.len() as f64;
        let (a, b) = (2.0 * a / n, 2.0 * b / n);
        let amp = a.hypot(b);
        let lag = -b.atan2(a) / w;
        assert!((amp - 1.0).abs() < 0.01, "amplitude {amp}");
        assert!(lag.abs() < 0.5, "output lags by {lag} samples");
        let err = mid.map(|i| (out[i] as f64 - (a * (w * i as f64).sin() + b * (w * i as f64).cos())).abs());
        let err = err.fold(0.0, f64::max);
        assert!(err < 0.01, "max deviation from a pure 1 kHz tone: {err} (lag {lag})");
    }

    #[test]
    fn tone_above_the_new_nyquist_is_removed() {
        let out = resample_to_16k(&tone(10_000.0, 22050.0, 22050), 22050).unwrap();
        let mid = &out[1000..15000];
        let rms = (mid.iter().map(|v| v * v).sum::<f32>() / mid.len() as f32).sqrt();
        assert!(rms < 1e-3, "10 kHz should be filtered out, rms {rms}");
    }

    #[test]
    fn lengths_follow_the_rate_ratio() {
        for n in [0, 1, 441, 5000, 22051] {
            let out = resample_to_16k(&vec![0.1; n], 22050).unwrap();
            assert_eq!(out.len(), (n * 320).div_ceil(441), "{n} input samples");
        }
        assert_eq!(resample_to_16k(&[0.5; 7], 16_000).unwrap(), vec![0.5; 7]);
    }
}
