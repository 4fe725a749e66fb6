//! The training bridge's one error type: every failure names the dataset, clip or file.

use std::path::PathBuf;

/// Errors assembling training data.
#[derive(Debug, thiserror::Error)]
pub enum TrainDataError {
    /// A dataset could not be opened or read.
    #[error("{dir}")]
    Data {
        /// Dataset folder.
        dir: PathBuf,
        /// Underlying error.
        source: duologue_data::DataError,
    },
    /// Feature extraction failed for a clip.
    #[error("{dir}: clip {key}: audio features")]
    Features {
        /// Dataset folder.
        dir: PathBuf,
        /// Clip key.
        key: String,
        /// Underlying error.
        source: duologue_audio::AudioError,
    },
    /// The configuration's `model.features` names no extractor, or its weights cannot load.
    #[error("{path}: model.features: {source}")]
    Extractor {
        /// The configuration file.
        path: PathBuf,
        /// What the audio front-end said.
        source: duologue_audio::AudioError,
    },
    /// The datasets hold more windows than the memory bound allows.
    #[error("{dir}: more than {max} training windows (raise --max-windows or use fewer clips)")]
    TooMany {
        /// Dataset folder where the bound was reached.
        dir: PathBuf,
        /// The bound.
        max: usize,
    },
    /// A dataset has no clips in the requested split.
    #[error("{dir}: no clips in split '{split}'")]
    Empty {
        /// Dataset folder.
        dir: PathBuf,
        /// Split name.
        split: String,
    },
    /// The model configuration could not be read, or training failed.
    #[error(transparent)]
    Model(#[from] duologue_model::ModelError),
    /// `single-person` was asked for on data that is not monologues.
    #[error(
        "--ablate single-person trains on single-speaker monologues (`duologue simulate --single`); {dir} holds '{kind}' clips"
    )]
    NotMonologue {
        /// Dataset folder.
        dir: PathBuf,
        /// The dataset's source kind.
        kind: String,
    },
    /// The configuration's audio width differs from the front-end's.
    #[error("{path}: model.audio_dim is {model} but the {name} features are {ours} wide")]
    FeatureDim {
        /// The configuration file.
        path: PathBuf,
        /// The extractor (`model.features`).
        name: String,
        /// The config's `model.audio_dim`.
        model: usize,
        /// The front-end's feature width.
        ours: usize,
    },
    /// The run folder already holds a run and neither `--resume` nor `--overwrite` was given.
    #[error(
        "{} already holds a training run ({file}); continue it with --resume, or replace it with --overwrite",
        dir.display()
    )]
    RunExists {
        /// The run folder.
        dir: PathBuf,
        /// The file found there.
        file: String,
    },
    /// `--resume` on a folder without a checkpoint.
    #[error("{}: nothing to resume (no {file}); drop --resume to start a new run there", dir.display())]
    NothingToResume {
        /// The run folder.
        dir: PathBuf,
        /// The checkpoint file looked for.
        file: String,
    },
}
