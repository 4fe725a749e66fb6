//! Attention per clip and head, and its backward pass (recomputing the probabilities).

use rayon::prelude::*;

use super::cpu::{dot_lanes, gemm, simd, softmax_rows, Mat};

/// Sizes of one attention: clips x heads, query and key lengths, head width.
#[derive(Debug, Clone, Copy)]
pub(super) struct AttnDims {
    pub(super) nh: usize,
    pub(super) t: usize,
    pub(super) s: usize,
    pub(super) dk: usize,
}

impl AttnDims {
    pub(super) fn scale(&self) -> f32 {
        1.0 / (self.dk as f32).sqrt()
    }
}

/// `p = softmax(q k^T / sqrt(dk))` for one clip and head (`q` `[T, dk]`, `k` `[S, dk]`).
pub(super) fn attention_probs(q: &[f32], k: &[f32], d: AttnDims, p: &mut [f32]) {
    let qa = Mat { ptr: q.as_ptr(), rs: d.dk as isize, cs: 1 };
    // k^T: element (c, j) is k[j dk + c].
    let kt = Mat { ptr: k.as_ptr(), rs: 1, cs: d.dk as isize };
    gemm(p, d.t, d.s, d.dk, qa, kt, false);
    softmax_rows(p, d.s, d.scale());
}

pub(super) fn attention_f32(q: &[f32], k: &[f32], v: &[f32], d: AttnDims) -> Vec<f32> {
    let mut out = vec![0f32; d.nh * d.t * d.dk];
    out.par_chunks_mut(d.t * d.dk).enumerate().for_each_init(
        || vec![0f32; d.t * d.s],
        |p, (i, o)| {
            let (qi, ki) =
                (&q[i * d.t * d.dk..(i + 1) * d.t * d.dk], &k[i * d.s * d.dk..(i + 1) * d.s * d.dk]);
            attention_probs(qi, ki, d, p);
            let pa = Mat { ptr: p.as_ptr(), rs: d.s as isize, cs: 1 };
            let vb = Mat { ptr: v[i * d.s * d.dk..].as_ptr(), rs: d.dk as isize, cs: 1 };
            gemm(o, d.t, d.dk, d.s, pa, vb, false);
        },
    );
    out
}

/// Attention's backward for one clip and head, recomputing the probabilities P:
/// dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)) / sqrt(dk), dQ = dS K, dK = dS^T Q.
#[allow(clippy::too_many_arguments)]
pub(super) fn attention_grads_one(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    g: &[f32],
    d: AttnDims,
    (p, dp): (&mut [f32], &mut [f32]),
    (dq, dk, dv): (&mut [f32], &mut [f32], &mut [f32]),
) {
    attention_probs(q, k, d, p);
    let row = |ptr: &[f32], rs: usize| Mat { ptr: ptr.as_ptr(), rs: rs as isize, cs: 1 };
    let col = |ptr: &[f32], cs: usize| Mat { ptr: ptr.as_ptr(), rs: 1, cs: cs as isize };
    gemm(dv, d.s, d.dk, d.t, col(p, d.s), row(g, d.dk), false);
    gemm(dp, d.t, d.s, d.dk, row(g, d.dk), col(v, d.dk), false);
    let scale = d.scale();
    simd(
        #[inline(always)]
        || {
            for (pr, dr) in p.chunks_exact(d.s).zip(dp.chunks_exact_mut(d.s)) {
                let dot = dot_lanes(pr, dr);
                dr.iter_mut().zip(pr).for_each(|(x, pv)| *x = pv * (*x - dot) * scale);
            }
        },
    );
    gemm(dq, d.t, d.dk, d.s, row(dp, d.s), row(k, d.dk), false);
    gemm(dk, d.s, d.dk, d.t, col(dp, d.s), row(q, d.dk), false);
}

pub(super) fn attention_grads_f32(q: &[f32], k: &[f32], v: &[f32], g: &[f32], d: AttnDims) -> [Vec<f32>; 3] {
    let mut dq = vec![0f32; d.nh * d.t * d.dk];
    let mut dk = vec![0f32; d.nh * d.s * d.dk];
    let mut dv = vec![0f32; d.nh * d.s * d.dk];
    let (qt, st) = (d.t * d.dk, d.s * d.dk);
    dq.par_chunks_mut(qt).zip(dk.par_chunks_mut(st)).zip(dv.par_chunks_mut(st)).enumerate().for_each_init(
        || (vec![0f32; d.t * d.s], vec![0f32; d.t * d.s]),
        |(p, dp), (i, ((dqi, dki), dvi))| {
            let (qi, gi) = (&q[i * qt..(i + 1) * qt], &g[i * qt..(i + 1) * qt]);
            let (ki, vi) = (&k[i * st..(i + 1) * st], &v[i * st..(i + 1) * st]);
            attention_grads_one(qi, ki, vi, gi, d, (p, dp), (dqi, dki, dvi));
        },
    );
    [dq, dk, dv]
}
