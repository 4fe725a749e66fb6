//! Retrains the structured layout method's weights from `data/scenes.json` with
//! all-MiniLM-L6-v2 (crates/layout/README.md, "Structured") and writes them as JSON:
//! `cargo run -p duologue-layout --example train_structured -- crates/layout/data/structured.json`.

use duologue_layout::{structured, SentenceSet};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: train_structured OUT.json")?;
    let encoder = duologue_text::MiniLm::load_default()
        .map_err(|e| format!("{e} (run scripts/setup.sh to fetch all-MiniLM-L6-v2)"))?;
    let weights = structured::train(&SentenceSet::builtin()?, &encoder)?;
    std::fs::write(&out, weights.to_json()? + "\n")?;
    eprintln!("wrote {out} ({} training sentences)", weights.trained_on);
    Ok(())
}
