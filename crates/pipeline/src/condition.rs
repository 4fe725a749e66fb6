//! What the model is conditioned on for a whole recording (paper §3.3, DESIGN §1): the mix's
//! audio features (the extractor the model names), both speaker masks, the layout's
//! first-frame positions and identities.

use crate::{PipelineError, Result};
use duologue_audio::{mel::frames_for, FeatureExtractor, MaskOptions, MixReport};
use duologue_layout::Layout;
use duologue_params::rng::Xoshiro256;
use duologue_params::{HOP, N_ID};

/// Random identities for A and B: N(0, 1) * 0.7 per coefficient, from `seed`.
pub fn random_betas(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Xoshiro256::new(seed ^ 0xB37A_1D00);
    let mut draw = || (0..N_ID).map(|_| rng.normal_f64_open() as f32 * 0.7).collect::<Vec<f32>>();
    let a = draw();
    (a, draw())
}

/// Frames of silence the generator sees before and after the recording
/// ([`Conditioning::from_mix`]): 0.24 s. The network's outputs are unreliable in the first and
/// last ~3 frames of a window (its convolutions see padding there): with a silent lead-in and
/// tail those frames fall outside the result.
pub const EDGE_MARGIN: usize = 6;

/// What the model is conditioned on, for the whole recording of `frames` frames.
#[derive(Debug, Clone)]
pub struct Conditioning {
    /// Recording length in 25 fps frames (N).
    pub frames: usize,
    /// Frames of silence in `features` before the recording's first frame (the lead-in that
    /// sampling crops again; [`EDGE_MARGIN`] from [`Conditioning::from_mix`], 0 for none).
    /// Generation then also runs `lead` frames past the recording's end.
    pub lead: usize,
    /// Audio features `[N' * D]`, row-major: `lead` frames of silence, the recording's N
    /// frames, then silence, N' >= `lead + N + lead` and >= one window.
    pub features: Vec<f32>,
    /// Feature width D.
    pub dim: usize,
    /// The extractor's name (`FeatureExtractor::name`, what a model's `features` must say).
    pub feature_name: String,
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
    /// Features (`features`, the extractor the model names) are of the mix; shorter than
    /// `min_frames` is padded with silence for them.
    pub fn from_audio(
        tracks: &[Vec<f32>],
        layout: &Layout,
        betas: (Vec<f32>, Vec<f32>),
        masks: &MaskOptions,
        features: &dyn FeatureExtractor,
        min_frames: usize,
    ) -> Result<Self> {
        Self::from_audio_report(tracks, layout, betas, masks, features, min_frames).map(|(c, _)| c)
    }

    /// [`Self::from_audio`] plus, for one mixed track, what splitting it into two voices found
    /// (voices, confidence; None for two tracks).
    pub fn from_audio_report(
        tracks: &[Vec<f32>],
        layout: &Layout,
        betas: (Vec<f32>, Vec<f32>),
        masks: &MaskOptions,
        features: &dyn FeatureExtractor,
        min_frames: usize,
    ) -> Result<(Self, Option<MixReport>)> {
        let samples = tracks.first().map_or(0, Vec::len);
        if tracks.is_empty() || tracks.len() > 2 || tracks.iter().any(|t| t.len() != samples) {
            return Err(PipelineError::Input("expected one track, or two tracks of equal length".into()));
        }
        if samples < HOP {
            return Err(PipelineError::TooShort { samples });
        }
        let (m_a, m_b, report) = duologue_audio::masks_from_audio_report(tracks, masks)?;
        let t0 = [layout.a, layout.b];
        // The conversation as one signal. One track is used as it is: no second copy of an
        // hours-long recording before the padded one.
        let cond = match tracks {
            [one] => Self::from_mix(one, (m_a, m_b), t0, betas, features, min_frames)?,
            _ => {
                let mix: Vec<f32> = (0..samples)
                    .map(|i| tracks.iter().map(|t| t[i]).sum::<f32>() / tracks.len() as f32)
                    .collect();
                Self::from_mix(&mix, (m_a, m_b), t0, betas, features, min_frames)?
            }
        };
        Ok((cond, report))
    }

    /// From the 16 kHz mix, both masks (resized to the mix's frames), the first-frame positions
    /// and identities of A and B: `features` of the mix with [`EDGE_MARGIN`] frames of silence
    /// before it and at least as many after, padded to at least `min_frames` (one window) in
    /// all.
    pub fn from_mix(
        mix: &[f32],
        (mut m_a, mut m_b): (Vec<f32>, Vec<f32>),
        [t0_a, t0_b]: [[f32; 3]; 2],
        (beta_a, beta_b): (Vec<f32>, Vec<f32>),
        features: &dyn FeatureExtractor,
        min_frames: usize,
    ) -> Result<Self> {
        let frames = frames_for(mix.len());
        m_a.resize(frames, 0.0);
        m_b.resize(frames, 0.0);
        let lead = EDGE_MARGIN;
        let dim = features.dim();
        let data = features.features_padded(mix, lead, min_frames).map_err(PipelineError::Features)?;
        Ok(Self {
            frames,
            lead,
            features: data,
            dim,
            feature_name: features.name().to_string(),
            m_a,
            m_b,
            t0_a,
            t0_b,
            beta_a,
            beta_b,
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
