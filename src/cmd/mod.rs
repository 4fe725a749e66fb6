//! One module per subcommand.

pub mod data;
pub mod dub;
pub mod export;
pub mod face;
pub mod info;
pub mod layout;
pub mod masks;
pub mod simulate;
