//! Linear blend skinning with 4 joints (the vertex-velocity loss's posing) and its gradients.

use burn::prelude::*;
use rayon::prelude::*;

use super::cpu::add_into;

/// Joints of [`Kernels::skin`].
pub(super) const JOINTS: usize = 4;

/// `R v` for a row-major 3x3 `r`.
#[inline(always)]
pub(super) fn rotate(r: &[f32], v: [f32; 3]) -> [f32; 3] {
    [
        r[0] * v[0] + r[1] * v[1] + r[2] * v[2],
        r[3] * v[0] + r[4] * v[1] + r[5] * v[2],
        r[6] * v[0] + r[7] * v[1] + r[8] * v[2],
    ]
}

/// `R^T v` for a row-major 3x3 `r`.
#[inline(always)]
pub(super) fn rotate_t(r: &[f32], v: [f32; 3]) -> [f32; 3] {
    [
        r[0] * v[0] + r[3] * v[1] + r[6] * v[2],
        r[1] * v[0] + r[4] * v[1] + r[7] * v[2],
        r[2] * v[0] + r[5] * v[1] + r[8] * v[2],
    ]
}

pub(super) fn vec3(v: &[f32], i: usize) -> [f32; 3] {
    [v[3 * i], v[3 * i + 1], v[3 * i + 2]]
}

/// Skinning forward on host slices (`s` vertices per frame).
pub(super) fn skin_f32(x: &[f32], rot: &[f32], pos: &[f32], joints: &[f32], w: &[f32], s: usize) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    out.par_chunks_mut(3 * s).enumerate().for_each(|(n, o)| {
        let (r, p, j) =
            (&rot[n * 36..(n + 1) * 36], &pos[n * 12..(n + 1) * 12], &joints[n * 12..(n + 1) * 12]);
        let xs = &x[n * 3 * s..(n + 1) * 3 * s];
        for v in 0..s {
            let xv = vec3(xs, v);
            let mut acc = [0f32; 3];
            for i in 0..JOINTS {
                let ji = vec3(j, i);
                let rv = rotate(&r[9 * i..9 * i + 9], [xv[0] - ji[0], xv[1] - ji[1], xv[2] - ji[2]]);
                let wi = w[v * JOINTS + i];
                for a in 0..3 {
                    acc[a] += wi * (rv[a] + p[3 * i + a]);
                }
            }
            o[3 * v..3 * v + 3].copy_from_slice(&acc);
        }
    });
    out
}

/// Skinning backward: with `u = x - J_i` and `g` the output gradient at a vertex,
/// `dx = sum_i w_i R_i^T g`, `dR_i += w_i g u^T`, `dp_i += w_i g`, `dJ_i -= w_i R_i^T g`,
/// `dw_i += g . (R_i u + p_i)`.
pub(super) fn skin_grads_f32(
    x: &[f32],
    rot: &[f32],
    pos: &[f32],
    joints: &[f32],
    w: &[f32],
    g: &[f32],
    s: usize,
) -> [Vec<f32>; 5] {
    let mut dx = vec![0f32; x.len()];
    let mut drot = vec![0f32; rot.len()];
    let mut dpos = vec![0f32; pos.len()];
    let mut djoint = vec![0f32; joints.len()];
    let dw = dx
        .par_chunks_mut(3 * s)
        .zip(drot.par_chunks_mut(36))
        .zip(dpos.par_chunks_mut(12).zip(djoint.par_chunks_mut(12)))
        .enumerate()
        .fold(
            || vec![0f32; s * JOINTS],
            |mut dw, (f, ((dxf, drf), (dpf, djf)))| {
                let (r, p, j) =
                    (&rot[f * 36..(f + 1) * 36], &pos[f * 12..(f + 1) * 12], &joints[f * 12..(f + 1) * 12]);
                let (xs, gs) = (&x[f * 3 * s..(f + 1) * 3 * s], &g[f * 3 * s..(f + 1) * 3 * s]);
                for v in 0..s {
                    let (xv, gv) = (vec3(xs, v), vec3(gs, v));
                    for i in 0..JOINTS {
                        let ri = &r[9 * i..9 * i + 9];
                        let ji = vec3(j, i);
                        let u = [xv[0] - ji[0], xv[1] - ji[1], xv[2] - ji[2]];
                        let wi = w[v * JOINTS + i];
                        let rtg = rotate_t(ri, gv);
                        let ru = rotate(ri, u);
                        for a in 0..3 {
                            dxf[3 * v + a] += wi * rtg[a];
                            djf[3 * i + a] -= wi * rtg[a];
                            dpf[3 * i + a] += wi * gv[a];
                            for b in 0..3 {
                                drf[9 * i + 3 * a + b] += wi * gv[a] * u[b];
                            }
                        }
                        dw[v * JOINTS + i] += (0..3).map(|a| gv[a] * (ru[a] + p[3 * i + a])).sum::<f32>();
                    }
                }
                dw
            },
        )
        .reduce(|| vec![0f32; s * JOINTS], add_into);
    [dx, drot, dpos, djoint, dw]
}

/// [`skin`] in tensor operations (other backends; the tests' reference).
pub(super) fn skin_tensor_ops(
    x: Tensor<3>,
    rot: Tensor<4>,
    pos: Tensor<3>,
    joints: Tensor<3>,
    weights: Tensor<2>,
) -> Tensor<3> {
    let [n, s, _] = x.dims();
    let mut world = Tensor::<3>::zeros([n, s, 3], &x.device());
    for i in 0..JOINTS {
        let local = x.clone() - joints.clone().narrow(1, i, 1); // [N, S, 3]
        let r = rot.clone().narrow(1, i, 1).reshape([n, 3, 3]);
        let wj = weights.clone().narrow(1, i, 1).unsqueeze_dim::<3>(0); // [1, S, 1]
        world = world + (local.matmul(r.swap_dims(1, 2)) + pos.clone().narrow(1, i, 1)) * wj;
    }
    world
}
