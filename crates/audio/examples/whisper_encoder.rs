//! Writes the Whisper encoder that ships inside the binary
//! (`crates/audio/weights/whisper_tiny_encoder.safetensors`): the `encoder/*` variables of a
//! CTranslate2 Whisper `model.bin`, copied byte for byte (float16) with the spec in the metadata.
//!
//! `cargo run -p duologue-audio --example whisper_encoder -- [MODEL_DIR] [OUT]`; MODEL_DIR
//! defaults to where `crates/audio/scripts/fetch_whisper.sh` unpacks the model.

use duologue_audio::ct2::Ct2Model;
use duologue_audio::whisper::{find_model_dir, Whisper};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = match args.next() {
        Some(d) => PathBuf::from(d),
        None => find_model_dir().ok_or("no model folder: pass one, or set HOME")?,
    };
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("weights/whisper_tiny_encoder.safetensors")
    });
    let m = Ct2Model::open(&dir, |n| n.starts_with("encoder/"))?;
    // Refuse anything the encoder cannot load before writing.
    Whisper::from_model(&m, &dir.display().to_string(), &burn::prelude::Device::flex())?;
    let bytes = m.to_safetensors()?;
    std::fs::write(&out, &bytes)?;
    println!("{}: {} variables, {:.1} MB", out.display(), m.names().len(), bytes.len() as f64 / 1e6);
    Ok(())
}
