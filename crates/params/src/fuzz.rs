//! Mutation fuzzing on stable Rust, shared by the fuzz harnesses of every crate
//! (`crates/*/tests/fuzz.rs`, README "Reliability"): start from valid inputs (a real WAV, a
//! real checkpoint, a real shard), damage them the ways files get damaged and forged (flipped
//! bits, bytes set to boundary values, cuts, repeats, inserted runs, little-endian length
//! fields bent to huge or zero values), and check that the reader under test returns a result or
//! an error that names the input, and never panics.
//!
//! Cases per harness: `DUOLOGUE_FUZZ_CASES` (default [`DEFAULT_CASES`], what CI runs); a case's
//! damage follows from its index (the valid input may differ between runs, e.g. a checkpoint's
//! tensor order). A failing case's input is written to `target/fuzz-failures/` and the harness
//! fails naming it.

use crate::rng::Xoshiro256;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// Cases per harness when `DUOLOGUE_FUZZ_CASES` is unset (CI).
pub const DEFAULT_CASES: usize = 200;

/// `DUOLOGUE_FUZZ_CASES`, or [`DEFAULT_CASES`].
pub fn cases() -> usize {
    std::env::var("DUOLOGUE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES)
}

/// Bytes that break parsers: zero, one, sign and size boundaries.
const INTERESTING: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x20, 0x0a];
/// 32-bit values for length fields: zero, one, huge, negative as i32.
const INTERESTING_U32: [u32; 6] = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x0010_0000];

/// A seeded source of damaged inputs.
pub struct Mutator {
    rng: Xoshiro256,
}

impl Mutator {
    /// The mutator of case `case` of a harness seeded `seed`.
    pub fn new(seed: u64, case: usize) -> Self {
        Self { rng: Xoshiro256::new(seed ^ (case as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) }
    }

    /// A uniform index below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.rng.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f32) -> bool {
        self.rng.chance(p)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.rng.next_u64() as u8).collect()
    }

    /// `valid` damaged by 1..=4 mutations (sometimes none of the bytes survive: random input).
    pub fn mutate(&mut self, valid: &[u8]) -> Vec<u8> {
        if self.chance(0.03) {
            let n = self.below(2 * valid.len().max(16));
            return self.bytes(n);
        }
        let mut b = valid.to_vec();
        for _ in 0..1 + self.below(4) {
            self.once(&mut b);
        }
        b
    }

    fn once(&mut self, b: &mut Vec<u8>) {
        let n = b.len();
        // Most damage lands near the start, where headers live.
        let at = if self.chance(0.6) { self.below(n.min(256)) } else { self.below(n) };
        match self.below(8) {
            0 if n > 0 => b[at] ^= 1 << self.below(8),
            1 if n > 0 => b[at] = INTERESTING[self.below(INTERESTING.len())],
            2 if n > 0 => b[at] = self.rng.next_u64() as u8,
            3 => {
                let keep = self.below(n + 1);
                b.truncate(keep);
            }
            4 if n > 0 => {
                let len = 1 + self.below((n - at).min(512));
                let chunk = b[at..at + len].to_vec();
                let to = self.below(b.len() + 1);
                b.splice(to..to, chunk);
            }
            5 => {
                let len = 1 + self.below(64);
                let run =
                    if self.chance(0.5) { vec![INTERESTING[self.below(8)]; len] } else { self.bytes(len) };
                b.splice(at..at, run);
            }
            6 if n >= 4 => {
                let at = at.min(n - 4);
                let v = INTERESTING_U32[self.below(INTERESTING_U32.len())];
                b[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
            7 if n > 0 => {
                let len = 1 + self.below((n - at).min(64));
                b.drain(at..at + len);
            }
            _ => b.push(self.rng.next_u64() as u8),
        }
    }
}

/// Runs `check` on `cases()` inputs made by `make` from each case's [`Mutator`]; a panic fails
/// the harness after writing the input to `target/fuzz-failures/NAME-CASE.bin`. `check` returns
/// `Err(reason)` for a wrong answer (such as an error that does not name the file). Returns the
/// number of cases run and how many `check` accepted as `Ok(true)` (parsed), for the report.
pub fn run(
    name: &str,
    seed: u64,
    mut make: impl FnMut(&mut Mutator) -> Vec<u8>,
    mut check: impl FnMut(&[u8]) -> Result<bool, String>,
) -> (usize, usize) {
    let n = cases();
    let mut parsed = 0;
    for case in 0..n {
        let input = make(&mut Mutator::new(seed, case));
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let failure = match outcome {
            Ok(Ok(ok)) => {
                parsed += ok as usize;
                continue;
            }
            Ok(Err(reason)) => reason,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                format!("panicked: {msg}")
            }
        };
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!("{name}-{case}.bin"));
        let _ = std::fs::write(&file, &input);
        panic!("fuzz {name}, case {case} of {n}: {failure} (input in {})", file.display());
    }
    eprintln!("fuzz {name}: {n} cases, {parsed} parsed, 0 panics");
    (n, parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_reproducible_and_damage_the_input() {
        let valid: Vec<u8> = (0..200u8).collect();
        let a = Mutator::new(7, 3).mutate(&valid);
        assert_eq!(a, Mutator::new(7, 3).mutate(&valid), "the same case, the same input");
        let changed = (0..100).filter(|&c| Mutator::new(7, c).mutate(&valid) != valid).count();
        assert!(changed >= 95, "{changed} of 100 mutated");
    }

    #[test]
    #[should_panic(expected = "fuzz demo, case 0")]
    fn a_panicking_reader_fails_the_harness() {
        run("demo", 1, |m| m.bytes(4), |_| panic!("boom"));
    }
}
