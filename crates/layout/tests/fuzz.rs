//! Fuzz harnesses of layout input (issue 21; README "Reliability"): LLM replies (plain JSON,
//! fenced, in prose) and `--positions` strings damaged and forged, then validated as generate
//! does; the layout library, scene sentences and structured weights JSON damaged. Zero panics;
//! whatever parses validates to finite positions inside the bounds; errors of named JSON files
//! name them. Cases: `DUOLOGUE_FUZZ_CASES` (CI: the default, 200).

use duologue_layout::sentences::SentenceSet;
use duologue_layout::structured::Weights;
use duologue_layout::validate::{parse_positions, validate, Bounds, Policy};
use duologue_layout::{llm::parse_reply, Layout, Library};
use duologue_params::fuzz::run;

/// What generate does with a parsed layout: clamp into the bounds; the result must be usable.
fn usable(l: &Layout) -> Result<bool, String> {
    let bounds = Bounds::default();
    match validate(l, &bounds, Policy::Clamp) {
        Ok(c) => {
            let all = c.layout.a.iter().chain(&c.layout.b);
            if all.clone().any(|v| !v.is_finite()) {
                return Err(format!("validated layout is not finite: {:?}", c.layout));
            }
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

#[test]
fn llm_replies_and_positions_never_panic() {
    let replies = [
        r#"{"A":[0,0,-0.6],"B":[0,0,0.6]}"#,
        "Sure! Here is the layout:\n```json\n{\"a\": {\"x\": -0.4, \"y\": 0.1, \"z\": 0}, \"b\": {\"x\": 0.4, \"y\": 0, \"z\": 0}}\n```",
        r#"{"layout": {"A": [1e3, -2.5, 0.25], "B": [0, 0, 1]}, "notes": "{nested}"}"#,
        "A=0,0,-0.6;B=0,0,0.6",
    ];
    run(
        "llm-reply",
        51,
        |m| {
            let pick = m.below(replies.len());
            m.mutate(replies[pick].as_bytes())
        },
        |bytes| {
            let text = String::from_utf8_lossy(bytes);
            let mut parsed = false;
            if let Ok(l) = parse_reply(&text) {
                parsed |= usable(&l)?;
            }
            if let Ok(l) = parse_positions(&text) {
                parsed |= usable(&l)?;
            }
            Ok(parsed)
        },
    );
}

#[test]
fn layout_data_files_never_panic_and_errors_name_them() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let files = ["layouts.json", "scenes.json", "structured.json"];
    let valid: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(format!("{root}/{f}")).unwrap()).collect();
    let pick = std::cell::Cell::new(0);
    run(
        "layout-json",
        52,
        |m| {
            pick.set(m.below(files.len()));
            m.mutate(&valid[pick.get()])
        },
        |bytes| {
            let text = String::from_utf8_lossy(bytes);
            let name = format!("damaged-{}", files[pick.get()]);
            let err = match pick.get() {
                0 => Library::from_json(&name, &text).err(),
                1 => SentenceSet::from_json(&name, &text).err(),
                _ => Weights::from_json(&name, &text).err(),
            };
            match err {
                None => Ok(true),
                Some(e) if e.to_string().contains(&name) => Ok(false),
                Some(e) => Err(format!("error does not name the file: {e}")),
            }
        },
    );
}
