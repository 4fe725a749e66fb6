//! Where the two heads stand at the first frame (paper §3.5): a sentence, explicit positions or
//! a preset resolved to a [`Layout`], falling back to face to face with a warning.

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

/// Resolves `spec` to a layout. Anything the parser or layouter rejects falls back to face to
/// face; the reasons come back as warnings, as do the layouter's own notes.
pub fn resolve_layout(spec: &LayoutSpec, llm: Option<LlmClient>) -> (Layout, Vec<String>) {
    let fallback =
        |what: String| (Layout::face_to_face(), vec![format!("{what}; using face to face, 1 m apart")]);
    match spec {
        LayoutSpec::Default => (Layout::face_to_face(), Vec::new()),
        LayoutSpec::Positions(p) => {
            match parse_positions(p).and_then(|l| validate(&l, &Bounds::default(), Policy::Clamp)) {
                Ok(c) => (c.layout, c.notes),
                Err(e) => fallback(format!("positions {p:?} rejected ({e})")),
            }
        }
        LayoutSpec::Preset(name) => {
            let lib = duologue_layout::Library::builtin();
            match lib.preset(name) {
                Ok(e) => (e.layout(), Vec::new()),
                Err(e) => fallback(format!("preset {name:?} rejected ({e})")),
            }
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
    }
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
