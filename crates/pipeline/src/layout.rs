//! Where the two heads stand at the first frame (paper §3.5): a sentence, explicit positions or
//! a preset resolved to a [`Layout`]. Positions and presets follow `duologue layout`'s rules
//! (malformed or non-finite positions and unknown presets are errors, out-of-range values are
//! clamped with a note); a sentence always gives a layout, face to face with a warning when
//! the layouter fails.

use crate::{PipelineError, Result};
use duologue_layout::{parse_positions, validate, Bounds, Layout, Layouter, LlmClient, Policy};

/// Where the two heads stand (paper §3.5).
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutSpec {
    /// Face to face, 1 m apart.
    Default,
    /// A scene description, resolved by the offline kNN or the LLM when one is configured.
    Text(String),
    /// Explicit positions "A=x,y,z;B=x,y,z" (metres).
    Positions(String),
    /// A named preset of the built-in library.
    Preset(String),
}

/// Resolves `spec` to a layout and the notes to show (clamped values, the layouter's notes, a
/// failed sentence's fallback to face to face).
pub fn resolve_layout(spec: &LayoutSpec, llm: Option<LlmClient>) -> Result<(Layout, Vec<String>)> {
    let fallback =
        |what: String| (Layout::face_to_face(), vec![format!("{what}; using face to face, 1 m apart")]);
    let rejected = |what: String| move |source| PipelineError::Layout { what, source };
    Ok(match spec {
        LayoutSpec::Default => (Layout::face_to_face(), Vec::new()),
        LayoutSpec::Positions(p) => {
            let c = parse_positions(p)
                .and_then(|l| validate(&l, &Bounds::default(), Policy::Clamp))
                .map_err(rejected(format!("--positions {p:?}")))?;
            (c.layout, c.notes)
        }
        LayoutSpec::Preset(name) => {
            let lib = duologue_layout::Library::builtin();
            (lib.preset(name).map_err(rejected(format!("--preset {name:?}")))?.layout(), Vec::new())
        }
        LayoutSpec::Text(text) => {
            let (layouter, note) = layouter(llm);
            let out = layouter.and_then(|l| {
                let m = l.default_method();
                l.layout(text, m)
            });
            let (layout, mut notes) = match out {
                Ok(o) => (o.layout, o.notes),
                Err(e) => fallback(format!("layout of {text:?} failed ({e})")),
            };
            notes.extend(note);
            (layout, notes)
        }
    })
}

/// The offline layouter with the best sentence encoder there is: all-MiniLM-L6-v2 where
/// scripts/setup.sh installed it (crates/text/README.md: no download at run time), else the
/// sentence's cues alone, with a note saying so.
fn layouter(llm: Option<LlmClient>) -> (duologue_layout::Result<Layouter>, Option<String>) {
    match duologue_text::MiniLm::load_default() {
        Ok(encoder) => (Layouter::new(duologue_layout::Library::builtin(), Box::new(encoder), llm), None),
        Err(e) => (
            Layouter::offline(llm),
            Some(format!(
                "all-MiniLM-L6-v2 is not installed ({e}); the layout reads the sentence's cues alone"
            )),
        ),
    }
}
