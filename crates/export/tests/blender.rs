//! The .glb in a real importer: Blender (headless, Debian's `blender`, installed by
//! scripts/setup.sh with python3-numpy, which its glTF importer needs) imports it through
//! crates/export/blender/import_duologue.py, and what Blender then evaluates is what the file
//! says: every shape-key value at every frame, the frame rate and range, and the skinned,
//! morphed vertices (so both heads face each other from frame 0).

mod common;

use common::{chunks, mesh_weights};
use duologue_export::{glb_bytes, Morphs};
use duologue_face::FaceModel;
use duologue_params::{Duo, N_EXPR};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const FRAMES: usize = 30;

/// Runs check_import.py on `glb`; its JSON report.
fn blender_report(glb: &Path, picks: &[usize]) -> Value {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("blender");
    let out = glb.with_extension("blender.json");
    let picks: Vec<String> = picks.iter().map(|k| k.to_string()).collect();
    let run = Command::new("blender")
        .args(["-b", "--factory-startup", "--python-exit-code", "1", "--python"])
        .arg(scripts.join("check_import.py"))
        .arg("--")
        .arg(glb)
        .arg(&out)
        .arg(picks.join(","))
        .output()
        .unwrap_or_else(|e| panic!("blender could not start ({e}): run scripts/setup.sh"));
    assert!(
        run.status.success() && out.is_file(),
        "blender import failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

/// The morph weights the file gives mesh `mesh` (`[frames][targets]`).
fn file_weights(doc: &Value, bin: &[u8], mesh: usize) -> Vec<Vec<f32>> {
    let n = doc["meshes"][mesh]["primitives"][0]["targets"].as_array().unwrap().len();
    mesh_weights(doc, bin, mesh).chunks_exact(n).map(|c| c.to_vec()).collect()
}

/// Imports `duo` with `morphs` and checks keys, values, rate, range and vertices.
fn check(duo: &Duo, morphs: Morphs, picks: &[usize]) -> Value {
    let face = FaceModel::shared();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("talk.glb");
    let (bytes, _) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, morphs).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let report = blender_report(&path, picks);
    let (doc, bin) = chunks(&bytes);
    let frames = duo.frames();
    // Rate and range: 25 fps, frames 0 ..= L-1, every action ending on the last frame.
    assert_eq!(report["fps"], 25.0);
    assert_eq!(
        (report["frame_start"].as_u64(), report["frame_end"].as_u64()),
        (Some(0), Some(frames as u64 - 1))
    );
    for (name, range) in report["actions"].as_object().unwrap() {
        let end = range[1].as_f64().unwrap();
        assert!(
            range[0].as_f64().unwrap().abs() < 1e-3 && (end - (frames - 1) as f64).abs() < 1e-3,
            "{name}: {range}"
        );
    }
    for (mi, (name, person)) in [("A", &duo.a), ("B", &duo.b)].into_iter().enumerate() {
        let mesh = &report["meshes"][format!("{name}_head")];
        let keys: Vec<&str> = mesh["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
        let names: Vec<&str> = doc["meshes"][mi]["extras"]["targetNames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(keys, names, "{name}: shape keys named as the file's targets");
        let want = file_weights(&doc, &bin, mi);
        let got = mesh["values"].as_array().unwrap();
        assert_eq!(got.len(), frames);
        let mut worst = 0.0f64;
        for (k, row) in got.iter().enumerate() {
            for (i, v) in row.as_array().unwrap().iter().enumerate() {
                worst = worst.max((v.as_f64().unwrap() - want[k][i] as f64).abs());
            }
        }
        assert!(worst < 1e-4, "{name} ({morphs:?}): a shape-key value differs from the file by {worst}");
        // Skinned and morphed vertices, in Blender's Z-up world: duologue (x, y, z) -> (x, z, y).
        for &k in picks {
            let verts = mesh["vertices"][k.to_string()].as_array().unwrap();
            let f = person.x.frame(k);
            let posed = face.pose(&person.beta, &f[..N_EXPR], &f[63..75], person.translation(k)).vertices;
            assert_eq!(verts.len(), 3 * posed.len(), "{name}: Blender kept every vertex in order");
            let mut worst = 0.0f64;
            for (v, p) in posed.iter().enumerate() {
                for (c, want) in [p[0], p[2], p[1]].into_iter().enumerate() {
                    worst = worst.max((verts[3 * v + c].as_f64().unwrap() - want as f64).abs());
                }
            }
            assert!(worst < 1e-4, "{name} frame {k} ({morphs:?}): Blender's vertices differ by {worst} m");
        }
    }
    report
}

/// Where person `name`'s face points at frame `k` in Blender (nose tip minus the head's centre,
/// in the ground plane) and where the other head is.
fn facing(report: &Value, name: &str, other: &str, k: usize, nose: usize) -> f64 {
    let v = |n: &str| -> Vec<f64> {
        report["meshes"][format!("{n}_head")]["vertices"][k.to_string()]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let centre = |p: &[f64]| {
        let n = (p.len() / 3) as f64;
        [0, 1].map(|c| p.iter().skip(c).step_by(3).sum::<f64>() / n)
    };
    let (me, you) = (v(name), v(other));
    let (c, o) = (centre(&me), centre(&you));
    let fwd = [me[3 * nose] - c[0], me[3 * nose + 1] - c[1]];
    let to = [o[0] - c[0], o[1] - c[1]];
    (fwd[0] * to[0] + fwd[1] * to[1]) / (fwd[0].hypot(fwd[1]) * to[0].hypot(to[1]))
}

#[test]
fn blender_imports_split_morphs_exactly_at_25_fps_with_both_heads_facing() {
    let duo = common::facing_duo(FRAMES);
    let report = check(&duo, Morphs::Split, &[0, 17, FRAMES - 1]);
    let nose = FaceModel::shared().landmarks().nose_tip as usize;
    for (a, b) in [("A", "B"), ("B", "A")] {
        let cos = facing(&report, a, b, 0, nose);
        assert!(cos > 0.9, "{a} faces {b} at frame 0 (cosine {cos})");
    }
    // Slider ranges hold the weights (Blender's importer widens them from the first key only).
    for name in ["A_head", "B_head"] {
        for s in report["meshes"][name]["slider"].as_array().unwrap() {
            assert_eq!((s[0].as_f64(), s[1].as_f64()), (Some(0.0), Some(1.0)), "{name}");
        }
    }
}

#[test]
fn blender_imports_arkit_named_morphs() {
    let duo = common::duo(FRAMES);
    check(&duo, Morphs::Arkit, &[]);
}
