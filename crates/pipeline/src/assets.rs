//! What the binary carries inside itself (DESIGN.md §6 "Checkpoints"): the default model and the
//! demo conversation, so that `duologue generate` and `duologue demo` work from any directory and
//! after `cargo install`, with nothing downloaded at run time.
//!
//! The default model is `models/default.safetensors` at the workspace root: an inference
//! checkpoint (EMA weights stored as the model's, the config TOML in the safetensors metadata),
//! as `duologue train` writes `best.safetensors`. `include_bytes!` is tracked by cargo, so
//! replacing the file rebuilds this crate.

use crate::{PipelineError, Result};
use burn::module::Module;
use burn::prelude::Device;
use duologue_model::{Checkpoint, DuoNet, Generator, Weights};
use std::path::Path;

/// The embedded default model's checkpoint bytes (`models/default.safetensors`).
pub static DEFAULT_MODEL: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/default.safetensors"));

/// How the embedded model is named in messages and summaries (it has no file on disk).
pub const DEFAULT_MODEL_LABEL: &str = "<embedded default model>";

/// The demo conversation (`crates/pipeline/assets/demo_conversation.ogg`, made by
/// `scripts/make_demo_clip.sh`): two synthetic voices, A first, taking turns with short
/// overlaps; 9.5 s, 16 kHz mono Ogg Vorbis.
pub static DEMO_CLIP: &[u8] = include_bytes!("../assets/demo_conversation.ogg");

/// File name the demo clip is written under (results are named after its stem).
pub const DEMO_CLIP_NAME: &str = "demo_conversation.ogg";

/// The demo's scene description when none is given.
pub const DEMO_LAYOUT: &str = "sitting across a small table";

/// A generator from checkpoint bytes already in memory, on the CPU (`flex` backend); errors name
/// `label`.
pub fn generator_from_bytes(bytes: &[u8], label: &Path) -> Result<Generator> {
    let model = |source| PipelineError::Model { path: label.to_path_buf(), source };
    let ck = Checkpoint::from_bytes(bytes, label).map_err(model)?;
    let device = Device::flex();
    // EMA weights when present (an inference checkpoint stores them as the model's anyway).
    let net =
        ck.load_into(DuoNet::new(&ck.meta.config.model, &device), Weights::Ema, false).map_err(model)?;
    Ok(Generator::new(net.valid(), ck.meta.config, device))
}

/// The embedded default model, ready to generate on the CPU.
pub fn default_generator() -> Result<Generator> {
    generator_from_bytes(DEFAULT_MODEL, Path::new(DEFAULT_MODEL_LABEL))
}
