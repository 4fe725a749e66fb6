//! Training losses, separate from the forward pass (paper §3.1, §3.4, §3.5, §4.1;
//! DESIGN.md §7): weighted L2 on expression / rotation / translation in diffusion space, vertex
//! velocity through the face model, gaze cosine, and stage 2's lip-only term.
//!
//! Batch reductions divide by the batch size B, so a clip whose term is switched off (gaze on
//! a gaze-unreliable clip, everything but lips on a stage-2 lip clip) simply contributes 0.

use burn::prelude::*;
use duologue_params::{Joint, LIP, N_EXPR, N_ID, THETA, X_DIM};

use crate::config::{LossWeights, XScale};
use crate::data::Batch;
use crate::network::split_x;
use crate::ModelError;

/// Which training stage the loss is for (paper §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    /// Stage 1: every term on every clip.
    One,
    /// Stage 2: lip-reliable clips get only the lip-only L2 on the speaking person's psi[0..20];
    /// other clips keep every term.
    Two,
}

/// Loss terms of one batch. `total` carries the gradient; the others are for logging
/// (already weighted).
#[derive(Debug, Clone)]
pub struct LossTerms {
    /// Weighted sum of all terms, `[1]`.
    pub total: Tensor<1>,
    /// Named weighted terms, each `[1]`.
    pub terms: Vec<(&'static str, Tensor<1>)>,
}

/// Rotation matrices from axis-angle vectors (Rodrigues), `[N, 3]` -> `[N, 3, 3]`.
pub fn rodrigues(r: Tensor<2>) -> Tensor<3> {
    let n = r.dims()[0];
    let th = (r.clone() * r.clone()).sum_dim(1).add_scalar(1e-12).sqrt(); // [N, 1]
    let k = r / th.clone(); // [N, 3]
    let (kx, ky, kz) = (k.clone().narrow(1, 0, 1), k.clone().narrow(1, 1, 1), k.narrow(1, 2, 1));
    let (c, s) = (th.clone().cos(), th.sin());
    let v = c.clone().neg().add_scalar(1.0);
    let e = vec![
        c.clone() + kx.clone() * kx.clone() * v.clone(),
        kx.clone() * ky.clone() * v.clone() - kz.clone() * s.clone(),
        kx.clone() * kz.clone() * v.clone() + ky.clone() * s.clone(),
        ky.clone() * kx.clone() * v.clone() + kz.clone() * s.clone(),
        c.clone() + ky.clone() * ky.clone() * v.clone(),
        ky.clone() * kz.clone() * v.clone() - kx.clone() * s.clone(),
        kz.clone() * kx.clone() * v.clone() - ky.clone() * s.clone(),
        kz.clone() * ky.clone() * v.clone() + kx.clone() * s,
        c + kz.clone() * kz * v,
    ];
    Tensor::cat(e, 1).reshape([n, 3, 3])
}

/// World rotations of the 4 joints (neck, head, left eye, right eye) from theta `[N, 12]`
/// (natural units), composed along the chain neck <- head <- eyes (DESIGN.md §3).
pub fn joint_rotations(theta: Tensor<2>) -> [Tensor<3>; 4] {
    let r = |j: Joint| {
        let s = j.range().start - THETA.start;
        rodrigues(theta.clone().narrow(1, s, 3))
    };
    let neck = r(Joint::Neck);
    let head = neck.clone().matmul(r(Joint::Head));
    let left = head.clone().matmul(r(Joint::LeftEye));
    let right = head.clone().matmul(r(Joint::RightEye));
    [neck, head, left, right]
}

/// A person's gaze: normalised mean of both eyes' rotated forward axes (-Z), `[N, 12]` -> `[N, 3]`.
pub fn gaze(theta: Tensor<2>) -> Tensor<2> {
    let [_, _, l, r] = joint_rotations(theta);
    let n = l.dims()[0];
    // R (0, 0, -1) = -(third column).
    let fwd = |m: Tensor<3>| m.narrow(2, 2, 1).reshape([n, 3]).neg();
    let g = fwd(l) + fwd(r);
    let norm = (g.clone() * g.clone()).sum_dim(1).add_scalar(1e-12).sqrt();
    g / norm
}

/// Rest joint positions (neck, head, left eye, right eye) of an identity beta.
pub type JointsFn = std::sync::Arc<dyn Fn(&[f32]) -> [[f32; 3]; 4] + Send + Sync>;

/// Face-model vertices the velocity loss follows, as constant tensors (a subsample of the
/// mesh; the layout follows notes/FACE_API.md: component-major bases, 4 skinning weights).
///
/// Kept on the host and uploaded per call (about 100 k floats), so one geometry serves any
/// device, autodiff or not.
#[derive(Clone)]
pub struct FaceGeometry {
    /// Template positions, `[1, S * 3]`.
    template: Vec<f32>,
    /// Identity basis, `[50, S * 3]`.
    identity: Vec<f32>,
    /// Expression basis, `[63, S * 3]`.
    expression: Vec<f32>,
    /// Skinning weights, `[S, 4]` (neck, head, left eye, right eye).
    weights: Vec<f32>,
    /// Rest joint positions from identity.
    joints: JointsFn,
    s: usize,
}

impl std::fmt::Debug for FaceGeometry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FaceGeometry({} vertices)", self.s)
    }
}

impl FaceGeometry {
    /// Builds the constants for the vertices `indices` of a face model given as arrays:
    /// `template [V]`, `identity [50 * V]`, `expression [63 * V]` (component-major),
    /// `skin_weights [V]`, and `joints(beta)` giving the rest joint positions.
    pub fn new(
        template: &[[f32; 3]],
        identity: &[[f32; 3]],
        expression: &[[f32; 3]],
        skin_weights: &[[f32; 4]],
        joints: JointsFn,
        indices: &[usize],
    ) -> Result<Self, ModelError> {
        let v = template.len();
        if identity.len() != N_ID * v || expression.len() != N_EXPR * v || skin_weights.len() != v {
            return Err(ModelError::Input("face model arrays disagree on the vertex count".into()));
        }
        if indices.is_empty() || indices.iter().any(|&i| i >= v) {
            return Err(ModelError::Input("velocity vertex indices out of range".into()));
        }
        let s = indices.len();
        let basis = |b: &[[f32; 3]], comps: usize| -> Vec<f32> {
            let mut out = Vec::with_capacity(comps * s * 3);
            for c in 0..comps {
                for &i in indices {
                    out.extend_from_slice(&b[c * v + i]);
                }
            }
            out
        };
        let w: Vec<f32> = indices.iter().flat_map(|&i| skin_weights[i]).collect();
        Ok(Self {
            template: basis(template, 1),
            identity: basis(identity, N_ID),
            expression: basis(expression, N_EXPR),
            weights: w,
            joints,
            s,
        })
    }

    /// The velocity-loss geometry of the project's face model (crates/face), `count`
    /// vertices spread evenly over the mesh.
    pub fn from_face_model(
        face: &'static duologue_face::FaceModel,
        count: usize,
    ) -> Result<Self, ModelError> {
        let idx = Self::spread_indices(face.vertex_count(), count);
        let joints: JointsFn = std::sync::Arc::new(move |beta: &[f32]| face.joints(beta));
        Self::new(&face.template, &face.identity, &face.expression, &face.skin_weights, joints, &idx)
    }

    /// Vertex count S.
    pub fn len(&self) -> usize {
        self.s
    }

    /// Whether there are no vertices (never, after construction).
    pub fn is_empty(&self) -> bool {
        self.s == 0
    }

    /// `count` vertex indices spread evenly over `v` vertices (deterministic subsample).
    pub fn spread_indices(v: usize, count: usize) -> Vec<usize> {
        let count = count.clamp(1, v.max(1));
        (0..count).map(|i| i * v / count).collect()
    }

    /// Posed vertices in model space + dt, `[P, L, S, 3]`, from x `[P, L, 78]` (natural units)
    /// and identities `betas` (P rows of 50).
    pub fn vertices(&self, x: Tensor<3>, betas: &[Vec<f32>]) -> Tensor<4> {
        let [p, l, _] = x.dims();
        let device = x.device();
        let s = self.s;
        let n = p * l;
        let (psi, theta, dt) = split_x(x);
        let t2 = |v: &[f32], r: usize, c: usize| {
            Tensor::<2>::from_data(TensorData::new(v.to_vec(), [r, c]), &device)
        };
        let (template, identity) = (t2(&self.template, 1, s * 3), t2(&self.identity, N_ID, s * 3));
        let (expression, weights) = (t2(&self.expression, N_EXPR, s * 3), t2(&self.weights, s, 4));
        let beta: Vec<f32> = betas.iter().flat_map(|b| b.iter().copied()).collect();
        let beta = Tensor::<2>::from_data(TensorData::new(beta, [p, N_ID]), &device);
        let id = beta.matmul(identity).unsqueeze_dim::<3>(1); // [P, 1, S*3]
        let ex = psi.reshape([n, N_EXPR]).matmul(expression).reshape([p, l, s * 3]);
        let shaped = (ex + id + template.unsqueeze_dim::<3>(0)).reshape([n, s, 3]); // [N, S, 3]
                                                                                    // Rest joints per person, repeated over frames: [N, 4, 3].
        let j: Vec<f32> = betas.iter().flat_map(|b| (self.joints)(b).into_iter().flatten()).collect();
        let j = Tensor::<3>::from_data(TensorData::new(j, [p, 4, 3]), &device)
            .unsqueeze_dim::<4>(1)
            .expand([p, l, 4, 3])
            .reshape([n, 4, 3]);
        let rots = joint_rotations(theta.reshape([n, 12]));
        // World position of each joint: p_j = p_parent + R_parent (J_j - J_parent), p_neck = J_neck.
        let parent = [None, Some(0), Some(1), Some(1)];
        let mut pos: Vec<Tensor<3>> = Vec::with_capacity(4); // each [N, 1, 3]
        for (i, par) in parent.iter().enumerate() {
            let ji = j.clone().narrow(1, i, 1);
            let pi = match par {
                None => ji,
                Some(q) => {
                    let off = ji - j.clone().narrow(1, *q, 1); // [N, 1, 3]
                    pos[*q].clone() + off.matmul(rots[*q].clone().swap_dims(1, 2))
                }
            };
            pos.push(pi);
        }
        // Linear blend skinning: sum_i w_i (R_i (v - J_i) + p_i), one fused kernel on flex.
        let world =
            crate::kernels::skin(shaped, Tensor::stack(rots.into(), 1), Tensor::cat(pos, 1), j, weights);
        let dt = dt.reshape([n, 1, 3]);
        (world + dt).reshape([p, l, s, 3])
    }
}

/// Mean of `x` over every axis but the first, `[P, ...]` -> `[P]`.
fn per_row<const D: usize>(x: Tensor<D>) -> Tensor<1> {
    let p = x.dims()[0];
    x.reshape([p as i64, -1]).mean_dim(1).reshape([p])
}

/// Frame-to-frame differences of the columns `cols`: `[N, L, C]` -> `[N, L - 1, cols.len()]`.
fn frame_diff(v: Tensor<3>, cols: std::ops::Range<usize>) -> Tensor<3> {
    let l = v.dims()[1];
    let v = v.narrow(2, cols.start, cols.len());
    v.clone().narrow(1, 1, l - 1) - v.narrow(1, 0, l - 1)
}

/// Per clip, the mean of `d` (`[2B, T, C]`, A's rows then B's) over the frames where `mask`
/// (`[2B, T, 1]`, 0 or 1) is on, both people pooled: `[B]` (0 where no frame is on).
fn masked_mean(d: Tensor<3>, mask: Tensor<3>, b: usize) -> Tensor<1> {
    let [_, t, c] = d.dims();
    let num = (d * mask.clone()).reshape([2, b, t * c]).sum_dim(2).sum_dim(0).reshape([b]);
    let cnt = mask.reshape([2, b, t]).sum_dim(2).sum_dim(0).reshape([b]).mul_scalar(c as f32);
    num / cnt.clamp_min(1.0)
}

/// Computes the loss terms for predictions `(zhat_a, zhat_b)` (diffusion space, `[B, L, 78]`).
pub fn losses(
    zhat_a: Tensor<3>,
    zhat_b: Tensor<3>,
    batch: &Batch,
    stage: Stage,
    w: &LossWeights,
    scale: XScale,
    face: Option<&FaceGeometry>,
) -> LossTerms {
    let device = zhat_a.device();
    let b = batch.lip_reliable.len();
    let pred = Tensor::cat(vec![zhat_a, zhat_b], 0); // [2B, L, 78], A then B
    let tgt = Tensor::cat(vec![batch.z_a.clone(), batch.z_b.clone()], 0);
    let [_, l, _] = pred.dims();
    let host = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [b]), &device);
    // Per clip: both persons' per-row values averaged, [2B] -> [B].
    let per_clip = |v: Tensor<1>| v.reshape([2, b]).mean_dim(0).reshape([b]);
    let lip_clip: Vec<bool> = batch.lip_reliable.iter().map(|&r| stage == Stage::Two && r).collect();
    let full = host(lip_clip.iter().map(|&r| if r { 0.0 } else { 1.0 }).collect());
    let reduce =
        |per: Tensor<1>, mask: Tensor<1>, weight: f32| (per * mask).sum().div_scalar(b as f32) * weight;

    // The absolute motion for the terms that pose heads (gaze, vertex velocity): with a
    // facing-relative neck yaw the facing goes back on (the same offset on both, so the L2
    // terms below are unchanged by it).
    let (pred, tgt) = match &batch.facing {
        Some((fa, fb)) => {
            let f = Tensor::cat(vec![fa.clone(), fb.clone()], 0); // [2B, 1, 78]
            (pred + f.clone(), tgt + f)
        }
        None => (pred, tgt),
    };
    let (pp, pt, pd) = split_x(pred.clone());
    let (tp, tt, td) = split_x(tgt.clone());
    let sq = |a: Tensor<3>, c: Tensor<3>| (a - c).powf_scalar(2.0);
    let mut terms = vec![
        ("expression", reduce(per_clip(per_row(sq(pp.clone(), tp.clone()))), full.clone(), w.expression)),
        ("rotation", reduce(per_clip(per_row(sq(pt.clone(), tt.clone()))), full.clone(), w.rotation)),
        ("translation", reduce(per_clip(per_row(sq(pd, td))), full.clone(), w.translation)),
    ];
    if w.expression_velocity > 0.0 && l > 1 {
        let k = w.expression_velocity_coefficients.clamp(1, N_EXPR);
        let per = per_clip(per_row(sq(frame_diff(pp.clone(), 0..k), frame_diff(tp.clone(), 0..k))));
        terms.push(("expression_velocity", reduce(per, full.clone(), w.expression_velocity)));
    }

    // Listening lips held still: velocity error of psi[0..20] where the person listens.
    if w.listener_lip_velocity > 0.0 && l > 1 {
        let m = Tensor::cat(vec![batch.cond.m_a.clone(), batch.cond.m_b.clone()], 0); // [2B, L]
        let quiet = m.lower_elem(0.5).float();
        let quiet = (quiet.clone().narrow(1, 1, l - 1) * quiet.narrow(1, 0, l - 1)).unsqueeze_dim::<3>(2);
        let d = sq(frame_diff(pp.clone(), LIP), frame_diff(tp.clone(), LIP)); // [2B, L-1, 20]
        let per = masked_mean(d, quiet, b);
        terms.push(("listener_lip_velocity", reduce(per, full.clone(), w.listener_lip_velocity)));
    }

    // Gaze (paper §3.5): 1 - cos between gaze vectors, gaze-reliable clips only, a higher
    // weight for the batch's top 20% clips by head-rotation variance (the larger of A and B).
    if w.gaze > 0.0 {
        let n = 2 * b * l;
        let gp = gaze(pt.div_scalar(scale.theta).reshape([n, 12]));
        let gt = gaze(tt.div_scalar(scale.theta).reshape([n, 12]));
        let cos = (gp * gt).sum_dim(1).reshape([2 * b, l]);
        let per = per_clip(per_row(cos.neg().add_scalar(1.0)));
        let gw: Vec<f32> = (0..b)
            .map(|i| match (batch.gaze_reliable[i] && !lip_clip[i], batch.gaze_top[i]) {
                (false, _) => 0.0,
                (true, true) => w.gaze_top_factor,
                (true, false) => 1.0,
            })
            .collect();
        terms.push(("gaze", reduce(per, host(gw), w.gaze)));
    }

    // Vertex velocity through the face model (natural units, scaled to `vertex_unit`).
    if let (Some(face), true) = (face, w.velocity > 0.0 && l > 1) {
        let inv = Tensor::<1>::from_floats(
            crate::data::scale_vector(scale).iter().map(|s| 1.0 / s).collect::<Vec<_>>().as_slice(),
            &device,
        )
        .reshape([1, 1, X_DIM]);
        let betas: Vec<Vec<f32>> =
            (0..2).flat_map(|who| batch.betas.iter().map(move |bb| bb[who].clone())).collect();
        let vp = face.vertices(pred * inv.clone(), &betas).mul_scalar(w.vertex_unit);
        let vt = face.vertices(tgt * inv, &betas).mul_scalar(w.vertex_unit);
        let vel = |v: Tensor<4>| v.clone().narrow(1, 1, l - 1) - v.narrow(1, 0, l - 1);
        let per = per_clip(per_row((vel(vp) - vel(vt)).powf_scalar(2.0)));
        terms.push(("velocity", reduce(per, full.clone(), w.velocity)));
    }

    // Stage 2 (paper §3.4): L2 on psi[0..20] of the speaking person (m > 0.5), lip clips only.
    if stage == Stage::Two && lip_clip.iter().any(|&r| r) {
        let m = Tensor::cat(vec![batch.cond.m_a.clone(), batch.cond.m_b.clone()], 0); // [2B, L]
        let speak = m.greater_elem(0.5).float().unsqueeze_dim::<3>(2); // [2B, L, 1]
        let d = sq(pp.narrow(2, LIP.start, LIP.len()), tp.narrow(2, LIP.start, LIP.len()));
        let per = masked_mean(d, speak, b);
        let mask = host(lip_clip.iter().map(|&r| if r { 1.0 } else { 0.0 }).collect());
        terms.push(("lip", reduce(per, mask, w.lip)));
    }

    let mut total = terms[0].1.clone();
    for (_, t) in &terms[1..] {
        total = total + t.clone();
    }
    LossTerms { total, terms }
}
