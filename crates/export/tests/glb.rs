//! The .glb of a real short animation passes the Khronos glTF validator with zero errors and
//! reads back with the structure and values we wrote.
//! Needs node and tools/gltf/node_modules (scripts/setup.sh runs `npm ci` in tools/gltf).

mod common;

use duologue_export::{glb_bytes, write_glb};
use duologue_face::{FaceModel, EXPRESSION_NAMES};
use duologue_params::N_EXPR;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const FRAMES: usize = 40;

/// (JSON chunk, BIN chunk) of a .glb.
fn chunks(glb: &[u8]) -> (Value, Vec<u8>) {
    assert_eq!(&glb[0..4], b"glTF");
    assert_eq!(u32::from_le_bytes(glb[4..8].try_into().unwrap()), 2);
    assert_eq!(u32::from_le_bytes(glb[8..12].try_into().unwrap()) as usize, glb.len());
    let jlen = u32::from_le_bytes(glb[12..16].try_into().unwrap()) as usize;
    assert_eq!(&glb[16..20], b"JSON");
    let json: Value = serde_json::from_slice(&glb[20..20 + jlen]).unwrap();
    let b0 = 20 + jlen;
    let blen = u32::from_le_bytes(glb[b0..b0 + 4].try_into().unwrap()) as usize;
    assert_eq!(&glb[b0 + 4..b0 + 8], b"BIN\0");
    (json, glb[b0 + 8..b0 + 8 + blen].to_vec())
}

/// The floats of accessor `i`.
fn floats(doc: &Value, bin: &[u8], i: usize) -> Vec<f32> {
    let acc = &doc["accessors"][i];
    assert_eq!(acc["componentType"], 5126);
    let view = &doc["bufferViews"][acc["bufferView"].as_u64().unwrap() as usize];
    let off = view["byteOffset"].as_u64().unwrap() as usize;
    let n = acc["count"].as_u64().unwrap() as usize
        * match acc["type"].as_str().unwrap() {
            "SCALAR" => 1,
            "VEC3" => 3,
            "VEC4" => 4,
            "MAT4" => 16,
            t => panic!("type {t}"),
        };
    bin[off..off + 4 * n].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
}

fn validator() -> (PathBuf, PathBuf) {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/gltf");
    let script = tools.join("validate.js");
    assert!(
        tools.join("node_modules/gltf-validator").is_dir(),
        "gltf-validator is not installed in {}: run scripts/setup.sh (npm ci in tools/gltf)",
        tools.display()
    );
    let node = PathBuf::from("node");
    assert!(
        Command::new(&node).arg("--version").output().map(|o| o.status.success()).unwrap_or(false),
        "node is not installed: run scripts/setup.sh"
    );
    (node, script)
}

#[test]
fn glb_passes_the_khronos_validator_with_no_errors() {
    let (node, script) = validator();
    let face = FaceModel::shared();
    let duo = common::duo(FRAMES);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.glb");
    let summary = write_glb(&path, face, &[("A", &duo.a), ("B", &duo.b)], duo.fps).unwrap();
    assert_eq!((summary.people, summary.frames, summary.samplers), (2, FRAMES, 12));
    let out = Command::new(node).arg(&script).arg(&path).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("validator output unreadable ({e}): {}", String::from_utf8_lossy(&out.stderr))
    });
    let issues = &report["issues"];
    let messages: Vec<String> = issues["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{} {} {}", m["severity"], m["code"], m["message"]))
        .collect();
    assert_eq!(issues["numErrors"], 0, "validator errors:\n{}", messages.join("\n"));
    assert_eq!(issues["numWarnings"], 0, "validator warnings:\n{}", messages.join("\n"));
    assert!(out.status.success());
}

#[test]
fn glb_reads_back_with_both_heads_targets_and_animation() {
    let face = FaceModel::shared();
    let duo = common::duo(FRAMES);
    let (bytes, _) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps).unwrap();
    let (doc, bin) = chunks(&bytes);
    assert_eq!(doc["scenes"].as_array().unwrap().len(), 1);
    assert_eq!(doc["animations"].as_array().unwrap().len(), 1);
    let meshes = doc["meshes"].as_array().unwrap();
    assert_eq!(meshes.len(), 2);
    let nodes = doc["nodes"].as_array().unwrap();
    let skinned: Vec<&Value> = nodes.iter().filter(|n| n.get("skin").is_some()).collect();
    assert_eq!(skinned.len(), 2);
    for (mi, mesh) in meshes.iter().enumerate() {
        let prim = &mesh["primitives"][0];
        assert_eq!(prim["targets"].as_array().unwrap().len(), N_EXPR);
        assert_eq!(mesh["weights"].as_array().unwrap().len(), N_EXPR);
        let names: Vec<&str> =
            mesh["extras"]["targetNames"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(names, EXPRESSION_NAMES.to_vec());
        // POSITION bounds equal the data, and the data is the identity-shaped head mirrored in z.
        let pa = prim["attributes"]["POSITION"].as_u64().unwrap() as usize;
        let pos = floats(&doc, &bin, pa);
        assert_eq!(pos.len(), 3 * face.vertex_count());
        let person = if mi == 0 { &duo.a } else { &duo.b };
        let base = face.shaped(&person.beta, &[]);
        for (v, p) in base.iter().zip(pos.chunks_exact(3)) {
            assert_eq!([v[0], v[1], -v[2]], [p[0], p[1], p[2]]);
        }
        for c in 0..3 {
            let lo = pos.iter().skip(c).step_by(3).copied().fold(f32::MAX, f32::min);
            let hi = pos.iter().skip(c).step_by(3).copied().fold(f32::MIN, f32::max);
            // (serde_json's default float parsing may miss the last f64 bit; f32 equality is exact.)
            assert_eq!(doc["accessors"][pa]["min"][c].as_f64().unwrap() as f32, lo);
            assert_eq!(doc["accessors"][pa]["max"][c].as_f64().unwrap() as f32, hi);
        }
    }
    let anim = &doc["animations"][0];
    let samplers = anim["samplers"].as_array().unwrap();
    assert_eq!(samplers.len(), 12);
    assert_eq!(anim["channels"].as_array().unwrap().len(), 12);
    let input = samplers[0]["input"].as_u64().unwrap() as usize;
    assert_eq!(doc["accessors"][input]["count"], FRAMES);
    assert_eq!(doc["accessors"][input]["max"][0].as_f64().unwrap() as f32, (FRAMES - 1) as f32 / 25.0);
    // A's morph weights are psi, frame by frame; B's root translation is t0 + dt mirrored.
    let channels = anim["channels"].as_array().unwrap();
    let find = |node_name: &str, path: &str| {
        let ch = channels
            .iter()
            .find(|c| {
                c["target"]["path"] == path
                    && nodes[c["target"]["node"].as_u64().unwrap() as usize]["name"] == node_name
            })
            .unwrap_or_else(|| panic!("no {path} channel on {node_name}"));
        floats(
            &doc,
            &bin,
            samplers[ch["sampler"].as_u64().unwrap() as usize]["output"].as_u64().unwrap() as usize,
        )
    };
    let w = find("A_head_mesh", "weights");
    assert_eq!(w.len(), FRAMES * N_EXPR);
    assert_eq!(&w[N_EXPR * 7..N_EXPR * 8], duo.a.x.psi(7));
    let t = find("B", "translation");
    let tb = duo.b.translation(FRAMES - 1);
    assert_eq!(&t[3 * (FRAMES - 1)..], &[tb[0], tb[1], -tb[2]]);
    // Joint rotations are unit quaternions.
    for q in find("A_head", "rotation").chunks_exact(4) {
        assert!((q.iter().map(|v| v * v).sum::<f32>() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn bad_people_are_refused_with_a_message() {
    let face = FaceModel::shared();
    let mut duo = common::duo(5);
    duo.b.beta.truncate(10);
    let err = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], 25.0).unwrap_err().to_string();
    assert!(err.contains("person B") && err.contains("beta"), "{err}");
    let mut duo = common::duo(5);
    duo.a.x.as_mut_slice()[3] = f32::NAN;
    assert!(glb_bytes(face, &[("A", &duo.a)], 25.0).is_err());
    let dir = tempfile::tempdir().unwrap();
    let duo = common::duo(5);
    let err = write_glb(&dir.path().join("no/such/dir/x.glb"), face, &[("A", &duo.a)], 25.0).unwrap_err();
    assert!(err.to_string().contains("x.glb"), "{err}");
}

type M4 = [[f64; 4]; 4];

fn mul(a: &M4, b: &M4) -> M4 {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..4).map(|k| a[i][k] * b[k][j]).sum()))
}

fn translate(t: &[f64]) -> M4 {
    [[1.0, 0.0, 0.0, t[0]], [0.0, 1.0, 0.0, t[1]], [0.0, 0.0, 1.0, t[2]], [0.0, 0.0, 0.0, 1.0]]
}

/// Rotation matrix of a glTF quaternion (x, y, z, w), right-handed as glTF defines it.
fn rotate(q: &[f64]) -> M4 {
    let (x, y, z, w) = (q[0], q[1], q[2], q[3]);
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - z * w), 2.0 * (x * z + y * w), 0.0],
        [2.0 * (x * y + z * w), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - x * w), 0.0],
        [2.0 * (x * z - y * w), 2.0 * (y * z + x * w), 1.0 - 2.0 * (x * x + y * y), 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ]
}

/// Evaluating the file as a glTF viewer would (node hierarchy, keyframe k, skinning with inverse
/// bind matrices, morph targets) gives the face model's own posed vertices, mirrored in z.
#[test]
fn a_viewer_evaluating_the_glb_sees_the_face_models_pose() {
    let face = FaceModel::shared();
    let duo = common::duo(FRAMES);
    let (bytes, _) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps).unwrap();
    let (doc, bin) = chunks(&bytes);
    let nodes = doc["nodes"].as_array().unwrap();
    let anim = &doc["animations"][0];
    let k = 23;
    // Keyframe k of the channel on `node` / `path`, if any.
    let key = |node: usize, path: &str, width: usize| -> Option<Vec<f64>> {
        let ch = anim["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["target"]["node"] == node && c["target"]["path"] == path)?;
        let out =
            anim["samplers"][ch["sampler"].as_u64().unwrap() as usize]["output"].as_u64().unwrap() as usize;
        Some(floats(&doc, &bin, out)[k * width..(k + 1) * width].iter().map(|&v| v as f64).collect())
    };
    let vec_of = |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>();
    for (mi, person) in [&duo.a, &duo.b].into_iter().enumerate() {
        let mesh_node = nodes.iter().position(|n| n["mesh"] == mi).unwrap();
        let skin = &doc["skins"][nodes[mesh_node]["skin"].as_u64().unwrap() as usize];
        let joints: Vec<usize> =
            skin["joints"].as_array().unwrap().iter().map(|j| j.as_u64().unwrap() as usize).collect();
        let parent = |n: usize| {
            nodes.iter().position(|p| p["children"].as_array().is_some_and(|c| c.iter().any(|x| x == n)))
        };
        let local = |n: usize| {
            let t = key(n, "translation", 3).unwrap_or_else(|| vec_of(&nodes[n]["translation"]));
            let r = key(n, "rotation", 4).unwrap_or_else(|| vec![0.0, 0.0, 0.0, 1.0]);
            mul(&translate(&t), &rotate(&r))
        };
        let global = |mut n: usize| {
            let mut m = local(n);
            while let Some(p) = parent(n) {
                m = mul(&local(p), &m);
                n = p;
            }
            m
        };
        let ibm = floats(&doc, &bin, skin["inverseBindMatrices"].as_u64().unwrap() as usize);
        let joint_mats: Vec<M4> = joints
            .iter()
            .enumerate()
            .map(|(i, &j)| {
                let c = &ibm[16 * i..16 * (i + 1)]; // column-major
                let inv: M4 = std::array::from_fn(|r| std::array::from_fn(|col| c[col * 4 + r] as f64));
                mul(&global(j), &inv)
            })
            .collect();
        let prim = &doc["meshes"][mi]["primitives"][0];
        let base = floats(&doc, &bin, prim["attributes"]["POSITION"].as_u64().unwrap() as usize);
        let weights = floats(&doc, &bin, prim["attributes"]["WEIGHTS_0"].as_u64().unwrap() as usize);
        let jacc = &doc["accessors"][prim["attributes"]["JOINTS_0"].as_u64().unwrap() as usize];
        let joff = doc["bufferViews"][jacc["bufferView"].as_u64().unwrap() as usize]["byteOffset"]
            .as_u64()
            .unwrap() as usize;
        let morph = key(mesh_node, "weights", N_EXPR).unwrap();
        let targets: Vec<Vec<f32>> = prim["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| floats(&doc, &bin, t["POSITION"].as_u64().unwrap() as usize))
            .collect();
        let f = person.x.frame(k);
        let want = face.pose(&person.beta, &f[..N_EXPR], &f[63..75], person.translation(k)).vertices;
        let mut worst = 0.0f64;
        for (v, w) in want.iter().enumerate() {
            let mut p = [base[3 * v] as f64, base[3 * v + 1] as f64, base[3 * v + 2] as f64, 1.0];
            for (t, m) in targets.iter().zip(&morph) {
                for c in 0..3 {
                    p[c] += m * t[3 * v + c] as f64;
                }
            }
            let mut out = [0.0f64; 3];
            for s in 0..4 {
                let jm = &joint_mats[bin[joff + 4 * v + s] as usize];
                let wt = weights[4 * v + s] as f64;
                for (r, o) in out.iter_mut().enumerate() {
                    *o += wt * (0..4).map(|c| jm[r][c] * p[c]).sum::<f64>();
                }
            }
            let expect = [w[0] as f64, w[1] as f64, -(w[2] as f64)];
            worst = worst.max((0..3).map(|c| (out[c] - expect[c]).abs()).fold(0.0, f64::max));
        }
        assert!(worst < 1e-4, "person {mi}: glTF evaluation differs from FaceModel::pose by {worst} m");
    }
}
