//! The run's metrics log (`metrics.jsonl`, one JSON object per logged step) and its copy of the
//! config (`config.toml`): started empty by a fresh run, cut back to the checkpoint's step by a
//! resumed one (what came after is rerun), appended to as the run goes.
//!
//! Nothing in the run folder changes until the run first saves a checkpoint ([`MetricsSink::settle`],
//! called after each save of the latest checkpoint and before one of the best): rows are kept in memory until then, so a run that fails or
//! diverges before its first save (or a replacing `--overwrite` run that does, or whose first
//! save fails on a full disk) leaves the folder's previous log, config and checkpoints byte for
//! byte as they were.

use crate::checkpoint;
use crate::ModelError;
use std::cell::RefCell;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// How the log starts, once the run first saves.
#[derive(Debug)]
enum Start {
    /// Empty, and a best checkpoint from a run this one replaces is removed.
    Fresh,
    /// Cut back to this step.
    Resumed(usize),
}

/// What waits for the run's first save.
#[derive(Debug)]
struct Pending {
    start: Start,
    config_toml: Vec<u8>,
    rows: Vec<String>,
}

/// The metrics log of one run.
pub(super) struct MetricsSink {
    path: PathBuf,
    pending: RefCell<Option<Pending>>,
}

impl MetricsSink {
    /// A fresh run's log: empty once the run first saves; `config_toml` is written then.
    pub(super) fn fresh(path: PathBuf, config_toml: Vec<u8>) -> Self {
        Self {
            path,
            pending: RefCell::new(Some(Pending { start: Start::Fresh, config_toml, rows: Vec::new() })),
        }
    }

    /// A resumed run's log, cut back to `step` once the run first saves; also returns the lowest
    /// validation loss kept (read now, nothing written).
    pub(super) fn resumed(path: PathBuf, step: usize, config_toml: Vec<u8>) -> (Self, Option<f32>) {
        let best = std::fs::read_to_string(&path).map(|text| trim(&text, step).1).unwrap_or(None);
        let pending = Pending { start: Start::Resumed(step), config_toml, rows: Vec::new() };
        (Self { path, pending: RefCell::new(Some(pending)) }, best)
    }

    /// Writes what waited for the run's first save (config, the started log and its rows);
    /// afterwards a no-op.
    pub(super) fn settle(&self) -> Result<(), ModelError> {
        let Some(p) = self.pending.borrow_mut().take() else { return Ok(()) };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        checkpoint::write_atomic(&dir.join(super::CONFIG_FILE), &p.config_toml)?;
        let mut text = match p.start {
            Start::Fresh => {
                let stale = dir.join(super::BEST_FILE);
                if stale.exists() {
                    std::fs::remove_file(&stale).map_err(|source| ModelError::Io { path: stale, source })?;
                }
                String::new()
            }
            Start::Resumed(step) => {
                std::fs::read_to_string(&self.path).map(|t| trim(&t, step).0).unwrap_or_default()
            }
        };
        for row in p.rows {
            text.push_str(&row);
            text.push('\n');
        }
        checkpoint::write_atomic(&self.path, text.as_bytes())
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
        let line = serde_json::Value::Object(row).to_string();
        if let Some(p) = self.pending.borrow_mut().as_mut() {
            p.rows.push(line);
            return Ok(());
        }
        let mut f = std::fs::OpenOptions::new().append(true).create(true).open(&self.path).map_err(io)?;
        writeln!(f, "{line}").map_err(io)
    }
}

/// The metrics rows of `text` up to `step` (a resumed run rewrites what came after) and the
/// lowest validation loss among them.
fn trim(text: &str, step: usize) -> (String, Option<f32>) {
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
    (kept, best)
}
