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
use burn::nn::PaddingConfig1d;
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

/// `col[(c k + j) To + o] = x[c T + stride o + j - pad]` (zero outside), `x` one clip `[Ci, T]`.
fn im2col(x: &[f32], d: &Dims, col: &mut [f32]) {
    let pad = d.k / 2;
    for c in 0..d.ci {
        let xc = &x[c * d.t..(c + 1) * d.t];
        for j in 0..d.k {
            let row = &mut col[(c * d.k + j) * d.to..(c * d.k + j + 1) * d.to];
            for (o, v) in row.iter_mut().enumerate() {
                let i = (d.stride * o + j) as isize - pad as isize;
                *v = if i >= 0 && (i as usize) < d.t { xc[i as usize] } else { 0.0 };
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
            for (o, v) in row.iter().enumerate() {
                let i = (d.stride * o + j) as isize - pad as isize;
                if i >= 0 && (i as usize) < d.t {
                    xc[i as usize] += v;
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

impl<B: Kernels + KernelGrads, C: CheckpointStrategy> Kernels for Autodiff<B, C> {
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
        for (n, ci, co, t, k, stride) in
            [(3, 5, 4, 11, 3, 1), (2, 6, 7, 10, 3, 2), (4, 3, 5, 9, 5, 1), (1, 4, 4, 13, 5, 2)]
        {
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
