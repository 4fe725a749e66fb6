//! Fuzz harness of the exports (issue 21; README "Reliability"): results with random
//! parameters — ordinary, extreme (up to +-1000), and now and then NaN, infinity or 1e30 — written
//! as ARKit CSV, ARKit JSON and (one case in ten) glb, and read back. Zero panics; a result the
//! exporter accepts gives files whose every number is finite (CSV rows of one width, JSON that
//! parses, a glb whose JSON chunk parses); one it refuses leaves no file.
//! Cases: `DUOLOGUE_FUZZ_CASES` (CI: the default, 200).

use duologue_export::{write_exports, Format, Settings};
use duologue_params::fuzz::{run, Mutator};
use duologue_params::{Duo, Motion, Person, X_DIM};

/// A result drawn from `m`'s bytes (frames 1..=12).
fn result(m: &mut Mutator) -> Vec<u8> {
    let frames = 1 + m.below(12);
    let n = 2 * (frames * X_DIM + 53) + 1;
    let mut v = vec![frames as u8];
    v.extend(m.bytes(3 + 4 * n));
    v
}

fn duo_of(bytes: &[u8]) -> Duo {
    let frames = bytes[0] as usize;
    // Per case: ordinary values (7 in 10), some extreme ones (2 in 10), or one that must be
    // refused somewhere (1 in 10: NaN, infinity or 1e30).
    let mode = bytes[1] % 10;
    let bad_at = u16::from_le_bytes([bytes[2], bytes[3]]) as usize % (2 * (frames * X_DIM + 53));
    let mut i = 0usize;
    let mut floats = bytes[4..].chunks_exact(4).map(|c| {
        let raw = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        let unit = (raw >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
        i += 1;
        match mode {
            9 if i - 1 == bad_at => [f32::NAN, f32::INFINITY, 1e30][raw as usize % 3],
            7 | 8 if raw % 16 == 0 => unit * 1000.0,
            _ => unit,
        }
    });
    let mut person = || {
        let x: Vec<f32> = floats.by_ref().take(frames * X_DIM).collect();
        let beta: Vec<f32> = floats.by_ref().take(50).collect();
        let t0 = [floats.next().unwrap(), floats.next().unwrap(), floats.next().unwrap()];
        Person { x: Motion::from_vec(x).unwrap(), beta, t0, mask: vec![1.0; frames] }
    };
    let (a, b) = (person(), person());
    Duo { a, b, fps: 25.0 }
}

#[test]
fn random_results_export_finite_files_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut case = 0usize;
    run("exports", 61, result, |bytes| {
        case += 1;
        let duo = duo_of(bytes);
        let out = dir.path().join(format!("case{case}"));
        let mut formats = vec![Format::ArkitCsv, Format::ArkitJson];
        if case % 10 == 0 {
            formats.push(Format::Glb);
        }
        match write_exports(&duo, "r", &out, &formats, &Settings::default(), &mut |_| {}) {
            Err(_) => {
                if out.exists() {
                    return Err("a refused result left its folder".into());
                }
                Ok(false)
            }
            Ok(written) => {
                for w in &written {
                    let text = std::fs::read(&w.path).map_err(|e| e.to_string())?;
                    check_file(&w.path, &text)?;
                }
                std::fs::remove_dir_all(&out).unwrap();
                Ok(true)
            }
        }
    });
}

fn check_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let name = path.display().to_string();
    let finite_json = |v: &serde_json::Value| -> Result<(), String> {
        fn walk(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
                serde_json::Value::Array(a) => a.iter().all(walk),
                serde_json::Value::Object(o) => o.values().all(walk),
                _ => true,
            }
        }
        walk(v).then_some(()).ok_or(format!("{name}: a number is not finite"))
    };
    if name.ends_with(".csv") {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("{name}: {e}"))?;
        let mut lines = text.lines();
        let width = lines.next().ok_or(format!("{name}: empty"))?.split(',').count();
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != width {
                return Err(format!("{name}: a row of {} cells under a header of {width}", cells.len()));
            }
            for c in &cells[2..] {
                let v: f64 = c.parse().map_err(|_| format!("{name}: cell {c:?} is not a number"))?;
                if !v.is_finite() {
                    return Err(format!("{name}: cell {c}"));
                }
            }
        }
    } else if name.ends_with(".json") {
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("{name}: {e}"))?;
        finite_json(&v)?;
    } else if name.ends_with(".glb") {
        if bytes.len() < 20 || &bytes[..4] != b"glTF" {
            return Err(format!("{name}: not a glb"));
        }
        let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let v: serde_json::Value =
            serde_json::from_slice(&bytes[20..20 + len]).map_err(|e| format!("{name}: JSON chunk: {e}"))?;
        finite_json(&v)?;
        // The accessors' bounds (min/max) are in the JSON; the floats themselves in the BIN chunk.
        let bin = &bytes[20 + len + 8..];
        if bin.chunks_exact(4).any(|c| !f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_finite()) {
            return Err(format!("{name}: the binary chunk holds a non-finite float"));
        }
    }
    Ok(())
}
