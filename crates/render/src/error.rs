//! The render crate's one error type: drawing previews and writing their files (DESIGN.md §6).

use std::path::PathBuf;

/// Errors rendering or writing previews.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file or folder could not be read or written.
    // Not named `source`: the message already carries it, and anyhow's `{:#}` would print it twice.
    #[error("{path}: {err}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        err: std::io::Error,
    },
    /// PNG encoding or decoding failed.
    #[error("{path}: PNG error: {reason}")]
    Png {
        /// File concerned.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An image size is unusable.
    #[error("image size {width}x{height}: {reason}")]
    Size {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
        /// Why it is refused.
        reason: &'static str,
    },
    /// ffmpeg ran but failed; `log` is the end of what it printed.
    #[error("{path}: ffmpeg failed: {log}")]
    Ffmpeg {
        /// Output being written.
        path: PathBuf,
        /// Last lines of ffmpeg's error output.
        log: String,
    },
    /// The people or options given cannot be drawn.
    #[error("{0}")]
    Input(String),
}
