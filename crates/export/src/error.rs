//! The export crate's one error type: every failure names the file it concerns.

use std::path::PathBuf;

/// Errors exporting a result.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file could not be written or read.
    // Not named `source`: the message already carries it, and anyhow's `{:#}` would print it twice.
    #[error("{path}: {err}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        err: std::io::Error,
    },
    /// The people given cannot be exported (no people, frame counts differ, bad values).
    #[error("{0}")]
    Input(String),
    /// A file read back is malformed.
    #[error("{path}:{line}: {reason}")]
    Parse {
        /// File concerned.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Rendering the preview failed.
    #[error(transparent)]
    Render(#[from] duologue_render::RenderError),
}
