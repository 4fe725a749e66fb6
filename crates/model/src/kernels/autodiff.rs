//! The autodiff side of [`super::Kernels`]: one `Backward` step per operation, each calling the
//! plain backend's [`super::KernelGrads`].

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, TensorMetadata};

use super::{KernelGrads, Kernels};

/// Registers each parent's gradient, in order; parents that need none are `None` (their
/// gradient, computed anyway by the fused kernel, is dropped).
fn register_each<B: KernelGrads, P>(
    grads: &mut Gradients,
    parents: impl IntoIterator<Item = Option<P>>,
    values: impl IntoIterator<Item = B::FloatTensorPrimitive>,
    id: impl Fn(&P) -> NodeId,
) {
    for (node, g) in parents.into_iter().zip(values) {
        if let Some(node) = node {
            grads.register::<B>(id(&node), g);
        }
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
        register_each::<B, _>(grads, [node_q, node_k, node_v], [dq, dk, dv], |n| n.id);
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
        register_each::<B, _>(grads, [node_x, node_g, node_b], [dx, dgamma, dbeta], |n| n.id);
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
        register_each::<B, _>(grads, [node_h, node_gb], [dh, dgb], |n| n.id);
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
        register_each::<B, _>(grads, ops.parents, gs, |n| n.id);
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
        let forward = |[x, r, p, j, w]: [FloatTensor<Self>; 5]| {
            B::skin(
                x.into_primitive(),
                r.into_primitive(),
                p.into_primitive(),
                j.into_primitive(),
                w.into_primitive(),
            )
        };
        let inputs = [x, rot, pos, joints, weights];
        match SkinBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = inputs.each_ref().map(|t| prep.checkpoint(t));
                prep.finish(state, forward(inputs))
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(inputs)),
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
        let forward = |x: FloatTensor<Self>, gamma: FloatTensor<Self>, beta: FloatTensor<Self>| {
            B::group_norm_fused(
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                groups,
                eps,
                silu,
            )
        };
        match GroupNormBackward.prepare::<C>([x.node(), gamma.node(), beta.node()]).compute_bound().stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state =
                    (prep.checkpoint(&x), prep.checkpoint(&gamma), prep.checkpoint(&beta), groups, eps, silu);
                prep.finish(state, forward(x, gamma, beta))
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(x, gamma, beta)),
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
