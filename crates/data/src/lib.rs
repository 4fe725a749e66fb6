//! Training data for duologue, made here and honestly labelled (paper §3.6, DESIGN §6).
//!
//! The paper learns from 50,000+ hours of curated video (§3.6.1) and a synthetic dubbing set
//! (§3.6.2). Neither can be downloaded, so this crate makes ground truth whose audio, speaker
//! activity and 3D motion agree frame by frame:
//! - [`simulate`]: two-person conversations spoken by espeak-ng ([`espeak`], with the
//!   synthesizer's own phoneme timings), turn-taking ([`conversation`]), mixing ([`mix`]) and
//!   motion ([`viseme`] for lips and jaw, [`behavior`] for blinks, nods, gaze, [`motion`]);
//! - [`dub`]: the paper's synthetic dubbing from single-speaker clips;
//! - [`shard`]: WebDataset-style tar shards, a JSON-lines manifest with sha256 checksums and
//!   splits by voice and identity, and a streaming reader with a seeded shuffle buffer that
//!   splits across data-parallel ranks; [`stats`] summarises a dataset.
#![deny(missing_docs)]

pub mod behavior;
pub mod channel;
pub mod clip;
pub mod conversation;
pub mod dub;
mod error;
pub mod espeak;
pub mod make;
pub mod mix;
pub mod motion;
pub mod piper;
pub mod rng;
pub mod shard;
pub mod simulate;
pub mod stats;
pub mod talk;
pub mod text;
pub mod viseme;
pub mod wav;

pub use clip::{Clip, ClipMeta};
pub use error::DataError;
pub use shard::{ClipStream, Dataset, Manifest, OnError, ShardWriter, StreamConfig};
pub use simulate::{SimConfig, Simulator, SplitPlan};
pub use stats::Stats;
