//! Elementwise and normalisation kernels: SiLU, GroupNorm (+ SiLU), FiLM.

use rayon::prelude::*;

use super::cpu::{dot_lanes, sigmoid_f32, silu_slope, simd, sum_lanes, LANES};

pub(super) fn silu_f32(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    out.par_chunks_mut(1 << 14).zip(x.par_chunks(1 << 14)).for_each(|(o, x)| {
        simd(
            #[inline(always)]
            || o.iter_mut().zip(x).for_each(|(o, x)| *o = x * sigmoid_f32(*x)),
        )
    });
    out
}

pub(super) fn silu_grad_f32(x: &[f32], g: &[f32]) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    out.par_chunks_mut(1 << 14).zip(x.par_chunks(1 << 14)).zip(g.par_chunks(1 << 14)).for_each(
        |((o, x), g)| {
            simd(
                #[inline(always)]
                || {
                    for ((o, x), g) in o.iter_mut().zip(x).zip(g) {
                        *o = g * silu_slope(*x);
                    }
                },
            )
        },
    );
    out
}

/// Sizes of a group norm: clips, channels, frames, groups.
#[derive(Debug, Clone, Copy)]
pub(super) struct GnDims {
    pub(super) n: usize,
    pub(super) c: usize,
    pub(super) t: usize,
    pub(super) groups: usize,
}

impl GnDims {
    /// Values per group (channels of a group x frames): one contiguous run of `x`.
    pub(super) fn size(&self) -> usize {
        self.c / self.groups * self.t
    }
}

/// Mean and `1 / sqrt(var + eps)` of one group's values (two passes, f32 sums in lanes; the
/// divisions and the root in f64).
#[inline(always)]
pub(super) fn group_stats(v: &[f32], eps: f64) -> (f32, f32) {
    let mean = f64::from(sum_lanes(v)) / v.len() as f64;
    let m = mean as f32;
    let mut acc = [0f32; LANES];
    let chunks = v.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().map(|x| (x - m) * (x - m)).sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += (x - m) * (x - m);
        }
    }
    let var = f64::from(acc.iter().sum::<f32>() + rest) / v.len() as f64;
    (m, (1.0 / (var + eps).sqrt()) as f32)
}

pub(super) fn group_norm_f32(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    d: GnDims,
    eps: f64,
    silu: bool,
) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    let per = d.size();
    let cpg = d.c / d.groups;
    out.par_chunks_mut(per).zip(x.par_chunks(per)).enumerate().for_each(|(i, (o, xg))| {
        let g = i % d.groups;
        simd(
            #[inline(always)]
            || {
                let (mean, rstd) = group_stats(xg, eps);
                for (ci, (orow, xrow)) in o.chunks_exact_mut(d.t).zip(xg.chunks_exact(d.t)).enumerate() {
                    let ch = g * cpg + ci;
                    let (a, b) = (rstd * gamma[ch], beta[ch] - mean * rstd * gamma[ch]);
                    if silu {
                        orow.iter_mut().zip(xrow).for_each(|(o, x)| {
                            let z = x * a + b;
                            *o = z * sigmoid_f32(z);
                        });
                    } else {
                        orow.iter_mut().zip(xrow).for_each(|(o, x)| *o = x * a + b);
                    }
                }
            },
        )
    });
    out
}

/// Group norm's backward: with `xhat` the normalised input and `dz` the gradient at the affine
/// output (through SiLU when fused), `dxhat = dz gamma`, `dx = rstd (dxhat - mean(dxhat) -
/// xhat mean(dxhat xhat))` per group, `dgamma = sum dz xhat`, `dbeta = sum dz` per channel.
#[allow(clippy::too_many_arguments)]
pub(super) fn group_norm_grads_f32(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    g: &[f32],
    d: GnDims,
    eps: f64,
    silu: bool,
) -> [Vec<f32>; 3] {
    let per = d.size();
    let cpg = d.c / d.groups;
    let mut dx = vec![0f32; x.len()];
    // Per (clip, channel): sum dz xhat and sum dz, reduced over clips afterwards.
    let mut dgb = vec![[0f32; 2]; d.n * d.c];
    dx.par_chunks_mut(per)
        .zip(dgb.par_chunks_mut(cpg))
        .zip(x.par_chunks(per).zip(g.par_chunks(per)))
        .enumerate()
        .for_each_init(
            || (vec![0f32; per], vec![0f32; per]),
            |(xhat, dz), (i, ((dxg, dgbg), (xg, gg)))| {
                let grp = i % d.groups;
                simd(
                    #[inline(always)]
                    || {
                        let (mean, rstd) = group_stats(xg, eps);
                        xhat.iter_mut().zip(xg).for_each(|(h, x)| *h = (x - mean) * rstd);
                        dz.copy_from_slice(gg);
                        for (ci, (dzr, hr)) in
                            dz.chunks_exact_mut(d.t).zip(xhat.chunks_exact(d.t)).enumerate()
                        {
                            let ch = grp * cpg + ci;
                            let (gm, bt) = (gamma[ch], beta[ch]);
                            if silu {
                                dzr.iter_mut().zip(hr).for_each(|(dv, h)| *dv *= silu_slope(h * gm + bt));
                            }
                            dgbg[ci] = [dot_lanes(dzr, hr), sum_lanes(dzr)];
                        }
                        // dxhat = dz gamma, in place.
                        for (ci, dzr) in dz.chunks_exact_mut(d.t).enumerate() {
                            let gm = gamma[grp * cpg + ci];
                            dzr.iter_mut().for_each(|v| *v *= gm);
                        }
                        let m = per as f32;
                        let (mean_d, mean_dh) = (sum_lanes(dz) / m, dot_lanes(dz, xhat) / m);
                        dxg.iter_mut()
                            .zip(dz.iter().zip(xhat.iter()))
                            .for_each(|(o, (dv, h))| *o = rstd * (dv - mean_d - h * mean_dh));
                    },
                )
            },
        );
    let mut dgamma = vec![0f32; d.c];
    let mut dbeta = vec![0f32; d.c];
    for row in dgb.chunks_exact(d.c) {
        for (c, [a, b]) in row.iter().enumerate() {
            dgamma[c] += a;
            dbeta[c] += b;
        }
    }
    [dx, dgamma, dbeta]
}

/// FiLM forward on host slices: `h` `[N, W, T]`, `gb` `[N, T, 2W]`.
pub(super) fn film_f32(h: &[f32], gb: &[f32], w: usize, t: usize) -> Vec<f32> {
    let mut out = vec![0f32; h.len()];
    out.par_chunks_mut(w * t).zip(h.par_chunks(w * t)).zip(gb.par_chunks(2 * w * t)).for_each(
        |((o, h), gb)| {
            for c in 0..w {
                let (orow, hrow) = (&mut o[c * t..(c + 1) * t], &h[c * t..(c + 1) * t]);
                for (k, (ov, hv)) in orow.iter_mut().zip(hrow).enumerate() {
                    *ov = hv * (1.0 + gb[k * 2 * w + c]) + gb[k * 2 * w + w + c];
                }
            }
        },
    );
    out
}

/// FiLM backward: `dh = g (1 + gamma)`, `dgamma = g h`, `dbeta = g` (the last two transposed
/// into `gb`'s `[N, T, 2W]` layout).
pub(super) fn film_grads_f32(h: &[f32], gb: &[f32], g: &[f32], w: usize, t: usize) -> [Vec<f32>; 2] {
    let mut dh = vec![0f32; h.len()];
    let mut dgb = vec![0f32; gb.len()];
    dh.par_chunks_mut(w * t)
        .zip(dgb.par_chunks_mut(2 * w * t))
        .zip(h.par_chunks(w * t).zip(gb.par_chunks(2 * w * t)).zip(g.par_chunks(w * t)))
        .for_each(|((dh, dgb), ((h, gb), g))| {
            for c in 0..w {
                let rows = c * t..(c + 1) * t;
                let (dhr, hr, gr) = (&mut dh[rows.clone()], &h[rows.clone()], &g[rows]);
                for k in 0..t {
                    dhr[k] = gr[k] * (1.0 + gb[k * 2 * w + c]);
                    dgb[k * 2 * w + c] = gr[k] * hr[k];
                    dgb[k * 2 * w + w + c] = gr[k];
                }
            }
        });
    [dh, dgb]
}
