//! Generation for one window (paper §3.1 and §4.1: 8 DDIM steps, guidance 2.5): audio
//! features, speaking masks, layout and identities in, both people's x out.

use std::path::Path;

use burn::module::Module;
use burn::prelude::*;
use duologue_params::{Motion, N_ID, X_DIM};

use crate::checkpoint::{Checkpoint, Weights};
use crate::config::Config;
use crate::data::{facing_yaw, scale_vector, unwrap_near, NECK_YAW};
use crate::diffusion::{ddim_sample, Denoiser, Guided, Rng, Unconditional};
use crate::network::{Cond, DuoNet};
use crate::ModelError;

/// The network as a [`Denoiser`] on stacked states `[2B, L, 78]` (A's rows first).
#[derive(Debug, Clone, Copy)]
pub struct DuoDenoiser<'a> {
    /// The network.
    pub net: &'a DuoNet,
}

impl Denoiser for DuoDenoiser<'_> {
    type Cond = Cond;
    fn denoise(&self, z: Tensor<3>, t: f64, cond: &Cond) -> Tensor<3> {
        let b = z.dims()[0] / 2;
        let time = Tensor::<1>::full([b], t as f32, &z.device());
        let (a, bb) = self.net.forward(z.clone().narrow(0, 0, b), z.narrow(0, b, b), time, cond);
        Tensor::cat(vec![a, bb], 0)
    }
}

impl Unconditional for DuoDenoiser<'_> {
    fn null_cond(&self, cond: &Cond) -> Cond {
        cond.without_audio()
    }

    /// One network pass on a doubled batch: rows `[cond; null]` for each person.
    fn denoise_both(&self, z: Tensor<3>, t: f64, cond: &Cond) -> (Tensor<3>, Tensor<3>) {
        let b = z.dims()[0] / 2;
        let (za, zb) = (z.clone().narrow(0, 0, b), z.narrow(0, b, b));
        let both = Cond::cat(&[cond.clone(), cond.without_audio()]);
        let time = Tensor::<1>::full([2 * b], t as f32, &za.device());
        let (a, bb) = self.net.forward(
            Tensor::cat(vec![za.clone(), za], 0),
            Tensor::cat(vec![zb.clone(), zb], 0),
            time,
            &both,
        );
        let c = Tensor::cat(vec![a.clone().narrow(0, 0, b), bb.clone().narrow(0, 0, b)], 0);
        let u = Tensor::cat(vec![a.narrow(0, b, b), bb.narrow(0, b, b)], 0);
        (c, u)
    }
}

/// Inputs for one window of `L` frames.
#[derive(Debug, Clone, Copy)]
pub struct SampleInput<'a> {
    /// Audio features, `[L * audio_dim]` row-major.
    pub audio: &'a [f32],
    /// A's speaking probability, `[L]`.
    pub m_a: &'a [f32],
    /// B's speaking probability, `[L]`.
    pub m_b: &'a [f32],
    /// A's first-frame translation (layout).
    pub t0_a: [f32; 3],
    /// B's first-frame translation.
    pub t0_b: [f32; 3],
    /// A's identity, `[50]`.
    pub beta_a: &'a [f32],
    /// B's identity, `[50]`.
    pub beta_b: &'a [f32],
    /// Seed of the initial noise: the same seed gives the same result on the same machine.
    pub seed: u64,
    /// DDIM steps (paper: 8).
    pub steps: usize,
    /// Guidance weight (paper: 2.5; 1 = no guidance, computed without the extra pass).
    pub guidance: f32,
}

/// A trained model ready to generate.
#[derive(Debug)]
pub struct Generator {
    net: DuoNet,
    config: Config,
    device: Device,
}

impl Generator {
    /// Wraps a network (its parameters should live on `device`, no autodiff).
    pub fn new(net: DuoNet, config: Config, device: Device) -> Self {
        Self { net, config, device }
    }

    /// Loads a checkpoint's EMA weights (raw weights when it has no EMA) onto `device`.
    pub fn load(path: &Path, device: &Device) -> Result<Self, ModelError> {
        let ck = Checkpoint::read(path)?;
        let net = ck.load_into(DuoNet::new(&ck.meta.config.model, device), Weights::Ema, false)?;
        Ok(Self { net: net.valid(), config: ck.meta.config, device: device.clone() })
    }

    /// The configuration (model, training, sampling defaults).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The same model sampling with guidance only at diffusion times `[lo, hi]`
    /// ([`crate::SampleConfig::guidance_interval`]); refused unless `0 <= lo <= hi <= 1`.
    pub fn with_guidance_interval(mut self, interval: [f32; 2]) -> Result<Self, ModelError> {
        let [lo, hi] = interval;
        if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
            return Err(ModelError::Input(format!(
                "guidance interval [{lo}, {hi}] is not within [0, 1] in order"
            )));
        }
        self.config.sample.guidance_interval = interval;
        Ok(self)
    }

    /// The same model sampling with DDIM's `eta` ([`crate::SampleConfig::eta`]); refused unless
    /// `0 <= eta <= 1`.
    pub fn with_eta(mut self, eta: f32) -> Result<Self, ModelError> {
        if !(0.0..=1.0).contains(&eta) {
            return Err(ModelError::Input(format!("eta {eta} is not within [0, 1]")));
        }
        self.config.sample.eta = eta;
        Ok(self)
    }

    /// Generates both people's motion for one window; returns `(x_a, x_b)` in natural units.
    pub fn sample(&self, input: &SampleInput<'_>) -> Result<(Motion, Motion), ModelError> {
        self.sample_with_progress(input, |_, _| {})
    }

    /// As [`Generator::sample`], calling `progress(step, steps)` after each DDIM step.
    pub fn sample_with_progress(
        &self,
        input: &SampleInput<'_>,
        progress: impl FnMut(usize, usize),
    ) -> Result<(Motion, Motion), ModelError> {
        let c = &self.config.model;
        let d = c.audio_dim;
        let bad = |s: String| Err(ModelError::Input(s));
        if input.audio.is_empty() || input.audio.len() % d != 0 {
            return bad(format!("audio has {} values, not a multiple of audio_dim {d}", input.audio.len()));
        }
        let l = input.audio.len() / d;
        if l % c.frame_multiple() != 0 {
            return bad(format!("{l} frames is not a multiple of {}", c.frame_multiple()));
        }
        if input.m_a.len() != l || input.m_b.len() != l {
            return bad(format!("masks have {} and {} frames, audio {l}", input.m_a.len(), input.m_b.len()));
        }
        if input.beta_a.len() != N_ID || input.beta_b.len() != N_ID {
            return bad(format!("identities must have {N_ID} values"));
        }
        if input.steps == 0 || !input.guidance.is_finite() {
            return bad("steps must be positive and guidance finite".into());
        }
        let all = [input.audio, input.m_a, input.m_b, input.beta_a, input.beta_b, &input.t0_a, &input.t0_b];
        if all.iter().any(|v| v.iter().any(|x| !x.is_finite())) {
            return bad("inputs must be finite".into());
        }
        let dev = &self.device;
        let t2 = |v: &[f32], n: usize| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, n]), dev);
        let cond = Cond {
            audio: Tensor::from_data(TensorData::new(input.audio.to_vec(), [1, l, d]), dev),
            audio_present: Tensor::ones([1], dev),
            m_a: t2(input.m_a, l),
            m_b: t2(input.m_b, l),
            t0_a: t2(&input.t0_a, 3),
            t0_b: t2(&input.t0_b, 3),
            beta_a: t2(input.beta_a, N_ID),
            beta_b: t2(input.beta_b, N_ID),
        };
        let mut rng = Rng::new(input.seed);
        let den = DuoDenoiser { net: &self.net };
        let shape = [2, l, X_DIM];
        let eta = f64::from(self.config.sample.eta);
        let z = if input.guidance == 1.0 {
            ddim_sample(&den, &cond, shape, input.steps, eta, &mut rng, dev, progress)
        } else {
            let [lo, hi] = self.config.sample.guidance_interval;
            let g = Guided { inner: den, weight: input.guidance as f64, interval: [lo as f64, hi as f64] };
            ddim_sample(&g, &cond, shape, input.steps, eta, &mut rng, dev, progress)
        };
        let inv: Vec<f32> = scale_vector(c.scale).iter().map(|s| 1.0 / s).collect();
        let inv = Tensor::<1>::from_floats(inv.as_slice(), dev).reshape([1, 1, X_DIM]);
        let mut x =
            (z * inv).into_data().try_to_vec::<f32>().map_err(|e| ModelError::Input(format!("{e:?}")))?;
        if c.facing_relative {
            // The network's neck yaw is relative to facing the partner: add the facing back, by
            // one whole-turn branch for the window (its first frame within (-pi, pi]) so the
            // curve stays continuous.
            let (xa, xb) = x.split_at_mut(l * X_DIM);
            for (rows, me, partner) in [(xa, input.t0_a, input.t0_b), (xb, input.t0_b, input.t0_a)] {
                let phi = facing_yaw(me, partner);
                let first = rows[NECK_YAW] + phi;
                let turn = unwrap_near(first, 0.0) - first;
                rows.chunks_exact_mut(X_DIM).for_each(|f| f[NECK_YAW] += phi + turn);
            }
        }
        let (a, b) = x.split_at(l * X_DIM);
        let motion = |v: &[f32]| {
            Motion::from_vec(v.to_vec()).ok_or_else(|| ModelError::Input("bad motion length".into()))
        };
        Ok((motion(a)?, motion(b)?))
    }
}
