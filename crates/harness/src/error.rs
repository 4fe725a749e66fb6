//! The harness's one error type: every failure names the dataset, clip, file or option.

use std::path::PathBuf;

/// Errors evaluating or benchmarking.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A setting is out of range or settings do not fit together.
    #[error("{0}")]
    Invalid(String),
    /// A dataset could not be opened or read.
    #[error("{}", dir.display())]
    Data {
        /// Dataset folder (and split, where known).
        dir: PathBuf,
        /// Why.
        source: duologue_data::DataError,
    },
    /// A checkpoint or configuration could not be read or used.
    #[error("{}", path.display())]
    Model {
        /// The file.
        path: PathBuf,
        /// Why.
        source: duologue_model::ModelError,
    },
    /// A metric could not be computed for a clip or method.
    #[error("{what}")]
    Metric {
        /// The clip and method.
        what: String,
        /// Why.
        source: duologue_eval::EvalError,
    },
    /// Sampling a clip failed.
    #[error("{what}")]
    Pipeline {
        /// The clip or case.
        what: String,
        /// Why.
        source: duologue_pipeline::PipelineError,
    },
    /// A file or folder could not be written or read.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A result file could not be written.
    #[error("{}", path.display())]
    Params {
        /// The file.
        path: PathBuf,
        /// Why.
        source: duologue_params::ParamsError,
    },
    /// Speech for the benchmark could not be made.
    #[error("speech for the benchmark")]
    Speech(#[source] duologue_data::DataError),
    /// A benchmark case process failed or reported nonsense.
    #[error("benchmark case: {0}")]
    Case(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, HarnessError>;

/// An I/O error naming `path`.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| HarnessError::Io { path: path.to_path_buf(), source }
}
