//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong loading or running the sentence encoder.
#[derive(Debug, Error)]
pub enum TextError {
    /// The model files are not where duologue looks for them.
    #[error(
        "all-MiniLM-L6-v2 not found (looked in: {looked}); run crates/text/scripts/fetch_minilm.sh \
         (scripts/setup.sh does) or set DUOLOGUE_MODELS"
    )]
    NotFound {
        /// The directories searched, in order.
        looked: String,
    },
    /// A weight file is missing a tensor, has a wrong shape or cannot be read.
    #[error("weights {path}: {msg}")]
    Weights {
        /// The file.
        path: String,
        /// What was wrong.
        msg: String,
    },
    /// The tokenizer file could not be loaded or failed on a text.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// `config.json` is missing or does not describe the expected BERT.
    #[error("model config {path}: {msg}")]
    Config {
        /// The file.
        path: String,
        /// What was wrong.
        msg: String,
    },
    /// Reading a tensor back from the backend failed.
    #[error("backend: {0}")]
    Backend(String),
}

/// Shorthand for this crate's results.
pub type Result<T> = std::result::Result<T, TextError>;

impl From<TextError> for duologue_layout::LayoutError {
    fn from(e: TextError) -> Self {
        duologue_layout::LayoutError::Embedder { name: "minilm".into(), msg: e.to_string() }
    }
}
