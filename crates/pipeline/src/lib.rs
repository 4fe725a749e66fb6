//! The `duologue generate` pipeline (DESIGN.md §1–3, §6), one module per stage: decoded audio
//! ([`input`]) -> log-mel features and speaker masks ([`Conditioning`]) -> layout t0 (paper §3.5,
//! [`resolve_layout`]) and identities -> the diffusion model window by window ([`generate`]) ->
//! one [`duologue_params::Duo`].
//!
//! Windowing: the model sees windows of `L = config.model.frames` frames, cut and joined as
//! [`duologue_params::window`] defines (hop `L - overlap`, the last window ending on the last
//! frame, overlaps cross-faded linearly so joins carry no jump); a recording shorter than one
//! window is padded with silence and the result cut back. Windows are generated in order, each
//! one's t0 being the stitched absolute translation at its first frame (DESIGN.md §3).
//!
//! [`assets`] holds what the binary embeds (the default model, the demo clip).

#![deny(missing_docs)]

pub mod assets;
pub mod input;

pub use assets::{
    default_generator, generator_from_bytes, DEFAULT_MODEL_LABEL, DEMO_CLIP, DEMO_CLIP_NAME, DEMO_LAYOUT,
};
pub use input::{read_audio, write_mix_wav, AudioInput, DEFAULT_MAX_MINUTES};

mod condition;
mod error;
mod generate;
mod layout;
mod run;

pub use condition::{random_betas, Conditioning, EDGE_MARGIN};
pub use error::{PipelineError, Result};
pub use generate::{
    generate, generate_until, generate_with, timeline_starts, window_starts, GenerateOptions, WindowSampler,
};
pub use layout::{resolve_layout, LayoutSpec};
pub use run::{execute, execute_with, Event, Job, Outcome, Stage};

use burn::prelude::Device;
use duologue_model::Generator;
use std::path::Path;

/// Loads a checkpoint for generation on the CPU (`flex` backend); errors name the file.
pub fn load_generator(path: &Path) -> Result<Generator> {
    Generator::load(path, &Device::flex())
        .map_err(|source| PipelineError::Model { path: path.to_path_buf(), source })
}

/// The checkpoint at `path`, or the embedded default model when None, with the label that
/// names it in outcomes (the path, or [`DEFAULT_MODEL_LABEL`]).
pub fn load_model(path: Option<&Path>) -> Result<(Generator, String)> {
    match path {
        Some(p) => Ok((load_generator(p)?, p.display().to_string())),
        None => Ok((default_generator()?, DEFAULT_MODEL_LABEL.to_string())),
    }
}
