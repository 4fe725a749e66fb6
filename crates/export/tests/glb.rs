//! The .glb of a real short animation passes the Khronos glTF validator with zero errors and
//! reads back with the structure and values we wrote.
//! Needs node and tools/gltf/node_modules (scripts/setup.sh runs `npm ci` in tools/gltf).

mod common;

use common::{chunks, floats, mesh_weights};
use duologue_export::{arkit_targets, glb_bytes, write_glb, Morphs};
use duologue_face::{FaceModel, ARKIT_NAMES, EXPRESSION_NAMES};
use duologue_params::N_EXPR;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const FRAMES: usize = 40;

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
    for (morphs, targets) in [(Morphs::Split, 2 * N_EXPR), (Morphs::Signed, N_EXPR), (Morphs::Arkit, 52)] {
        let path = dir.path().join(format!("result-{}.glb", morphs.name()));
        let summary = write_glb(&path, face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, morphs).unwrap();
        assert_eq!(
            (summary.people, summary.frames, summary.samplers, summary.targets),
            (2, FRAMES, 12, targets)
        );
        let out = Command::new(&node).arg(&script).arg(&path).output().unwrap();
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
}

#[test]
fn glb_reads_back_with_both_heads_targets_and_animation() {
    let face = FaceModel::shared();
    let duo = common::duo(FRAMES);
    let (bytes, _) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, Morphs::Signed).unwrap();
    let (doc, bin) = chunks(&bytes);
    assert_eq!(doc["scenes"].as_array().unwrap().len(), 1);
    assert_eq!(doc["scenes"][0]["extras"]["fps"], 25.0);
    assert_eq!(doc["animations"][0]["extras"]["fps"], 25.0);
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
    let err = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], 25.0, Morphs::Split).unwrap_err().to_string();
    assert!(err.contains("person B") && err.contains("beta"), "{err}");
    let mut duo = common::duo(5);
    duo.a.x.as_mut_slice()[3] = f32::NAN;
    assert!(glb_bytes(face, &[("A", &duo.a)], 25.0, Morphs::Split).is_err());
    let dir = tempfile::tempdir().unwrap();
    let duo = common::duo(5);
    let err = write_glb(&dir.path().join("no/such/dir/x.glb"), face, &[("A", &duo.a)], 25.0, Morphs::Split)
        .unwrap_err();
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
    let duo = common::facing_duo(FRAMES);
    viewer_sees_the_pose(&duo, Morphs::Split);
    viewer_sees_the_pose(&duo, Morphs::Signed);
    // The side-by-side result too (rest facing near the viewer).
    viewer_sees_the_pose(&common::duo(FRAMES), Morphs::Split);
}

fn viewer_sees_the_pose(duo: &duologue_params::Duo, morphs: Morphs) {
    let face = FaceModel::shared();
    let (bytes, _) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, morphs).unwrap();
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
            let r = key(n, "rotation", 4).unwrap_or_else(|| {
                nodes[n].get("rotation").map(vec_of).unwrap_or_else(|| vec![0.0, 0.0, 0.0, 1.0])
            });
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
        let n_targets = prim_targets(&doc, mi);
        let morph = key(mesh_node, "weights", n_targets).unwrap();
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
        assert!(
            worst < 1e-4,
            "person {mi} ({morphs:?}): glTF evaluation differs from FaceModel::pose by {worst} m"
        );
    }
}

fn prim_targets(doc: &Value, mesh: usize) -> usize {
    doc["meshes"][mesh]["primitives"][0]["targets"].as_array().unwrap().len()
}

/// Default morphs: each component as a non-negative pair whose weights stay in [0, 1] and give
/// psi back (w+ s+ - w- s-), scaled where the clip drives a component past 1.
#[test]
fn split_morphs_keep_weights_in_unit_range_and_give_psi_back() {
    let face = FaceModel::shared();
    let mut duo = common::duo(FRAMES);
    duo.a.x.frame_mut(3)[0] = 2.5; // jaw_open past 1: its positive target is scaled by 2.5
    duo.b.x.frame_mut(4)[1] = -1.7;
    let (bytes, s) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, Morphs::Split).unwrap();
    assert_eq!(s.targets, 2 * N_EXPR);
    let (doc, bin) = chunks(&bytes);
    let mesh = &doc["meshes"][0];
    let names: Vec<&str> =
        mesh["extras"]["targetNames"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let want: Vec<String> =
        EXPRESSION_NAMES.iter().flat_map(|n| [n.to_string(), format!("{n}_neg")]).collect();
    assert_eq!(names, want);
    let scales: Vec<f32> = mesh["extras"]["targetScales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!((scales[0], scales[1], scales[3]), (2.5, 1.0, 1.7));
    // Target 0 is 2.5 E_jaw_open, target 3 is -1.7 E_jaw_forward (mirrored in z).
    let nv = face.vertex_count();
    let t0 = floats(&doc, &bin, mesh["primitives"][0]["targets"][0]["POSITION"].as_u64().unwrap() as usize);
    let t3 = floats(&doc, &bin, mesh["primitives"][0]["targets"][3]["POSITION"].as_u64().unwrap() as usize);
    for v in (0..nv).step_by(97) {
        let e = face.expression[v];
        assert!((t0[3 * v + 1] - 2.5 * e[1]).abs() < 1e-6 && (t0[3 * v + 2] + 2.5 * e[2]).abs() < 1e-6);
        let e = face.expression[nv + v];
        assert!((t3[3 * v + 1] + 1.7 * e[1]).abs() < 1e-6);
    }
    for (pi, person) in [&duo.a, &duo.b].into_iter().enumerate() {
        let w = mesh_weights(&doc, &bin, pi);
        assert_eq!(w.len(), FRAMES * 2 * N_EXPR);
        assert!(w.iter().all(|x| (0.0..=1.0).contains(x)), "weights outside [0, 1]");
        for k in 0..FRAMES {
            for c in 0..N_EXPR {
                let (p, n) = (w[(k * N_EXPR + c) * 2], w[(k * N_EXPR + c) * 2 + 1]);
                assert!(p == 0.0 || n == 0.0, "both halves of one component set");
                let back = p * scales[2 * c] - n * scales[2 * c + 1];
                assert!((back - person.x.frame(k)[c]).abs() < 1e-6, "frame {k} component {c}: {back}");
            }
        }
    }
}

/// ARKit morphs: the 52 names, weights as the ARKit curves, and a shape that has one expression
/// behind it (jawOpen <- jaw_open) reproduces that expression exactly.
#[test]
fn arkit_morphs_are_named_and_reproduce_single_expressions() {
    let face = FaceModel::shared();
    let duo = common::duo(10);
    let (bytes, s) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, Morphs::Arkit).unwrap();
    assert_eq!(s.targets, 52);
    let (doc, bin) = chunks(&bytes);
    let names: Vec<&str> = doc["meshes"][1]["extras"]["targetNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, ARKIT_NAMES.to_vec());
    let anim = &doc["animations"][0];
    let ch = anim["channels"].as_array().unwrap().iter().find(|c| c["target"]["path"] == "weights").unwrap();
    let w = floats(
        &doc,
        &bin,
        anim["samplers"][ch["sampler"].as_u64().unwrap() as usize]["output"].as_u64().unwrap() as usize,
    );
    let curves = duologue_export::arkit_curves(face, &duo.a, duo.fps);
    assert_eq!(&w[52 * 6..52 * 7], &curves.weights[6][..]);
    let shapes = arkit_targets(face);
    let nv = face.vertex_count();
    let jaw = ARKIT_NAMES.iter().position(|n| *n == "jawOpen").unwrap();
    let e = &face.expression[..nv]; // jaw_open
    let worst = shapes[jaw]
        .iter()
        .zip(e)
        .map(|(d, e)| (0..3).map(|c| (d[c] - e[c]).abs()).fold(0.0, f32::max))
        .fold(0.0, f32::max);
    assert!(worst < 1e-5, "jawOpen differs from jaw_open by {worst}");
    // Eye-look shapes move no vertex (the eye joints turn the eyes).
    let look = ARKIT_NAMES.iter().position(|n| *n == "eyeLookUpLeft").unwrap();
    assert!(shapes[look].iter().all(|d| *d == [0.0; 3]));
}

/// Each root node carries the person's rest facing, so the rest pose is already the layout:
/// face to face, A's root turns about half a turn and B's barely.
#[test]
fn root_nodes_carry_each_persons_rest_facing() {
    let face = FaceModel::shared();
    let duo = common::facing_duo(FRAMES);
    let (bytes, _) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, Morphs::Split).unwrap();
    let (doc, _) = chunks(&bytes);
    let node =
        |name: &str| doc["nodes"].as_array().unwrap().iter().find(|n| n["name"] == name).unwrap().clone();
    let yaw = |name: &str| node(name)["extras"]["rest_yaw_degrees"].as_f64().unwrap();
    // (The neck's swing of +-0.25 rad over 1.6 s does not average out exactly: within 15 degrees.)
    assert!((yaw("A").abs() - 180.0).abs() < 15.0, "A's rest yaw {}", yaw("A"));
    assert!(yaw("B").abs() < 15.0, "B's rest yaw {}", yaw("B"));
    // glTF quaternion of a half turn about Y: |y| ~ 1.
    let q = node("A")["rotation"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>();
    assert!(q[1].abs() > 0.98, "{q:?}");
}
