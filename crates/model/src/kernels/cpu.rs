//! Host-slice primitives of the kernels: SIMD dispatch, a vectorisable `exp`, reductions in
//! lanes, softmax rows, and the GEMM call every kernel goes through.

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

/// `1 / (1 + exp(-x))` with [`exp_f32`].
#[inline(always)]
pub(super) fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// SiLU's derivative `s (1 + x (1 - s))`, `s = sigmoid(x)`.
#[inline(always)]
pub(super) fn silu_slope(x: f32) -> f32 {
    let s = sigmoid_f32(x);
    s * (1.0 + x * (1.0 - s))
}

/// `a + b` elementwise into `a` (the reduction step of per-thread accumulators).
pub(super) fn add_into(mut a: Vec<f32>, b: Vec<f32>) -> Vec<f32> {
    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
    a
}

/// Runs `f` compiled for the best SIMD level of this CPU (AVX-512 / AVX2 / baseline), so that
/// plain loops inside it vectorise with those instructions.
#[inline(always)]
pub(super) fn simd<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}

/// Lanes of the reductions below: independent partial results in an array, so that the
/// compiler can keep them in one SIMD register (a plain `f32` fold is a serial chain).
pub(super) const LANES: usize = 16;

/// Sum of a slice, in [`LANES`] partial sums.
#[inline(always)]
pub(super) fn sum_lanes(v: &[f32]) -> f32 {
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
pub(super) fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
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
pub(super) fn max_lanes(v: &[f32]) -> f32 {
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
pub(super) fn softmax_rows(s: &mut [f32], cols: usize, scale: f32) {
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

/// A GEMM view: `rows x cols` at `ptr` with row stride `rs` and column stride `cs` (elements).
#[derive(Clone, Copy)]
pub(super) struct Mat {
    pub(super) ptr: *const f32,
    pub(super) rs: isize,
    pub(super) cs: isize,
}

/// `dst (m x n, row-major) = keep * dst + a (m x k) b (k x n)`, single-threaded (the callers
/// run one GEMM per clip on each core).
pub(super) fn gemm(dst: &mut [f32], m: usize, n: usize, k: usize, a: Mat, b: Mat, keep: bool) {
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
