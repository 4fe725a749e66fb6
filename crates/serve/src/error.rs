//! Errors: what a request did wrong (a status and a sentence, sent as `{"error": "..."}`) and
//! why a result could not be added.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// A result file that cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Not a .npz or .glb.
    #[error("{path}: not a result (expected a .npz written by duologue, or its .glb)")]
    Kind {
        /// The file.
        path: PathBuf,
    },
    /// The .npz did not read.
    #[error("{path}: {source}")]
    Params {
        /// The file.
        path: PathBuf,
        /// Why.
        source: duologue_params::ParamsError,
    },
    /// The .glb could not be written from the .npz.
    #[error("{path}: {source}")]
    Export {
        /// The file.
        path: PathBuf,
        /// Why.
        source: duologue_export::ExportError,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The .glb is not one duologue wrote (no glTF binary header, or no JSON chunk).
    #[error("{path}: {why}")]
    Glb {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

/// A refused request: its HTTP status and the sentence that says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The reason, for a person.
    pub message: String,
}

impl ApiError {
    /// An error with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// 404 for `what`.
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("no {what}"))
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(serde_json::json!({ "error": self.message }))).into_response()
    }
}
