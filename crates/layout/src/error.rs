//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong turning text into a layout.
#[derive(Debug, Error)]
pub enum LayoutError {
    /// The layout library (JSON) could not be read or parsed.
    #[error("layout library {path}: {msg}")]
    Library {
        /// File name, or `builtin`.
        path: String,
        /// What was wrong.
        msg: String,
    },
    /// A coordinate is NaN or infinite.
    #[error("{who} coordinate {axis} is not a finite number ({value})")]
    NotFinite {
        /// `A` or `B`.
        who: char,
        /// `x`, `y` or `z`.
        axis: char,
        /// The value.
        value: f32,
    },
    /// A layout was rejected by validation (the message says which check failed).
    #[error("layout rejected: {0}")]
    Rejected(String),
    /// `--positions` or a preset name could not be understood.
    #[error("cannot parse positions {input:?}: {msg}")]
    Positions {
        /// The text given.
        input: String,
        /// What was wrong.
        msg: String,
    },
    /// No preset with this name.
    #[error("unknown preset {name:?}; known presets: {known}")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// Comma-separated list of the known names.
        known: String,
    },
    /// A text embedder failed.
    #[error("text embedder {name}: {msg}")]
    Embedder {
        /// The embedder's name.
        name: String,
        /// What went wrong.
        msg: String,
    },
    /// The LLM endpoint is misconfigured (missing model, bad URL).
    #[error("LLM configuration: {0}")]
    LlmConfig(String),
    /// The HTTP request to the LLM failed (connection, timeout, status).
    #[error("LLM request to {url} failed: {msg}")]
    LlmHttp {
        /// The endpoint.
        url: String,
        /// Transport error or HTTP status with the body's start.
        msg: String,
    },
    /// The LLM answered, but not with a usable `{"A":[x,y,z],"B":[x,y,z]}`.
    #[error("LLM reply not usable: {msg} (reply: {reply:?})")]
    LlmReply {
        /// What was wrong.
        msg: String,
        /// The start of the reply text.
        reply: String,
    },
    /// Writing a picture failed.
    #[error("drawing {path}: {msg}")]
    Draw {
        /// Output file.
        path: String,
        /// What went wrong.
        msg: String,
    },
}

/// Shorthand for this crate's results.
pub type Result<T> = std::result::Result<T, LayoutError>;
