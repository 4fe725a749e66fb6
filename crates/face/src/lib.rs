//! duologue's own parametric 3D head (DESIGN.md §2–4; the paper's FLAME-like face model, §3.2).
//!
//! Everything is generated deterministically in code — no downloads, no data files — so the
//! project carries no model licence. [`FaceModel::generate`] builds:
//! - a mean template: head, face and neck down to the neck base (the root, at the origin), with
//!   eye openings whose rims are the eyelids, a mouth slit whose rims are the lips and a closed
//!   mouth pocket with teeth behind it, two eyeballs (sclera, iris, pupil) and ear bumps;
//! - 50 identity components ([`IDENTITY_NAMES`], `beta ~ N(0, 1)` gives plausible adults);
//! - 63 named expression components ([`EXPRESSION_NAMES`], the lip/jaw group first at 0..20);
//! - a 4-joint linear-blend-skinning rig (neck, head, left eye, right eye) and an ARKit export;
//! - per-vertex [`Region`]s and named [`Landmarks`] (nose tip, lid and lip midpoints, ...).
//!
//! Per-frame use: [`FaceModel::pose_into`] / [`FaceModel::shaped_into`] reuse the caller's
//! buffers. `examples/face_obj.rs` writes OBJ files to look at; `examples/face_names.rs` prints
//! the component tables as Markdown.
//!
//! The public contract is notes/FACE_API.md. World frame (DESIGN.md §2): metres, +X right,
//! +Y up, +Z away from the default viewer; a head at rest looks along -Z, the person's left eye
//! at +X. Triangles wind so that `(b - a) x (c - a)` points out of the surface.
//!
//! How the mesh is made (`mesh.rs`, `sculpt.rs`, `build.rs`): a (ring, column) grid around a
//! vertical capsule is ray-cast onto a smooth union of ellipsoids (cranium, midface, jaw, neck) and
//! sculpted with analytic fields (nose, brows, eye sockets, cheekbones, lips, chin, ears). The
//! eye and mouth openings are slits along grid rows whose two copies are pulled apart; lids hug
//! the eyeballs. Identity and expression components are secants of that generator: each one is
//! `build(params with that component at 1) - build(mean)`, so lids, pocket and eyes stay
//! consistent with the surface they belong to.
#![deny(missing_docs)]

mod arkit;
mod build;
mod context;
mod error;
mod expression;
mod identity;
mod mesh;
mod obj;
mod rest;
mod rig;
mod sculpt;

use std::sync::OnceLock;

pub use arkit::{arkit_matrix, ARKIT_INPUTS, ARKIT_NAMES, EYE_LOOK_FULL};
pub use error::FaceError;
pub use expression::{describe_expressions, EXPRESSION_NAMES};
pub use identity::{describe_identity, IDENTITY_NAMES};
pub use mesh::N_VERTS;
pub use obj::write_obj;
pub use rest::{matmul, rest_yaw};
pub use rig::rodrigues;

/// Number of identity coefficients (`beta`).
pub const N_IDENTITY: usize = duologue_params::N_ID;
/// Number of expression coefficients (`psi`).
pub const N_EXPRESSION: usize = duologue_params::N_EXPR;
/// Number of rig joints (neck, head, left eye, right eye).
pub const N_JOINTS: usize = duologue_params::N_JOINTS;

/// What a vertex belongs to, for shading and for metrics (e.g. the lip vertex error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    /// Face, scalp, ears and neck skin (eyelids included).
    Skin,
    /// Lip vermilion (red part of the lips), both lips.
    Lips,
    /// Eyebrow hair area.
    Brow,
    /// White of the eyeball.
    Sclera,
    /// Coloured ring of the eye.
    Iris,
    /// Black centre of the eye.
    Pupil,
    /// Upper and lower front teeth.
    Teeth,
    /// The closed pocket behind the lips (mouth cavity wall).
    MouthInterior,
}

/// The parametric head: mean template, linear bases, skin weights and regions.
///
/// Shapes: `V = N_VERTS`; bases are component-major, `identity[i * V + v]`.
#[derive(Clone)]
pub struct FaceModel {
    /// Mean template positions, model space (root at the origin). `[V]`
    pub template: Vec<[f32; 3]>,
    /// Triangles, outward winding. `[F]`
    pub triangles: Vec<[u32; 3]>,
    /// Identity basis, one displacement per vertex per component. `[50 * V]`
    pub identity: Vec<[f32; 3]>,
    /// Expression basis, one displacement per vertex per component. `[63 * V]`
    pub expression: Vec<[f32; 3]>,
    /// Skinning weights over (neck, head, left_eye, right_eye); rows sum to 1. `[V]`
    pub skin_weights: Vec<[f32; 4]>,
    /// Region of each vertex. `[V]`
    pub regions: Vec<Region>,
    /// Rest joint positions of the mean head. `[4]`
    joints_mean: [[f32; 3]; 4],
    /// Joint displacement per identity component. `[50][4]`
    joints_identity: Vec<[[f32; 3]; 4]>,
    /// ARKit export matrix (see [`arkit_matrix`]).
    arkit: [[f32; ARKIT_INPUTS]; 52],
    /// Named vertices.
    landmarks: Landmarks,
}

/// Indices of named vertices of the template (for metrics, fitting and tests). Pairs are
/// (left, right) in the person's own sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Landmarks {
    /// Tip of the nose (pronasale): the most forward skin vertex.
    pub nose_tip: u32,
    /// Middle of the upper lid margin of each eye.
    pub upper_lid: [u32; 2],
    /// Middle of the lower lid margin of each eye (the twin of `upper_lid`).
    pub lower_lid: [u32; 2],
    /// Middle of the upper lip's rim (on the mouth slit).
    pub upper_lip: u32,
    /// Middle of the lower lip's rim (the twin of `upper_lip`).
    pub lower_lip: u32,
    /// Mouth corners.
    pub mouth_corners: [u32; 2],
    /// Lowest front point of the chin (menton).
    pub chin: u32,
    /// Front poles of the eyeballs (pupil centres).
    pub pupils: [u32; 2],
}

/// A posed head in world coordinates.
#[derive(Clone, Debug, Default)]
pub struct Posed {
    /// World positions. `[V]`
    pub vertices: Vec<[f32; 3]>,
    /// The person's gaze: normalised mean of both eyes' forward axes (DESIGN.md §3).
    pub gaze: [f32; 3],
    /// World positions of the left and right eyeball centres.
    pub eye_centers: [[f32; 3]; 2],
}

/// Reads coefficient `k`, treating missing or non-finite entries as zero (no panics on short or
/// corrupt input; callers validate lengths where it matters).
#[inline]
fn coef(xs: &[f32], k: usize) -> f32 {
    xs.get(k).copied().filter(|v| v.is_finite()).unwrap_or(0.0)
}

/// `out[v] += c * basis[k * V + v]` for every non-zero coefficient.
fn add_basis(out: &mut [[f32; 3]], basis: &[[f32; 3]], coeffs: &[f32], n: usize) {
    let v_count = out.len();
    for k in 0..n {
        let c = coef(coeffs, k);
        if c == 0.0 {
            continue;
        }
        let comp = &basis[k * v_count..(k + 1) * v_count];
        for (o, d) in out.iter_mut().zip(comp) {
            o[0] += c * d[0];
            o[1] += c * d[1];
            o[2] += c * d[2];
        }
    }
}

impl FaceModel {
    /// Builds the model. Deterministic (same bits every call), no I/O.
    pub fn generate() -> FaceModel {
        build::generate()
    }

    /// The model, generated once per process and shared.
    pub fn shared() -> &'static FaceModel {
        static MODEL: OnceLock<FaceModel> = OnceLock::new();
        MODEL.get_or_init(FaceModel::generate)
    }

    /// Named vertices of the template.
    pub fn landmarks(&self) -> Landmarks {
        self.landmarks
    }

    /// Displacements of identity component `i` (`[V]`), empty if `i` is out of range.
    pub fn identity_component(&self, i: usize) -> &[[f32; 3]] {
        let v = self.template.len();
        self.identity.get(i * v..(i + 1) * v).unwrap_or(&[])
    }

    /// Displacements of expression component `k` (`[V]`), empty if `k` is out of range.
    pub fn expression_component(&self, k: usize) -> &[[f32; 3]] {
        let v = self.template.len();
        self.expression.get(k * v..(k + 1) * v).unwrap_or(&[])
    }

    /// Number of vertices (`N_VERTS`).
    pub fn vertex_count(&self) -> usize {
        self.template.len()
    }

    /// Rest-pose shape in model space: template + identity + expression offsets.
    /// Missing trailing coefficients count as zero.
    pub fn shaped(&self, beta: &[f32], psi: &[f32]) -> Vec<[f32; 3]> {
        let mut out = Vec::with_capacity(self.template.len());
        self.shaped_into(beta, psi, &mut out);
        out
    }

    /// [`FaceModel::shaped`] into a reused buffer (no allocation once `out` has capacity).
    pub fn shaped_into(&self, beta: &[f32], psi: &[f32], out: &mut Vec<[f32; 3]>) {
        out.clear();
        out.extend_from_slice(&self.template);
        add_basis(out, &self.identity, beta, N_IDENTITY);
        add_basis(out, &self.expression, psi, N_EXPRESSION);
    }

    /// Rest joint positions (neck, head, left eye, right eye) for identity `beta`.
    pub fn joints(&self, beta: &[f32]) -> [[f32; 3]; 4] {
        let mut j = self.joints_mean;
        for (k, dj) in self.joints_identity.iter().enumerate() {
            let c = coef(beta, k);
            if c == 0.0 {
                continue;
            }
            for (a, d) in j.iter_mut().zip(dj) {
                for i in 0..3 {
                    a[i] += c * d[i];
                }
            }
        }
        j
    }

    /// Global joint transforms G_j (FACE_API.md), row-major 4x4, for identity `beta`, the 12
    /// theta floats of a frame and root translation `t`.
    pub fn joint_transforms(&self, beta: &[f32], theta: &[f32], t: [f32; 3]) -> [[[f32; 4]; 4]; 4] {
        let g = rig::global_transforms(&self.joints(beta), theta, t);
        g.map(|m| rig::to_4x4(&m))
    }

    /// Shapes and poses the head in the world (LBS over the 4 joints).
    pub fn pose(&self, beta: &[f32], psi: &[f32], theta: &[f32], t: [f32; 3]) -> Posed {
        let mut posed = Posed::default();
        self.pose_into(beta, psi, theta, t, &mut posed);
        posed
    }

    /// [`FaceModel::pose`] into a reused [`Posed`] (no allocation once its buffer has capacity);
    /// meant for per-frame rendering and export.
    pub fn pose_into(&self, beta: &[f32], psi: &[f32], theta: &[f32], t: [f32; 3], out: &mut Posed) {
        let joints = self.joints(beta);
        let globals = rig::global_transforms(&joints, theta, t);
        let skin = rig::skinning_transforms(&globals, &joints);
        self.shaped_into(beta, psi, &mut out.vertices);
        rig::skin_in_place(&mut out.vertices, &self.skin_weights, &skin);
        out.gaze = rig::gaze_of(&globals);
        out.eye_centers = [rig::apply(&globals[2], [0.0; 3]), rig::apply(&globals[3], [0.0; 3])];
    }

    /// The person's gaze direction (unit, world) for a frame's theta; rotations only.
    pub fn gaze(&self, theta: &[f32]) -> [f32; 3] {
        // Offsets do not change directions, so the mean joints serve any identity.
        rig::gaze_of(&rig::global_transforms(&self.joints_mean, theta, [0.0; 3]))
    }

    /// ARKit's 52 blendshape weights for expression `psi` and the eye joints in `theta`
    /// (linear map [`arkit_matrix`], clamped to [0, 1]).
    pub fn arkit(&self, psi: &[f32], theta: &[f32]) -> [f32; 52] {
        arkit::apply(&self.arkit, psi, theta)
    }
}

/// The names (first column) of a `(name, meaning)` table, in order, at compile time: the
/// expression and identity name constants are derived from their documented tables.
const fn first_column<const N: usize>(table: &[(&'static str, &'static str); N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = table[i].0;
        i += 1;
    }
    out
}
