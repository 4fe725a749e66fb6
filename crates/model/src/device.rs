//! Compute devices by name (`flex`, `cuda`, `cuda:1`, `wgpu:0`): the CPU backend always, GPU
//! backends only in builds with the matching cargo feature (`cuda`, `wgpu`).

use crate::ModelError;
use burn::prelude::Device;

/// Resolves a `--device` list such as `flex`, `cuda`, `cuda:0,cuda:1` or `wgpu:1` to burn
/// devices, the first being the main one.
pub fn devices(list: &str) -> Result<Vec<Device>, ModelError> {
    list.split(',').map(|d| device(d.trim())).collect()
}

fn device(name: &str) -> Result<Device, ModelError> {
    let (kind, index) = match name.split_once(':') {
        Some((k, i)) => {
            let i: usize = i
                .parse()
                .map_err(|_| ModelError::Device(format!("device '{name}': index must be a number")))?;
            (k, i)
        }
        None => (name, 0),
    };
    match kind {
        "flex" | "cpu" => Ok(Device::flex()),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(index)),
        #[cfg(feature = "wgpu")]
        "wgpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(index))),
        other => {
            let _ = index;
            let mut built = vec!["flex"];
            if cfg!(feature = "cuda") {
                built.push("cuda[:N]");
            }
            if cfg!(feature = "wgpu") {
                built.push("wgpu[:N]");
            }
            Err(ModelError::Device(format!(
                "device '{other}' is not compiled into this build (available: {})",
                built.join(", ")
            )))
        }
    }
}
