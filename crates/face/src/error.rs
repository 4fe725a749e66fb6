//! The face crate's one error type (only file output can fail; generation cannot).

use std::path::PathBuf;

/// Errors of the face crate (only file output can fail; generation cannot).
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// Writing a mesh file failed.
    #[error("writing {path}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
}
