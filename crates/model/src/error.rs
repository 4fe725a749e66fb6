//! The model crate's one error type.

use std::path::PathBuf;

/// Errors of the model crate.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A configuration is malformed or inconsistent.
    #[error("config: {0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// An input has the wrong shape or holds non-finite values.
    #[error("input: {0}")]
    Input(String),
    /// A checkpoint is malformed or does not match the model.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// File concerned.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A data source failed to deliver a clip.
    #[error("data: {0}")]
    Data(String),
    /// Training diverged (non-finite loss).
    #[error("training diverged at step {step}: loss {loss}")]
    Diverged {
        /// Step at which the loss became non-finite.
        step: usize,
        /// The loss value.
        loss: f32,
    },
    /// A device name that is malformed or not compiled into this build.
    #[error("{0}")]
    Device(String),
}
