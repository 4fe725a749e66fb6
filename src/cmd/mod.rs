//! One module per subcommand.

pub mod data;
pub mod dub;
pub mod export;
pub mod face;
pub mod info;
pub mod layout;
pub mod masks;
pub mod simulate;
pub mod train;

/// Resolve a `--device` name to a burn device; GPU names only exist in builds with the
/// matching cargo feature of duologue-model.
pub fn device(name: &str) -> anyhow::Result<burn::prelude::Device> {
    match name {
        "flex" | "cpu" => Ok(burn::prelude::Device::flex()),
        other => anyhow::bail!("device '{other}' is not compiled into this build (available: flex)"),
    }
}
