//! The bridge between the data crate's shards (DESIGN §6) and the model's trainer (paper §3.4,
//! §4.1): each clip is cut into model windows ([`window`]), its audio turned into the
//! front-end's features, and the windows offered to the trainer as its random-access in-memory
//! source ([`ShardSource`]); [`run`] is one whole training run, [`ablation`] the paper's Table 3
//! switches.
#![deny(missing_docs)]

pub mod ablation;
pub mod cache;
mod error;
mod run;
mod source;
pub mod window;

pub use ablation::{ablate, without_partner, Ablation};
pub use error::TrainDataError;
pub use run::{run, Event, TrainJob};
pub use source::{LoadOptions, ShardSource, Source};
pub use window::{lip_only_in_stage_two, window};
