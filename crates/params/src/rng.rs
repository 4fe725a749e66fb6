//! The project's one seeded random-bit generator: xoshiro256** seeded by SplitMix64.
//!
//! Randomness is injected, never global (STYLE.md): the simulator derives one generator per clip
//! and the model's trainer and sampler carry one whose four-word state goes into checkpoints, so
//! a seed reproduces a clip or a sample bit for bit. Crates build their own distributions (f32 or
//! f64 uniforms, normals, shuffles) on top of [`Xoshiro256::next_u64`].

/// xoshiro256** (Blackman & Vigna), 256 bits of state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    /// A generator whose state is four SplitMix64 outputs from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self { s: [next(), next(), next(), next()] }
    }

    /// A generator continuing from a saved state.
    pub fn from_state(s: [u64; 4]) -> Self {
        Self { s }
    }

    /// The raw state (for checkpoints).
    pub fn state(&self) -> [u64; 4] {
        self.s
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_stream() {
        // SplitMix64(0) first output, then xoshiro256** from that seeding: fixed forever, since
        // simulated datasets and checkpoints depend on these exact bits.
        let mut r = Xoshiro256::new(0);
        assert_eq!(r.state()[0], 0xE220_A839_7B1D_CDAF);
        let a: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut again = Xoshiro256::new(0);
        assert_eq!(a, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        let mut resumed = Xoshiro256::from_state(Xoshiro256::new(0).state());
        assert_eq!(resumed.next_u64(), a[0]);
    }
}
