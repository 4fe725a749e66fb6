//! The simulator's seeded generator: the shared [`Xoshiro256`] core and its draws
//! (`duologue_params::rng`), plus seeding from `(seed, clip index)` and from names, so every clip
//! is reproducible and no global RNG is involved (STYLE.md "Diffusion": randomness is injected).

use duologue_params::rng::Xoshiro256;

/// Seeded pseudo-random generator: the shared [`Xoshiro256`] core under the names the simulator
/// uses (f32 draws); every distribution is the core's own.
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

    /// Uniform in [0, 1) ([`Xoshiro256::uniform_f32`]).
    pub fn f32(&mut self) -> f32 {
        self.core.uniform_f32()
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        self.core.range_f32(lo, hi)
    }

    /// Uniform integer in [0, n); 0 when n == 0.
    pub fn below(&mut self, n: usize) -> usize {
        self.core.below(n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f32) -> bool {
        self.core.chance(p)
    }

    /// Standard normal ([`Xoshiro256::normal_f32`]).
    pub fn normal(&mut self) -> f32 {
        self.core.normal_f32()
    }

    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f32) -> f32 {
        self.core.exp_f32(mean)
    }

    /// Log-normal whose median is `median` and log-sd `sigma`.
    pub fn lognormal(&mut self, median: f32, sigma: f32) -> f32 {
        self.core.lognormal_f32(median, sigma)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        self.core.shuffle(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_and_the_shared_core_stream() {
        let a: Vec<u64> = (0..5).scan(Rng::new(7), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..5).scan(Rng::new(7), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        let mut core = Xoshiro256::new(1);
        let mut r = Rng::new(1);
        assert_eq!((r.f32(), r.normal()), (core.uniform_f32(), core.normal_f32()));
    }
}
