//! Hand-written CPU kernels with their own backward passes, for the operations where burn-flex's
//! generic path is slow (issue 13; measurements in crates/model/README.md "Kernels").
//!
//! [`Kernels`] is a burn backend extension: its forward operations run on flex's tensors
//! (`impl Kernels for Flex` below, on host slices through the submodules) and, under autodiff,
//! through one `Backward` step each (`autodiff.rs`) whose gradients come from the plain backend's
//! [`KernelGrads`]. The public functions at the bottom are what the network calls: on a flex
//! device (with or without autodiff) they use the kernels, on any other backend burn's own
//! operations, so GPU builds are unchanged.
//!
//! - [`conv1d_same`] (`conv.rs`): burn computes a conv1d's weight gradient with the generic trick
//!   of a second convolution whose "batch" is the input channels and whose kernel is the whole
//!   output gradient (`burn-backend` `conv1d_weight_grad_no_groups`): on flex one GEMM per input
//!   channel with 3 output columns. Here: per clip an im2col matrix and one GEMM forward; weight
//!   gradient `sum_n grad_n col_n^T`, input gradient `W^T grad_n` folded back by col2im.
//! - [`attention`] (`attention.rs`): per clip and head `softmax(q k^T / sqrt(dk)) v`; the
//!   backward recomputes the probabilities.
//! - [`group_norm`] (+ SiLU), [`film`], [`silu`] (`norm.rs`): one pass each instead of burn's
//!   compositions of broadcasting operations.
//! - [`skin`] (`skin.rs`): 4-joint linear blend skinning for the vertex-velocity loss.
//!
//! Every GEMM goes through the `gemm` crate (the one flex uses); elementwise loops run inside
//! `pulp`'s run-time SIMD dispatch with reductions in lanes (`cpu.rs`). Each operation is tested
//! against burn's own, forward and every gradient (tests below).

mod attention;
mod autodiff;
mod conv;
mod cpu;
mod norm;
mod skin;

use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ActivationOps, FloatTensorOps, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, DispatchDevice, Flex};
use burn::nn::conv::Conv1d;
use burn::nn::{GroupNorm, PaddingConfig1d};
use burn::prelude::*;
use burn::tensor::DType;

use attention::{attention_f32, attention_grads_f32, AttnDims};
use conv::{forward_f32, options, weight_grad_f32, x_grad_f32, Dims};
pub use cpu::exp_f32;
use norm::{film_f32, film_grads_f32, group_norm_f32, group_norm_grads_f32, silu_f32, silu_grad_f32, GnDims};
use skin::{skin_f32, skin_grads_f32, skin_tensor_ops, JOINTS};

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

fn shape3(t: &FlexTensor) -> [usize; 3] {
    let s = t.layout().shape();
    [s[0], s[1], s[2]]
}

fn flex_f32(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
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
