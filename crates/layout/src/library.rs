//! The labelled layout library (`data/layouts.json`): text descriptions with both heads'
//! first-frame translations in DESIGN.md §2's frame, each tagged and assigned to the example
//! pool or the held-out evaluation set. The file's `convention` block says where the origin is
//! and who is A; [`Library::builtin`] embeds it so nothing needs to be downloaded.

use crate::error::{LayoutError, Result};
use crate::Layout;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The library shipped with the crate.
const BUILTIN: &str = include_str!("../data/layouts.json");

/// Which part of the library an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Few-shot examples and the kNN retrieval set.
    Pool,
    /// Evaluation only; never shown to a method.
    Heldout,
}

/// Hall's proxemic zone of the distance between the two heads (BEHAVIOR.md, Distance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    /// 0–0.45 m.
    Intimate,
    /// 0.45–1.2 m.
    Personal,
    /// 1.2–3.6 m.
    Social,
    /// 3.6 m and beyond.
    Public,
}

impl Zone {
    /// The zone a head-to-head distance (metres) falls in.
    pub fn of_distance(d: f32) -> Zone {
        match d {
            d if d < 0.45 => Zone::Intimate,
            d if d < 1.2 => Zone::Personal,
            d if d < 3.6 => Zone::Social,
            _ => Zone::Public,
        }
    }
}

/// One labelled layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable short name.
    pub id: String,
    /// The description.
    pub text: String,
    /// Head translation of A (metres).
    #[serde(rename = "A")]
    pub a: [f32; 3],
    /// Head translation of B (metres).
    #[serde(rename = "B")]
    pub b: [f32; 3],
    /// Proxemic zone of the distance.
    pub category: Zone,
    /// Free tags: posture (standing, seated, mixed...), arrangement (side-by-side, l-shape...).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Pool or held-out.
    pub split: Split,
    /// Name under which this entry is a preset (`--preset NAME`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
}

impl Entry {
    /// The entry's layout.
    pub fn layout(&self) -> Layout {
        Layout { a: self.a, b: self.b }
    }
}

#[derive(Deserialize)]
struct File {
    entries: Vec<Entry>,
}

/// All labelled layouts.
#[derive(Debug, Clone)]
pub struct Library {
    entries: Vec<Entry>,
}

impl Library {
    /// The library embedded in the crate (`crates/layout/data/layouts.json`).
    pub fn builtin() -> Library {
        // The embedded file is checked by the crate's tests, so a parse failure here is a
        // build defect, not user input; still, fall back to an empty library over a panic.
        Self::from_json("builtin", BUILTIN).unwrap_or(Library { entries: Vec::new() })
    }

    /// Parses a library in the same JSON format as the builtin one.
    pub fn from_json(name: &str, json: &str) -> Result<Library> {
        let f: File = serde_json::from_str(json)
            .map_err(|e| LayoutError::Library { path: name.to_string(), msg: e.to_string() })?;
        let lib = Library { entries: f.entries };
        lib.check(name)?;
        Ok(lib)
    }

    /// Reads a library file.
    pub fn open(path: &Path) -> Result<Library> {
        let s = std::fs::read_to_string(path)
            .map_err(|e| LayoutError::Library { path: path.display().to_string(), msg: e.to_string() })?;
        Self::from_json(&path.display().to_string(), &s)
    }

    fn check(&self, name: &str) -> Result<()> {
        let err = |msg: String| LayoutError::Library { path: name.to_string(), msg };
        let mut ids = std::collections::HashSet::new();
        for e in &self.entries {
            if !ids.insert(e.id.as_str()) {
                return Err(err(format!("duplicate id {:?}", e.id)));
            }
            if e.text.trim().is_empty() {
                return Err(err(format!("{}: empty text", e.id)));
            }
            crate::validate::check_finite(&e.layout()).map_err(|x| err(format!("{}: {x}", e.id)))?;
        }
        Ok(())
    }

    /// Every entry.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Entries of one split, in file order.
    pub fn split(&self, split: Split) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.split == split).collect()
    }

    /// The example/retrieval pool.
    pub fn pool(&self) -> Vec<&Entry> {
        self.split(Split::Pool)
    }

    /// The held-out evaluation set.
    pub fn heldout(&self) -> Vec<&Entry> {
        self.split(Split::Heldout)
    }

    /// Names of all presets, in file order.
    pub fn preset_names(&self) -> Vec<&str> {
        self.entries.iter().filter_map(|e| e.preset.as_deref()).collect()
    }

    /// The preset called `name` (case-insensitive; `_` and `-` are the same).
    pub fn preset(&self, name: &str) -> Result<&Entry> {
        let norm = |s: &str| s.trim().to_ascii_lowercase().replace('_', "-");
        let want = norm(name);
        self.entries
            .iter()
            .find(|e| e.preset.as_deref().map(norm).as_deref() == Some(want.as_str()))
            .ok_or_else(|| LayoutError::UnknownPreset {
                name: name.to_string(),
                known: self.preset_names().join(", "),
            })
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }
}
