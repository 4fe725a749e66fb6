//! Phoneme timings -> lip/jaw curves (psi[0..20]) with coarticulation (DESIGN §3-4;
//! BEHAVIOR.md "Lips and jaw").
//!
//! Each eSpeak phoneme maps to a viseme: target values for some lip/jaw expression components
//! and how strongly the phoneme insists on each (its dominance). Curves follow Cohen & Massaro's
//! (1993) dominance model: at time t every component is the dominance-weighted mean of the
//! targets of the surrounding phonemes, with each dominance falling off exponentially away
//! from its phoneme. Rounding gestures (/u/, /w/, /S/) have a slow anticipatory side, so lip
//! protrusion starts 100–200 ms before the rounded sound; bilabials and labiodentals insist so
//! strongly on lip closure that they reach it even inside fast speech. Components are looked up
//! by name in duologue-face's `EXPRESSION_NAMES` once, at start-up; a missing name is an error.

use crate::espeak::Phoneme;
use crate::DataError;
use duologue_face::EXPRESSION_NAMES;
use duologue_params::{FPS, N_EXPR};

/// The lip/jaw components the viseme table drives, by face-model name.
pub const LIP_COMPONENTS: [&str; 8] = [
    "jaw_open",
    "lips_part",
    "lip_press",
    "lower_lip_bite",
    "lip_pucker",
    "lip_funnel",
    "mouth_wide",
    "lip_tighten",
];
const JAW: usize = 0;
const PART: usize = 1;
const PRESS: usize = 2;
const BITE: usize = 3;
const PUCKER: usize = 4;
const FUNNEL: usize = 5;
const WIDE: usize = 6;
const TIGHT: usize = 7;
const NC: usize = LIP_COMPONENTS.len();

/// Articulation classes of eSpeak's English phonemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viseme {
    /// Pause or silence.
    Rest,
    /// p b m: lips closed.
    Bilabial,
    /// f v: lower lip to upper teeth.
    Labiodental,
    /// T D: tongue between the teeth, jaw slightly open.
    Dental,
    /// t d n l s z: narrow opening.
    Alveolar,
    /// S Z tS dZ: lips protruded.
    Postalveolar,
    /// k g N h x: neutral, a little open.
    Back,
    /// r: slight rounding.
    R,
    /// w: strong rounding.
    W,
    /// j: spread.
    Y,
    /// a A aI aU: open vowels, jaw open widest.
    Open,
    /// @ V 3: central vowels.
    Central,
    /// e E eI: mid front, spread a little.
    MidFront,
    /// i I i@: close front, spread.
    CloseFront,
    /// 0 O oU OI: rounded mid/open back.
    RoundedOpen,
    /// u U: rounded close back.
    RoundedClose,
}

impl Viseme {
    /// Class of an eSpeak mnemonic (stress marks already stripped).
    pub fn of(symbol: &str) -> Viseme {
        let s = symbol;
        if s.starts_with('_') || s.is_empty() {
            return Viseme::Rest;
        }
        let first = s.chars().next().unwrap_or('_');
        // Consonants (two-letter affricates first).
        if s.starts_with("tS") || s.starts_with("dZ") {
            return Viseme::Postalveolar;
        }
        match first {
            'p' | 'b' | 'm' => return Viseme::Bilabial,
            'f' | 'v' => return Viseme::Labiodental,
            'T' | 'D' => return Viseme::Dental,
            't' | 'd' | 'n' | 'l' | 's' | 'z' => return Viseme::Alveolar,
            'S' | 'Z' => return Viseme::Postalveolar,
            'k' | 'g' | 'N' | 'h' | 'x' | '?' | 'C' => return Viseme::Back,
            'r' | 'R' => return Viseme::R,
            'w' | 'W' => return Viseme::W,
            'j' => return Viseme::Y,
            _ => {}
        }
        // Vowels: the first quality of a diphthong decides (the next phoneme carries the rest).
        match first {
            'a' | 'A' => Viseme::Open,
            '@' | 'V' | '3' => Viseme::Central,
            'e' | 'E' => Viseme::MidFront,
            'i' | 'I' | 'y' => Viseme::CloseFront,
            '0' | 'O' | 'o' => Viseme::RoundedOpen,
            'u' | 'U' => Viseme::RoundedClose,
            _ => Viseme::Central,
        }
    }

    /// (targets over [`LIP_COMPONENTS`], dominance strengths, anticipation time constant s).
    fn spec(self) -> ([f32; NC], [f32; NC], f32) {
        // Dominance: 1 = ordinary, 0.15 = "don't care" (neighbours decide), 30 = must reach.
        const D: f32 = 1.0;
        const L: f32 = 0.15;
        // Anticipation constant of lip protrusion; the dominance falls by e every `tau` s, so
        // with the strengths below rounding reaches a quarter of its target ~150 ms early.
        const TAU: f32 = 0.03;
        // (component, target, dominance) for the components a viseme drives; the others keep
        // target 0 at "don't care" dominance.
        let (driven, tau): (&[(usize, f32, f32)], f32) = match self {
            Viseme::Rest => return ([0.0; NC], [2.0; NC], TAU),
            Viseme::Bilabial => {
                (&[(JAW, 0.03, 30.0), (PART, 0.0, 30.0), (PRESS, 0.35, 30.0), (BITE, 0.0, 30.0)], TAU)
            }
            Viseme::Labiodental => (&[(BITE, 0.85, 30.0), (JAW, 0.1, 8.0), (PART, 0.15, D)], TAU),
            Viseme::Dental => (&[(JAW, 0.18, 3.0), (PART, 0.45, D)], TAU),
            Viseme::Alveolar => (&[(JAW, 0.1, 2.0), (PART, 0.35, D), (WIDE, 0.15, L)], TAU),
            Viseme::Postalveolar => (&[(FUNNEL, 0.7, 4.0), (JAW, 0.1, 2.0), (PART, 0.3, D)], 0.035),
            Viseme::Back => (&[(JAW, 0.2, 0.6), (PART, 0.35, 0.5)], TAU),
            Viseme::R => (&[(FUNNEL, 0.35, 2.0), (PUCKER, 0.25, 2.0), (JAW, 0.12, D)], 0.035),
            Viseme::W => {
                (&[(PUCKER, 0.9, 6.0), (FUNNEL, 0.25, 3.0), (JAW, 0.08, 2.0), (WIDE, 0.0, 3.0)], 0.04)
            }
            Viseme::Y => (&[(WIDE, 0.35, D), (JAW, 0.1, D)], TAU),
            Viseme::Open => (&[(JAW, 0.72, 2.0), (PART, 0.35, D), (PUCKER, 0.0, D)], TAU),
            Viseme::Central => (&[(JAW, 0.38, 1.5), (PART, 0.3, D)], TAU),
            Viseme::MidFront => (&[(JAW, 0.45, 1.5), (WIDE, 0.35, D), (PART, 0.3, D), (PUCKER, 0.0, D)], TAU),
            Viseme::CloseFront => (
                &[(JAW, 0.18, 1.5), (WIDE, 0.6, 2.0), (PART, 0.3, D), (PUCKER, 0.0, 2.0), (TIGHT, 0.1, L)],
                TAU,
            ),
            Viseme::RoundedOpen => {
                (&[(JAW, 0.5, 1.5), (PUCKER, 0.45, 3.0), (FUNNEL, 0.4, 3.0), (WIDE, 0.0, 2.0)], 0.04)
            }
            Viseme::RoundedClose => {
                (&[(JAW, 0.2, 1.5), (PUCKER, 0.85, 4.0), (FUNNEL, 0.3, 3.0), (WIDE, 0.0, 3.0)], 0.045)
            }
        };
        let mut t = [0.0; NC];
        let mut d = [L; NC];
        for &(c, v, dom) in driven {
            t[c] = v;
            d[c] = dom;
        }
        (t, d, tau)
    }
}

/// Column of each of [`LIP_COMPONENTS`] in psi, resolved by name.
#[derive(Debug, Clone)]
pub struct VisemeTable {
    columns: [usize; NC],
}

impl VisemeTable {
    /// Look every driven component up in the face model's names; fail if one is missing.
    pub fn new() -> Result<Self, DataError> {
        let mut columns = [0; NC];
        for (c, name) in columns.iter_mut().zip(LIP_COMPONENTS) {
            *c = expression_index(name)?;
        }
        Ok(Self { columns })
    }

    /// psi column of a driven component (by its index in [`LIP_COMPONENTS`]).
    pub fn column(&self, component: usize) -> usize {
        self.columns[component]
    }
}

/// psi index of an expression component by name, or an error naming it.
pub fn expression_index(name: &str) -> Result<usize, DataError> {
    EXPRESSION_NAMES.iter().position(|n| *n == name).ok_or_else(|| DataError::FaceName { name: name.into() })
}

/// Style of one speaker's articulation.
#[derive(Debug, Clone, Copy)]
pub struct Articulation {
    /// Scales every opening (jaw, lips); 1 = typical.
    pub openness: f32,
    /// Extra jaw opening on stressed vowels (fraction).
    pub stress_gain: f32,
}

impl Default for Articulation {
    fn default() -> Self {
        Self { openness: 1.0, stress_gain: 0.15 }
    }
}

/// Lip/jaw values `[frames][N_EXPR]` (only the driven columns non-zero) for phonemes placed at
/// `offset` seconds into the clip. Each frame is the mean of 4 sub-frame samples, as a camera
/// integrates over its exposure.
pub fn lip_curves(
    table: &VisemeTable,
    phonemes: &[Phoneme],
    offset: f32,
    frames: usize,
    style: Articulation,
) -> Vec<[f32; N_EXPR]> {
    let specs: Vec<_> = phonemes
        .iter()
        .map(|p| {
            let v = Viseme::of(&p.symbol);
            let (mut t, d, tau) = v.spec();
            let gain = style.openness * if p.stressed { 1.0 + style.stress_gain } else { 1.0 };
            for c in [JAW, PART] {
                t[c] *= gain;
            }
            let mid = offset + 0.5 * (p.start + p.end);
            let half = 0.5 * (p.end - p.start).max(0.0);
            (mid, half, t, d, tau)
        })
        .collect();
    let dt = 1.0 / FPS as f32;
    let mut out = vec![[0.0f32; N_EXPR]; frames];
    const SUB: usize = 4;
    // Phonemes are time-ordered, so only a window of them matters for each frame.
    let mut lo = 0;
    for (k, row) in out.iter_mut().enumerate() {
        let mut acc = [0.0f32; NC];
        for s in 0..SUB {
            let t = (k as f32 + (s as f32 + 0.5) / SUB as f32) * dt;
            while lo < specs.len() && specs[lo].0 + specs[lo].1 < t - 0.6 {
                lo += 1;
            }
            // Rest dominance keeps silence neutral and fades speech out at its edges.
            let mut num = [0.0f32; NC];
            let mut den = [0.02f32; NC];
            for sp in specs[lo..].iter() {
                let (mid, half, tgt, dom, tau) = sp;
                if mid - half > t + 0.6 {
                    break;
                }
                // Distance outside the phoneme's own span; inside it the dominance is full.
                let before = (mid - half) - t; // > 0 when the phoneme is still ahead
                let after = t - (mid + half); // > 0 when it is past
                for c in 0..NC {
                    // Rounding and protrusion anticipate with the phoneme's slow constant;
                    // everything else uses a short one on both sides.
                    // Strong (closure) targets fall off fast, so they win inside their own
                    // span without swallowing the vowels around them.
                    let edge = if dom[c] > 3.0 { 0.025 } else { 0.05 };
                    let ahead_tau = if matches!(c, PUCKER | FUNNEL) { tau.max(edge) } else { edge };
                    let w = if before > 0.0 {
                        dom[c] * (-before / ahead_tau).exp()
                    } else if after > 0.0 {
                        dom[c] * (-after / edge).exp()
                    } else {
                        dom[c]
                    };
                    num[c] += w * tgt[c];
                    den[c] += w;
                }
            }
            for c in 0..NC {
                acc[c] += num[c] / den[c];
            }
        }
        for c in 0..NC {
            row[table.column(c)] = acc[c] / SUB as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ph(symbol: &str, start: f32, end: f32) -> Phoneme {
        Phoneme { symbol: symbol.into(), start, end, stressed: false }
    }

    fn col(name: &str) -> usize {
        expression_index(name).unwrap()
    }

    #[test]
    fn classes() {
        assert_eq!(Viseme::of("p"), Viseme::Bilabial);
        assert_eq!(Viseme::of("aI"), Viseme::Open);
        assert_eq!(Viseme::of("u:"), Viseme::RoundedClose);
        assert_eq!(Viseme::of("tS"), Viseme::Postalveolar);
        assert_eq!(Viseme::of("_:"), Viseme::Rest);
    }

    #[test]
    fn bilabial_closes_the_lips_between_open_vowels() {
        let table = VisemeTable::new().unwrap();
        // "a-m-a": 200 ms vowels around an 80 ms /m/.
        let p = [
            ph("_", 0.0, 0.2),
            ph("a", 0.2, 0.4),
            ph("m", 0.4, 0.48),
            ph("a", 0.48, 0.68),
            ph("_", 0.68, 1.0),
        ];
        let c = lip_curves(&table, &p, 0.0, 25, Articulation::default());
        let jaw = |k: usize| c[k][col("jaw_open")];
        let part = |k: usize| c[k][col("lips_part")];
        let k_m = (0.44 * 25.0) as usize; // frame 11 covers 0.44..0.48
        let k_a = (0.30 * 25.0) as usize;
        assert!(jaw(k_m) < 0.12 && part(k_m) < 0.05, "closed at /m/: jaw {} part {}", jaw(k_m), part(k_m));
        assert!(jaw(k_a) > 0.5, "open vowel opens the jaw: {}", jaw(k_a));
        assert!(jaw(0) < 0.05, "silence is neutral");
    }

    #[test]
    fn open_vowel_opens_more_than_close_vowel() {
        let table = VisemeTable::new().unwrap();
        let a = lip_curves(&table, &[ph("a", 0.0, 0.4)], 0.0, 10, Articulation::default());
        let i = lip_curves(&table, &[ph("i:", 0.0, 0.4)], 0.0, 10, Articulation::default());
        let j = col("jaw_open");
        assert!(a[5][j] > 2.0 * i[5][j], "{} vs {}", a[5][j], i[5][j]);
        assert!(i[5][col("mouth_wide")] > 0.3);
    }

    #[test]
    fn rounding_anticipates_by_100_to_200_ms_and_is_smooth() {
        let table = VisemeTable::new().unwrap();
        // "s-t-u:" — the rounded vowel starts at 0.6 s after unrounded consonants.
        let p = [
            ph("_", 0.0, 0.3),
            ph("s", 0.3, 0.45),
            ph("t", 0.45, 0.6),
            ph("u:", 0.6, 0.9),
            ph("_", 0.9, 1.4),
        ];
        let c = lip_curves(&table, &p, 0.0, 35, Articulation::default());
        let pucker = col("lip_pucker");
        let peak = c.iter().map(|r| r[pucker]).fold(0.0, f32::max);
        assert!(peak > 0.6, "peak pucker {peak}");
        // First frame whose centre-ish value passes 25% of the peak.
        let onset = c.iter().position(|r| r[pucker] > 0.25 * peak).unwrap() as f32 / 25.0;
        let lead = 0.6 - onset;
        assert!((0.08..=0.24).contains(&lead), "rounding leads the vowel by {lead:.3} s");
        // Smooth: no jump bigger than half the peak between frames.
        for w in c.windows(2) {
            assert!((w[1][pucker] - w[0][pucker]).abs() < 0.5 * peak);
        }
    }

    #[test]
    fn labiodental_bites_the_lower_lip() {
        let table = VisemeTable::new().unwrap();
        let p = [ph("a", 0.0, 0.2), ph("f", 0.2, 0.32), ph("a", 0.32, 0.52)];
        let c = lip_curves(&table, &p, 0.0, 13, Articulation::default());
        assert!(c[6][col("lower_lip_bite")] > 0.6, "{}", c[6][col("lower_lip_bite")]);
    }
}
