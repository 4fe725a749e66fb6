//! Evaluation metrics for two-person results (paper §4.2–4.3 and appendix §3.3; DESIGN.md §8).
//!
//! Pure Rust on slices, f64 accumulation throughout. Every metric documents its definition, units
//! and feature space next to its code:
//!
//! - [`param_mse`]: parameter MSE by group (FULL, EXP, ROT, TRANSL, EYE, LIP) and by role
//!   (speaker / listener from the ground-truth mask), paper Table 2 "MSE".
//! - [`vertex_metrics`]: vertex MSE (Table 2 "vMSE") and the lip vertex error
//!   (FaceFormer / CodeTalker convention), on meshes posed by [`duologue_face::FaceModel`].
//! - [`gaze_metrics`]: each person's angle to the partner's eyes and the mutual-gaze rate.
//! - [`frechet_distance`] / [`fd`]: Fréchet distance between Gaussian fits of two feature sets;
//!   [`param_features`] and [`paired_features`] give FD and P-FD feature spaces.
//! - [`sid`]: diversity as k-means cluster-assignment entropy in bits (DualTalk's SID).
//!
//! **Feature space of FD / P-FD / SID.** The paper (appendix §3.3) computes FD and P-FD on
//! Inception features of rendered frames. This crate computes them, as DualTalk does, on the
//! per-frame motion parameters (the 78 floats of DESIGN §3 per person; both people's
//! concatenated for P-FD). Numbers are therefore comparable between our own runs, not to the
//! paper's Table 2 values.
//!
//! Mismatched inputs (frame counts, frame rates, shapes, feature dimensions) are reported as
//! [`EvalError`]; no metric silently truncates to the shorter input.
#![deny(missing_docs)]

pub mod aggregate;
pub mod baselines;
mod error;
mod fd;
mod mesh;
mod params;
pub mod plot;
pub mod quality;
pub mod report;
mod sid;
pub mod temporal;

pub use aggregate::{AggregateConfig, GaussianAcc, MethodAccumulator, MethodSummary, SID_GROUPS};
pub use baselines::{Library, LibraryWindow};
pub use error::EvalError;
pub use fd::{fd, frechet_distance, Gaussian};
pub use mesh::{gaze_metrics, vertex_metrics, GazeMetrics, VertexMetrics, MUTUAL_GAZE_DEG};
pub use params::{
    paired_features, param_features, param_mse, split_by_role, GroupMse, ParamMse, SPEAKER_THRESHOLD,
};
pub use quality::{
    lip_activity, listening_gaze, role_agreement, role_agreement_by_speaker, role_vertex_metrics,
    ListeningGaze, RoleAgreement, RoleVertexMetrics, LIP_ACTIVITY_WINDOW,
};
pub use report::{group_json, markdown_table, summary_json, PairReport};
pub use sid::{assignment_entropy, sid, KMeans, SidConfig};
pub use temporal::{LipSyncAcc, TemporalAcc, TemporalSummary};

use duologue_params::{Duo, Person, N_ID, X_DIM};

/// Checks that a flat `[n, dim]` array has a whole number of rows and only finite values;
/// returns `n`.
pub(crate) fn rows(data: &[f64], dim: usize, what: &'static str) -> Result<usize, EvalError> {
    if dim == 0 {
        return Err(EvalError::InvalidArgument(format!("{what}: feature dimension 0")));
    }
    if data.len() % dim != 0 {
        return Err(EvalError::Shape { what, expected: data.len().div_ceil(dim) * dim, got: data.len() });
    }
    if let Some(index) = data.iter().position(|v| !v.is_finite()) {
        return Err(EvalError::NonFinite { what, index });
    }
    Ok(data.len() / dim)
}

/// Checks one person's arrays against `frames` (motion, mask, identity) and finiteness.
fn check_person(p: &Person, frames: usize, side: &'static str) -> Result<(), EvalError> {
    let (x_what, m_what, b_what, t_what) = match side {
        "prediction" => ("prediction x", "prediction mask", "prediction beta", "prediction t0"),
        "ground truth" => ("ground-truth x", "ground-truth mask", "ground-truth beta", "ground-truth t0"),
        _ => ("result x", "result mask", "result beta", "result t0"),
    };
    let x = p.x.as_slice();
    if x.len() != frames * X_DIM {
        return Err(EvalError::Shape { what: x_what, expected: frames * X_DIM, got: x.len() });
    }
    if p.mask.len() != frames {
        return Err(EvalError::Shape { what: m_what, expected: frames, got: p.mask.len() });
    }
    if p.beta.len() != N_ID {
        return Err(EvalError::Shape { what: b_what, expected: N_ID, got: p.beta.len() });
    }
    let bad = |s: &[f32]| s.iter().position(|v| !v.is_finite());
    if let Some(index) = bad(x) {
        return Err(EvalError::NonFinite { what: x_what, index });
    }
    if let Some(index) = bad(&p.mask) {
        return Err(EvalError::NonFinite { what: m_what, index });
    }
    if let Some(index) = bad(&p.beta) {
        return Err(EvalError::NonFinite { what: b_what, index });
    }
    if let Some(index) = bad(&p.t0) {
        return Err(EvalError::NonFinite { what: t_what, index });
    }
    Ok(())
}

/// Validates a single result (`side`: "prediction", "ground truth" or "result", for the
/// messages): both people have the same frame count, consistent shapes and
/// finite values. Returns the frame count.
pub(crate) fn check_duo(d: &Duo, side: &'static str) -> Result<usize, EvalError> {
    let frames = d.a.x.frames();
    if d.b.x.frames() != frames {
        return Err(EvalError::FrameMismatch {
            what: "person B vs person A",
            pred: d.b.x.frames(),
            gt: frames,
        });
    }
    check_person(&d.a, frames, side)?;
    check_person(&d.b, frames, side)?;
    Ok(frames)
}

/// Validates a prediction against its ground truth: same frame rate, same frame count, each
/// internally consistent. Returns the frame count.
pub(crate) fn check_pair(pred: &Duo, gt: &Duo) -> Result<usize, EvalError> {
    if pred.fps != gt.fps {
        return Err(EvalError::FpsMismatch { pred: pred.fps, gt: gt.fps });
    }
    let fp = check_duo(pred, "prediction")?;
    let fg = check_duo(gt, "ground truth")?;
    if fp != fg {
        return Err(EvalError::FrameMismatch { what: "result", pred: fp, gt: fg });
    }
    Ok(fg)
}
