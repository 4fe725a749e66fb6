//! A plain two-voice conversation of any length, for timing and trying the product on real
//! speech without a dataset: turns of one to three corpus sentences alternating between two
//! espeak-ng voices (a man's and a woman's where installed), 0.2–0.7 s apart. No motion, no
//! masks: the simulator ([`crate::simulate`]) is what makes labelled training data.

use crate::espeak::{english_voices, synthesize, VoiceSpec};
use crate::text::Corpus;
use crate::DataError;
use duologue_params::SAMPLE_RATE;

/// At least `seconds` of conversation at 16 kHz mono.
pub fn conversation(seconds: f64) -> Result<Vec<f32>, DataError> {
    // A man with an American and a woman with a British voice when installed (names are
    // eSpeak voice file names), else the first two English voices there are.
    let available = english_voices()?;
    if available.is_empty() {
        return Err(DataError::Espeak {
            reason: "no English voice (scripts/setup.sh installs espeak-ng-data)".into(),
        });
    }
    let voice = |want: &str, fallback: usize, pitch| VoiceSpec {
        name: if available.iter().any(|v| v == want) {
            want.to_string()
        } else {
            available[fallback % available.len()].clone()
        },
        rate: 170,
        pitch,
        range: 60,
        volume: 100,
    };
    let voices = [voice("en-US+Andy", 0, 40), voice("en+Alicia", 1, 65)];
    let corpus = Corpus::bundled();
    if corpus.lines.is_empty() {
        return Err(DataError::Espeak { reason: "the bundled sentence list is empty".into() });
    }
    let need = (seconds * SAMPLE_RATE as f64).ceil() as usize;
    let mut out: Vec<f32> = Vec::with_capacity(need + SAMPLE_RATE as usize * 20);
    let mut line = 0usize;
    let mut turn = 0usize;
    while out.len() < need {
        let take = 1 + turn % 3;
        let text: Vec<&str> =
            (0..take).map(|k| corpus.lines[(line + k) % corpus.lines.len()].as_str()).collect();
        line += take;
        let u = synthesize(&voices[turn % 2], &text.join(" "))?;
        out.extend(u.samples);
        let gap = 0.2 + 0.1 * ((turn * 7) % 6) as f64;
        out.resize(out.len() + (gap * SAMPLE_RATE as f64) as usize, 0.0);
        turn += 1;
    }
    Ok(out)
}
