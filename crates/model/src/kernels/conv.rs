//! Convolution along time with "same" padding: im2col, the forward GEMM per clip, the weight
//! and input gradients.

use burn::tensor::ops::ConvOptions;
use rayon::prelude::*;

use super::cpu::{add_into, gemm, Mat};

/// burn's convolution options for the same operation (the fallback for non-f32 data).
pub(super) fn options(kernel: usize, stride: usize) -> ConvOptions<1> {
    ConvOptions::new([stride], [kernel / 2], [1], 1)
}

/// Sizes of one convolution.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dims {
    pub(super) n: usize,
    pub(super) ci: usize,
    pub(super) t: usize,
    pub(super) co: usize,
    pub(super) k: usize,
    pub(super) stride: usize,
    pub(super) to: usize,
}

impl Dims {
    pub(super) fn new(n: usize, ci: usize, t: usize, co: usize, k: usize, stride: usize) -> Self {
        let pad = k / 2;
        let to = (t + 2 * pad - k) / stride + 1;
        Self { n, ci, t, co, k, stride, to }
    }

    /// Rows of the im2col matrix: `Ci * k`, ordered `c * k + j` as the weight's `[Co, Ci, k]`.
    pub(super) fn rows(&self) -> usize {
        self.ci * self.k
    }
}

/// Output positions `o` of tap `j` that read inside the input (`0 <= stride o + j - pad < T`),
/// as a range of `o`.
pub(super) fn valid_taps(d: &Dims, j: usize) -> std::ops::Range<usize> {
    let pad = d.k / 2;
    // o >= (pad - j) / stride, rounded up; stride o + j - pad <= T - 1.
    let lo = if j >= pad { 0 } else { (pad - j).div_ceil(d.stride) };
    let hi = if d.t + pad > j { ((d.t + pad - j - 1) / d.stride + 1).min(d.to) } else { 0 };
    lo..hi.max(lo)
}

/// `col[(c k + j) To + o] = x[c T + stride o + j - pad]` (zero outside), `x` one clip `[Ci, T]`.
pub(super) fn im2col(x: &[f32], d: &Dims, col: &mut [f32]) {
    let pad = d.k / 2;
    for c in 0..d.ci {
        let xc = &x[c * d.t..(c + 1) * d.t];
        for j in 0..d.k {
            let row = &mut col[(c * d.k + j) * d.to..(c * d.k + j + 1) * d.to];
            let ok = valid_taps(d, j);
            row[..ok.start].fill(0.0);
            row[ok.end..].fill(0.0);
            let first = d.stride * ok.start + j - pad;
            if d.stride == 1 {
                row[ok.clone()].copy_from_slice(&xc[first..first + ok.len()]);
            } else {
                for (v, i) in row[ok.clone()].iter_mut().zip((first..).step_by(d.stride)) {
                    *v = xc[i];
                }
            }
        }
    }
}

/// The inverse scatter: `x[c T + stride o + j - pad] += col[(c k + j) To + o]`.
pub(super) fn col2im(col: &[f32], d: &Dims, x: &mut [f32]) {
    let pad = d.k / 2;
    for c in 0..d.ci {
        let xc = &mut x[c * d.t..(c + 1) * d.t];
        for j in 0..d.k {
            let row = &col[(c * d.k + j) * d.to..(c * d.k + j + 1) * d.to];
            let ok = valid_taps(d, j);
            let first = d.stride * ok.start + j - pad;
            if d.stride == 1 {
                let n = ok.len();
                xc[first..first + n].iter_mut().zip(&row[ok]).for_each(|(a, b)| *a += b);
            } else {
                for (v, i) in row[ok].iter().zip((first..).step_by(d.stride)) {
                    xc[i] += v;
                }
            }
        }
    }
}

/// Forward on host slices: `x` `[N, Ci, T]`, `w` `[Co, Ci k]`, `bias` `[Co]` -> `[N, Co, To]`.
pub(super) fn forward_f32(x: &[f32], w: &[f32], bias: &[f32], d: Dims) -> Vec<f32> {
    let mut out = vec![0f32; d.n * d.co * d.to];
    let rows = d.rows();
    out.par_chunks_mut(d.co * d.to).enumerate().for_each_init(
        || vec![0f32; rows * d.to],
        |col, (i, o)| {
            im2col(&x[i * d.ci * d.t..(i + 1) * d.ci * d.t], &d, col);
            let wa = Mat { ptr: w.as_ptr(), rs: rows as isize, cs: 1 };
            let cb = Mat { ptr: col.as_ptr(), rs: d.to as isize, cs: 1 };
            gemm(o, d.co, d.to, rows, wa, cb, false);
            for (row, b) in o.chunks_exact_mut(d.to).zip(bias) {
                row.iter_mut().for_each(|v| *v += b);
            }
        },
    );
    out
}

/// Weight gradient: `sum_n grad_n [Co, To] col_n^T [To, Ci k]` -> `[Co, Ci k]`.
pub(super) fn weight_grad_f32(x: &[f32], g: &[f32], d: Dims) -> Vec<f32> {
    let rows = d.rows();
    let per_clip = |(acc, col): (Vec<f32>, Vec<f32>), i: usize| {
        let (mut acc, mut col) = (acc, col);
        im2col(&x[i * d.ci * d.t..(i + 1) * d.ci * d.t], &d, &mut col);
        let ga = Mat { ptr: g[i * d.co * d.to..].as_ptr(), rs: d.to as isize, cs: 1 };
        // col_n^T: element (o, r) of the [To, Ci k] transpose is col[r To + o].
        let ct = Mat { ptr: col.as_ptr(), rs: 1, cs: d.to as isize };
        gemm(&mut acc, d.co, rows, d.to, ga, ct, true);
        (acc, col)
    };
    (0..d.n)
        .into_par_iter()
        .fold(|| (vec![0f32; d.co * rows], vec![0f32; rows * d.to]), per_clip)
        .map(|(acc, _)| acc)
        .reduce(|| vec![0f32; d.co * rows], add_into)
}

/// Input gradient: per clip `W^T [Ci k, Co] grad_n [Co, To]`, folded back by col2im.
pub(super) fn x_grad_f32(w: &[f32], g: &[f32], d: Dims) -> Vec<f32> {
    let rows = d.rows();
    let mut out = vec![0f32; d.n * d.ci * d.t];
    out.par_chunks_mut(d.ci * d.t).enumerate().for_each_init(
        || vec![0f32; rows * d.to],
        |col, (i, xi)| {
            // W^T: element (r, o) is w[o (Ci k) + r].
            let wt = Mat { ptr: w.as_ptr(), rs: 1, cs: rows as isize };
            let gb = Mat { ptr: g[i * d.co * d.to..].as_ptr(), rs: d.to as isize, cs: 1 };
            gemm(col, rows, d.to, d.co, wt, gb, false);
            col2im(col, &d, xi);
        },
    );
    out
}
