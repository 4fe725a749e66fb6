//! Training data for duologue, made here and honestly labelled (issue 5; paper §3.6, DESIGN §6).
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
pub mod clip;
pub mod conversation;
pub mod dub;
pub mod espeak;
pub mod make;
pub mod mix;
pub mod motion;
pub mod resample;
pub mod rng;
pub mod shard;
pub mod simulate;
pub mod stats;
pub mod talk;
pub mod text;
pub mod viseme;
pub mod wav;

pub use clip::{Clip, ClipMeta};
pub use shard::{ClipStream, Dataset, Manifest, OnError, ShardWriter, StreamConfig};
pub use simulate::{SimConfig, Simulator, SplitPlan};
pub use stats::Stats;

/// Errors of the data crate.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The speech synthesizer failed or is missing.
    #[error("espeak-ng: {reason}")]
    Espeak {
        /// What went wrong.
        reason: String,
    },
    /// A face-model expression name the simulator drives does not exist in duologue-face.
    #[error("duologue-face has no expression component named '{name}' (EXPRESSION_NAMES changed?)")]
    FaceName {
        /// The missing name.
        name: String,
    },
    /// Invalid settings.
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A clip inside a shard is malformed (missing member, wrong shape, bad values).
    #[error("shard {shard}, clip {key}: {reason}")]
    BadClip {
        /// Shard file.
        shard: String,
        /// Clip key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A shard is unreadable, truncated or fails its checksum.
    #[error("shard {shard}: {reason}")]
    BadShard {
        /// Shard file.
        shard: String,
        /// What is wrong.
        reason: String,
    },
    /// JSON could not be written or parsed.
    #[error("{what}: invalid JSON: {reason}")]
    Json {
        /// File or record concerned.
        what: String,
        /// Parser message.
        reason: String,
    },
    /// File-system error.
    #[error("{}", path.display())]
    Io {
        /// Path concerned.
        path: std::path::PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A result file (.npz) could not be written or read.
    #[error(transparent)]
    Params(#[from] duologue_params::ParamsError),
}
