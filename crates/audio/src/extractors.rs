//! The extractors a model config can name (`[model] features`), built by name.

use crate::error::{AudioError, Result};
use crate::features::FeatureExtractor;
use crate::mel::{LogMel, LogMelConfig};

/// The feature extractors a model config can name (`[model] features`).
pub const FEATURE_NAMES: [&str; 2] = ["logmel", "whisper-tiny"];

/// The extractor called `name` (one of [`FEATURE_NAMES`]): 80-band log-mel (built in), or
/// Whisper tiny's encoder (compiled in; `$DUOLOGUE_WHISPER_DIR` names another `model.bin`).
pub fn extractor(name: &str) -> Result<Box<dyn FeatureExtractor + Send + Sync>> {
    match name {
        "logmel" => Ok(Box::new(LogMel::new(LogMelConfig::default()))),
        "whisper-tiny" => Ok(Box::new(crate::whisper::Whisper::find()?)),
        other => Err(AudioError::Config(format!(
            "unknown audio features {other:?} (known: {})",
            FEATURE_NAMES.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_build_their_extractors() {
        assert!(extractor("mfcc").err().unwrap().to_string().contains("whisper-tiny"));
        assert_eq!(extractor("logmel").unwrap().dim(), 80);
    }
}
