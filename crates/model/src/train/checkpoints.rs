//! When a run validates, logs and saves (DESIGN §7): the latest checkpoint (weights, EMA,
//! optimiser, step, RNG: an exact resume) every `checkpoint_every` steps and at the end, and the
//! best-validating EMA weights as a small inference checkpoint whenever validation improves.

use super::resume::State;
use super::{BEST_FILE, CHECKPOINT_FILE};
use crate::checkpoint::{self, CheckpointMeta};
use crate::config::{Config, TrainConfig};
use crate::losses::Stage;
use crate::ModelError;
use std::path::{Path, PathBuf};

/// The run's checkpoint files and the rules for writing them.
pub(super) struct Checkpoints<'a> {
    /// The latest checkpoint.
    pub latest: PathBuf,
    /// The best-validating EMA weights.
    pub best: PathBuf,
    config: &'a Config,
    stage: Stage,
    /// Step of the last save of `latest`.
    saved_at: usize,
}

impl<'a> Checkpoints<'a> {
    /// The files in `run_dir`; `step` is where the run starts (already saved there).
    pub(super) fn new(run_dir: &Path, config: &'a Config, stage: Stage, step: usize) -> Self {
        Self {
            latest: run_dir.join(CHECKPOINT_FILE),
            best: run_dir.join(BEST_FILE),
            config,
            stage,
            saved_at: step,
        }
    }

    fn meta(&self, state: &State) -> CheckpointMeta {
        CheckpointMeta {
            config: self.config.clone(),
            step: state.step,
            stage: self.stage,
            rng: state.rng.state(),
        }
    }

    /// Saves everything needed to resume exactly.
    pub(super) fn save_latest(&mut self, state: &State) -> Result<(), ModelError> {
        let bytes = state
            .optim
            .into_bytes()
            .map_err(|e| ModelError::Checkpoint { path: self.latest.clone(), reason: format!("{e:?}") })?;
        checkpoint::save(&self.latest, &state.model, Some(&state.ema), Some(&bytes), &self.meta(state))?;
        state.metrics.settle()?;
        self.saved_at = state.step;
        Ok(())
    }

    /// Keeps the EMA weights as the best ones when `val_loss` is finite and the lowest so far.
    pub(super) fn offer_best(&self, state: &mut State, val_loss: Option<f32>) -> Result<(), ModelError> {
        if let Some(v) = val_loss.filter(|v| v.is_finite() && state.best.is_none_or(|b| *v < b)) {
            state.best = Some(v);
            // Before the save: a replacing run's settle removes the old run's best file.
            state.metrics.settle()?;
            checkpoint::save(&self.best, &state.ema, None, None, &self.meta(state))?;
        }
        Ok(())
    }

    /// Saves on the `checkpoint_every` schedule.
    pub(super) fn on_schedule(&mut self, state: &State) -> Result<(), ModelError> {
        let every = self.config.train.checkpoint_every;
        if every > 0 && state.step % every == 0 {
            self.save_latest(state)?;
        }
        Ok(())
    }

    /// At the end: saves unless the last step is already saved.
    pub(super) fn finish(&mut self, state: &State) -> Result<(), ModelError> {
        if self.saved_at != state.step || !self.latest.exists() {
            self.save_latest(state)?;
        }
        Ok(())
    }
}

/// Whether the step about to run (0-based `step`) computes its named loss terms for the log.
pub(super) fn logs_terms(tc: &TrainConfig, step: usize) -> bool {
    step + 1 == tc.steps
        || (step + 1) % tc.log_every.max(1) == 0
        || (tc.val_every > 0 && (step + 1) % tc.val_every == 0)
}

/// Whether the run validates after `step` steps.
pub(super) fn validates(tc: &TrainConfig, step: usize, timed_out: bool) -> bool {
    tc.val_every > 0 && (step % tc.val_every == 0 || step == tc.steps || timed_out)
}

/// Whether the run writes a metrics row after `step` steps.
pub(super) fn logs(tc: &TrainConfig, step: usize, validated: bool, timed_out: bool) -> bool {
    step % tc.log_every.max(1) == 0 || validated || step == tc.steps || timed_out
}
