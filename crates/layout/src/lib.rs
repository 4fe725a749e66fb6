//! Layout control: from a text description to the two people's first-frame head translations
//! `t_A(0)`, `t_B(0)` (paper §3.5; appendix §2.2 for the few-shot LLM prompt, appendix §4 for
//! the zero-shot and kNN baselines and tMSE), in DESIGN.md §2's frame (metres, +X right, +Y up,
//! +Z away from the viewer, origin at the centre of the interaction).
//!
//! Offline by default: the [`structured`] method reads the sentence into interpretable
//! attributes ([`scene`]: distance zone and number, arrangement, postures, level) with small
//! classifiers over a sentence embedding and lexical [`cues`], trained on the labelled
//! [`sentences`], and composes positions and facing from them. kNN over the labelled
//! [`library`] (appendix §4's baseline) stays available, with an embedded TF-IDF
//! ([`embed::TfIdf`]) or a sentence encoder (all-MiniLM-L6-v2 in `duologue-text`) through
//! [`embed::TextEmbedder`]. With an OpenAI-compatible endpoint configured ([`llm`]), few-shot
//! and zero-shot prompting are available, with one retry and a fallback to the structured
//! method. [`validate`] keeps layouts plausible, [`facing`] turns the two to look at each other,
//! [`eval`] scores every method, and [`draw`] renders a top-down picture. This crate deliberately has no tensor framework, so the
//! data simulator can use the library, validation and facing without pulling one in.
#![deny(missing_docs)]

pub mod anchors;
pub mod classify;
pub mod cues;
pub mod draw;
pub mod embed;
mod error;
pub mod eval;
pub mod facing;
pub mod knn;
pub mod library;
pub mod llm;
pub mod prompt;
pub mod scene;
pub mod sentences;
pub mod structured;
pub mod validate;

pub use embed::{TextEmbedder, TfIdf};
pub use error::{LayoutError, Result};
pub use facing::{facing, Facing};
pub use knn::Knn;
pub use library::{Entry, Library, Split, Zone};
pub use llm::{LlmClient, LlmConfig};
pub use scene::{facing_for, Arrangement, Level, Posture, Scene};
pub use sentences::{Labelled, SentenceSet, SentenceSplit};
pub use structured::{Reading, Weights};
pub use validate::{parse_positions, validate, Bounds, Checked, Policy};

use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Both people's first-frame head translations (metres, DESIGN.md §2). Serialises as the
/// paper's `{"A": [x, y, z], "B": [x, y, z]}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Person A's head.
    #[serde(rename = "A")]
    pub a: [f32; 3],
    /// Person B's head.
    #[serde(rename = "B")]
    pub b: [f32; 3],
}

impl Layout {
    /// Distance between the two heads (metres).
    pub fn distance(&self) -> f32 {
        validate::norm(validate::sub(self.b, self.a))
    }

    /// Midpoint of the two heads.
    pub fn midpoint(&self) -> [f32; 3] {
        [0, 1, 2].map(|i| (self.a[i] + self.b[i]) / 2.0)
    }

    /// The paper's default: face to face, 1 m apart.
    pub fn face_to_face() -> Layout {
        Layout { a: [0.0, 0.0, -0.5], b: [0.0, 0.0, 0.5] }
    }

    /// `{"A":[x,y,z],"B":[x,y,z]}` with each coordinate rounded to 0.1 mm, so that f32
    /// arithmetic (0.90999997) prints as the value meant (0.91).
    pub fn to_json(&self) -> String {
        let r = |p: [f32; 3]| p.map(|x| (x as f64 * 1e4).round() / 1e4);
        serde_json::json!({"A": r(self.a), "B": r(self.b)}).to_string()
    }
}

/// How a text becomes a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// LLM with three pool examples (the paper's method).
    FewShot,
    /// LLM with the same prompt and no examples.
    ZeroShot,
    /// Mean of the k = 5 nearest pool layouts by text embedding.
    Knn,
    /// Attributes read from the sentence, composed into a layout (the offline default).
    Structured,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 4] = [Method::FewShot, Method::ZeroShot, Method::Knn, Method::Structured];

    /// Command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Method::FewShot => "fewshot",
            Method::ZeroShot => "zeroshot",
            Method::Knn => "knn",
            Method::Structured => "structured",
        }
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == s.trim().to_ascii_lowercase().replace(['-', '_'], ""))
    }

    /// True for the methods that need an LLM.
    pub fn needs_llm(self) -> bool {
        matches!(self, Method::FewShot | Method::ZeroShot)
    }
}

/// A layout with how it was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The validated layout.
    pub layout: Layout,
    /// The method asked for.
    pub requested: Method,
    /// The method that produced the layout (the structured method after a fallback).
    pub used: Method,
    /// Warnings: LLM failures, fallback, clamped values.
    pub notes: Vec<String>,
    /// What the structured method read, when it answered (for `--details`).
    pub reading: Option<Reading>,
}

impl Outcome {
    /// Both orientations: following the arrangement the structured method read
    /// ([`facing_for`]), or looking at each other when another method answered.
    pub fn facing(&self) -> [Facing; 2] {
        match &self.reading {
            Some(r) => facing_for(&self.layout, r.scene.arrangement),
            None => self.layout.facing(),
        }
    }

    /// `--details` JSON: [`details`] plus the method, the notes and what was read.
    pub fn details(&self) -> serde_json::Value {
        let mut extra = serde_json::json!({
            "method": self.used.name(),
            "requested": self.requested.name(),
            "notes": self.notes,
        });
        if let Some(r) = &self.reading {
            extra["reading"] = r.details();
        }
        details(&self.layout, &self.facing(), extra)
    }
}

/// `--details` JSON of a layout: both positions, the distance (3-D and horizontal), each
/// person's facing (yaw/pitch, neck/head axis-angle, forward), and the fields of `extra`.
pub fn details(layout: &Layout, facing: &[Facing; 2], extra: serde_json::Value) -> serde_json::Value {
    // f32 -> shortest decimal, so 0.09 prints as 0.09 and not 0.09000000357627869.
    let r = |x: f32| format!("{x}").parse::<f64>().unwrap_or(x as f64);
    let r3 = |p: [f32; 3]| p.map(r);
    let f = |x: &Facing| {
        serde_json::json!({"yaw": r(x.yaw), "pitch": r(x.pitch), "neck": r3(x.neck), "head": r3(x.head),
            "forward": r3(x.forward)})
    };
    let mut v = serde_json::json!({
        "A": r3(layout.a),
        "B": r3(layout.b),
        "distance": r(layout.distance()),
        "horizontal_distance": r(scene::horizontal_distance(layout)),
        "facing": {"A": f(&facing[0]), "B": f(&facing[1])},
    });
    for (k, x) in extra.as_object().into_iter().flatten() {
        v[k] = x.clone();
    }
    v
}

/// Text-to-layout with every method: kNN always, the LLM methods when a client is given.
pub struct Layouter {
    library: Library,
    knn: Knn,
    structured: Weights,
    llm: Option<LlmClient>,
    /// Validation bounds.
    pub bounds: Bounds,
    /// What to do with out-of-range LLM replies.
    pub policy: Policy,
    /// Seed for drawing few-shot examples.
    pub seed: u64,
}

impl Layouter {
    /// The structured method and kNN over `library`'s pool, both with `embedder` (the
    /// structured method uses it when it is the encoder its weights expect, all-MiniLM-L6-v2,
    /// and the cues alone otherwise), and the LLM methods when `llm` is given.
    pub fn new(
        library: Library,
        embedder: Box<dyn TextEmbedder>,
        llm: Option<LlmClient>,
    ) -> Result<Layouter> {
        Layouter::shared(library, Rc::from(embedder), llm)
    }

    /// [`Layouter::new`] with an embedder shared with other users (one loaded encoder for
    /// several layouters, as `--eval` needs).
    pub fn shared(
        library: Library,
        embedder: Rc<dyn TextEmbedder>,
        llm: Option<LlmClient>,
    ) -> Result<Layouter> {
        let pool: Vec<Entry> = library.pool().into_iter().cloned().collect();
        let knn = Knn::shared(pool, embedder, knn::K)?;
        let structured = Weights::builtin()?;
        Ok(Layouter {
            library,
            knn,
            structured,
            llm,
            bounds: Bounds::default(),
            policy: Policy::Clamp,
            seed: 0,
        })
    }

    /// Everything offline without a download: the builtin library, TF-IDF fitted on its pool
    /// for kNN, and the structured method from its cues alone.
    pub fn offline(llm: Option<LlmClient>) -> Result<Layouter> {
        let library = Library::builtin();
        let tfidf = tfidf_for(&library);
        Layouter::new(library, Box::new(tfidf), llm)
    }

    /// The library.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The kNN index.
    pub fn knn(&self) -> &Knn {
        &self.knn
    }

    /// True when an LLM endpoint is configured.
    pub fn has_llm(&self) -> bool {
        self.llm.is_some()
    }

    /// The structured method's weights.
    pub fn structured(&self) -> &Weights {
        &self.structured
    }

    /// The method used when none is asked for: few-shot with an LLM, structured without.
    pub fn default_method(&self) -> Method {
        if self.has_llm() {
            Method::FewShot
        } else {
            Method::Structured
        }
    }

    /// What the structured method reads from `text`.
    pub fn read(&self, text: &str) -> Result<Reading> {
        self.structured.read(text, Some(self.knn.embedder()))
    }

    /// The LLM prompt `method` would send for `text` (`None` for kNN).
    pub fn prompt(&self, text: &str, method: Method) -> Option<Vec<prompt::Message>> {
        match method {
            Method::Knn | Method::Structured => None,
            Method::ZeroShot => Some(prompt::messages(&[], text)),
            Method::FewShot => {
                let pool = self.library.pool();
                let ex = prompt::draw_examples(&pool, text, self.seed, prompt::N_EXAMPLES);
                Some(prompt::messages(&ex, text))
            }
        }
    }

    /// Turns `text` into a validated layout. LLM methods try once plus the configured retries;
    /// if all fail, or no LLM is configured, the structured method answers and the notes say
    /// why.
    pub fn layout(&self, text: &str, method: Method) -> Result<Outcome> {
        let mut notes = Vec::new();
        if let (Some(client), Some(msgs)) = (&self.llm, self.prompt(text, method)) {
            let attempts = 1 + client.config().retries;
            for attempt in 1..=attempts {
                match client.layout(&msgs).and_then(|l| validate(&l, &self.bounds, self.policy)) {
                    Ok(c) => {
                        notes.extend(c.notes.into_iter().map(|n| format!("LLM reply: {n}")));
                        return Ok(Outcome {
                            layout: c.layout,
                            requested: method,
                            used: method,
                            notes,
                            reading: None,
                        });
                    }
                    Err(e) => {
                        notes.push(format!("{} attempt {attempt}/{attempts} failed: {e}", method.name()))
                    }
                }
            }
            notes.push(format!("falling back to the offline structured method ({})", self.embedder_name()));
        } else if method.needs_llm() {
            notes.push(format!(
                "{} needs an LLM endpoint (--llm-url or {}); using the offline structured method ({})",
                method.name(),
                llm::ENV_URL,
                self.embedder_name()
            ));
        }
        let (raw, used, reading) = if method == Method::Knn {
            (self.knn.predict(text)?, Method::Knn, None)
        } else {
            let r = self.read(text)?;
            (r.layout(), Method::Structured, Some(r))
        };
        let c = validate(&raw, &self.bounds, Policy::Clamp)?;
        notes.extend(c.notes);
        Ok(Outcome { layout: c.layout, requested: method, used, notes, reading })
    }

    /// The embedder's name as the offline methods use it.
    fn embedder_name(&self) -> String {
        let name = self.knn.embedder_name();
        if name == self.structured.encoder {
            format!("{name}+cues")
        } else {
            format!("cues; {name} is not the encoder the weights expect")
        }
    }
}

/// TF-IDF fitted on a library's pool texts.
pub fn tfidf_for(library: &Library) -> TfIdf {
    let texts: Vec<&str> = library.pool().iter().map(|e| e.text.as_str()).collect();
    TfIdf::fit(&texts)
}
