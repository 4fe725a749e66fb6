//! The pipeline's one error type: every failure names the file or the input it concerns.

use duologue_model::ModelError;
use duologue_params::HOP;
use std::path::PathBuf;

/// Errors of the generate pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The job's cancel flag was raised (checked between stages and between windows).
    #[error("cancelled")]
    Cancelled,
    /// The model checkpoint could not be read.
    #[error("cannot load model {path}")]
    Model {
        /// The checkpoint.
        path: PathBuf,
        /// Why.
        source: ModelError,
    },
    /// An audio file could not be opened or decoded.
    #[error("cannot read audio {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: duologue_audio::AudioError,
    },
    /// An audio file is longer than the cap (refused before its samples are kept).
    #[error("{path}: {}", too_long(*stated, *seconds, *max_seconds))]
    TooLong {
        /// The file.
        path: PathBuf,
        /// Whether `seconds` is what the container states (believed only when the file is
        /// large enough to hold it), or what was decoded before the cap stopped it.
        stated: bool,
        /// Its length (stated by the container, or decoded so far).
        seconds: f64,
        /// The cap.
        max_seconds: f64,
    },
    /// A file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The audio is shorter than one 25 fps frame (640 samples at 16 kHz).
    #[error("audio is too short: {samples} samples at 16 kHz, at least one frame ({HOP}) is needed")]
    TooShort {
        /// Samples in the input.
        samples: usize,
    },
    /// The model expects other audio features than the conditioning holds.
    #[error("the model expects {model_name} audio features ({model} per frame), the conditioning holds {ours_name} ({ours})")]
    FeatureDim {
        /// The checkpoint's `model.features`.
        model_name: String,
        /// The checkpoint's `model.audio_dim`.
        model: usize,
        /// The extractor the conditioning was computed with.
        ours_name: String,
        /// Its width.
        ours: usize,
    },
    /// The model's audio feature extractor cannot be built (unknown name, weights missing).
    #[error("audio features: {0}")]
    Features(duologue_audio::AudioError),
    /// Inputs that do not fit together (track count, lengths, identity size, overlap).
    #[error("{0}")]
    Input(String),
    /// Computing speaker masks failed.
    #[error("speaker masks")]
    Audio(#[from] duologue_audio::AudioError),
    /// Sampling failed.
    #[error("sampling: {0}")]
    Sample(ModelError),
    /// A recording could not be used (too short, tracks that do not fit together).
    #[error("cannot use {}", path.display())]
    Recording {
        /// The recording.
        path: PathBuf,
        /// Why.
        source: Box<PipelineError>,
    },
    /// The output folder could not be created.
    #[error("cannot create output folder {}", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A result file could not be written, or windows did not join up.
    #[error(transparent)]
    Params(#[from] duologue_params::ParamsError),
    /// Explicit positions or a preset that `duologue layout` would refuse too.
    #[error("{what}")]
    Layout {
        /// The option and its value.
        what: String,
        /// Why.
        source: duologue_layout::LayoutError,
    },
    /// An export failed.
    #[error(transparent)]
    Export(#[from] duologue_export::ExportError),
}

/// Why a file is too long: what its header states, or that decoding passed the cap.
fn too_long(stated: bool, seconds: f64, max_seconds: f64) -> String {
    if stated {
        format!(
            "its header states {} of audio, longer than the cap of {}",
            duration(seconds),
            duration(max_seconds)
        )
    } else {
        format!("holds more audio than the cap of {} (stopped decoding there)", duration(max_seconds))
    }
}

/// A length for messages: seconds below two minutes, else minutes.
fn duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.1} s")
    } else {
        format!("{:.1} minutes", seconds / 60.0)
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, PipelineError>;
