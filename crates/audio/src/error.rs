//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong between an audio file on disk and per-frame features or masks.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes are not a supported audio format, or the stream is corrupt.
    #[error("{path}: cannot decode audio ({msg})")]
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        msg: String,
    },
    /// The file decodes but holds no audio samples at all.
    #[error("{path}: no audio samples")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Stereo channels were requested from a file that has fewer than two.
    #[error("{path}: --stereo needs two channels, the file has {channels}")]
    NotStereo {
        /// The file.
        path: PathBuf,
        /// Channels found.
        channels: usize,
    },
    /// The resampler refused the rates or the buffers.
    #[error("resampling {from} Hz -> 16000 Hz: {msg}")]
    Resample {
        /// Source sample rate.
        from: u32,
        /// What rubato said.
        msg: String,
    },
    /// A weights file is missing a tensor, has the wrong shape, or is not safetensors.
    #[error("weights {path}: {msg}")]
    Weights {
        /// The weights file (or the tensor's name when loaded from memory).
        path: String,
        /// What is wrong.
        msg: String,
    },
    /// A model config (JSON) is malformed or describes an unsupported architecture.
    #[error("config: {0}")]
    Config(String),
}

/// Shorthand for this crate's results.
pub type Result<T, E = AudioError> = std::result::Result<T, E>;
