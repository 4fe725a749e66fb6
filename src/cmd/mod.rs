//! One module per subcommand.

pub mod data;
pub mod dub;
pub mod export;
pub mod face;
pub mod generate;
pub mod info;
pub mod layout;
pub mod masks;
pub mod simulate;
pub mod train;

/// Resolve a `--device` list such as `flex`, `cuda`, `cuda:0,cuda:1` or `wgpu:1` to burn
/// devices, the first being the main one. GPU names exist only in builds with the matching
/// cargo feature (`cargo build --release --features cuda` or `--features wgpu`).
pub fn devices(list: &str) -> anyhow::Result<Vec<burn::prelude::Device>> {
    list.split(',').map(|d| device(d.trim())).collect()
}

fn device(name: &str) -> anyhow::Result<burn::prelude::Device> {
    let (kind, index) = match name.split_once(':') {
        Some((k, i)) => {
            let i: usize =
                i.parse().map_err(|_| anyhow::anyhow!("device '{name}': index must be a number"))?;
            (k, i)
        }
        None => (name, 0),
    };
    match kind {
        "flex" | "cpu" => Ok(burn::prelude::Device::flex()),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(burn::prelude::Device::cuda(index)),
        #[cfg(feature = "wgpu")]
        "wgpu" => Ok(burn::prelude::Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(index))),
        other => {
            let _ = index;
            let mut built = vec!["flex"];
            if cfg!(feature = "cuda") {
                built.push("cuda[:N]");
            }
            if cfg!(feature = "wgpu") {
                built.push("wgpu[:N]");
            }
            anyhow::bail!(
                "device '{other}' is not compiled into this build (available: {})",
                built.join(", ")
            )
        }
    }
}
