//! The run's metrics log (`metrics.jsonl`, one JSON object per logged step): started empty by a
//! fresh run, cut back to the checkpoint's step by a resumed one (what came after is rerun),
//! appended to as the run goes.

use crate::checkpoint;
use crate::ModelError;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The metrics log of one run.
pub(super) struct MetricsSink {
    path: PathBuf,
}

impl MetricsSink {
    /// A fresh run's log: empty.
    pub(super) fn fresh(path: PathBuf) -> Result<Self, ModelError> {
        checkpoint::write_atomic(&path, b"")?;
        Ok(Self { path })
    }

    /// A resumed run's log, cut back to `step`; also returns the lowest validation loss kept.
    pub(super) fn resumed(path: PathBuf, step: usize) -> Result<(Self, Option<f32>), ModelError> {
        let best = trim(&path, step)?;
        Ok((Self { path }, best))
    }

    /// Appends one row: step, loss, learning rate, the named loss terms and the validation loss.
    pub(super) fn append(
        &self,
        step: usize,
        loss: f32,
        lr: f64,
        named: &[(&'static str, f32)],
        val_loss: Option<f32>,
    ) -> Result<(), ModelError> {
        let io = |source| ModelError::Io { path: self.path.clone(), source };
        let mut row = serde_json::Map::new();
        row.insert("step".into(), step.into());
        row.insert("loss".into(), (loss as f64).into());
        row.insert("lr".into(), lr.into());
        for (name, v) in named {
            row.insert((*name).into(), (*v as f64).into());
        }
        if let Some(v) = val_loss {
            row.insert("val_loss".into(), (v as f64).into());
        }
        let mut f = std::fs::OpenOptions::new().append(true).create(true).open(&self.path).map_err(io)?;
        writeln!(f, "{}", serde_json::Value::Object(row)).map_err(io)
    }
}

/// Keeps only the metrics rows up to `step` (a resumed run rewrites what came after) and
/// returns the lowest validation loss among the kept rows.
fn trim(path: &Path, step: usize) -> Result<Option<f32>, ModelError> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(None) };
    let mut best: Option<f32> = None;
    let kept: String = text
        .lines()
        .filter(|line| {
            let row = serde_json::from_str::<serde_json::Value>(line).ok();
            let keep = row
                .as_ref()
                .and_then(|v| v.get("step").and_then(|s| s.as_u64()))
                .is_some_and(|s| s as usize <= step);
            if let Some(v) = row.as_ref().and_then(|v| v.get("val_loss")).and_then(|v| v.as_f64()) {
                if keep && best.is_none_or(|b| (v as f32) < b) {
                    best = Some(v as f32);
                }
            }
            keep
        })
        .map(|l| format!("{l}\n"))
        .collect();
    checkpoint::write_atomic(path, kept.as_bytes())?;
    Ok(best)
}
