//! glTF 2.0 binary (.glb) of a result: both heads in one scene and one animation (DESIGN §6).
//!
//! Per person: a skinned mesh with the identity baked into the base shape (beta is constant over
//! a clip) and the 63 expression components as morph targets, a skeleton `root -> neck -> head ->
//! left_eye / right_eye` whose root is placed at t0, and animation channels for the morph
//! weights (psi), the four joint rotations (theta) and the root translation (t0 + dt), sampled
//! at the clip's frame rate with linear interpolation.
//!
//! Frames (DESIGN §2): duologue's world is left-handed (+Z away from the viewer), glTF's is
//! right-handed with the viewer on +Z. Positions and translations map (x, y, z) -> (x, y, -z);
//! rotations are conjugated by diag(1, 1, -1), i.e. quaternion (x, y, z, w) -> (-x, -y, z, w);
//! the mirror reverses orientation, so triangles are written as [a, c, b] (FACE_API.md).
//! Bytes are little-endian; bufferViews are 4-byte aligned.

use crate::ExportError;
use duologue_face::{FaceModel, EXPRESSION_NAMES};
use duologue_params::{Joint, Person, N_EXPR};
use duologue_render::math::vertex_normals;
use duologue_render::raster::srgb_to_linear;
use duologue_render::region_material;
use serde_json::{json, Value};
use std::path::Path;

const ARRAY_BUFFER: u32 = 34962;
const ELEMENT_ARRAY_BUFFER: u32 = 34963;
const FLOAT: u32 = 5126;
const UNSIGNED_BYTE: u32 = 5121;
const UNSIGNED_SHORT: u32 = 5123;
const UNSIGNED_INT: u32 = 5125;

/// What was written, for messages and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct GlbSummary {
    /// Bytes in the file.
    pub bytes: usize,
    /// People (skinned meshes).
    pub people: usize,
    /// Keyframes per channel.
    pub frames: usize,
    /// Animation samplers (6 per person: weights, 4 rotations, translation).
    pub samplers: usize,
}

/// Mirror a duologue point or translation into glTF's frame.
#[inline]
fn mirror(p: [f32; 3]) -> [f32; 3] {
    [p[0], p[1], -p[2]]
}

/// Unit quaternion (x, y, z, w) of axis-angle `r` in duologue's frame, mirrored into glTF's.
fn mirrored_quat(r: [f32; 3]) -> [f32; 4] {
    let angle = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
    // sin(a/2)/a -> 1/2 as a -> 0; the series keeps tiny rotations exact.
    let s = if angle < 1e-4 { 0.5 - angle * angle / 48.0 } else { (0.5 * angle).sin() / angle };
    let q = [-r[0] * s, -r[1] * s, r[2] * s, (0.5 * angle).cos()];
    let n = q.iter().map(|v| v * v).sum::<f32>().sqrt();
    q.map(|v| v / n)
}

/// The binary chunk being assembled, with its bufferViews and accessors.
#[derive(Default)]
struct Bin {
    data: Vec<u8>,
    views: Vec<Value>,
    accessors: Vec<Value>,
}

impl Bin {
    fn view(&mut self, bytes: &[u8], target: Option<u32>) -> usize {
        while self.data.len() % 4 != 0 {
            self.data.push(0);
        }
        let mut v = json!({ "buffer": 0, "byteOffset": self.data.len(), "byteLength": bytes.len() });
        if let Some(t) = target {
            v["target"] = json!(t);
        }
        self.data.extend_from_slice(bytes);
        self.views.push(v);
        self.views.len() - 1
    }

    fn accessor(&mut self, view: usize, component: u32, count: usize, kind: &str, extra: Value) -> usize {
        let mut a = json!({ "bufferView": view, "componentType": component, "count": count, "type": kind });
        if let (Value::Object(a), Value::Object(e)) = (&mut a, extra) {
            a.extend(e);
        }
        self.accessors.push(a);
        self.accessors.len() - 1
    }

    /// Float accessor of `n`-component elements; `bounds` adds exact min/max (required for
    /// POSITION and animation inputs). Bounds are written as the f64 of each f32 so that they
    /// equal the stored values bit for bit.
    fn floats(&mut self, values: &[f32], n: usize, kind: &str, target: Option<u32>, bounds: bool) -> usize {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let view = self.view(&bytes, target);
        let mut extra = json!({});
        if bounds {
            let (mut lo, mut hi) = (vec![f32::MAX; n], vec![f32::MIN; n]);
            for chunk in values.chunks_exact(n) {
                for (i, v) in chunk.iter().enumerate() {
                    lo[i] = lo[i].min(*v);
                    hi[i] = hi[i].max(*v);
                }
            }
            let f = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
            extra = json!({ "min": f(lo), "max": f(hi) });
        }
        self.accessor(view, FLOAT, values.len() / n, kind, extra)
    }
}

/// Build the .glb bytes for `people` (name, person) animated at `fps`.
pub fn glb_bytes(
    face: &FaceModel,
    people: &[(&str, &Person)],
    fps: f32,
) -> Result<(Vec<u8>, GlbSummary), ExportError> {
    let frames = crate::check_people(people)?;
    if !(fps.is_finite() && fps > 0.0) {
        return Err(ExportError::Input(format!("frame rate {fps} is not a positive number")));
    }
    let nv = face.vertex_count();
    let mut bin = Bin::default();

    // Shared by every person: indices, colours, skin joints/weights, morph targets.
    let indices = {
        let tris: Vec<[u32; 3]> = face.triangles.iter().map(|t| [t[0], t[2], t[1]]).collect();
        if nv <= u16::MAX as usize {
            let b: Vec<u8> = tris.iter().flatten().flat_map(|&i| (i as u16).to_le_bytes()).collect();
            let v = bin.view(&b, Some(ELEMENT_ARRAY_BUFFER));
            bin.accessor(v, UNSIGNED_SHORT, tris.len() * 3, "SCALAR", json!({}))
        } else {
            let b: Vec<u8> = tris.iter().flatten().flat_map(|&i| i.to_le_bytes()).collect();
            let v = bin.view(&b, Some(ELEMENT_ARRAY_BUFFER));
            bin.accessor(v, UNSIGNED_INT, tris.len() * 3, "SCALAR", json!({}))
        }
    };
    let colors: Vec<f32> = face.regions.iter().flat_map(|&r| srgb_to_linear(region_material(r).0)).collect();
    let color_acc = bin.floats(&colors, 3, "VEC3", Some(ARRAY_BUFFER), false);
    // Per vertex, the joints with non-zero weight, heaviest first; empty slots get joint 0 with
    // weight 0 (the validator flags a zero weight on a non-zero joint index).
    let mut joints_bytes = Vec::with_capacity(nv * 4);
    let mut weights = Vec::with_capacity(nv * 4);
    for w in &face.skin_weights {
        let mut used: Vec<(u8, f32)> =
            (0..4u8).map(|j| (j, w[j as usize].max(0.0))).filter(|x| x.1 > 0.0).collect();
        used.sort_by(|a, b| b.1.total_cmp(&a.1));
        if used.is_empty() {
            used.push((1, 1.0)); // unweighted vertex: follow the head
        }
        // Renormalise in f32 so the validator's sum-to-one check holds.
        let sum: f32 = used.iter().map(|x| x.1).sum();
        for slot in 0..4 {
            let (j, x) = used.get(slot).copied().unwrap_or((0, 0.0));
            joints_bytes.push(j);
            weights.push(x / sum);
        }
    }
    let jv = bin.view(&joints_bytes, Some(ARRAY_BUFFER));
    let joints_acc = bin.accessor(jv, UNSIGNED_BYTE, nv, "VEC4", json!({}));
    let weights_acc = bin.floats(&weights, 4, "VEC4", Some(ARRAY_BUFFER), false);
    let targets: Vec<Value> = (0..N_EXPR)
        .map(|k| {
            let d: Vec<f32> = face.expression[k * nv..(k + 1) * nv].iter().flat_map(|&p| mirror(p)).collect();
            json!({ "POSITION": bin.floats(&d, 3, "VEC3", Some(ARRAY_BUFFER), true) })
        })
        .collect();

    // Key times, shared by every sampler. [L]
    let times: Vec<f32> = (0..frames).map(|k| k as f32 / fps).collect();
    let time_acc = bin.floats(&times, 1, "SCALAR", None, true);

    let mut nodes: Vec<Value> = Vec::new();
    let mut scene_roots = Vec::new();
    let (mut meshes, mut skins, mut samplers, mut channels) = (vec![], vec![], vec![], vec![]);
    for (pi, (name, person)) in people.iter().enumerate() {
        let base = face.shaped(&person.beta, &[0.0; N_EXPR]);
        let normals = vertex_normals(&base, &face.triangles);
        let pos: Vec<f32> = base.iter().flat_map(|&p| mirror(p)).collect();
        let nrm: Vec<f32> = normals.iter().flat_map(|&n| mirror(n)).collect();
        let pos_acc = bin.floats(&pos, 3, "VEC3", Some(ARRAY_BUFFER), true);
        let nrm_acc = bin.floats(&nrm, 3, "VEC3", Some(ARRAY_BUFFER), false);
        meshes.push(json!({
            "name": format!("{name}_head"),
            "primitives": [{
                "attributes": {
                    "POSITION": pos_acc, "NORMAL": nrm_acc, "COLOR_0": color_acc,
                    "JOINTS_0": joints_acc, "WEIGHTS_0": weights_acc
                },
                "indices": indices,
                "material": 0,
                "mode": 4,
                "targets": targets,
            }],
            "weights": vec![0.0; N_EXPR],
            "extras": { "targetNames": &EXPRESSION_NAMES[..] },
        }));

        // Skeleton: root (t0) -> neck -> head -> eyes, translations relative to the parent.
        let j = face.joints(&person.beta);
        let root = nodes.len();
        let (neck, head, leye, reye) = (root + 1, root + 2, root + 3, root + 4);
        let rel = |a: [f32; 3], b: [f32; 3]| mirror([a[0] - b[0], a[1] - b[1], a[2] - b[2]]);
        nodes.push(json!({ "name": name.to_string(), "translation": mirror(person.t0), "children": [neck] }));
        nodes.push(json!({ "name": format!("{name}_{}", Joint::Neck.name()), "translation": mirror(j[0]), "children": [head] }));
        nodes.push(json!({ "name": format!("{name}_{}", Joint::Head.name()), "translation": rel(j[1], j[0]), "children": [leye, reye] }));
        nodes.push(
            json!({ "name": format!("{name}_{}", Joint::LeftEye.name()), "translation": rel(j[2], j[1]) }),
        );
        nodes.push(
            json!({ "name": format!("{name}_{}", Joint::RightEye.name()), "translation": rel(j[3], j[1]) }),
        );
        let mesh_node = nodes.len();
        // The skinned mesh node sits at the scene root without a transform, as glTF advises:
        // joints alone place the vertices.
        nodes.push(json!({ "name": format!("{name}_head_mesh"), "mesh": pi, "skin": pi }));
        scene_roots.extend([root, mesh_node]);

        // Inverse bind matrices: the joints' bind globals are T(J_j) relative to the root, whose
        // own translation then moves everything to t. Column-major 4x4.
        let ibm: Vec<f32> = j
            .iter()
            .flat_map(|&jj| {
                let m = mirror(jj);
                [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -m[0], -m[1], -m[2], 1.0]
            })
            .collect();
        let ibm_acc = bin.floats(&ibm, 16, "MAT4", None, false);
        skins.push(json!({
            "name": format!("{name}_skeleton"),
            "joints": [neck, head, leye, reye],
            "skeleton": root,
            "inverseBindMatrices": ibm_acc,
        }));

        // Animation outputs. weights [L * 63]; rotations [L, 4] per joint; translation [L, 3].
        let psi: Vec<f32> = person.x.iter_frames().flat_map(|f| f[..N_EXPR].iter().copied()).collect();
        let w_acc = bin.floats(&psi, 1, "SCALAR", None, false);
        let mut add_channel = |output: usize, node: usize, path: &str| {
            samplers.push(json!({ "input": time_acc, "output": output, "interpolation": "LINEAR" }));
            channels.push(json!({ "sampler": samplers.len() - 1, "target": { "node": node, "path": path } }));
        };
        add_channel(w_acc, mesh_node, "weights");
        for (joint, node) in Joint::ALL.into_iter().zip([neck, head, leye, reye]) {
            let mut prev = [0.0f32, 0.0, 0.0, 1.0];
            let mut quats = Vec::with_capacity(frames * 4);
            for k in 0..frames {
                let mut q = mirrored_quat(person.x.theta(k, joint));
                // Keep neighbours in the same hemisphere so LINEAR (slerp) takes the short way.
                if q.iter().zip(&prev).map(|(a, b)| a * b).sum::<f32>() < 0.0 {
                    q = q.map(|v| -v);
                }
                quats.extend_from_slice(&q);
                prev = q;
            }
            let acc = bin.floats(&quats, 4, "VEC4", None, false);
            add_channel(acc, node, "rotation");
        }
        let trans: Vec<f32> = (0..frames).flat_map(|k| mirror(person.translation(k))).collect();
        let t_acc = bin.floats(&trans, 3, "VEC3", None, false);
        add_channel(t_acc, root, "translation");
    }

    while bin.data.len() % 4 != 0 {
        bin.data.push(0);
    }
    let n_samplers = samplers.len();
    let doc = json!({
        "asset": { "version": "2.0", "generator": concat!("duologue ", env!("CARGO_PKG_VERSION")) },
        "scene": 0,
        "scenes": [{
            "name": "duologue",
            "nodes": scene_roots,
            "extras": {
                "fps": fps,
                "frames": frames,
                "people": people.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                "frame": "glTF (right-handed); duologue world z negated (DESIGN.md section 2)",
            },
        }],
        "nodes": nodes,
        "meshes": meshes,
        "skins": skins,
        "materials": [{
            "name": "face",
            "pbrMetallicRoughness": { "baseColorFactor": [1.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.55 },
        }],
        "animations": [{ "name": "conversation", "samplers": samplers, "channels": channels }],
        "accessors": bin.accessors,
        "bufferViews": bin.views,
        "buffers": [{ "byteLength": bin.data.len() }],
    });
    let mut json_bytes =
        serde_json::to_vec(&doc).map_err(|e| ExportError::Input(format!("encoding glTF JSON: {e}")))?;
    while json_bytes.len() % 4 != 0 {
        json_bytes.push(b' ');
    }
    let total = 12 + 8 + json_bytes.len() + 8 + bin.data.len();
    let total32 = u32::try_from(total)
        .map_err(|_| ExportError::Input(format!("glb of {total} bytes exceeds 4 GiB")))?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&total32.to_le_bytes());
    out.extend_from_slice(&(json_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json_bytes);
    out.extend_from_slice(&(bin.data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin.data);
    let summary = GlbSummary { bytes: out.len(), people: people.len(), frames, samplers: n_samplers };
    Ok((out, summary))
}

/// Write the .glb of `people` to `path` (atomically: temporary file, then rename).
pub fn write_glb(
    path: &Path,
    face: &FaceModel,
    people: &[(&str, &Person)],
    fps: f32,
) -> Result<GlbSummary, ExportError> {
    let (bytes, summary) = glb_bytes(face, people, fps)?;
    crate::write_atomic(path, &bytes)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quaternions_mirror_as_design_section_2_says() {
        // A pure yaw about +Y by 0.4 rad becomes a yaw by -0.4 rad in the mirrored frame.
        let q = mirrored_quat([0.0, 0.4, 0.0]);
        assert!((q[1] + (0.2f32).sin()).abs() < 1e-6 && (q[3] - (0.2f32).cos()).abs() < 1e-6, "{q:?}");
        // Roll about Z keeps its sign.
        let q = mirrored_quat([0.0, 0.0, 0.3]);
        assert!((q[2] - (0.15f32).sin()).abs() < 1e-6, "{q:?}");
        assert_eq!(mirrored_quat([0.0; 3]), [0.0, 0.0, 0.0, 1.0]);
    }
}
