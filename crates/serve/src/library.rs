//! The results a page can show: each a .glb for three.js (the project's own, written from the
//! .npz in memory when given one), its speaker masks and frame rate, and the recording if
//! there is one.

use crate::error::ServeError;
use duologue_export::{glb_bytes, Morphs};
use duologue_face::FaceModel;
use duologue_params::Duo;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Extensions tried, in order, for a recording next to a result with the same stem.
pub const AUDIO_EXTENSIONS: [&str; 7] = ["wav", "ogg", "flac", "mp3", "m4a", "opus", "oga"];

/// One result.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Short id used in URLs (`r0`, `r1`, ...).
    pub id: String,
    /// What the page calls it (the file name).
    pub name: String,
    /// The glTF binary.
    pub glb: Arc<Vec<u8>>,
    /// Frame rate, frames, the people and their speaker masks (DESIGN §5) for the timeline.
    pub meta: Value,
    /// The recording, played in sync.
    pub audio: Option<PathBuf>,
    /// What could not be used (an unreadable or mismatched .npz beside a .glb), for the user.
    pub warnings: Vec<String>,
}

impl Entry {
    /// The summary `GET /api/results` lists.
    pub fn summary(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "frames": self.meta["frames"],
            "fps": self.meta["fps"],
            "audio": self.audio.is_some(),
        })
    }
}

/// The results being served, in the order they were added.
#[derive(Debug, Default)]
pub struct Library {
    entries: Vec<Entry>,
}

impl Library {
    /// An empty library.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every result.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The result with `id`.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Adds a prepared entry under the next id; returns the id.
    pub fn insert(&mut self, mut entry: Entry) -> String {
        entry.id = format!("r{}", self.entries.len());
        let id = entry.id.clone();
        self.entries.push(entry);
        id
    }
}

/// The entry for a result file: a .npz written by duologue (its .glb made here, split morph
/// targets) or a .glb it exported (masks from the .npz beside it, when there is one). `audio`
/// defaults to a recording with the same stem beside the file.
pub fn load(path: &Path, audio: Option<PathBuf>) -> Result<Entry, ServeError> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let audio = audio.or_else(|| sibling_audio(path));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match ext.as_deref() {
        Some("npz") => {
            let duo = Duo::read(path).map_err(|source| ServeError::Params { path: path.into(), source })?;
            from_duo(&name, &duo, audio).map_err(|source| ServeError::Export { path: path.into(), source })
        }
        Some("glb") => {
            let bytes = std::fs::read(path).map_err(|source| ServeError::Io { path: path.into(), source })?;
            let gltf = glb_json(&bytes).map_err(|why| ServeError::Glb { path: path.into(), why })?;
            let npz = path.with_extension("npz");
            // The animation's extras say how long it is.
            let extras = &gltf["animations"][0]["extras"];
            let glb_frames = extras["frames"].as_u64();
            let mut warnings = Vec::new();
            let duo = match npz.is_file().then(|| Duo::read(&npz)) {
                None => None,
                Some(Ok(d)) if glb_frames.is_some_and(|f| f != d.frames() as u64) => {
                    warnings.push(format!(
                        "{}: {} frames where {name} has {}; not used, so the timeline has no speaker masks",
                        npz.display(),
                        d.frames(),
                        glb_frames.unwrap_or(0)
                    ));
                    None
                }
                Some(Ok(d)) => Some(d),
                Some(Err(e)) => {
                    warnings.push(format!(
                        "{}: not read ({e}), so the timeline has no speaker masks",
                        npz.display()
                    ));
                    None
                }
            };
            let meta = match duo {
                Some(d) => meta(&d),
                None => {
                    // No masks without the .npz.
                    let people: Vec<Value> = gltf["scenes"][0]["nodes"]
                        .as_array()
                        .map(|n| {
                            n.iter()
                                .filter_map(|i| {
                                    gltf["nodes"][i.as_u64()? as usize]["name"].as_str().map(Value::from)
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    json!({
                        "fps": extras["fps"].as_f64().unwrap_or(25.0),
                        "frames": glb_frames.unwrap_or(0),
                        "people": people,
                        "masks": people.iter().map(|_| Vec::<f32>::new()).collect::<Vec<_>>(),
                    })
                }
            };
            Ok(Entry { id: String::new(), name, glb: Arc::new(bytes), meta, audio, warnings })
        }
        _ => Err(ServeError::Kind { path: path.into() }),
    }
}

/// The entry for a result in memory.
pub fn from_duo(
    name: &str,
    duo: &Duo,
    audio: Option<PathBuf>,
) -> Result<Entry, duologue_export::ExportError> {
    let (glb, _) = glb_bytes(FaceModel::shared(), &[("A", &duo.a), ("B", &duo.b)], duo.fps, Morphs::Split)?;
    Ok(Entry {
        id: String::new(),
        name: name.to_string(),
        glb: Arc::new(glb),
        meta: meta(duo),
        audio,
        warnings: Vec::new(),
    })
}

fn meta(duo: &Duo) -> Value {
    json!({
        "fps": duo.fps,
        "frames": duo.frames(),
        "people": ["A", "B"],
        "masks": [&duo.a.mask, &duo.b.mask],
        "t0": [duo.a.t0, duo.b.t0],
    })
}

/// A recording beside `path` with the same stem.
pub fn sibling_audio(path: &Path) -> Option<PathBuf> {
    AUDIO_EXTENSIONS.iter().map(|ext| path.with_extension(ext)).find(|p| p.is_file())
}

/// The JSON chunk of a glTF binary.
fn glb_json(bytes: &[u8]) -> Result<Value, String> {
    if bytes.len() < 20 || &bytes[0..4] != b"glTF" {
        return Err("not a glTF binary (no 'glTF' header)".into());
    }
    let len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    if &bytes[16..20] != b"JSON" || bytes.len() < 20 + len {
        return Err("glTF binary without its JSON chunk".into());
    }
    serde_json::from_slice(&bytes[20..20 + len]).map_err(|e| format!("glTF JSON chunk does not parse: {e}"))
}

/// The MIME type of a file the server sends, by extension.
pub fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("wav") => "audio/wav",
        Some("ogg" | "oga" | "opus") => "audio/ogg",
        Some("flac") => "audio/flac",
        Some("mp3") => "audio/mpeg",
        Some("m4a") => "audio/mp4",
        Some("mp4") => "video/mp4",
        Some("glb") => "model/gltf-binary",
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glb_without_its_header_is_refused_with_the_reason() {
        assert!(glb_json(b"not a gltf file at all").unwrap_err().contains("no 'glTF' header"));
        let mut b = b"glTF\x02\0\0\0\0\0\0\0".to_vec();
        b.extend(100u32.to_le_bytes());
        b.extend(b"JSON{}");
        assert!(glb_json(&b).unwrap_err().contains("without its JSON chunk"));
    }

    fn talking(frames: usize) -> Duo {
        let mut a = duologue_params::Person::neutral(frames, [0.0, 0.0, -0.5]);
        a.mask = vec![1.0; frames];
        Duo { a, b: duologue_params::Person::neutral(frames, [0.0, 0.0, 0.5]), fps: 25.0 }
    }

    #[test]
    fn a_glb_takes_its_masks_from_the_npz_beside_it_and_says_when_it_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let glb = dir.path().join("talk.glb");
        let npz = dir.path().join("talk.npz");
        let duo = talking(50);
        std::fs::write(&glb, from_duo("talk.npz", &duo, None).unwrap().glb.as_ref()).unwrap();

        // The matching result: its masks, no warning.
        duo.write(&npz).unwrap();
        let e = load(&glb, None).unwrap();
        assert!(e.warnings.is_empty(), "{:?}", e.warnings);
        assert_eq!(e.meta["masks"][0].as_array().unwrap().len(), 50);

        // Another clip's result (30 frames): not used, and said.
        talking(30).write(&npz).unwrap();
        let e = load(&glb, None).unwrap();
        assert_eq!(e.warnings.len(), 1);
        assert!(e.warnings[0].contains("30 frames where talk.glb has 50"), "{:?}", e.warnings);
        assert_eq!(e.meta["frames"], 50);
        assert_eq!(e.meta["masks"][0].as_array().unwrap().len(), 0);

        // Not a result at all: the glb still shows, and the warning says why there are no masks.
        std::fs::write(&npz, b"not a zip").unwrap();
        let e = load(&glb, None).unwrap();
        assert_eq!(e.warnings.len(), 1);
        assert!(e.warnings[0].contains("talk.npz: not read"), "{:?}", e.warnings);
        assert_eq!(e.meta["frames"], 50);
    }
}
