//! Helpers shared by this crate's test files: the flex-RNG lock, the tiny configuration, clips
//! and tensor comparisons.
#![allow(dead_code)]

use std::path::PathBuf;

use duologue_model::burn::prelude::*;
use duologue_model::diffusion::Rng;
use duologue_model::{Clip, Config};
use duologue_params::N_ID;

/// burn's flex device has one random generator per process: `train` seeds it and every
/// initialiser draws from it, so tests running in parallel threads would change each other's
/// initial weights. Every test that seeds it or builds networks holds this lock, keeping the
/// seeded-reproducibility checks (resume, checkpoints, data parallel) exact.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The repository's configs folder.
pub fn configs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs")
}

/// configs/tiny.toml.
pub fn tiny() -> Config {
    Config::load(&configs_dir().join("tiny.toml")).expect("configs/tiny.toml")
}

/// The tiny config with `frames` frames and 8-dim audio (tests keep L small).
pub fn tiny_with(frames: usize) -> Config {
    let mut c = tiny();
    c.model.frames = frames;
    c.model.audio_dim = 8;
    c
}

/// A clip with the given motion whose masks alternate between the two people every 4 frames,
/// random identities and audio.
pub fn alternating_clip(rng: &mut Rng, c: &Config, x_a: Vec<f32>, x_b: Vec<f32>) -> Clip {
    let l = c.model.frames;
    Clip {
        x_a,
        x_b,
        beta_a: rng.normals(N_ID),
        beta_b: rng.normals(N_ID),
        t0_a: [-0.3, 0.0, 0.1],
        t0_b: [0.3, 0.0, -0.1],
        m_a: (0..l).map(|k| if (k / 4) % 2 == 0 { 0.9 } else { 0.1 }).collect(),
        m_b: (0..l).map(|k| if (k / 4) % 2 == 0 { 0.1 } else { 0.9 }).collect(),
        audio: rng.normals(l * c.model.audio_dim),
        lip_reliable: false,
        gaze_reliable: true,
    }
}

/// A clip of random motion (0.3 x normal) with [`alternating_clip`]'s masks.
pub fn random_clip(rng: &mut Rng, c: &Config) -> Clip {
    let l = c.model.frames;
    let mut x = || rng.normals(l * duologue_params::X_DIM).into_iter().map(|v| 0.3 * v).collect::<Vec<f32>>();
    let (x_a, x_b) = (x(), x());
    alternating_clip(rng, c, x_a, x_b)
}

/// One stream's noisy input `[1, frames, 78]` of unit normals.
pub fn noise(rng: &mut Rng, frames: usize, dev: &Device) -> Tensor<3> {
    let d = duologue_params::X_DIM;
    Tensor::<3>::from_data(TensorData::new(rng.normals(frames * d), [1, frames, d]), dev)
}

/// A tensor's values.
pub fn values(t: Tensor<3>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 data")
}

/// Largest absolute difference of two equally long slices.
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}
