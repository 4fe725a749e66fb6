//! Exports of a two-person result (DESIGN §6: "exports alongside: glTF binary with both heads
//! animated, ARKit curves as CSV/JSON"), so the generated performance can be used in 3D tools
//! and game engines.
//!
//! - [`glb`]: one .glb with both heads as skinned, morph-targeted meshes and one animation.
//! - [`arkit`]: per-person ARKit blendshape curves and head/eye rotations, as a Live Link Face
//!   CSV or a self-describing JSON.
//! - [`files`]: every format a user can ask for, written side by side from one result.
#![deny(missing_docs)]

pub mod arkit;
mod error;
pub mod files;
pub mod glb;

pub use arkit::{
    arkit_curves, live_link_sidecar, read_arkit_json, read_live_link_csv, write_arkit_json,
    write_live_link_csv, ArkitCurves, ArkitJson,
};
pub use duologue_face::rest_yaw;
pub use duologue_render::{RenderOptions, Shot};
pub use error::ExportError;
pub use files::{
    describe_video, encode_video, write_exports, write_exports_into, Event, Format, Settings, Written,
};
pub use glb::{arkit_targets, glb_bytes, write_glb, GlbSummary, Morphs};

use duologue_params::{Person, N_ID};
use std::path::Path;

/// Largest magnitude of any exported parameter.
pub const MAX_PARAMETER: f32 = 1000.0;

/// Check that `people` can be exported together; returns their common frame count.
pub(crate) fn check_people(people: &[(&str, &Person)]) -> Result<usize, ExportError> {
    let (_, first) = people.first().ok_or_else(|| ExportError::Input("no people to export".into()))?;
    let frames = first.x.frames();
    for (name, p) in people {
        if p.x.frames() != frames || frames == 0 {
            return Err(ExportError::Input(format!(
                "person {name} has {} frames, expected {frames} (>= 1)",
                p.x.frames()
            )));
        }
        if p.beta.len() != N_ID {
            return Err(ExportError::Input(format!(
                "person {name}: beta has {} values, expected {N_ID}",
                p.beta.len()
            )));
        }
        if let Some(i) = p.x.as_slice().iter().chain(&p.beta).chain(&p.t0).position(|v| !v.is_finite()) {
            return Err(ExportError::Input(format!("person {name}: non-finite parameter at flat index {i}")));
        }
        // Parameters are coefficients, radians and metres of order 1: far larger values overflow
        // the posed vertices (and would write NaN into a file).
        if let Some((i, v)) =
            p.x.as_slice()
                .iter()
                .chain(&p.beta)
                .chain(&p.t0)
                .enumerate()
                .find(|(_, v)| v.abs() > MAX_PARAMETER)
        {
            return Err(ExportError::Input(format!(
                "person {name}: parameter {v} at flat index {i} is out of range (|value| <= {MAX_PARAMETER})"
            )));
        }
    }
    Ok(frames)
}

/// Write `bytes` to `path` through a temporary file and a rename, so a reader never sees a
/// half-written export.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    duologue_params::atomic::write(path, bytes)
        .map_err(|err| ExportError::Io { path: path.to_path_buf(), err })
}
