//! The params crate's one error type: reading, writing and validating parameter files
//! (DESIGN.md §3, §6).

use std::path::PathBuf;

/// Errors reading, writing or validating parameter files.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// The file could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A `.npy` member is malformed.
    #[error("{what}: {reason}")]
    Npy {
        /// File or member name.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// The `.npz` container is malformed (not a zip, truncated, empty).
    #[error("{path}: {reason}")]
    Npz {
        /// File concerned.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A required array is absent.
    #[error("{path}: missing array '{array}' (expected shape {expected})")]
    Missing {
        /// File concerned.
        path: PathBuf,
        /// Array name.
        array: String,
        /// Expected shape, for the message.
        expected: String,
    },
    /// An array has the wrong shape.
    #[error("{path}: array '{array}' has shape {got:?}, expected {expected}")]
    Shape {
        /// File concerned.
        path: PathBuf,
        /// Array name.
        array: String,
        /// Expected shape, for the message.
        expected: String,
        /// Shape found.
        got: Vec<usize>,
    },
    /// An array holds NaN, infinity or an out-of-range value.
    #[error("{path}: array '{array}' {reason} at flat index {index}")]
    Value {
        /// File concerned.
        path: PathBuf,
        /// Array name.
        array: String,
        /// What is wrong with the value.
        reason: String,
        /// Flat (C-order) index of the first bad value.
        index: usize,
    },
    /// Windows that do not join up (a gap, or not whole rows): a caller's bug, reported.
    #[error("windows: {0}")]
    Window(String),
}
