//! Fixed-size training batches from a clip stream (what the training loop consumes).
//!
//! Every clip is cut to a window of `frames` frames (random start when longer, seeded) or padded
//! (last frame repeated, `valid` = 0 on padding). Cropping keeps DESIGN §3's convention that
//! `dt` is relative to the window's first frame: the crop's first translation moves into `t0`.
//! Arrays are flat, C order, shapes in the comments; no tensor type is involved.

use crate::clip::Clip;
use crate::rng::Rng;
use crate::DataError;
use duologue_params::{HOP, N_ID, X_DIM};

/// A batch of `size` windows of `frames` frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Batch size B.
    pub size: usize,
    /// Window length L (frames).
    pub frames: usize,
    /// Audio, `[B, L * 640]`, 16 kHz mono.
    pub audio: Vec<f32>,
    /// Person A's parameters, `[B, L, 78]`.
    pub x_a: Vec<f32>,
    /// Person B's parameters, `[B, L, 78]`.
    pub x_b: Vec<f32>,
    /// Identities, `[B, 50]`.
    pub beta_a: Vec<f32>,
    /// Identities, `[B, 50]`.
    pub beta_b: Vec<f32>,
    /// First-frame translations (the layout), `[B, 3]`.
    pub t0_a: Vec<f32>,
    /// First-frame translations, `[B, 3]`.
    pub t0_b: Vec<f32>,
    /// Speaker masks, `[B, L]`.
    pub m_a: Vec<f32>,
    /// Speaker masks, `[B, L]`.
    pub m_b: Vec<f32>,
    /// 1 for real frames, 0 for padding, `[B, L]`.
    pub valid: Vec<f32>,
    /// Per clip: lip loss applies.
    pub lip_reliable: Vec<bool>,
    /// Per clip: gaze loss applies.
    pub gaze_reliable: Vec<bool>,
    /// Clip keys, for logging.
    pub keys: Vec<String>,
}

impl Batch {
    /// Assemble clips into one batch of windows `frames` long; `rng` picks crop starts.
    pub fn from_clips(clips: &[Clip], frames: usize, rng: &mut Rng) -> Batch {
        let b = clips.len();
        let l = frames;
        let mut out = Batch {
            size: b,
            frames: l,
            audio: Vec::with_capacity(b * l * HOP),
            x_a: Vec::with_capacity(b * l * X_DIM),
            x_b: Vec::with_capacity(b * l * X_DIM),
            beta_a: Vec::with_capacity(b * N_ID),
            beta_b: Vec::with_capacity(b * N_ID),
            t0_a: Vec::with_capacity(b * 3),
            t0_b: Vec::with_capacity(b * 3),
            m_a: Vec::with_capacity(b * l),
            m_b: Vec::with_capacity(b * l),
            valid: Vec::with_capacity(b * l),
            lip_reliable: Vec::with_capacity(b),
            gaze_reliable: Vec::with_capacity(b),
            keys: Vec::with_capacity(b),
        };
        for c in clips {
            let n = c.frames();
            let start = if n > l { rng.below(n - l + 1) } else { 0 };
            let real = (n - start).min(l);
            for (p, x, beta, t0, m) in [
                (&c.duo.a, &mut out.x_a, &mut out.beta_a, &mut out.t0_a, &mut out.m_a),
                (&c.duo.b, &mut out.x_b, &mut out.beta_b, &mut out.t0_b, &mut out.m_b),
            ] {
                let d0 = p.x.dt(start);
                for k in 0..l {
                    let src = start + k.min(real - 1);
                    let f = p.x.frame(src);
                    x.extend_from_slice(&f[..75]);
                    x.extend((0..3).map(|a| f[75 + a] - d0[a]));
                    m.push(if k < real { p.mask[src] } else { 0.0 });
                }
                beta.extend_from_slice(&p.beta);
                t0.extend((0..3).map(|a| p.t0[a] + d0[a]));
            }
            let a0 = start * HOP;
            for i in 0..l * HOP {
                out.audio.push(if i < real * HOP {
                    c.audio.get(a0 + i).copied().unwrap_or(0.0)
                } else {
                    0.0
                });
            }
            out.valid.extend((0..l).map(|k| if k < real { 1.0 } else { 0.0 }));
            out.lip_reliable.push(c.meta.lip_reliable);
            out.gaze_reliable.push(c.meta.gaze_reliable);
            out.keys.push(c.key.clone());
        }
        out
    }
}

/// Groups a clip iterator into batches of `size` (the last, partial batch is kept).
pub struct Batches<I> {
    inner: I,
    size: usize,
    frames: usize,
    rng: Rng,
}

impl<I: Iterator<Item = Result<Clip, DataError>>> Batches<I> {
    /// Batches of `size` windows of `frames` frames; `seed` drives crop positions.
    pub fn new(inner: I, size: usize, frames: usize, seed: u64) -> Self {
        Self { inner, size: size.max(1), frames: frames.max(1), rng: Rng::new(seed) }
    }
}

impl<I: Iterator<Item = Result<Clip, DataError>>> Iterator for Batches<I> {
    type Item = Result<Batch, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut clips = Vec::with_capacity(self.size);
        while clips.len() < self.size {
            match self.inner.next() {
                Some(Ok(c)) => clips.push(c),
                Some(Err(e)) => return Some(Err(e)),
                None => break,
            }
        }
        (!clips.is_empty()).then(|| Ok(Batch::from_clips(&clips, self.frames, &mut self.rng)))
    }
}
