//! The rows of the paper's Table 3 as switches on a training run (paper §4.3, Table 3): each ablation
//! edits the loaded configuration or the data, and is recorded in the run's config.toml.

use duologue_model::Config;

/// One row of the paper's Table 3 ("w/o 2nd stage" is a procedure: skip `--stage 2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Ablation {
    /// "w/o Cross-Attn": the two streams never exchange features.
    NoCrossAttn,
    /// "w/o Speaker Emb.": no role embeddings and no masks in the conditioning.
    NoRole,
    /// "w/o Gaze Loss": the gaze term is left out of the loss.
    NoGaze,
    /// "Single-Person Only": single-speaker data, no listener behaviour to learn from.
    SinglePerson,
}

impl Ablation {
    /// The flag's spelling, as recorded in config.toml.
    pub fn name(self) -> &'static str {
        match self {
            Ablation::NoCrossAttn => "no-cross-attn",
            Ablation::NoRole => "no-role",
            Ablation::NoGaze => "no-gaze",
            Ablation::SinglePerson => "single-person",
        }
    }
}

/// Applies the config-level ablations and records all of them in `train.ablations`.
pub fn ablate(config: &mut Config, ablations: &[Ablation]) {
    let mut list = ablations.to_vec();
    list.sort();
    list.dedup();
    for a in &list {
        match a {
            Ablation::NoCrossAttn => config.model.cross_attention = false,
            // The gated audio is the masks again, so it goes with them.
            Ablation::NoRole => {
                config.model.role_embedding = false;
                config.model.gated_audio = false;
            }
            Ablation::NoGaze => config.train.loss.gaze = 0.0,
            // Acts on the data (see `without_partner`).
            Ablation::SinglePerson => {}
        }
    }
    config.train.ablations = list.iter().map(|a| a.name().to_string()).collect();
}

/// A monologue window as single-person training data: B, the virtual listener of
/// `duologue simulate --single`, is simulated idle listening that the paper's single-person
/// corpus would not have. The partner stream becomes a still, silent, neutral head at its
/// place (identity and t0 kept), so nothing teaches listener behaviour (paper Table 3:
/// "provides no guidance for listener behavior") while the dual-stream network and losses
/// stay unchanged.
pub fn without_partner(clip: &mut duologue_model::Clip) {
    clip.x_b.fill(0.0);
    clip.m_b.fill(0.0);
}
