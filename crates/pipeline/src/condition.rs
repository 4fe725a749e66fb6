//! What the model is conditioned on for a whole recording (paper §3.3, DESIGN §1): the mix's
//! log-mel features, both speaker masks, the layout's first-frame positions and identities.

use crate::{PipelineError, Result};
use duologue_audio::{mel::frames_for, LogMel, LogMelConfig, MaskOptions};
use duologue_layout::Layout;
use duologue_model::Rng;
use duologue_params::{HOP, N_ID};

/// Random identities for A and B: N(0, 1) * 0.7 per coefficient, from `seed`.
pub fn random_betas(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed ^ 0xB37A_1D00);
    let mut normal = || {
        // Box-Muller on two uniforms in (0, 1].
        let u = |r: &mut Rng| ((r.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let (u1, u2) = (u(&mut rng), u(&mut rng));
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    };
    let mut draw = || (0..N_ID).map(|_| normal() * 0.7).collect::<Vec<f32>>();
    let a = draw();
    (a, draw())
}

/// What the model is conditioned on, for the whole recording of `frames` frames.
#[derive(Debug, Clone)]
pub struct Conditioning {
    /// Recording length in 25 fps frames (N).
    pub frames: usize,
    /// Log-mel features `[N' * D]`, row-major, N' >= N (padded with silence to one window).
    pub features: Vec<f32>,
    /// Feature width D.
    pub dim: usize,
    /// A's soft speaker mask `[N]` in [0, 1].
    pub m_a: Vec<f32>,
    /// B's soft speaker mask `[N]`.
    pub m_b: Vec<f32>,
    /// A's first-frame head position (layout).
    pub t0_a: [f32; 3],
    /// B's first-frame head position.
    pub t0_b: [f32; 3],
    /// A's identity `[50]`.
    pub beta_a: Vec<f32>,
    /// B's identity `[50]`.
    pub beta_b: Vec<f32>,
}

impl Conditioning {
    /// From decoded 16 kHz audio: one mixed track (A = who speaks first) or two tracks (A, B).
    /// Features are of the mix; shorter than `min_frames` is padded with silence for them.
    pub fn from_audio(
        tracks: &[Vec<f32>],
        layout: &Layout,
        betas: (Vec<f32>, Vec<f32>),
        masks: &MaskOptions,
        min_frames: usize,
    ) -> Result<Self> {
        let samples = tracks.first().map_or(0, Vec::len);
        if tracks.is_empty() || tracks.len() > 2 || tracks.iter().any(|t| t.len() != samples) {
            return Err(PipelineError::Input("expected one track, or two tracks of equal length".into()));
        }
        if samples < HOP {
            return Err(PipelineError::TooShort { samples });
        }
        let frames = frames_for(samples);
        let (mut m_a, mut m_b) = duologue_audio::masks_from_audio(tracks, masks)?;
        m_a.resize(frames, 0.0);
        m_b.resize(frames, 0.0);
        // The conversation as one signal, padded with silence to at least one window. One track
        // long enough is used as it is: no second copy of an hours-long recording.
        let mel = LogMel::new(LogMelConfig::default());
        let padded = samples.max(min_frames * HOP);
        let features = match tracks {
            [one] if one.len() == padded => mel.compute(one),
            _ => {
                let mut mix: Vec<f32> = (0..samples)
                    .map(|i| tracks.iter().map(|t| t[i]).sum::<f32>() / tracks.len() as f32)
                    .collect();
                mix.resize(padded, 0.0);
                mel.compute(&mix)
            }
        };
        Ok(Self {
            frames,
            features,
            dim: mel.dim(),
            m_a,
            m_b,
            t0_a: layout.a,
            t0_b: layout.b,
            beta_a: betas.0,
            beta_b: betas.1,
        })
    }

    /// True when neither person speaks anywhere (masks never reach 0.5).
    pub fn silent(&self) -> bool {
        self.speaks() == [false, false]
    }

    /// Whether A and B speak somewhere (their mask reaches 0.5 in some frame).
    pub fn speaks(&self) -> [bool; 2] {
        [&self.m_a, &self.m_b].map(|m| m.iter().any(|&v| v >= 0.5))
    }
}
