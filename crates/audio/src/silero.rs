//! Silero VAD (v5/v6 16 kHz network) in burn, loading the silero-vad package's safetensors
//! layout (`stft_conv`, `conv1..4`, `lstm_cell`, `final_conv`). A real speech model trained on
//! real speech, as an alternative to WebRTC's GMM (paper appendix 3.1 uses WebRTC).
//!
//! Per 512-sample chunk (32 ms) the network sees 576 samples (64 of context from the previous
//! chunk), reflect-pads 64 on the right, takes a 256-point STFT as a fixed conv (hop 128,
//! 4 frames), four conv+ReLU layers (strides 1, 2, 2, 1) down to one 128-vector, one LSTM cell
//! whose state runs across chunks, and ReLU + 1x1 conv + sigmoid to a probability. This is the
//! package's `tinygrad_model.py` and its ONNX graph. The chunk-local part runs batched over
//! many chunks in burn; only the LSTM recurrence (a 512x128 mat-vec per chunk) is a plain loop.
//!
//! The default weights (`weights/silero_vad_16k_v6.safetensors`, MIT) are extracted from the
//! package's ONNX model by `scripts/silero_onnx_to_safetensors.py`, so that they can be checked
//! against onnxruntime; the package's own `silero_vad_16k.safetensors` loads the same way.

use crate::error::{AudioError, Result};
use crate::vad::rate_to_frames;
use crate::weights::{to_vec, Weights};
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::module::conv1d;
use burn::tensor::ops::ConvOptions;
use std::path::Path;

/// Samples per chunk at 16 kHz.
pub const CHUNK: usize = 512;
/// Samples of the previous chunk prepended to each chunk.
pub const CONTEXT: usize = 64;
/// Right reflect padding before the STFT.
const PAD: usize = 64;
/// LSTM width.
const HIDDEN: usize = 128;
/// Chunks per batched front-end call (~33 s): bounds memory for long inputs.
const BLOCK: usize = 1024;

/// The committed default weights.
static DEFAULT_WEIGHTS: &[u8] = include_bytes!("../weights/silero_vad_16k_v6.safetensors");

/// Silero VAD, ready to run.
#[derive(Debug)]
pub struct SileroVad {
    device: Device,
    /// [258, 1, 256]: cos and sin rows of a windowed 256-point DFT.
    stft: Tensor<3>,
    /// (weight [out, in, 3], bias [out], stride) of conv1..4.
    convs: Vec<(Tensor<3>, Tensor<1>, usize)>,
    /// [128, 512]: W_ih transposed, for `x @ w_ih_t`.
    w_ih_t: Tensor<2>,
    /// [1, 512]: b_ih + b_hh.
    bias: Tensor<2>,
    /// [512 * 128] row-major W_hh (gates i, f, g, o like PyTorch).
    w_hh: Vec<f32>,
    /// [128] final 1x1 conv weight.
    out_w: Vec<f32>,
    out_b: f32,
}

/// The recurrent state carried from chunk to chunk.
#[derive(Debug, Clone)]
pub struct SileroState {
    h: Vec<f32>,
    c: Vec<f32>,
    context: Vec<f32>,
}

impl Default for SileroState {
    fn default() -> Self {
        Self { h: vec![0.0; HIDDEN], c: vec![0.0; HIDDEN], context: vec![0.0; CONTEXT] }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl SileroVad {
    /// The committed default weights on burn's CPU backend.
    pub fn embedded() -> Result<Self> {
        let w =
            Weights::from_bytes("silero_vad_16k_v6.safetensors (embedded)".into(), DEFAULT_WEIGHTS.to_vec())?;
        Self::from_weights(&w, &Device::flex())
    }

    /// Loads a safetensors file in the silero-vad package layout.
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        Self::from_weights(&Weights::open(path)?, device)
    }

    /// Builds the network from loaded weights.
    pub fn from_weights(w: &Weights, device: &Device) -> Result<Self> {
        let mut convs = Vec::new();
        for (i, (cin, cout, stride)) in
            [(129, 128, 1), (128, 64, 2), (64, 64, 2), (64, 128, 1)].into_iter().enumerate()
        {
            let n = i + 1;
            convs.push((
                w.tensor(&format!("conv{n}.weight"), [cout, cin, 3], device)?,
                w.tensor(&format!("conv{n}.bias"), [cout], device)?,
                stride,
            ));
        }
        let b_ih = w.get("lstm_cell.bias_ih", &[4 * HIDDEN])?;
        let b_hh = w.get("lstm_cell.bias_hh", &[4 * HIDDEN])?;
        let bias: Vec<f32> = b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect();
        let out_b = w.get("final_conv.bias", &[1])?;
        Ok(Self {
            stft: w.tensor("stft_conv.weight", [2 * 129, 1, 256], device)?,
            convs,
            w_ih_t: w.tensor("lstm_cell.weight_ih", [4 * HIDDEN, HIDDEN], device)?.transpose(),
            bias: Tensor::<2>::from_data(burn::tensor::TensorData::new(bias, [1, 4 * HIDDEN]), device),
            w_hh: w.get("lstm_cell.weight_hh", &[4 * HIDDEN, HIDDEN])?,
            out_w: w.get("final_conv.weight", &[1, HIDDEN, 1])?,
            out_b: out_b[0],
            device: device.clone(),
        })
    }

    /// LSTM input projections of `n` chunks: `[n, 512]` = encoder(x) @ W_ih^T + b.
    /// `x`: `[n * 640]`, each chunk's context + samples + reflect padding.
    fn encode(&self, x: Vec<f32>, n: usize) -> Result<Vec<f32>> {
        let len = CONTEXT + CHUNK + PAD;
        let x = Tensor::<3>::from_data(burn::tensor::TensorData::new(x, [n, 1, len]), &self.device);
        let s = conv1d(x, self.stft.clone(), None, ConvOptions::new([128], [0], [1], 1)); // [n, 258, 4]
        let re = s.clone().narrow(1, 0, 129);
        let im = s.narrow(1, 129, 129);
        let mut y = (re.clone() * re + im.clone() * im).sqrt(); // [n, 129, 4]
        for (w, b, stride) in &self.convs {
            y = relu(conv1d(y, w.clone(), Some(b.clone()), ConvOptions::new([*stride], [1], [1], 1)));
        } // [n, 128, 1]
        let y: Tensor<2> = y.reshape([n, HIDDEN]);
        let gates = y.matmul(self.w_ih_t.clone()) + self.bias.clone(); // [n, 512]
        to_vec(gates).map_err(|e| AudioError::Weights { path: "silero".into(), msg: e.to_string() })
    }

    /// Probabilities of consecutive whole chunks (`audio.len()` a multiple of [`CHUNK`]),
    /// continuing from `state`.
    pub fn run(&self, audio: &[f32], state: &mut SileroState) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(audio.len() / CHUNK);
        for block in audio.chunks(BLOCK * CHUNK) {
            let n = block.len() / CHUNK;
            let len = CONTEXT + CHUNK + PAD;
            let mut x = Vec::with_capacity(n * len);
            for chunk in block.chunks_exact(CHUNK) {
                let start = x.len();
                x.extend_from_slice(&state.context);
                x.extend_from_slice(chunk);
                // Reflect padding without the edge sample: ..., a, b, c | b, a, ...
                let last = start + CONTEXT + CHUNK - 1;
                for i in 0..PAD {
                    x.push(x[last - 1 - i]);
                }
                state.context.copy_from_slice(&chunk[CHUNK - CONTEXT..]);
            }
            let gates_x = self.encode(x, n)?;
            for g in gates_x.chunks_exact(4 * HIDDEN) {
                out.push(self.step(g, state));
            }
        }
        Ok(out)
    }

    /// One LSTM step from the input gates `gx` ([512]); returns the chunk's probability.
    fn step(&self, gx: &[f32], st: &mut SileroState) -> f32 {
        let mut g = gx.to_vec();
        for (gi, row) in g.iter_mut().zip(self.w_hh.chunks_exact(HIDDEN)) {
            *gi += row.iter().zip(&st.h).map(|(w, h)| w * h).sum::<f32>();
        }
        for j in 0..HIDDEN {
            let (i, f, c, o) =
                (sigmoid(g[j]), sigmoid(g[HIDDEN + j]), g[2 * HIDDEN + j].tanh(), sigmoid(g[3 * HIDDEN + j]));
            st.c[j] = f * st.c[j] + i * c;
            st.h[j] = o * st.c[j].tanh();
        }
        sigmoid(self.out_w.iter().zip(&st.h).map(|(w, h)| w * h.max(0.0)).sum::<f32>() + self.out_b)
    }

    /// Probabilities of a whole signal, one per 32 ms chunk (the last zero-padded).
    pub fn probs(&self, audio: &[f32]) -> Result<Vec<f32>> {
        let n = audio.len().div_ceil(CHUNK);
        let mut padded = audio.to_vec();
        padded.resize(n * CHUNK, 0.0);
        self.run(&padded, &mut SileroState::default())
    }

    /// Probabilities on the 25 fps grid (`ceil(len / 640)` values, overlap-weighted).
    pub fn frame_probs(&self, audio: &[f32]) -> Result<Vec<f32>> {
        let p = self.probs(audio)?;
        Ok(rate_to_frames(&p, CHUNK, crate::mel::frames_for(audio.len())))
    }

    /// Speech activity ([`speech_activity`]) on the 25 fps grid, moved [`LAG_CHUNKS`] earlier.
    pub fn frame_activity(&self, audio: &[f32]) -> Result<Vec<f32>> {
        let p = self.probs(audio)?;
        Ok(chunk_activity_to_frames(&p, audio.len()))
    }
}

/// Chunks by which the network's probability trails the speech it hears: its LSTM needs about
/// one chunk to rise after an onset and to fall after an offset. Measured on benches/masks.rs
/// (30 mixes, seed 18, each person's own track against its energy reference): uncorrected,
/// onsets land a frame late in 208 of 383 turns and 91 exactly; read one chunk earlier, 240 exactly,
/// frame accuracy 0.951 -> 0.969 and turns within 100 ms 73 -> 85 %; two chunks early overshoot
/// (onsets a frame early in 253).
pub const LAG_CHUNKS: usize = 1;

/// Chunk probabilities -> 25 fps speech activity, each chunk's value moved [`LAG_CHUNKS`]
/// earlier (the last value held at the end).
fn chunk_activity_to_frames(probs: &[f32], samples: usize) -> Vec<f32> {
    let mut p = speech_activity(probs);
    if let Some(&last) = p.last() {
        let lag = LAG_CHUNKS.min(p.len());
        p.drain(..lag);
        p.extend(std::iter::repeat_n(last, lag));
    }
    rate_to_frames(&p, CHUNK, crate::mel::frames_for(samples))
}

/// Chunk probabilities below this read as no speech.
pub const FLOOR: f32 = 0.2;

/// Chunk probabilities as speech activity: the probability itself, 0 below [`FLOOR`], so that
/// silence reads exactly 0 (the network gives digital silence small but non-zero values).
/// Soft values are kept above it: silero-vad's own 0.5/0.35 hysteresis, tried instead, lost
/// 0.013 of frames right on benches/masks.rs (30 mixes, seed 18) and 0.018 on the real
/// conversation.
pub fn speech_activity(probs: &[f32]) -> Vec<f32> {
    probs.iter().map(|&p| if p >= FLOOR { p } else { 0.0 }).collect()
}

/// Streaming wrapper: push audio in any pieces, get chunk probabilities as chunks complete.
#[derive(Debug)]
pub struct SileroStream<'a> {
    vad: &'a SileroVad,
    state: SileroState,
    rest: Vec<f32>,
    probs: Vec<f32>,
    samples: usize,
}

impl<'a> SileroStream<'a> {
    /// Starts a stream.
    pub fn new(vad: &'a SileroVad) -> Self {
        Self { vad, state: SileroState::default(), rest: Vec::new(), probs: Vec::new(), samples: 0 }
    }

    /// Feeds audio (runs the network once enough whole chunks are buffered).
    pub fn push(&mut self, audio: &[f32]) -> Result<()> {
        self.samples += audio.len();
        self.rest.extend_from_slice(audio);
        if self.rest.len() >= 64 * CHUNK {
            let whole = self.rest.len() / CHUNK * CHUNK;
            let p = self.vad.run(&self.rest[..whole], &mut self.state)?;
            self.probs.extend(p);
            self.rest.drain(..whole);
        }
        Ok(())
    }

    /// Ends the stream; returns 25 fps probabilities for everything pushed.
    pub fn finish(mut self) -> Result<Vec<f32>> {
        self.run_rest()?;
        Ok(rate_to_frames(&self.probs, CHUNK, crate::mel::frames_for(self.samples)))
    }

    /// Ends the stream; returns 25 fps speech activity ([`SileroVad::frame_activity`]).
    pub fn finish_activity(mut self) -> Result<Vec<f32>> {
        self.run_rest()?;
        Ok(chunk_activity_to_frames(&self.probs, self.samples))
    }

    fn run_rest(&mut self) -> Result<()> {
        if !self.rest.is_empty() {
            let n = self.rest.len().div_ceil(CHUNK);
            self.rest.resize(n * CHUNK, 0.0);
            let p = self.vad.run(&self.rest, &mut self.state)?;
            self.probs.extend(p);
            self.rest.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_is_zero_below_the_floor_and_the_probability_above() {
        let p = [0.0, 0.05, 0.19, 0.2, 0.5, 0.97];
        assert_eq!(speech_activity(&p), vec![0.0, 0.0, 0.0, 0.2, 0.5, 0.97]);
    }
}
