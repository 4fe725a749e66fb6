//! duologue-model: the paper's dual-stream diffusion model (paper §3.1–3.5, appendix §2.1;
//! DESIGN.md §7).
//!
//! Modules: [`config`] (TOML configs, `configs/*.toml`), [`network`] (the U-Net G),
//! [`diffusion`] (schedule, DDIM, guidance, seeded RNG), [`losses`] (training losses, face
//! geometry), [`data`] (clips, the [`BatchSource`] trait, batching), [`mod@train`] (the training
//! loop), [`checkpoint`] (safetensors checkpoints), [`sample`] (generation of one window),
//! [`device`] (device names such as `cuda:1`), [`profile`] (timing of the parts, for the bench).
//!
//! Backends: the code is backend-agnostic (burn 0.22 tensors carry no backend type; the
//! [`burn::prelude::Device`] passed in decides). CI and the default build use the `flex` CPU
//! backend (`Device::flex()`); this crate's `wgpu` / `cuda` features add `Device::wgpu(..)` /
//! `Device::cuda(i)` (opt-in; `cuda` needs the LLVM shim in shared/gpu/README.md to build
//! offline).
#![deny(missing_docs)]

pub mod checkpoint;
pub mod config;
pub mod data;
pub mod device;
pub mod diffusion;
mod error;
pub mod kernels;
pub mod losses;
pub mod network;
pub mod profile;
pub mod sample;
pub mod train;

pub use burn;
pub use checkpoint::{Checkpoint, CheckpointMeta, Weights};
pub use config::{Config, LossWeights, ModelConfig, SampleConfig, TrainConfig, XScale};
pub use data::{make_batch, Batch, BatchSource, Clip, VecSource};
pub use device::devices;
pub use diffusion::{ddim_sample, Denoiser, Guided, Rng, Unconditional};
pub use error::ModelError;
pub use losses::{FaceGeometry, LossTerms, Stage};
pub use network::{split_x, Cond, DuoNet};
pub use sample::{DuoDenoiser, Generator, SampleInput};
pub use train::{train, Progress, TrainOptions, TrainSummary};
