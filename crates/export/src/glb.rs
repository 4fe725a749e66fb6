//! glTF 2.0 binary (.glb) of a result: both heads in one scene and one animation (DESIGN §6).
//!
//! Per person: a skinned mesh with the identity baked into the base shape (beta is constant over
//! a clip) and the expression as morph targets ([`Morphs`]), a skeleton `root -> neck -> head ->
//! left_eye / right_eye`, and animation channels for the morph weights, the four joint rotations
//! (theta) and the root translation (t0 + dt), sampled at the clip's frame rate with linear
//! interpolation.
//!
//! Morph weights stay in [0, 1] by default ([`Morphs::Split`]): each signed expression component
//! k becomes two targets, `name` (+E_k) and `name_neg` (-E_k), each scaled up when the clip drives
//! it past 1 (the scale is in the mesh's `extras.targetScales`). Importers that derive slider
//! ranges from the data (Blender's sets them from the first keyframe) or clamp to [0, 1] (Unity,
//! many engines) then play the file as written. [`Morphs::Arkit`] writes the 52 ARKit-named
//! targets instead, driven by the same weights as the ARKit CSV.
//!
//! Rest pose in the layout: each root node carries the person's place (t0, animated t0 + dt) and
//! their rest facing, a turn about +Y by [`rest_yaw`] (where the head points on average); the
//! neck's animated rotation is relative to it. So a viewer that shows the rest pose already sees
//! the conversation's layout, and frame k evaluates to exactly the face model's pose.
//!
//! Frame rate: glTF keys are in seconds (k / fps). Importers that snap keys to frames use their
//! scene's rate (Blender: the scene's render fps at import time); the rate is in the scene's and
//! the animation's `extras.fps` (Blender keeps scene extras as custom properties), and
//! `crates/export/blender/import_duologue.py` sets Blender's rate and frame range from it.
//!
//! Frames (DESIGN §2): duologue's world is left-handed (+Z away from the viewer), glTF's is
//! right-handed with the viewer on +Z. Positions and translations map (x, y, z) -> (x, y, -z);
//! rotations are conjugated by diag(1, 1, -1), i.e. quaternion (x, y, z, w) -> (-x, -y, z, w);
//! the mirror reverses orientation, so triangles are written as [a, c, b] (FACE_API.md).
//! Bytes are little-endian; bufferViews are 4-byte aligned.

use crate::ExportError;
use duologue_face::rest_yaw;
use duologue_face::{arkit_matrix, FaceModel, ARKIT_NAMES, EXPRESSION_NAMES};
use duologue_params::{Joint, Person, N_EXPR, THETA};
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
    /// Morph targets per mesh.
    pub targets: usize,
}

/// How the expression becomes morph targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Morphs {
    /// Each signed expression component as two non-negative targets (`name`, `name_neg`): all
    /// weights in [0, 1], for importers that clamp or take slider ranges from the data.
    #[default]
    Split,
    /// The 63 signed expression components as they are (weights may be negative; smaller file).
    Signed,
    /// The 52 ARKit blendshapes by name (jawOpen, ...), weights as in the ARKit CSV, for
    /// pipelines that retarget by name.
    Arkit,
}

impl Morphs {
    /// The command-line spelling.
    pub fn name(self) -> &'static str {
        match self {
            Morphs::Split => "split",
            Morphs::Signed => "signed",
            Morphs::Arkit => "arkit",
        }
    }
}

/// Mirror a duologue point or translation into glTF's frame.
#[inline]
fn mirror(p: [f32; 3]) -> [f32; 3] {
    [p[0], p[1], -p[2]]
}

/// Unit quaternion (x, y, z, w) of axis-angle `r`, in the same frame.
fn quat(r: [f32; 3]) -> [f32; 4] {
    let angle = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
    // sin(a/2)/a -> 1/2 as a -> 0; the series keeps tiny rotations exact.
    let s = if angle < 1e-4 { 0.5 - angle * angle / 48.0 } else { (0.5 * angle).sin() / angle };
    let q = [r[0] * s, r[1] * s, r[2] * s, (0.5 * angle).cos()];
    let n = q.iter().map(|v| v * v).sum::<f32>().sqrt();
    q.map(|v| v / n)
}

/// Hamilton product `a * b` of (x, y, z, w) quaternions.
fn qmul(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
    let [ax, ay, az, aw] = a;
    let [bx, by, bz, bw] = b;
    [
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ]
}

/// The inverse of the unit quaternion `q`.
fn qinv(q: [f32; 4]) -> [f32; 4] {
    [-q[0], -q[1], -q[2], q[3]]
}

/// A duologue-frame quaternion in glTF's frame (conjugation by diag(1, 1, -1)).
fn mirror_quat(q: [f32; 4]) -> [f32; 4] {
    [-q[0], -q[1], q[2], q[3]]
}

/// Rotates `v` by the unit quaternion `q`.
fn qrotate(q: [f32; 4], v: [f32; 3]) -> [f32; 3] {
    let p = qmul(qmul(q, [v[0], v[1], v[2], 0.0]), qinv(q));
    [p[0], p[1], p[2]]
}

/// The 52 ARKit targets as mesh displacements `[52][V]`: the expression basis times the
/// minimum-norm least-squares inverse of the ARKit map's expression part, so that
/// `sum_j arkit_j * D_j` reproduces `sum_k psi_k * E_k` whenever psi lies in what the ARKit
/// shapes can express. Shapes driven only by the eye joints (eyeLook*) and tongueOut move no
/// vertex: the eyes turn through their joints.
pub fn arkit_targets(face: &FaceModel) -> Vec<Vec<[f32; 3]>> {
    let m = arkit_matrix();
    // A = M_psi (52 x 63); P = A^T (A A^T + eps I)^-1 (63 x 52).
    let a: Vec<[f64; N_EXPR]> = m.iter().map(|r| std::array::from_fn(|k| f64::from(r[k]))).collect();
    let n = a.len();
    let mut g: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| (0..N_EXPR).map(|k| a[i][k] * a[j][k]).sum::<f64>()).collect())
        .collect();
    let mut inv: Vec<Vec<f64>> =
        (0..n).map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    for (i, row) in g.iter_mut().enumerate() {
        row[i] += 1e-9;
    }
    // Gauss-Jordan with partial pivoting (the matrix is symmetric positive definite).
    for c in 0..n {
        let p = (c..n).max_by(|&x, &y| g[x][c].abs().total_cmp(&g[y][c].abs())).unwrap_or(c);
        g.swap(c, p);
        inv.swap(c, p);
        let d = g[c][c];
        for j in 0..n {
            g[c][j] /= d;
            inv[c][j] /= d;
        }
        for r in 0..n {
            if r != c && g[r][c] != 0.0 {
                let f = g[r][c];
                for j in 0..n {
                    g[r][j] -= f * g[c][j];
                    inv[r][j] -= f * inv[c][j];
                }
            }
        }
    }
    let nv = face.vertex_count();
    (0..n)
        .map(|j| {
            // Column j of P: P[k][j] = sum_i A[i][k] inv[i][j].
            let coef: Vec<f64> = (0..N_EXPR).map(|k| (0..n).map(|i| a[i][k] * inv[i][j]).sum()).collect();
            (0..nv)
                .map(|v| {
                    let mut d = [0.0f64; 3];
                    for (k, c) in coef.iter().enumerate().filter(|(_, c)| c.abs() > 1e-9) {
                        let e = face.expression[k * nv + v];
                        for (x, ev) in d.iter_mut().zip(e) {
                            *x += c * f64::from(ev);
                        }
                    }
                    d.map(|x| x as f32)
                })
                .collect()
        })
        .collect()
}

/// The morph targets of `morphs` for `people`: names, displacement per target `[T][V]`, each
/// target's scale (`Split`: the factor the component was scaled by), and each person's weights
/// `[L * T]`.
struct Targets {
    names: Vec<String>,
    shapes: Vec<Vec<[f32; 3]>>,
    scales: Vec<f32>,
    weights: Vec<Vec<f32>>,
}

fn targets(face: &FaceModel, people: &[(&str, &Person)], morphs: Morphs) -> Targets {
    let nv = face.vertex_count();
    let component = |k: usize| face.expression[k * nv..(k + 1) * nv].to_vec();
    match morphs {
        Morphs::Signed => Targets {
            names: EXPRESSION_NAMES.iter().map(|s| s.to_string()).collect(),
            shapes: (0..N_EXPR).map(component).collect(),
            scales: vec![1.0; N_EXPR],
            weights: people
                .iter()
                .map(|(_, p)| p.x.iter_frames().flat_map(|f| f[..N_EXPR].to_vec()).collect())
                .collect(),
        },
        Morphs::Split => {
            // Scale of each half: 1, or the largest weight the clip gives it (so weights <= 1).
            let mut pos = [1.0f32; N_EXPR];
            let mut neg = [1.0f32; N_EXPR];
            for (_, p) in people {
                for f in p.x.iter_frames() {
                    for k in 0..N_EXPR {
                        pos[k] = pos[k].max(f[k]);
                        neg[k] = neg[k].max(-f[k]);
                    }
                }
            }
            let mut t = Targets { names: vec![], shapes: vec![], scales: vec![], weights: vec![] };
            for k in 0..N_EXPR {
                let e = component(k);
                t.names.push(EXPRESSION_NAMES[k].to_string());
                t.shapes.push(e.iter().map(|d| d.map(|x| x * pos[k])).collect());
                t.scales.push(pos[k]);
                t.names.push(format!("{}_neg", EXPRESSION_NAMES[k]));
                t.shapes.push(e.iter().map(|d| d.map(|x| -x * neg[k])).collect());
                t.scales.push(neg[k]);
            }
            t.weights = people
                .iter()
                .map(|(_, p)| {
                    p.x.iter_frames()
                        .flat_map(|f| {
                            (0..N_EXPR).flat_map(move |k| [f[k].max(0.0) / pos[k], (-f[k]).max(0.0) / neg[k]])
                        })
                        .map(|w| w.clamp(0.0, 1.0))
                        .collect()
                })
                .collect();
            t
        }
        Morphs::Arkit => Targets {
            names: ARKIT_NAMES.iter().map(|s| s.to_string()).collect(),
            shapes: arkit_targets(face),
            scales: vec![1.0; ARKIT_NAMES.len()],
            weights: people
                .iter()
                .map(|(_, p)| p.x.iter_frames().flat_map(|f| face.arkit(&f[..N_EXPR], &f[THETA])).collect())
                .collect(),
        },
    }
}

/// `{"min": [...], "max": [...]}` of `n`-component elements, each bound the f64 of an f32 so that
/// it equals a stored value bit for bit.
fn min_max(values: &[f32], n: usize) -> Value {
    let (mut lo, mut hi) = (vec![f32::MAX; n], vec![f32::MIN; n]);
    for chunk in values.chunks_exact(n) {
        for (i, v) in chunk.iter().enumerate() {
            lo[i] = lo[i].min(*v);
            hi[i] = hi[i].max(*v);
        }
    }
    let f = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
    json!({ "min": f(lo), "max": f(hi) })
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
            extra = min_max(values, n);
        }
        self.accessor(view, FLOAT, values.len() / n, kind, extra)
    }

    /// A sparse VEC3 float accessor of `points` (a morph target): only the non-zero points are
    /// stored, with their indices; min/max cover every point, zeros included. A target whose
    /// non-zero points are those of the previous call reuses its index view (the two halves of
    /// a split component). At least one index is stored, as glTF requires.
    fn sparse_points(&mut self, points: &[[f32; 3]], last: &mut Option<(Vec<u32>, usize)>) -> usize {
        let mut idx: Vec<u32> =
            (0..points.len() as u32).filter(|&i| points[i as usize] != [0.0; 3]).collect();
        if idx.is_empty() {
            idx.push(0);
        }
        let wide = points.len() > u16::MAX as usize;
        let index_view = match last {
            Some((prev, view)) if *prev == idx => *view,
            _ => {
                let bytes: Vec<u8> = if wide {
                    idx.iter().flat_map(|i| i.to_le_bytes()).collect()
                } else {
                    idx.iter().flat_map(|&i| (i as u16).to_le_bytes()).collect()
                };
                let view = self.view(&bytes, None);
                *last = Some((idx.clone(), view));
                view
            }
        };
        let values: Vec<u8> =
            idx.iter().flat_map(|&i| points[i as usize]).flat_map(|v| v.to_le_bytes()).collect();
        let value_view = self.view(&values, None);
        let mut accessor = min_max(points.as_flattened(), 3);
        accessor.as_object_mut().expect("min_max gives an object").extend([
            ("componentType".into(), json!(FLOAT)),
            ("count".into(), json!(points.len())),
            ("type".into(), json!("VEC3")),
            ("sparse".into(), json!({
                "count": idx.len(),
                "indices": { "bufferView": index_view, "componentType": if wide { UNSIGNED_INT } else { UNSIGNED_SHORT } },
                "values": { "bufferView": value_view },
            })),
        ]);
        self.accessors.push(accessor);
        self.accessors.len() - 1
    }
}

/// Build the .glb bytes for `people` (name, person) animated at `fps`, expression as `morphs`.
pub fn glb_bytes(
    face: &FaceModel,
    people: &[(&str, &Person)],
    fps: f32,
    morphs: Morphs,
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
    let morph = targets(face, people, morphs);
    let n_targets = morph.names.len();
    // Most components move a small part of the head (12 % of the vertices on average), so the
    // targets are sparse accessors: the 126 split targets take about 1.3 MB instead of 10 MB.
    let mut last_indices = None;
    let target_accs: Vec<Value> = morph
        .shapes
        .iter()
        .map(|shape| {
            let d: Vec<[f32; 3]> = shape.iter().map(|&p| mirror(p)).collect();
            json!({ "POSITION": bin.sparse_points(&d, &mut last_indices) })
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
                "targets": target_accs,
            }],
            "weights": vec![0.0; n_targets],
            "extras": { "targetNames": &morph.names, "targetScales": &morph.scales, "morphs": morphs.name() },
        }));

        // Skeleton: root (t0, rest facing) -> neck -> head -> eyes, translations relative to the
        // parent. The root turns by R0 = Ry(rest yaw) about its origin, so the neck's offset is
        // R0^-1 J_neck (the neck stays at t + J_neck) and its rotation R0^-1 R_neck (its global
        // rotation stays R_neck): every joint's global transform, and so the skinning with the
        // same inverse bind matrices, is unchanged.
        let j = face.joints(&person.beta);
        let root = nodes.len();
        let (neck, head, leye, reye) = (root + 1, root + 2, root + 3, root + 4);
        let rel = |a: [f32; 3], b: [f32; 3]| mirror([a[0] - b[0], a[1] - b[1], a[2] - b[2]]);
        let yaw = rest_yaw(person);
        let q0 = quat([0.0, yaw, 0.0]);
        let q0_inv = qinv(q0);
        nodes.push(json!({
            "name": name.to_string(),
            "translation": mirror(person.t0),
            "rotation": mirror_quat(q0),
            "children": [neck],
            "extras": { "rest_yaw_degrees": yaw.to_degrees() },
        }));
        nodes.push(json!({ "name": format!("{name}_{}", Joint::Neck.name()), "translation": mirror(qrotate(q0_inv, j[0])), "children": [head] }));
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

        // Animation outputs. weights [L * T]; rotations [L, 4] per joint; translation [L, 3].
        let w_acc = bin.floats(&morph.weights[pi], 1, "SCALAR", None, false);
        let mut add_channel = |output: usize, node: usize, path: &str| {
            samplers.push(json!({ "input": time_acc, "output": output, "interpolation": "LINEAR" }));
            channels.push(json!({ "sampler": samplers.len() - 1, "target": { "node": node, "path": path } }));
        };
        add_channel(w_acc, mesh_node, "weights");
        for (joint, node) in Joint::ALL.into_iter().zip([neck, head, leye, reye]) {
            let mut prev = [0.0f32, 0.0, 0.0, 1.0];
            let mut quats = Vec::with_capacity(frames * 4);
            for k in 0..frames {
                let mut q = quat(person.x.theta(k, joint));
                if joint == Joint::Neck {
                    q = qmul(q0_inv, q);
                }
                let mut q = mirror_quat(q);
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
                "morphs": morphs.name(),
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
        "animations": [{
            "name": "conversation", "samplers": samplers, "channels": channels,
            "extras": { "fps": fps, "frames": frames },
        }],
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
    let summary = GlbSummary {
        bytes: out.len(),
        people: people.len(),
        frames,
        samplers: n_samplers,
        targets: n_targets,
    };
    Ok((out, summary))
}

/// Write the .glb of `people` to `path` (atomically: temporary file, then rename).
pub fn write_glb(
    path: &Path,
    face: &FaceModel,
    people: &[(&str, &Person)],
    fps: f32,
    morphs: Morphs,
) -> Result<GlbSummary, ExportError> {
    let (bytes, summary) = glb_bytes(face, people, fps, morphs)?;
    crate::write_atomic(path, &bytes)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirrored_quat(r: [f32; 3]) -> [f32; 4] {
        mirror_quat(quat(r))
    }

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
