//! The labelled sentence set for the structured method (`data/scenes.json`): everyday
//! sentences, each with a plausible distance range, an arrangement, both postures and a level,
//! split into `train` (fits the attribute classifiers) and `test` (worded differently; only
//! for `duologue layout --eval` and the regression tests). Written for this project, not the
//! paper's few-shot examples (paper appendix §2.2 uses its own).

use crate::error::{LayoutError, Result};
use crate::library::Zone;
use crate::scene::{Arrangement, Level, Phase, Posture, Scene};
use serde::{Deserialize, Serialize};

/// The set shipped with the crate.
const BUILTIN: &str = include_str!("../data/scenes.json");

/// Which part of the sentence set a sentence belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentenceSplit {
    /// Fits the classifiers.
    Train,
    /// Evaluation only.
    Test,
}

/// One labelled sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    /// The sentence.
    pub text: String,
    /// Plausible horizontal distance between the heads, `[low, high]` metres.
    pub range: [f32; 2],
    /// How the two are arranged.
    pub arrangement: Arrangement,
    /// Postures of A and B.
    pub posture: [Posture; 2],
    /// What raises B.
    pub level: Level,
    /// Train or test.
    pub split: SentenceSplit,
}

impl Labelled {
    /// The target distance: the middle of the range.
    pub fn distance(&self) -> f32 {
        (self.range[0] + self.range[1]) / 2.0
    }

    /// The zone of the target distance.
    pub fn zone(&self) -> Zone {
        Zone::of_distance(self.distance())
    }

    /// Hall's phase of the target distance.
    pub fn phase(&self) -> Phase {
        Phase::of_distance(self.distance())
    }

    /// The labelled scene, which composes to the ground-truth layout.
    pub fn scene(&self) -> Scene {
        Scene {
            distance: self.distance(),
            arrangement: self.arrangement,
            posture: self.posture,
            level: self.level,
        }
    }

    /// True when `d` (metres, horizontal) lies in the plausible range.
    pub fn in_range(&self, d: f32) -> bool {
        d >= self.range[0] && d <= self.range[1]
    }
}

#[derive(Deserialize)]
struct File {
    sentences: Vec<Labelled>,
}

/// All labelled sentences.
#[derive(Debug, Clone)]
pub struct SentenceSet {
    sentences: Vec<Labelled>,
}

impl SentenceSet {
    /// The set embedded in the crate (`crates/layout/data/scenes.json`).
    pub fn builtin() -> Result<SentenceSet> {
        Self::from_json("builtin scenes.json", BUILTIN)
    }

    /// Parses a set in the builtin format and checks it (non-empty texts, ordered ranges, no
    /// sentence twice).
    pub fn from_json(name: &str, json: &str) -> Result<SentenceSet> {
        let err = |msg: String| LayoutError::Library { path: name.to_string(), msg };
        let f: File = serde_json::from_str(json).map_err(|e| err(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for s in &f.sentences {
            if s.text.trim().is_empty() || !seen.insert(s.text.to_lowercase()) {
                return Err(err(format!("empty or repeated sentence {:?}", s.text)));
            }
            if !(s.range[0] > 0.0 && s.range[0] < s.range[1]) {
                return Err(err(format!("{:?}: range {:?} is not 0 < low < high", s.text, s.range)));
            }
        }
        Ok(SentenceSet { sentences: f.sentences })
    }

    /// Every sentence.
    pub fn all(&self) -> &[Labelled] {
        &self.sentences
    }

    /// Sentences of one split, in file order.
    pub fn split(&self, split: SentenceSplit) -> Vec<&Labelled> {
        self.sentences.iter().filter(|s| s.split == split).collect()
    }
}
