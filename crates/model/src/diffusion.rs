//! Diffusion maths (paper §3.1, appendix §2.1): cosine logSNR schedule, x0-prediction, DDIM
//! sampling with any number of steps, classifier-free guidance as a wrapper denoiser, and the
//! seeded RNG every random draw goes through (STYLE.md "Diffusion").
//!
//! The sampler only knows the [`Denoiser`] trait; it never imports the network. Time runs from
//! t = 1 (pure noise) to t = 0 (data); z_t = alpha(t) x0 + sigma(t) eps with
//! alpha^2 = sigmoid(logSNR), sigma^2 = sigmoid(-logSNR) (variance preserving).

use burn::prelude::*;
use duologue_params::rng::Xoshiro256;

/// Cosine schedule's logSNR limits (as in "simple diffusion", Hoogeboom et al. 2023).
pub const LOGSNR_MIN: f64 = -15.0;
/// Upper logSNR limit: at t = 0, sigma = sqrt(sigmoid(-15)) ~ 5.5e-4.
pub const LOGSNR_MAX: f64 = 15.0;

/// Cosine logSNR at time `t` in [0, 1]: -2 log tan(a t + b), clipped to [min, max].
pub fn logsnr_cosine(t: f64, min: f64, max: f64) -> f64 {
    let b = (-0.5 * max).exp().atan();
    let a = (-0.5 * min).exp().atan() - b;
    -2.0 * (a * t.clamp(0.0, 1.0) + b).tan().ln()
}

/// `(alpha, sigma)` for a logSNR (variance preserving).
pub fn alpha_sigma(logsnr: f64) -> (f64, f64) {
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    (sig(logsnr).sqrt(), sig(-logsnr).sqrt())
}

/// `(alpha, sigma)` of the default cosine schedule at time `t`.
pub fn cosine_alpha_sigma(t: f64) -> (f64, f64) {
    alpha_sigma(logsnr_cosine(t, LOGSNR_MIN, LOGSNR_MAX))
}

/// The DDIM time grid for `steps` steps: `steps + 1` times from 1 down to 0.
pub fn ddim_times(steps: usize) -> Vec<f64> {
    let n = steps.max(1);
    (0..=n).map(|i| 1.0 - i as f64 / n as f64).collect()
}

/// Seeded random numbers: the shared xoshiro256** core and its draws (`duologue_params::rng`),
/// under the names the model uses (f64 draws). Its whole state is four words, saved in
/// checkpoints so that a resumed run draws exactly what the uninterrupted run would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    core: Xoshiro256,
}

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self { core: Xoshiro256::new(seed) }
    }

    /// The raw state (for checkpoints).
    pub fn state(&self) -> [u64; 4] {
        self.core.state()
    }

    /// A generator continuing from a saved state.
    pub fn from_state(s: [u64; 4]) -> Self {
        Self { core: Xoshiro256::from_state(s) }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.core.next_u64()
    }

    /// Uniform in [0, 1) ([`Xoshiro256::uniform_f64`]).
    pub fn uniform(&mut self) -> f64 {
        self.core.uniform_f64()
    }

    /// Uniform integer in [0, n) (n > 0), by scaling a uniform ([`Xoshiro256::below_scaled`]).
    pub fn below(&mut self, n: usize) -> usize {
        self.core.below_scaled(n)
    }

    /// Standard normal ([`Xoshiro256::normal_f64`]: Box–Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        self.core.normal_f64()
    }

    /// `n` standard normal f32 values.
    pub fn normals(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.normal() as f32).collect()
    }
}

/// Anything that predicts x0 from a noisy state: `(z_t, t, cond) -> x0_hat`.
///
/// States are `[N, L, C]` tensors; how a denoiser maps them onto its inputs is its business
/// (the duo denoiser stacks A and B along N).
pub trait Denoiser {
    /// The conditioning the denoiser takes.
    type Cond;
    /// Predicts x0 from `z` at time `t` in [0, 1].
    fn denoise(&self, z: Tensor<3>, t: f64, cond: &Self::Cond) -> Tensor<3>;
}

/// A denoiser whose conditioning can be emptied (for classifier-free guidance).
pub trait Unconditional: Denoiser {
    /// The null conditioning matching `cond` (e.g. audio removed).
    fn null_cond(&self, cond: &Self::Cond) -> Self::Cond;

    /// `(conditional, unconditional)` predictions. The default makes two calls; a denoiser
    /// may batch them into one network pass (fewer, larger kernels).
    fn denoise_both(&self, z: Tensor<3>, t: f64, cond: &Self::Cond) -> (Tensor<3>, Tensor<3>) {
        let null = self.null_cond(cond);
        (self.denoise(z.clone(), t, cond), self.denoise(z, t, &null))
    }
}

/// Classifier-free guidance (Ho & Salimans 2022) on x0 predictions:
/// `x0 = x0_null + w (x0_cond - x0_null)`; w = 1 is the conditional prediction, w = 0 the
/// unconditional one. Default weight 2.5 (paper §4.1; the appendix says 2.0). Outside
/// `interval` (diffusion times, see [`crate::SampleConfig::guidance_interval`]) the conditional
/// prediction is used alone.
#[derive(Debug, Clone)]
pub struct Guided<D> {
    /// The conditional denoiser.
    pub inner: D,
    /// Guidance weight w.
    pub weight: f64,
    /// Times `[lo, hi]` where guidance applies (`[0, 1]`: everywhere).
    pub interval: [f64; 2],
}

impl<D: Unconditional> Denoiser for Guided<D> {
    type Cond = D::Cond;
    fn denoise(&self, z: Tensor<3>, t: f64, cond: &Self::Cond) -> Tensor<3> {
        if t < self.interval[0] || t > self.interval[1] {
            return self.inner.denoise(z, t, cond);
        }
        let (c, u) = self.inner.denoise_both(z, t, cond);
        u.clone() + (c - u) * self.weight
    }
}

/// The noise DDIM adds going from time `t` to the lower time `s` (Song et al. 2021, eq. 16):
/// `sigma = eta * (sigma_s / sigma_t) * sqrt(1 - alpha_t^2 / alpha_s^2)`. eta = 0 is the
/// deterministic sampler, eta = 1 the ancestral (DDPM) step; the rest of `sigma_s` keeps the
/// eps implied by the prediction.
pub fn ddim_step_noise(t: f64, s: f64, eta: f64) -> f64 {
    let (at, st) = cosine_alpha_sigma(t);
    let (as_, ss) = cosine_alpha_sigma(s);
    let ratio = (at * at) / (as_ * as_).max(f64::MIN_POSITIVE);
    (eta * (ss / st) * (1.0 - ratio).max(0.0).sqrt()).min(ss)
}

/// DDIM with x0-prediction, from pure noise at t = 1 to t = 0; `eta` = 0 is the deterministic
/// sampler (the paper's), eta > 0 adds fresh noise at each step ([`ddim_step_noise`]).
///
/// `shape` is the state shape `[N, L, C]`; the initial noise (and any step noise) comes from
/// `rng`, so a seed reproduces a sample exactly on the same machine and backend.
/// `progress(i, steps)` is called after each step. Returns the final x0 prediction.
#[allow(clippy::too_many_arguments)]
pub fn ddim_sample<D: Denoiser>(
    denoiser: &D,
    cond: &D::Cond,
    shape: [usize; 3],
    steps: usize,
    eta: f64,
    rng: &mut Rng,
    device: &Device,
    mut progress: impl FnMut(usize, usize),
) -> Tensor<3> {
    let times = ddim_times(steps);
    let n: usize = shape.iter().product();
    let mut z = Tensor::<3>::from_data(TensorData::new(rng.normals(n), shape), device);
    let mut x0 = z.clone();
    let last = times.len() - 1;
    for i in 0..last {
        let (t, s) = (times[i], times[i + 1]);
        x0 = denoiser.denoise(z.clone(), t, cond);
        if i + 1 < last {
            let (at, st) = cosine_alpha_sigma(t);
            let (as_, ss) = cosine_alpha_sigma(s);
            let noise = ddim_step_noise(t, s, eta);
            // eps implied by the x0 prediction; z_s keeps that eps at the lower noise level,
            // with fresh noise making up the rest of sigma_s when eta > 0.
            let eps = (z - x0.clone() * at) / st;
            z = x0.clone() * as_ + eps * (ss * ss - noise * noise).max(0.0).sqrt();
            if noise > 0.0 {
                let fresh = Tensor::<3>::from_data(TensorData::new(rng.normals(n), shape), device);
                z = z + fresh * noise;
            }
        }
        progress(i + 1, last);
    }
    x0
}

/// Noises clean data at per-clip times: `z = alpha(t) x0 + sigma(t) eps`.
/// `x0`, `eps` `[B, L, C]`, `t` one time per clip.
pub fn add_noise(x0: Tensor<3>, eps: Tensor<3>, t: &[f64]) -> Tensor<3> {
    let device = x0.device();
    let (a, s): (Vec<f32>, Vec<f32>) = t
        .iter()
        .map(|&t| {
            let (a, s) = cosine_alpha_sigma(t);
            (a as f32, s as f32)
        })
        .unzip();
    let b = t.len();
    let a = Tensor::<3>::from_data(TensorData::new(a, [b, 1, 1]), &device);
    let s = Tensor::<3>::from_data(TensorData::new(s, [b, 1, 1]), &device);
    x0 * a + eps * s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_runs_from_noise_to_data() {
        let (a1, s1) = cosine_alpha_sigma(1.0);
        let (a0, s0) = cosine_alpha_sigma(0.0);
        assert!(a1 < 1e-3 && (s1 - 1.0).abs() < 1e-6, "t=1 must be noise: {a1} {s1}");
        assert!(s0 < 1e-3 && (a0 - 1.0).abs() < 1e-6, "t=0 must be data: {a0} {s0}");
        let mut prev = f64::INFINITY;
        for i in 0..=100 {
            let l = logsnr_cosine(i as f64 / 100.0, LOGSNR_MIN, LOGSNR_MAX);
            assert!(l < prev, "logSNR must fall with t");
            prev = l;
            let (a, s) = alpha_sigma(l);
            assert!((a * a + s * s - 1.0).abs() < 1e-9);
        }
        assert_eq!(ddim_times(4), vec![1.0, 0.75, 0.5, 0.25, 0.0]);
    }

    #[test]
    fn rng_is_seeded_and_roughly_normal() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.normals(10), b.normals(10));
        let st = a.state();
        let x = a.normals(5);
        assert_eq!(Rng::from_state(st).normals(5), x);
        let v = Rng::new(1).normals(20_000);
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean} var {var}");
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
