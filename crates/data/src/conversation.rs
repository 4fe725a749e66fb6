//! Turn-taking: who says what when (paper §3.6.1 stands in; BEHAVIOR.md "Turn-taking").
//!
//! Turns of one to three sentences alternate with gaps drawn around Stivers et al.'s ~200 ms
//! mode, about 40% of changes overlapping by a few hundred ms (Heldner & Edlund), occasional
//! interruptions that cut the current speaker off, rare long silences, pauses of 0.2–0.9 s
//! inside a turn, and listener backchannels ("mm-hmm") and nods in the speaker's pauses.
//! The synthesizer is passed in, so this module decides timing only.

use crate::behavior::Nod;
use crate::espeak::Utterance;
use crate::rng::Rng;
use crate::text::{sentences, BACKCHANNELS};
use crate::DataError;
use duologue_params::SAMPLE_RATE;

/// One utterance placed on the clip's timeline.
#[derive(Debug, Clone)]
pub struct Speech {
    /// 0 = A, 1 = B.
    pub who: usize,
    /// Start in clip seconds (negative when the clip opens mid-utterance).
    pub start: f32,
    /// Audio and timings (already truncated when interrupted).
    pub utt: Utterance,
    /// A short listener backchannel rather than part of a turn.
    pub backchannel: bool,
    /// The text spoken.
    pub text: String,
}

impl Speech {
    /// End in clip seconds.
    pub fn end(&self) -> f32 {
        self.start + self.utt.seconds()
    }
}

/// A turn: who holds the floor from `start` to `end` (clip seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Turn {
    /// 0 = A, 1 = B.
    pub who: usize,
    /// Start, s.
    pub start: f32,
    /// End, s.
    pub end: f32,
}

/// Turn-taking probabilities (defaults from BEHAVIOR.md).
#[derive(Debug, Clone, Copy)]
pub struct TurnTaking {
    /// Probability that the next turn overlaps the end of the current one.
    pub overlap: f32,
    /// Probability that the next speaker interrupts (cutting the current speaker off).
    pub interrupt: f32,
    /// Probability of a gap longer than 1 s.
    pub long_silence: f32,
    /// Probability of a backchannel in a pause inside the partner's turn.
    pub backchannel: f32,
    /// Probability of a silent nod in such a pause.
    pub nod: f32,
}

impl Default for TurnTaking {
    fn default() -> Self {
        Self { overlap: 0.35, interrupt: 0.08, long_silence: 0.07, backchannel: 0.35, nod: 0.6 }
    }
}

/// A simulated conversation's timing.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// All utterances, in start order.
    pub speech: Vec<Speech>,
    /// Turns, in order.
    pub turns: Vec<Turn>,
    /// Listener nods per person.
    pub nods: [Vec<Nod>; 2],
}

/// Cut an utterance at `at` seconds with a 30 ms fade (an interrupted speaker stops).
pub fn truncate(utt: &mut Utterance, at: f32) {
    let n = ((at.max(0.0) * SAMPLE_RATE as f32) as usize).min(utt.samples.len());
    utt.samples.truncate(n);
    let fade = (0.03 * SAMPLE_RATE as f32) as usize;
    let len = utt.samples.len();
    for i in 0..fade.min(len) {
        utt.samples[len - 1 - i] *= i as f32 / fade as f32;
    }
    utt.phonemes.retain(|p| p.start < at);
    if let Some(p) = utt.phonemes.last_mut() {
        p.end = p.end.min(at);
    }
    utt.words.retain(|w| w.start < at);
    if let Some(w) = utt.words.last_mut() {
        w.end = w.end.min(at);
    }
}

/// Build a conversation covering `[0, seconds)`. `synth(who, text)` speaks; `pick_line()`
/// returns the next line of the corpus. With `monologue`, person 0 keeps talking alone.
pub fn converse(
    rng: &mut Rng,
    seconds: f32,
    cfg: TurnTaking,
    monologue: bool,
    pick_line: &mut dyn FnMut(&mut Rng) -> String,
    synth: &mut dyn FnMut(usize, &str) -> Result<Utterance, DataError>,
) -> Result<Conversation, DataError> {
    let mut conv = Conversation::default();
    // Start up to 2 s into an ongoing conversation so clips do not all begin with silence.
    let mut t = -rng.range(0.0, 2.0);
    let mut who = if monologue { 0 } else { rng.below(2) };
    let mut guard = 0;
    while t < seconds && guard < 200 {
        guard += 1;
        let listener = 1 - who;
        let mut sents = sentences(&pick_line(rng));
        sents.truncate(1 + rng.below(3));
        let turn_start = t;
        let first_speech = conv.speech.len();
        for (i, s) in sents.iter().enumerate() {
            let utt = synth(who, s)?;
            let dur = utt.seconds();
            conv.speech.push(Speech { who, start: t, utt, backchannel: false, text: s.clone() });
            t += dur;
            if i + 1 < sents.len() && t < seconds {
                let pause = rng.range(0.2, 0.9);
                // Listener responds in the pause (Ward & Tsukahara: in pauses, after falls).
                if rng.chance(cfg.backchannel) {
                    let bc = *rng.pick(&BACKCHANNELS);
                    let u = synth(listener, bc)?;
                    let at = t + rng.range(0.05, 0.3);
                    conv.nods[listener].push(Nod::listener(rng, at - 0.05));
                    conv.speech.push(Speech {
                        who: listener,
                        start: at,
                        utt: u,
                        backchannel: true,
                        text: bc.into(),
                    });
                } else if rng.chance(cfg.nod) {
                    let at = t + rng.range(0.0, 0.25);
                    conv.nods[listener].push(Nod::listener(rng, at));
                }
                t += pause;
            }
        }
        // Nods of the listener during long stretches too, every few seconds.
        let mut nt = turn_start + rng.range(1.5, 4.0);
        while nt < t - 0.5 {
            if rng.chance(0.5) {
                conv.nods[listener].push(Nod::listener(rng, nt));
            }
            nt += rng.range(2.5, 6.0);
        }
        let turn_end = t;
        let r = rng.f32();
        let next_start;
        if r < cfg.interrupt && turn_end - turn_start > 1.5 {
            // The partner starts 0.4–1.2 s before the end; the speaker stops shortly after.
            next_start = turn_end - rng.range(0.4, 1.2);
            let cut = next_start + rng.range(0.2, 0.5);
            for sp in conv.speech[first_speech..].iter_mut().filter(|s| s.who == who) {
                if sp.end() > cut {
                    let rel = cut - sp.start;
                    truncate(&mut sp.utt, rel.max(0.0));
                }
            }
            conv.speech.retain(|s| !s.utt.samples.is_empty());
            conv.turns.push(Turn { who, start: turn_start, end: cut.min(turn_end) });
        } else {
            next_start = if r < cfg.interrupt + cfg.overlap {
                turn_end - rng.range(0.05, 0.4)
            } else if r < cfg.interrupt + cfg.overlap + cfg.long_silence {
                turn_end + rng.range(1.0, 2.5)
            } else {
                turn_end + rng.lognormal(0.2, 0.6).clamp(0.02, 1.0)
            };
            conv.turns.push(Turn { who, start: turn_start, end: turn_end });
        }
        t = next_start.max(turn_start + 0.3);
        if !monologue {
            who = listener;
        }
    }
    conv.speech.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(conv)
}
