//! The EMA weights (appendix §2.1): `ema = d ema + (1 - d) current` after every step, matched
//! parameter by parameter in visiting order, on the device (no host round trip).

use crate::network::DuoNet;
use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::*;

/// Current parameters, flattened, on their (plain) device, in visiting order.
struct Flatten(Vec<Tensor<1>>);

impl burn::module::ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let n = t.shape().num_elements();
        self.0.push(t.reshape([n]));
    }
}

/// EMA update `ema = d ema + (1 - d) current`, matched by visiting order (same architecture);
/// stays on the device (no host round trip).
struct EmaUpdate {
    current: std::vec::IntoIter<Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for EmaUpdate {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(cur) = self.current.next() else { return param };
        let d = self.decay;
        param.map(|e| {
            let c = cur.reshape(e.dims());
            e * d + c * (1.0 - d)
        })
    }
}

/// The EMA of `ema` towards `model`'s current weights.
pub(super) fn ema_update(ema: DuoNet, model: &DuoNet, decay: f64) -> DuoNet {
    let mut cur = Flatten(Vec::new());
    model.valid().visit(&mut cur);
    ema.map(&mut EmaUpdate { current: cur.0.into_iter(), decay })
}
