//! Hand-written CPU kernels with their own backward passes, for the operations where burn-flex's
//! generic path is slow (issue 13, crates/model/README.md "Profile").
//!
//! **Convolution.** burn computes a conv1d's weight gradient with the generic trick of a second
//! convolution whose "batch" is the input channels and whose kernel is the whole output
//! gradient (`burn-backend` `conv1d_weight_grad_no_groups`): on flex that is one GEMM per input
//! channel with 3 output columns, several times the forward's cost. [`conv1d_same`] is the same
//! convolution (padding `k / 2` on both sides, any stride, no dilation or groups) as a
//! [`backend_extension`] with an explicit backward: per clip an im2col matrix and one GEMM
//! forward; the weight gradient is `sum_n grad_n col_n^T` (one GEMM per clip into a per-thread
//! accumulator), the input gradient `W^T grad_n` folded back by col2im. Every GEMM goes through
//! the `gemm` crate, the one flex's own kernels use.
//!
//! Only the `flex` backend (plain or under autodiff) runs these kernels; on other backends
//! [`conv1d_same`] is burn's `Conv1d::forward`, so GPU builds are unchanged.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ActivationOps, FloatTensorOps, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Autodiff, Backend, Dispatch, DispatchDevice, Flex, TensorMetadata};
use burn::nn::conv::Conv1d;
use burn::nn::{GroupNorm, PaddingConfig1d};
use burn::prelude::*;
use burn::tensor::ops::ConvOptions;
use burn::tensor::DType;
use rayon::prelude::*;

/// The forward operations: convolutions along time with "same" padding (`k / 2` each side),
/// multi-head attention, SiLU.
#[backend_extension(Flex, Autodiff)]
pub trait Kernels: Backend {
    /// `x` `[N, Ci, T]`, `weight` `[Co, Ci, k]`, `bias` `[Co]` -> `[N, Co, To]`,
    /// `To = (T + 2 (k / 2) - k) / stride + 1`.
    fn conv1d_same(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
    ) -> FloatTensor<Self>;

    /// `softmax(q k^T / sqrt(dk)) v` per clip and head: `q` `[N, H, T, dk]`, `k` and `v`
    /// `[N, H, S, dk]` -> `[N, H, T, dk]`.
    fn attention_heads(q: FloatTensor<Self>, k: FloatTensor<Self>, v: FloatTensor<Self>)
        -> FloatTensor<Self>;

    /// `x * sigmoid(x)`, elementwise.
    fn silu_fused(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// Group normalisation of `x` `[N, C, T]` over `groups` groups of channels (biased
    /// variance, `eps` inside the root), times `gamma` `[C]` plus `beta` `[C]`, then SiLU when
    /// `silu` is set.
    fn group_norm_fused(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        groups: usize,
        eps: f64,
        silu: bool,
    ) -> FloatTensor<Self>;

    /// FiLM: `h` `[N, W, T]` modulated by `gb` `[N, T, 2W]` (gamma then beta along its last
    /// axis): `h * (1 + gamma) + beta` with gamma and beta read transposed, `[N, W, T]`.
    fn film_fused(h: FloatTensor<Self>, gb: FloatTensor<Self>) -> FloatTensor<Self>;

    /// Linear blend skinning of `S` vertices with 4 joints per frame:
    /// `out[n, s] = sum_i w[s, i] (R[n, i] (x[n, s] - J[n, i]) + p[n, i])` for `x` `[N, S, 3]`,
    /// `rot` `[N, 4, 3, 3]`, `pos` and `joints` `[N, 4, 3]`, `weights` `[S, 4]` -> `[N, S, 3]`.
    fn skin(
        x: FloatTensor<Self>,
        rot: FloatTensor<Self>,
        pos: FloatTensor<Self>,
        joints: FloatTensor<Self>,
        weights: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// The backward passes of [`Kernels`]' operations on a backend without autodiff (called by the
/// autodiff wrapper's backward steps; their results are not differentiated again).
pub trait KernelGrads: Backend {
    /// Gradient of [`Kernels::conv1d_same`] with respect to `x` (`length` = T).
    fn conv1d_same_x_grad(
        weight: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        length: usize,
        stride: usize,
    ) -> FloatTensor<Self>;

    /// Gradient with respect to the weight (`kernel` = k).
    fn conv1d_same_weight_grad(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        kernel: usize,
        stride: usize,
    ) -> FloatTensor<Self>;

    /// Gradients of [`Kernels::attention_heads`] for the output gradient `grad`: `(dq, dk, dv)`.
    fn attention_grads(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

    /// Gradient of [`Kernels::silu_fused`]: `grad * s (1 + x (1 - s))`, `s = sigmoid(x)`.
    fn silu_grad(x: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self>;

    /// Gradients of [`Kernels::group_norm_fused`]: `(dx, dgamma, dbeta)`.
    #[allow(clippy::too_many_arguments)]
    fn group_norm_grads(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        groups: usize,
        eps: f64,
        silu: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

    /// Gradients of [`Kernels::film_fused`]: `(dh, dgb)`.
    fn film_grads(
        h: FloatTensor<Self>,
        gb: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);

    /// Gradients of [`Kernels::skin`]: `[dx, drot, dpos, djoints, dweights]`.
    fn skin_grads(
        x: FloatTensor<Self>,
        rot: FloatTensor<Self>,
        pos: FloatTensor<Self>,
        joints: FloatTensor<Self>,
        weights: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> [FloatTensor<Self>; 5];
}

/// burn's convolution options for the same operation (the fallback for non-f32 data).
fn options(kernel: usize, stride: usize) -> ConvOptions<1> {
    ConvOptions::new([stride], [kernel / 2], [1], 1)
}

/// Sizes of one convolution.
#[derive(Debug, Clone, Copy)]
struct Dims {
    n: usize,
    ci: usize,
    t: usize,
    co: usize,
    k: usize,
    stride: usize,
    to: usize,
}

impl Dims {
    fn new(n: usize, ci: usize, t: usize, co: usize, k: usize, stride: usize) -> Self {
        let pad = k / 2;
        let to = (t + 2 * pad - k) / stride + 1;
        Self { n, ci, t, co, k, stride, to }
    }

    /// Rows of the im2col matrix: `Ci * k`, ordered `c * k + j` as the weight's `[Co, Ci, k]`.
    fn rows(&self) -> usize {
        self.ci * self.k
    }
}

/// Output positions `o` of tap `j` that read inside the input (`0 <= stride o + j - pad < T`),
/// as a range of `o`.
fn valid_taps(d: &Dims, j: usize) -> std::ops::Range<usize> {
    let pad = d.k / 2;
    // o >= (pad - j) / stride, rounded up; stride o + j - pad <= T - 1.
    let lo = if j >= pad { 0 } else { (pad - j).div_ceil(d.stride) };
    let hi = if d.t + pad > j { ((d.t + pad - j - 1) / d.stride + 1).min(d.to) } else { 0 };
    lo..hi.max(lo)
}

/// `col[(c k + j) To + o] = x[c T + stride o + j - pad]` (zero outside), `x` one clip `[Ci, T]`.
fn im2col(x: &[f32], d: &Dims, col: &mut [f32]) {
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
fn col2im(col: &[f32], d: &Dims, x: &mut [f32]) {
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

/// A GEMM view: `rows x cols` at `ptr` with row stride `rs` and column stride `cs` (elements).
#[derive(Clone, Copy)]
struct Mat {
    ptr: *const f32,
    rs: isize,
    cs: isize,
}

/// `dst (m x n, row-major) = keep * dst + a (m x k) b (k x n)`, single-threaded (the callers
/// run one GEMM per clip on each core).
fn gemm(dst: &mut [f32], m: usize, n: usize, k: usize, a: Mat, b: Mat, keep: bool) {
    assert!(dst.len() >= m * n);
    // SAFETY: `dst` holds m x n values with row stride n; `a` and `b` point into slices the
    // callers size for m x k and k x n values at the given strides.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            keep,
            a.ptr,
            a.cs,
            a.rs,
            b.ptr,
            b.cs,
            b.rs,
            if keep { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Forward on host slices: `x` `[N, Ci, T]`, `w` `[Co, Ci k]`, `bias` `[Co]` -> `[N, Co, To]`.
fn forward_f32(x: &[f32], w: &[f32], bias: &[f32], d: Dims) -> Vec<f32> {
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
fn weight_grad_f32(x: &[f32], g: &[f32], d: Dims) -> Vec<f32> {
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
        .reduce(
            || vec![0f32; d.co * rows],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// Input gradient: per clip `W^T [Ci k, Co] grad_n [Co, To]`, folded back by col2im.
fn x_grad_f32(w: &[f32], g: &[f32], d: Dims) -> Vec<f32> {
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

fn shape3(t: &FlexTensor) -> [usize; 3] {
    let s = t.layout().shape();
    [s[0], s[1], s[2]]
}

fn flex_f32(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

/// `exp(x)` for `f32` without a library call, so that loops over slices vectorise: Cephes'
/// `expf` (range reduction by ln 2, a degree-6 polynomial, the exponent written into the bits),
/// within 2 ulp of `f32::exp` on [-87.3, 88.3]; inputs outside are clamped there (so
/// `exp(-inf)` is 1.2e-38, not 0).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.3, 88.3);
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Runs `f` compiled for the best SIMD level of this CPU (AVX-512 / AVX2 / baseline), so that
/// plain loops inside it vectorise with those instructions.
#[inline(always)]
fn simd<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}

/// Lanes of the reductions below: independent partial results in an array, so that the
/// compiler can keep them in one SIMD register (a plain `f32` fold is a serial chain).
const LANES: usize = 16;

/// Sum of a slice, in [`LANES`] partial sums.
#[inline(always)]
fn sum_lanes(v: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = v.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + rest
}

/// Dot product of two slices of equal length, in [`LANES`] partial sums.
#[inline(always)]
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let rest: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for ((s, x), y) in acc.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    acc.iter().sum::<f32>() + rest
}

/// Largest value of a slice (NaN-free input), in [`LANES`] partial maxima.
#[inline(always)]
fn max_lanes(v: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = v.chunks_exact(LANES);
    let rest = chunks.remainder().iter().fold(f32::NEG_INFINITY, |m, x| if *x > m { *x } else { m });
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a = if *x > *a { *x } else { *a };
        }
    }
    acc.iter().fold(rest, |m, x| if *x > m { *x } else { m })
}

/// Scaled softmax of each row of `s` (`rows x cols`) in place: `softmax(scale * row)`.
fn softmax_rows(s: &mut [f32], cols: usize, scale: f32) {
    simd(
        #[inline(always)]
        || {
            for row in s.chunks_exact_mut(cols) {
                let max = max_lanes(row);
                row.iter_mut().for_each(|v| *v = exp_f32((*v - max) * scale));
                let inv = 1.0 / sum_lanes(row);
                row.iter_mut().for_each(|v| *v *= inv);
            }
        },
    )
}

/// Sizes of one attention: clips x heads, query and key lengths, head width.
#[derive(Debug, Clone, Copy)]
struct AttnDims {
    nh: usize,
    t: usize,
    s: usize,
    dk: usize,
}

impl AttnDims {
    fn scale(&self) -> f32 {
        1.0 / (self.dk as f32).sqrt()
    }
}

/// `p = softmax(q k^T / sqrt(dk))` for one clip and head (`q` `[T, dk]`, `k` `[S, dk]`).
fn attention_probs(q: &[f32], k: &[f32], d: AttnDims, p: &mut [f32]) {
    let qa = Mat { ptr: q.as_ptr(), rs: d.dk as isize, cs: 1 };
    // k^T: element (c, j) is k[j dk + c].
    let kt = Mat { ptr: k.as_ptr(), rs: 1, cs: d.dk as isize };
    gemm(p, d.t, d.s, d.dk, qa, kt, false);
    softmax_rows(p, d.s, d.scale());
}

fn attention_f32(q: &[f32], k: &[f32], v: &[f32], d: AttnDims) -> Vec<f32> {
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
fn attention_grads_one(
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

fn attention_grads_f32(q: &[f32], k: &[f32], v: &[f32], g: &[f32], d: AttnDims) -> [Vec<f32>; 3] {
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

fn silu_f32(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    out.par_chunks_mut(1 << 14).zip(x.par_chunks(1 << 14)).for_each(|(o, x)| {
        simd(
            #[inline(always)]
            || o.iter_mut().zip(x).for_each(|(o, x)| *o = x / (1.0 + exp_f32(-x))),
        )
    });
    out
}

fn silu_grad_f32(x: &[f32], g: &[f32]) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    out.par_chunks_mut(1 << 14).zip(x.par_chunks(1 << 14)).zip(g.par_chunks(1 << 14)).for_each(
        |((o, x), g)| {
            simd(
                #[inline(always)]
                || {
                    for ((o, x), g) in o.iter_mut().zip(x).zip(g) {
                        let s = 1.0 / (1.0 + exp_f32(-x));
                        *o = g * s * (1.0 + x * (1.0 - s));
                    }
                },
            )
        },
    );
    out
}

/// Sizes of a group norm: clips, channels, frames, groups.
#[derive(Debug, Clone, Copy)]
struct GnDims {
    n: usize,
    c: usize,
    t: usize,
    groups: usize,
}

impl GnDims {
    /// Values per group (channels of a group x frames): one contiguous run of `x`.
    fn size(&self) -> usize {
        self.c / self.groups * self.t
    }
}

/// Mean and `1 / sqrt(var + eps)` of one group's values (two passes, in f64 sums of lanes).
#[inline(always)]
fn group_stats(v: &[f32], eps: f64) -> (f32, f32) {
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

fn group_norm_f32(x: &[f32], gamma: &[f32], beta: &[f32], d: GnDims, eps: f64, silu: bool) -> Vec<f32> {
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
                            *o = z / (1.0 + exp_f32(-z));
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
fn group_norm_grads_f32(
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
                                dzr.iter_mut().zip(hr).for_each(|(dv, h)| {
                                    let z = h * gm + bt;
                                    let s = 1.0 / (1.0 + exp_f32(-z));
                                    *dv *= s * (1.0 + z * (1.0 - s));
                                });
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
fn film_f32(h: &[f32], gb: &[f32], w: usize, t: usize) -> Vec<f32> {
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
fn film_grads_f32(h: &[f32], gb: &[f32], g: &[f32], w: usize, t: usize) -> [Vec<f32>; 2] {
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

/// Joints of [`Kernels::skin`].
const JOINTS: usize = 4;

/// `R v` for a row-major 3x3 `r`.
#[inline(always)]
fn rotate(r: &[f32], v: [f32; 3]) -> [f32; 3] {
    [
        r[0] * v[0] + r[1] * v[1] + r[2] * v[2],
        r[3] * v[0] + r[4] * v[1] + r[5] * v[2],
        r[6] * v[0] + r[7] * v[1] + r[8] * v[2],
    ]
}

/// `R^T v` for a row-major 3x3 `r`.
#[inline(always)]
fn rotate_t(r: &[f32], v: [f32; 3]) -> [f32; 3] {
    [
        r[0] * v[0] + r[3] * v[1] + r[6] * v[2],
        r[1] * v[0] + r[4] * v[1] + r[7] * v[2],
        r[2] * v[0] + r[5] * v[1] + r[8] * v[2],
    ]
}

fn vec3(v: &[f32], i: usize) -> [f32; 3] {
    [v[3 * i], v[3 * i + 1], v[3 * i + 2]]
}

/// Skinning forward on host slices (`s` vertices per frame).
fn skin_f32(x: &[f32], rot: &[f32], pos: &[f32], joints: &[f32], w: &[f32], s: usize) -> Vec<f32> {
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
fn skin_grads_f32(
    x: &[f32],
    rot: &[f32],
    pos: &[f32],
    joints: &[f32],
    w: &[f32],
    g: &[f32],
    s: usize,
) -> [Vec<f32>; 5] {
    let n = x.len() / (3 * s);
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
        .reduce(
            || vec![0f32; s * JOINTS],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let _ = n;
    [dx, drot, dpos, djoint, dw]
}

fn shape4(t: &FlexTensor) -> [usize; 4] {
    let s = t.layout().shape();
    [s[0], s[1], s[2], s[3]]
}

fn all_f32(ts: &[&FlexTensor]) -> bool {
    ts.iter().all(|t| t.dtype() == DType::F32)
}

/// burn's own composition of attention (the fallback for data that is not f32).
fn attention_reference(q: FlexTensor, k: FlexTensor, v: FlexTensor) -> FlexTensor {
    <Flex as ModuleOps<Flex>>::attention(q, k, v, None, None, Default::default())
}

impl Kernels for Flex {
    fn conv1d_same(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, stride: usize) -> FlexTensor {
        if !all_f32(&[&x, &weight, &bias]) {
            let k = shape3(&weight)[2];
            return Flex::conv1d(x, weight, Some(bias), options(k, stride));
        }
        let (x, w, b) = (x.to_contiguous(), weight.to_contiguous(), bias.to_contiguous());
        let ([n, ci, t], [co, wci, k]) = (shape3(&x), shape3(&w));
        assert_eq!(ci, wci, "conv1d_same: input has {ci} channels, the weight {wci}");
        let d = Dims::new(n, ci, t, co, k, stride);
        flex_f32(forward_f32(x.storage(), w.storage(), b.storage(), d), [n, co, d.to])
    }

    fn attention_heads(q: FlexTensor, k: FlexTensor, v: FlexTensor) -> FlexTensor {
        if !all_f32(&[&q, &k, &v]) {
            return attention_reference(q, k, v);
        }
        let (q, k, v) = (q.to_contiguous(), k.to_contiguous(), v.to_contiguous());
        let ([n, h, t, dk], [_, _, s, _]) = (shape4(&q), shape4(&k));
        let d = AttnDims { nh: n * h, t, s, dk };
        flex_f32(attention_f32(q.storage(), k.storage(), v.storage(), d), [n, h, t, dk])
    }

    fn silu_fused(x: FlexTensor) -> FlexTensor {
        if !all_f32(&[&x]) {
            return Flex::float_mul(x.clone(), <Flex as ActivationOps<Flex>>::sigmoid(x));
        }
        let x = x.to_contiguous();
        let shape = x.layout().shape().clone();
        flex_f32(silu_f32(x.storage()), shape)
    }

    fn group_norm_fused(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        groups: usize,
        eps: f64,
        silu: bool,
    ) -> FlexTensor {
        assert!(all_f32(&[&x, &gamma, &beta]), "group_norm_fused: f32 only");
        let (x, gm, bt) = (x.to_contiguous(), gamma.to_contiguous(), beta.to_contiguous());
        let [n, c, t] = shape3(&x);
        let d = GnDims { n, c, t, groups };
        flex_f32(group_norm_f32(x.storage(), gm.storage(), bt.storage(), d, eps, silu), [n, c, t])
    }

    fn film_fused(h: FlexTensor, gb: FlexTensor) -> FlexTensor {
        assert!(all_f32(&[&h, &gb]), "film_fused: f32 only");
        let (h, gb) = (h.to_contiguous(), gb.to_contiguous());
        let [n, w, t] = shape3(&h);
        assert_eq!(shape3(&gb), [n, t, 2 * w], "film_fused: gb must be [N, T, 2W]");
        flex_f32(film_f32(h.storage(), gb.storage(), w, t), [n, w, t])
    }

    fn skin(
        x: FlexTensor,
        rot: FlexTensor,
        pos: FlexTensor,
        joints: FlexTensor,
        weights: FlexTensor,
    ) -> FlexTensor {
        assert!(all_f32(&[&x, &rot, &pos, &joints, &weights]), "skin: f32 only");
        let [n, s, _] = shape3(&x);
        let c = |t: FlexTensor| t.to_contiguous();
        let (x, r, p, j, w) = (c(x), c(rot), c(pos), c(joints), c(weights));
        assert_eq!(r.layout().shape().num_elements(), n * 36, "skin: rot must be [N, 4, 3, 3]");
        assert_eq!(w.layout().shape().num_elements(), s * JOINTS, "skin: weights must be [S, 4]");
        flex_f32(skin_f32(x.storage(), r.storage(), p.storage(), j.storage(), w.storage(), s), [n, s, 3])
    }
}

impl KernelGrads for Flex {
    fn conv1d_same_x_grad(weight: FlexTensor, grad: FlexTensor, length: usize, stride: usize) -> FlexTensor {
        let [n, co, _] = shape3(&grad);
        let [_, ci, k] = shape3(&weight);
        if !all_f32(&[&weight, &grad]) {
            let x = Flex::float_zeros([n, ci, length].into(), &Default::default(), grad.dtype().into());
            return Flex::conv1d_x_backward(x, weight, grad, options(k, stride));
        }
        let (w, g) = (weight.to_contiguous(), grad.to_contiguous());
        let d = Dims::new(n, ci, length, co, k, stride);
        flex_f32(x_grad_f32(w.storage(), g.storage(), d), [n, ci, length])
    }

    fn conv1d_same_weight_grad(x: FlexTensor, grad: FlexTensor, kernel: usize, stride: usize) -> FlexTensor {
        let [n, ci, t] = shape3(&x);
        let co = shape3(&grad)[1];
        if !all_f32(&[&x, &grad]) {
            let w = Flex::float_zeros([co, ci, kernel].into(), &Default::default(), x.dtype().into());
            return Flex::conv1d_weight_backward(x, w, grad, options(kernel, stride));
        }
        let (x, g) = (x.to_contiguous(), grad.to_contiguous());
        let d = Dims::new(n, ci, t, co, kernel, stride);
        flex_f32(weight_grad_f32(x.storage(), g.storage(), d), [co, ci, kernel])
    }

    fn attention_grads(
        q: FlexTensor,
        k: FlexTensor,
        v: FlexTensor,
        grad: FlexTensor,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        assert!(all_f32(&[&q, &k, &v, &grad]), "attention_grads: f32 only");
        let (q, k, v, g) = (q.to_contiguous(), k.to_contiguous(), v.to_contiguous(), grad.to_contiguous());
        let ([n, h, t, dk], [_, _, s, _]) = (shape4(&q), shape4(&k));
        let d = AttnDims { nh: n * h, t, s, dk };
        let [dq, dkk, dv] = attention_grads_f32(q.storage(), k.storage(), v.storage(), g.storage(), d);
        (flex_f32(dq, [n, h, t, dk]), flex_f32(dkk, [n, h, s, dk]), flex_f32(dv, [n, h, s, dk]))
    }

    fn silu_grad(x: FlexTensor, grad: FlexTensor) -> FlexTensor {
        assert!(all_f32(&[&x, &grad]), "silu_grad: f32 only");
        let (x, g) = (x.to_contiguous(), grad.to_contiguous());
        let shape = x.layout().shape().clone();
        flex_f32(silu_grad_f32(x.storage(), g.storage()), shape)
    }

    fn group_norm_grads(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        grad: FlexTensor,
        groups: usize,
        eps: f64,
        silu: bool,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        assert!(all_f32(&[&x, &gamma, &beta, &grad]), "group_norm_grads: f32 only");
        let (x, gm, bt, g) =
            (x.to_contiguous(), gamma.to_contiguous(), beta.to_contiguous(), grad.to_contiguous());
        let [n, c, t] = shape3(&x);
        let d = GnDims { n, c, t, groups };
        let [dx, dgamma, dbeta] =
            group_norm_grads_f32(x.storage(), gm.storage(), bt.storage(), g.storage(), d, eps, silu);
        (flex_f32(dx, [n, c, t]), flex_f32(dgamma, [c]), flex_f32(dbeta, [c]))
    }

    fn film_grads(h: FlexTensor, gb: FlexTensor, grad: FlexTensor) -> (FlexTensor, FlexTensor) {
        assert!(all_f32(&[&h, &gb, &grad]), "film_grads: f32 only");
        let (h, gb, g) = (h.to_contiguous(), gb.to_contiguous(), grad.to_contiguous());
        let [n, w, t] = shape3(&h);
        let [dh, dgb] = film_grads_f32(h.storage(), gb.storage(), g.storage(), w, t);
        (flex_f32(dh, [n, w, t]), flex_f32(dgb, [n, t, 2 * w]))
    }

    fn skin_grads(
        x: FlexTensor,
        rot: FlexTensor,
        pos: FlexTensor,
        joints: FlexTensor,
        weights: FlexTensor,
        grad: FlexTensor,
    ) -> [FlexTensor; 5] {
        assert!(all_f32(&[&x, &rot, &pos, &joints, &weights, &grad]), "skin_grads: f32 only");
        let [n, s, _] = shape3(&x);
        let c = |t: FlexTensor| t.to_contiguous();
        let (x, r, p, j, w, g) = (c(x), c(rot), c(pos), c(joints), c(weights), c(grad));
        let [dx, dr, dp, dj, dw] =
            skin_grads_f32(x.storage(), r.storage(), p.storage(), j.storage(), w.storage(), g.storage(), s);
        [
            flex_f32(dx, [n, s, 3]),
            flex_f32(dr, [n, JOINTS, 3, 3]),
            flex_f32(dp, [n, JOINTS, 3]),
            flex_f32(dj, [n, JOINTS, 3]),
            flex_f32(dw, [s, JOINTS]),
        ]
    }
}

/// The backward step of [`Kernels::conv1d_same`] under autodiff.
#[derive(Debug)]
struct ConvSameBackward;

impl<B: KernelGrads> Backward<B, 3> for ConvSameBackward {
    /// Checkpointed x and weight, T, k, stride.
    type State = (NodeId, NodeId, usize, usize, usize);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_state, w_state, length, kernel, stride) = ops.state;
        let x = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(x_state);
        let w = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(w_state);
        if let Some(node) = node_x {
            grads.register::<B>(node.id, B::conv1d_same_x_grad(w, grad.clone(), length, stride));
        }
        if let Some(node) = node_w {
            grads.register::<B>(node.id, B::conv1d_same_weight_grad(x, grad.clone(), kernel, stride));
        }
        if let Some(node) = node_b {
            // Sum over clips and frames: [N, Co, To] -> [Co].
            let [n, co, to] = grad.shape().dims();
            let g = B::float_reshape(B::float_swap_dims(grad, 0, 1), [co, n * to].into());
            grads.register::<B>(node.id, B::float_reshape(B::float_sum_dim(g, 1), [co].into()));
        }
    }
}

/// The backward step of [`Kernels::attention_heads`] under autodiff (recomputes the probabilities).
#[derive(Debug)]
struct AttentionBackward;

impl<B: KernelGrads> Backward<B, 3> for AttentionBackward {
    type State = (NodeId, NodeId, NodeId);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_q, node_k, node_v] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (qs, ks, vs) = ops.state;
        let q = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(qs);
        let k = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(ks);
        let v = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(vs);
        let (dq, dk, dv) = B::attention_grads(q, k, v, grad);
        for (node, g) in [(node_q, dq), (node_k, dk), (node_v, dv)] {
            if let Some(node) = node {
                grads.register::<B>(node.id, g);
            }
        }
    }
}

/// The backward step of [`Kernels::silu_fused`] under autodiff.
#[derive(Debug)]
struct SiluBackward;

impl<B: KernelGrads> Backward<B, 1> for SiluBackward {
    type State = NodeId;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let x = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(ops.state);
        if let Some(node) = node_x {
            grads.register::<B>(node.id, B::silu_grad(x, grad));
        }
    }
}

/// The backward step of [`Kernels::group_norm_fused`] under autodiff (recomputes the statistics).
#[derive(Debug)]
struct GroupNormBackward;

impl<B: KernelGrads> Backward<B, 3> for GroupNormBackward {
    /// Checkpointed x, gamma, beta; groups, eps, SiLU.
    type State = (NodeId, NodeId, NodeId, usize, f64, bool);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_x, node_g, node_b] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (xs, gs, bs, groups, eps, silu) = ops.state;
        let x = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(xs);
        let gamma = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(gs);
        let beta = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(bs);
        let (dx, dgamma, dbeta) = B::group_norm_grads(x, gamma, beta, grad, groups, eps, silu);
        for (node, g) in [(node_x, dx), (node_g, dgamma), (node_b, dbeta)] {
            if let Some(node) = node {
                grads.register::<B>(node.id, g);
            }
        }
    }
}

/// The backward step of [`Kernels::film_fused`] under autodiff.
#[derive(Debug)]
struct FilmBackward;

impl<B: KernelGrads> Backward<B, 2> for FilmBackward {
    type State = (NodeId, NodeId);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_h, node_gb] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let h = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(ops.state.0);
        let gb = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(ops.state.1);
        let (dh, dgb) = B::film_grads(h, gb, grad);
        for (node, g) in [(node_h, dh), (node_gb, dgb)] {
            if let Some(node) = node {
                grads.register::<B>(node.id, g);
            }
        }
    }
}

/// The backward step of [`Kernels::skin`] under autodiff.
#[derive(Debug)]
struct SkinBackward;

impl<B: KernelGrads> Backward<B, 5> for SkinBackward {
    type State = [NodeId; 5];

    fn backward(self, ops: Ops<Self::State, 5>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let [x, r, p, j, w] =
            ops.state.map(|id| checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(id));
        let gs = B::skin_grads(x, r, p, j, w, grad);
        for (node, g) in ops.parents.into_iter().zip(gs) {
            if let Some(node) = node {
                grads.register::<B>(node.id, g);
            }
        }
    }
}

impl<B: Kernels + KernelGrads, C: CheckpointStrategy> Kernels for Autodiff<B, C> {
    fn skin(
        x: FloatTensor<Self>,
        rot: FloatTensor<Self>,
        pos: FloatTensor<Self>,
        joints: FloatTensor<Self>,
        weights: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [x.node(), rot.node(), pos.node(), joints.node(), weights.node()];
        match SkinBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = [&x, &rot, &pos, &joints, &weights].map(|t| prep.checkpoint(t));
                let out = B::skin(
                    x.into_primitive(),
                    rot.into_primitive(),
                    pos.into_primitive(),
                    joints.into_primitive(),
                    weights.into_primitive(),
                );
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::skin(
                x.into_primitive(),
                rot.into_primitive(),
                pos.into_primitive(),
                joints.into_primitive(),
                weights.into_primitive(),
            )),
        }
    }

    fn group_norm_fused(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        groups: usize,
        eps: f64,
        silu: bool,
    ) -> FloatTensor<Self> {
        match GroupNormBackward.prepare::<C>([x.node(), gamma.node(), beta.node()]).compute_bound().stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state =
                    (prep.checkpoint(&x), prep.checkpoint(&gamma), prep.checkpoint(&beta), groups, eps, silu);
                let out = B::group_norm_fused(
                    x.into_primitive(),
                    gamma.into_primitive(),
                    beta.into_primitive(),
                    groups,
                    eps,
                    silu,
                );
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::group_norm_fused(
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                groups,
                eps,
                silu,
            )),
        }
    }

    fn film_fused(h: FloatTensor<Self>, gb: FloatTensor<Self>) -> FloatTensor<Self> {
        match FilmBackward.prepare::<C>([h.node(), gb.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&h), prep.checkpoint(&gb));
                prep.finish(state, B::film_fused(h.into_primitive(), gb.into_primitive()))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::film_fused(h.into_primitive(), gb.into_primitive())),
        }
    }

    fn conv1d_same(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
    ) -> FloatTensor<Self> {
        let length = x.primitive().shape()[2];
        let kernel = weight.primitive().shape()[2];
        match ConvSameBackward.prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let xs = prep.checkpoint(&x);
                let ws = prep.checkpoint(&weight);
                let out = B::conv1d_same(
                    x.into_primitive(),
                    weight.into_primitive(),
                    bias.into_primitive(),
                    stride,
                );
                prep.finish((xs, ws, length, kernel, stride), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::conv1d_same(
                x.into_primitive(),
                weight.into_primitive(),
                bias.into_primitive(),
                stride,
            )),
        }
    }

    fn attention_heads(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match AttentionBackward.prepare::<C>([q.node(), k.node(), v.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&q), prep.checkpoint(&k), prep.checkpoint(&v));
                prep.finish(
                    state,
                    B::attention_heads(q.into_primitive(), k.into_primitive(), v.into_primitive()),
                )
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::attention_heads(q.into_primitive(), k.into_primitive(), v.into_primitive()))
            }
        }
    }

    fn silu_fused(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match SiluBackward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = prep.checkpoint(&x);
                prep.finish(state, B::silu_fused(x.into_primitive()))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::silu_fused(x.into_primitive())),
        }
    }
}

/// True when `device` is the flex CPU backend (with or without autodiff).
pub fn is_flex(device: &Device) -> bool {
    matches!(device.clone().inner().as_dispatch(), DispatchDevice::Flex(_))
}

/// `conv.forward(x)` (`x` `[N, Ci, T]`), through [`Kernels::conv1d_same`] on flex when the
/// convolution is one it computes (symmetric padding `k / 2`, no dilation, no groups, a bias).
pub fn conv1d_same(conv: &Conv1d, x: Tensor<3>) -> Tensor<3> {
    let k = conv.kernel_size;
    let same = matches!(conv.padding, PaddingConfig1d::Explicit(a, b) if a == k / 2 && b == k / 2);
    match &conv.bias {
        Some(bias) if same && conv.dilation == 1 && conv.groups == 1 && is_flex(&x.device()) => {
            Tensor::from_dispatch(<Dispatch as Kernels>::conv1d_same(
                x.into_dispatch(),
                conv.weight.val().into_dispatch(),
                bias.val().into_dispatch(),
                conv.stride,
            ))
        }
        _ => conv.forward(x),
    }
}

/// Multi-head attention of `q` `[N, H, T, dk]` over `k`, `v` `[N, H, S, dk]` (no mask, scale
/// `1 / sqrt(dk)`): [`Kernels::attention_heads`] on flex, burn's attention operation elsewhere.
pub fn attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>) -> Tensor<4> {
    if is_flex(&q.device()) {
        Tensor::from_dispatch(<Dispatch as Kernels>::attention_heads(
            q.into_dispatch(),
            k.into_dispatch(),
            v.into_dispatch(),
        ))
    } else {
        burn::tensor::module::attention(q, k, v, None, None, Default::default())
    }
}

/// `norm.forward(x)` (`x` `[N, C, T]`), followed by SiLU when `silu` is set:
/// [`Kernels::group_norm_fused`] on flex for an affine norm, burn's module (and `silu`)
/// elsewhere.
pub fn group_norm(norm: &GroupNorm, x: Tensor<3>, silu_after: bool) -> Tensor<3> {
    match (&norm.gamma, &norm.beta) {
        (Some(gamma), Some(beta)) if is_flex(&x.device()) => {
            Tensor::from_dispatch(<Dispatch as Kernels>::group_norm_fused(
                x.into_dispatch(),
                gamma.val().into_dispatch(),
                beta.val().into_dispatch(),
                norm.num_groups,
                norm.epsilon,
                silu_after,
            ))
        }
        _ if silu_after => silu(norm.forward(x)),
        _ => norm.forward(x),
    }
}

/// FiLM `h * (1 + gamma) + beta` for `h` `[N, W, T]` and `gb` `[N, T, 2W]` (gamma then beta):
/// [`Kernels::film_fused`] on flex, tensor operations elsewhere.
pub fn film(h: Tensor<3>, gb: Tensor<3>) -> Tensor<3> {
    if is_flex(&h.device()) {
        return Tensor::from_dispatch(<Dispatch as Kernels>::film_fused(
            h.into_dispatch(),
            gb.into_dispatch(),
        ));
    }
    let w = h.dims()[1];
    let gb = gb.swap_dims(1, 2); // [N, 2W, T]
    let gamma = gb.clone().narrow(1, 0, w);
    let beta = gb.narrow(1, w, w);
    h * (gamma + 1.0) + beta
}

/// Linear blend skinning ([`Kernels::skin`]) of `x` `[N, S, 3]` by the joints' world rotations
/// `rot` `[N, 4, 3, 3]` and positions `pos` `[N, 4, 3]` about their rest positions `joints`
/// `[N, 4, 3]`, weights `[S, 4]`: the fused kernel on flex, tensor operations elsewhere.
pub fn skin(
    x: Tensor<3>,
    rot: Tensor<4>,
    pos: Tensor<3>,
    joints: Tensor<3>,
    weights: Tensor<2>,
) -> Tensor<3> {
    if is_flex(&x.device()) {
        return Tensor::from_dispatch(<Dispatch as Kernels>::skin(
            x.into_dispatch(),
            rot.into_dispatch(),
            pos.into_dispatch(),
            joints.into_dispatch(),
            weights.into_dispatch(),
        ));
    }
    skin_tensor_ops(x, rot, pos, joints, weights)
}

/// [`skin`] in tensor operations (other backends; the tests' reference).
fn skin_tensor_ops(
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

/// `x * sigmoid(x)`: [`Kernels::silu_fused`] on flex, burn's `silu` elsewhere.
pub fn silu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if is_flex(&x.device()) {
        Tensor::from_dispatch(<Dispatch as Kernels>::silu_fused(x.into_dispatch()))
    } else {
        burn::tensor::activation::silu(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::Conv1dConfig;
    use burn::tensor::Distribution;

    fn max_abs(t: Tensor<3>) -> f32 {
        t.abs().max().into_scalar::<f32>()
    }

    /// The kernels give burn's convolution and its gradients (x, weight, bias) for strides 1
    /// and 2, odd and even lengths, kernel 3 and 5, with and without autodiff.
    #[test]
    fn conv1d_same_matches_burns_convolution_and_its_gradients() {
        let dev = Device::flex().autodiff();
        dev.seed(7);
        for (n, ci, co, t, k, stride) in [
            (3, 5, 4, 11, 3, 1),
            (2, 6, 7, 10, 3, 2),
            (4, 3, 5, 9, 5, 1),
            (1, 4, 4, 13, 5, 2),
            (2, 3, 4, 6, 1, 1),
            (2, 3, 4, 7, 1, 2),
        ] {
            let conv = Conv1dConfig::new(ci, co, k)
                .with_stride(stride)
                .with_padding(PaddingConfig1d::Explicit(k / 2, k / 2))
                .init(&dev);
            let x = Tensor::<3>::random([n, ci, t], Distribution::Normal(0.0, 1.0), &dev).require_grad();
            let r = Tensor::<3>::random(
                [n, co, (t + 2 * (k / 2) - k) / stride + 1],
                Distribution::Normal(0.0, 1.0),
                &dev,
            );
            let want = conv.forward(x.clone());
            let got = conv1d_same(&conv, x.clone());
            assert_eq!(got.dims(), want.dims());
            let case = format!("n {n} ci {ci} co {co} t {t} k {k} stride {stride}");
            assert!(max_abs(got.clone() - want.clone()) < 1e-5, "{case}: forward");
            let gw = (want * r.clone()).sum().backward();
            let gg = (got * r).sum().backward();
            let wx = x.grad(&gw).expect("x grad");
            let gx = x.grad(&gg).expect("x grad");
            assert!(max_abs(gx - wx) < 1e-5, "{case}: x gradient");
            let ww = conv.weight.grad(&gw).expect("w grad");
            let gwt = conv.weight.grad(&gg).expect("w grad");
            assert!(max_abs(gwt - ww) < 1e-4, "{case}: weight gradient");
            let bias = conv.bias.as_ref().expect("bias");
            let (wb, gb) = (bias.grad(&gw).expect("b grad"), bias.grad(&gg).expect("b grad"));
            assert!((gb - wb).abs().max().into_scalar::<f32>() < 1e-4, "{case}: bias gradient");
            // Without autodiff the same values.
            let plain = Device::flex();
            let conv_p = conv.clone().valid();
            let xp = Tensor::<3>::from_data(x.to_data(), &plain);
            assert!(max_abs(conv1d_same(&conv_p, xp.clone()) - conv_p.forward(xp)) < 1e-5, "{case}: plain");
        }
    }

    /// Attention and its gradients for q, k and v against burn's attention operation (under
    /// autodiff its composite of matmul, softmax and matmul), self- and cross-attention lengths.
    #[test]
    fn attention_matches_burns_and_so_do_its_gradients() {
        let dev = Device::flex().autodiff();
        dev.seed(11);
        let normal = Distribution::Normal(0.0, 1.0);
        for (n, h, t, s, dk) in [(2, 3, 7, 7, 4), (1, 2, 9, 5, 8), (3, 8, 250, 250, 20)] {
            let q = Tensor::<4>::random([n, h, t, dk], normal, &dev).require_grad();
            let k = Tensor::<4>::random([n, h, s, dk], normal, &dev).require_grad();
            let v = Tensor::<4>::random([n, h, s, dk], normal, &dev).require_grad();
            let r = Tensor::<4>::random([n, h, t, dk], normal, &dev);
            let want = burn::tensor::module::attention(
                q.clone(),
                k.clone(),
                v.clone(),
                None,
                None,
                Default::default(),
            );
            let got = attention(q.clone(), k.clone(), v.clone());
            let case = format!("n {n} h {h} t {t} s {s} dk {dk}");
            let diff = |a: Tensor<4>, b: Tensor<4>| (a - b).abs().max().into_scalar::<f32>();
            assert!(diff(got.clone(), want.clone()) < 1e-5, "{case}: forward");
            let gw = (want * r.clone()).sum().backward();
            let gg = (got * r).sum().backward();
            for (name, x) in [("q", &q), ("k", &k), ("v", &v)] {
                let (a, b) = (x.grad(&gg).expect("grad"), x.grad(&gw).expect("grad"));
                let size = b.clone().abs().max().into_scalar::<f32>().max(1.0);
                assert!(diff(a, b) < 1e-4 * size, "{case}: gradient of {name}");
            }
        }
    }

    /// SiLU and its gradient against burn's, over the range where sigmoid saturates too.
    #[test]
    fn silu_matches_burns_and_so_does_its_gradient() {
        let dev = Device::flex().autodiff();
        let values: Vec<f32> = (0..4001).map(|i| (i as f32 - 2000.0) / 20.0).collect();
        let x = Tensor::<1>::from_floats(values.as_slice(), &dev).require_grad();
        let want = burn::tensor::activation::silu(x.clone());
        let got = silu(x.clone());
        let r = Tensor::<1>::from_floats(values.iter().map(|v| v.sin()).collect::<Vec<_>>().as_slice(), &dev);
        let err = (got.clone() - want.clone()).abs().max().into_scalar::<f32>();
        assert!(err < 1e-5, "forward {err}");
        let (gg, gw) = ((got * r.clone()).sum().backward(), (want * r).sum().backward());
        let err = (x.grad(&gg).expect("grad") - x.grad(&gw).expect("grad")).abs().max().into_scalar::<f32>();
        assert!(err < 1e-5, "gradient {err}");
    }

    /// Group norm (with and without the SiLU after it) and its gradients for x, gamma and beta
    /// against burn's module, at odd sizes and at the network's.
    #[test]
    fn group_norm_matches_burns_and_so_do_its_gradients() {
        use burn::nn::GroupNormConfig;
        let dev = Device::flex().autodiff();
        dev.seed(5);
        for (n, c, t, groups) in [(2, 6, 7, 3), (3, 160, 250, 32), (1, 8, 33, 8)] {
            for silu_after in [false, true] {
                let mut norm = GroupNormConfig::new(groups, c).init(&dev);
                // Non-trivial affine parameters.
                norm.gamma = Some(burn::module::Param::from_tensor(Tensor::random(
                    [c],
                    Distribution::Normal(1.0, 0.5),
                    &dev,
                )));
                norm.beta = Some(burn::module::Param::from_tensor(Tensor::random(
                    [c],
                    Distribution::Normal(0.0, 0.5),
                    &dev,
                )));
                let x = (Tensor::<3>::random([n, c, t], Distribution::Normal(0.3, 2.0), &dev)).require_grad();
                let r = Tensor::<3>::random([n, c, t], Distribution::Normal(0.0, 1.0), &dev);
                let want = if silu_after {
                    burn::tensor::activation::silu(norm.forward(x.clone()))
                } else {
                    norm.forward(x.clone())
                };
                let got = group_norm(&norm, x.clone(), silu_after);
                let case = format!("n {n} c {c} t {t} groups {groups} silu {silu_after}");
                assert!(max_abs(got.clone() - want.clone()) < 1e-4, "{case}: forward");
                let (gg, gw) = ((got * r.clone()).sum().backward(), (want * r).sum().backward());
                assert!(
                    max_abs(x.grad(&gg).expect("grad") - x.grad(&gw).expect("grad")) < 1e-4,
                    "{case}: x gradient"
                );
                for (name, p) in [
                    ("gamma", norm.gamma.as_ref().expect("gamma")),
                    ("beta", norm.beta.as_ref().expect("beta")),
                ] {
                    let (a, b) = (p.grad(&gg).expect("grad"), p.grad(&gw).expect("grad"));
                    let size = b.clone().abs().max().into_scalar::<f32>().max(1.0);
                    let err = (a - b).abs().max().into_scalar::<f32>();
                    assert!(err < 1e-4 * size, "{case}: {name} gradient off by {err}");
                }
            }
        }
    }

    /// FiLM and its gradients against the tensor-operation version (what other backends run).
    #[test]
    fn film_matches_the_tensor_operations_and_so_do_its_gradients() {
        let dev = Device::flex().autodiff();
        dev.seed(9);
        let (n, w, t) = (3, 5, 7);
        let h = Tensor::<3>::random([n, w, t], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        let gb = Tensor::<3>::random([n, t, 2 * w], Distribution::Normal(0.0, 1.0), &dev).require_grad();
        let r = Tensor::<3>::random([n, w, t], Distribution::Normal(0.0, 1.0), &dev);
        let got = film(h.clone(), gb.clone());
        let g2 = gb.clone().swap_dims(1, 2);
        let want = h.clone() * (g2.clone().narrow(1, 0, w) + 1.0) + g2.narrow(1, w, w);
        assert!(max_abs(got.clone() - want.clone()) < 1e-6, "forward");
        let (gg, gw) = ((got * r.clone()).sum().backward(), (want * r).sum().backward());
        assert!(max_abs(h.grad(&gg).expect("grad") - h.grad(&gw).expect("grad")) < 1e-5, "h gradient");
        assert!(max_abs(gb.grad(&gg).expect("grad") - gb.grad(&gw).expect("grad")) < 1e-5, "gb gradient");
    }

    /// Skinning and its gradients for every input against the tensor-operation version.
    #[test]
    fn skin_matches_the_tensor_operations_and_so_do_its_gradients() {
        let dev = Device::flex().autodiff();
        dev.seed(13);
        let (n, s) = (5, 7);
        let normal = Distribution::Normal(0.0, 1.0);
        let x = Tensor::<3>::random([n, s, 3], normal, &dev).require_grad();
        let rot = Tensor::<4>::random([n, JOINTS, 3, 3], normal, &dev).require_grad();
        let pos = Tensor::<3>::random([n, JOINTS, 3], normal, &dev).require_grad();
        let joints = Tensor::<3>::random([n, JOINTS, 3], normal, &dev).require_grad();
        let weights = Tensor::<2>::random([s, JOINTS], Distribution::Uniform(0.0, 1.0), &dev).require_grad();
        let r = Tensor::<3>::random([n, s, 3], normal, &dev);
        let got = skin(x.clone(), rot.clone(), pos.clone(), joints.clone(), weights.clone());
        let want = skin_tensor_ops(x.clone(), rot.clone(), pos.clone(), joints.clone(), weights.clone());
        assert!(max_abs(got.clone() - want.clone()) < 1e-5, "forward");
        let (gg, gw) = ((got * r.clone()).sum().backward(), (want * r).sum().backward());
        let flat = |t: burn::tensor::TensorData| t.try_to_vec::<f32>().expect("f32");
        let grads = [
            ("x", x.grad(&gg).map(|t| t.to_data()), x.grad(&gw).map(|t| t.to_data())),
            ("rot", rot.grad(&gg).map(|t| t.to_data()), rot.grad(&gw).map(|t| t.to_data())),
            ("pos", pos.grad(&gg).map(|t| t.to_data()), pos.grad(&gw).map(|t| t.to_data())),
            ("joints", joints.grad(&gg).map(|t| t.to_data()), joints.grad(&gw).map(|t| t.to_data())),
            ("weights", weights.grad(&gg).map(|t| t.to_data()), weights.grad(&gw).map(|t| t.to_data())),
        ];
        for (name, a, b) in grads {
            let (a, b) = (flat(a.expect("grad")), flat(b.expect("grad")));
            let err = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
            assert!(err < 1e-4, "gradient of {name} off by {err}");
        }
    }

    /// The vectorisable exp agrees with the library's to a few ulp over the whole clamp range.
    #[test]
    fn exp_is_within_a_few_ulp() {
        for i in 0..=200_000 {
            let x = -87.0 + 175.0 * i as f32 / 200_000.0;
            let (got, want) = (exp_f32(x), x.exp());
            assert!(((got - want) / want).abs() < 3e-7, "exp({x}) = {got}, want {want}");
        }
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(f32::NEG_INFINITY) < 1e-37 && exp_f32(-1e30) >= 0.0);
    }

    #[test]
    fn flex_devices_are_recognised() {
        assert!(is_flex(&Device::flex()));
        assert!(is_flex(&Device::flex().autodiff()));
    }
}
