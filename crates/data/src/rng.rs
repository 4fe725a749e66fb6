//! A small seeded random generator (xoshiro256**, SplitMix64 seeding) so every clip is
//! reproducible from `(seed, clip index)` and no global RNG is involved (STYLE: randomness is
//! injected).

use duologue_params::rng::Xoshiro256;

/// Seeded pseudo-random generator (the shared [`Xoshiro256`] core plus the distributions the
/// simulator draws).
#[derive(Debug, Clone)]
pub struct Rng {
    core: Xoshiro256,
}

/// A stable 64-bit hash of a string (FNV-1a), for seeding from names.
pub fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

impl Rng {
    /// Generator seeded from one number.
    pub fn new(seed: u64) -> Self {
        Self { core: Xoshiro256::new(seed) }
    }

    /// An independent generator for a sub-task (e.g. clip `k` of a run seeded `seed`).
    pub fn derive(seed: u64, stream: u64) -> Self {
        Self::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03).rotate_left(17))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.core.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.f32()
    }

    /// Uniform integer in [0, n); 0 when n == 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f32) -> bool {
        self.f32() < p
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = self.f32().max(1e-7);
        let u2 = self.f32();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
    }

    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f32) -> f32 {
        -mean * (1.0 - self.f32()).max(1e-7).ln()
    }

    /// Log-normal whose median is `median` and log-sd `sigma`.
    pub fn lognormal(&mut self, median: f32, sigma: f32) -> f32 {
        median * (sigma * self.normal()).exp()
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_and_roughly_uniform() {
        let a: Vec<u64> = (0..5).scan(Rng::new(7), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..5).scan(Rng::new(7), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        let mut r = Rng::new(1);
        let n = 20_000;
        let mean: f32 = (0..n).map(|_| r.f32()).sum::<f32>() / n as f32;
        assert!((mean - 0.5).abs() < 0.01);
        let var: f32 = (0..n).map(|_| r.normal().powi(2)).sum::<f32>() / n as f32;
        assert!((var - 1.0).abs() < 0.05, "normal variance {var}");
    }
}
