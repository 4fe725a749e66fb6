//! The data crate's one error type: simulation, dubbing, shards and their files (DESIGN.md §6).

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
    /// Audio processing (resampling the synthesizer's speech) failed.
    #[error(transparent)]
    Audio(#[from] duologue_audio::AudioError),
    /// A result file (.npz) could not be written or read.
    #[error(transparent)]
    Params(#[from] duologue_params::ParamsError),
}
