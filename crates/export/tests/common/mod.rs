//! Shared by the export tests: a short, varied two-person result, and a reader of .glb chunks.
#![allow(dead_code)]

use duologue_params::{Duo, Joint, Person, DT, FPS, N_EXPR, N_ID};
use serde_json::Value;

/// `frames` frames: A and B side by side, every expression component moving, heads nodding and
/// turning, eyes looking around, B stepping forward.
pub fn duo(frames: usize) -> Duo {
    let mut a = Person::neutral(frames, [-0.3, -0.2, 0.0]);
    let mut b = Person::neutral(frames, [0.3, -0.2, 0.1]);
    for i in 0..N_ID {
        a.beta[i] = 0.5 * ((i as f32) * 0.7).sin();
        b.beta[i] = 0.5 * ((i as f32) * 1.3).cos();
    }
    for (pi, p) in [&mut a, &mut b].into_iter().enumerate() {
        for k in 0..frames {
            let t = k as f32 / FPS as f32;
            let f = p.x.frame_mut(k);
            for (c, v) in f[..N_EXPR].iter_mut().enumerate() {
                *v = (0.5 + 0.5 * (t * 3.0 + c as f32 * 0.37 + pi as f32).sin()) * 0.6;
            }
            f[Joint::Neck.range().start + 1] = 0.2 * (t * 0.8).sin();
            f[Joint::Head.range().start] = 0.15 * (t * 1.7).sin();
            f[Joint::Head.range().start + 2] = 0.1 * (t * 1.1).cos();
            for eye in [Joint::LeftEye, Joint::RightEye] {
                f[eye.range().start] = 0.1 * (t * 2.0).sin();
                f[eye.range().start + 1] = 0.3 * (t * 1.3).cos();
            }
            if pi == 1 {
                f[DT.start + 2] = -0.05 * t;
            }
        }
        p.mask = (0..frames).map(|k| if (k / 10) % 2 == pi { 1.0 } else { 0.0 }).collect();
    }
    Duo { a, b, fps: FPS as f32 }
}

/// Like [`duo`], but face to face across 1 m (A at z = -0.5, B at z = +0.5), each turned toward
/// the other through the neck: A's yaw swings around a half turn (crossing +-pi), B's around 0.
/// Expression coefficients are signed here (as the model's are), in [-0.6, 0.6].
pub fn facing_duo(frames: usize) -> Duo {
    let mut d = duo(frames);
    d.a.t0 = [0.0, -0.2, -0.5];
    d.b.t0 = [0.0, -0.2, 0.5];
    for (pi, (p, base)) in [(&mut d.a, std::f32::consts::PI), (&mut d.b, 0.0)].into_iter().enumerate() {
        for k in 0..frames {
            let t = k as f32 / FPS as f32;
            let f = p.x.frame_mut(k);
            f[Joint::Neck.range().start + 1] = base + 0.25 * (t * 2.1).sin();
            for (c, v) in f[..N_EXPR].iter_mut().enumerate() {
                *v = 0.6 * (t * 2.7 + c as f32 * 0.61 + pi as f32).sin();
            }
        }
    }
    d
}

/// (JSON chunk, BIN chunk) of a .glb.
pub fn chunks(glb: &[u8]) -> (Value, Vec<u8>) {
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
pub fn floats(doc: &Value, bin: &[u8], i: usize) -> Vec<f32> {
    let acc = &doc["accessors"][i];
    assert_eq!(acc["componentType"], 5126);
    let width = match acc["type"].as_str().unwrap() {
        "SCALAR" => 1,
        "VEC3" => 3,
        "VEC4" => 4,
        "MAT4" => 16,
        t => panic!("type {t}"),
    };
    let n = acc["count"].as_u64().unwrap() as usize * width;
    let offset = |view: &Value| {
        doc["bufferViews"][view.as_u64().unwrap() as usize]["byteOffset"].as_u64().unwrap() as usize
    };
    let read = |off: usize, count: usize| -> Vec<f32> {
        bin[off..off + 4 * count].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
    };
    // No bufferView: zeros (glTF 2.0 §3.6.2.3), then the sparse values, if any, replace elements.
    let mut out = match acc.get("bufferView") {
        Some(v) => read(offset(v), n),
        None => vec![0.0; n],
    };
    if let Some(sp) = acc.get("sparse") {
        let count = sp["count"].as_u64().unwrap() as usize;
        let io = offset(&sp["indices"]["bufferView"]);
        let idx: Vec<usize> = match sp["indices"]["componentType"].as_u64().unwrap() {
            5123 => bin[io..io + 2 * count]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]) as usize)
                .collect(),
            5125 => bin[io..io + 4 * count]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()) as usize)
                .collect(),
            t => panic!("sparse index type {t}"),
        };
        assert!(idx.windows(2).all(|w| w[0] < w[1]), "sparse indices must increase");
        let values = read(offset(&sp["values"]["bufferView"]), count * width);
        for (j, &e) in idx.iter().enumerate() {
            out[e * width..(e + 1) * width].copy_from_slice(&values[j * width..(j + 1) * width]);
        }
    }
    out
}

/// The morph weights the file's animation gives mesh `mesh`, flat `[frames * targets]`.
pub fn mesh_weights(doc: &Value, bin: &[u8], mesh: usize) -> Vec<f32> {
    let anim = &doc["animations"][0];
    let ch = anim["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["target"]["path"] == "weights"
                && doc["nodes"][c["target"]["node"].as_u64().unwrap() as usize]["mesh"] == mesh
        })
        .unwrap_or_else(|| panic!("no weights channel for mesh {mesh}"));
    floats(
        doc,
        bin,
        anim["samplers"][ch["sampler"].as_u64().unwrap() as usize]["output"].as_u64().unwrap() as usize,
    )
}
