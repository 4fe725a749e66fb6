//! Runs duologue's models and baselines over datasets and recordings and measures them.
//!
//! - [`dataset`]: the paper's Table 2 on a dataset split (paper §4.1–4.3, appendix §3.1 and
//!   §3.3): a checkpoint sampled with ground-truth masks, `t0` and identities, against the
//!   non-learned baselines, aggregated into `eval.json` and `eval.md`.
//! - [`bench`]: wall time, peak memory and real-time factor of the generate path
//!   ([`duologue_pipeline::execute`]) per audio length and model size, each case in its own
//!   process.
#![deny(missing_docs)]

pub mod bench;
pub mod dataset;
mod error;

pub use error::{HarnessError, Result};
