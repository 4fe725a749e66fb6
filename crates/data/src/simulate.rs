//! The two-person conversation simulator (a stand-in for paper §3.6.1; BEHAVIOR.md): speech from
//! espeak-ng with the synthesizer's own timings, turn-taking, mixing, and ground-truth motion that
//! agrees with the audio frame by frame. Every clip is a pure function of `(seed, index)` and the split plan.

use crate::channel::{Channel, ChannelOdds};
use crate::clip::{Clip, ClipMeta};
use crate::conversation::{converse, TurnTaking};
use crate::espeak::{self, Utterance, VoiceSpec};
use crate::mix::{self, Acoustics};
use crate::motion::{self, Columns, PersonEvents, Style};
use crate::piper::PiperVoice;
use crate::rng::{hash_str, Rng};
use crate::text::Corpus;
use crate::DataError;
use duologue_face::FaceModel;
use duologue_layout::{Library, Split as LayoutSplit};
use duologue_params::{Duo, Person, FPS, HOP, N_ID, SAMPLE_RATE};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Dataset splits.
pub const SPLITS: [&str; 3] = ["train", "val", "test"];

/// Which voice units and identities belong to which split. Written into the manifest; code
/// never hard-codes a split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitPlan {
    /// Seed the assignment was drawn with.
    pub seed: u64,
    /// Fraction of clips (and of voices and identities) per split.
    pub fractions: BTreeMap<String, f32>,
    /// Voice units per split (variant names, `default`, or MBROLA voice names).
    pub voices: BTreeMap<String, Vec<String>>,
    /// Identity ids per split.
    pub identities: BTreeMap<String, Vec<String>>,
}

impl SplitPlan {
    /// Assign voice units and `n_identities` identities to splits with the given val/test
    /// fractions. At least two voices and two identities land in every split with a non-zero
    /// fraction, so each split can hold conversations.
    pub fn new(
        seed: u64,
        units: &[String],
        n_identities: usize,
        val: f32,
        test: f32,
    ) -> Result<Self, DataError> {
        let mut fractions = BTreeMap::new();
        fractions.insert("train".to_string(), 1.0 - val - test);
        fractions.insert("val".to_string(), val);
        fractions.insert("test".to_string(), test);
        if !(0.0..1.0).contains(&(val + test)) || val < 0.0 || test < 0.0 {
            return Err(DataError::Config { reason: format!("val {val} + test {test} must be in [0, 1)") });
        }
        let assign = |items: Vec<String>, salt: u64| -> BTreeMap<String, Vec<String>> {
            let mut items = items;
            items.sort();
            let mut rng = Rng::derive(seed, salt);
            rng.shuffle(&mut items);
            let n = items.len();
            let take = |f: f32| if f > 0.0 { ((f * n as f32).round() as usize).max(2) } else { 0 };
            let (nv, nt) = (take(val), take(test));
            let mut m = BTreeMap::new();
            m.insert("val".to_string(), items[..nv.min(n)].to_vec());
            m.insert("test".to_string(), items[nv.min(n)..(nv + nt).min(n)].to_vec());
            m.insert("train".to_string(), items[(nv + nt).min(n)..].to_vec());
            for v in m.values_mut() {
                v.sort();
            }
            m
        };
        let voices = assign(units.to_vec(), 1);
        let identities = assign((0..n_identities).map(|i| format!("id{i:05}")).collect(), 2);
        for s in SPLITS {
            let f = fractions[s];
            if f > 0.0 && (voices[s].len() < 2 || identities[s].len() < 2) {
                return Err(DataError::Config {
                    reason: format!(
                        "split {s} would get {} voices and {} identities; two of each are needed (more identities or voices, or a smaller fraction)",
                        voices[s].len(),
                        identities[s].len()
                    ),
                });
            }
        }
        Ok(Self { seed, fractions, voices, identities })
    }

    /// Split of clip number `index` (drawn by the fractions).
    pub fn split_of(&self, seed: u64, index: u64) -> &'static str {
        let u = Rng::derive(seed ^ 0x5EED, index).f32();
        let (v, t) = (self.fractions["val"], self.fractions["test"]);
        if u < v {
            "val"
        } else if u < v + t {
            "test"
        } else {
            "train"
        }
    }
}

/// The voice unit splits are made by: the variant of `en-us+Alicia` is `Alicia`; a plain
/// language voice is `default`; MBROLA and Piper voices are their own unit.
pub fn voice_unit(name: &str) -> String {
    match name.split_once('+') {
        Some((_, v)) => v.to_string(),
        None if name.starts_with("mb-") || name.starts_with("piper:") => name.to_string(),
        None => "default".to_string(),
    }
}

/// The family of a voice (unit or full name): how it makes speech. `piper` (neural, VITS),
/// `mbrola` (diphone concatenation), `espeak-klatt` (eSpeak's Klatt formant synthesiser, its
/// `klatt*` variants) or `espeak` (eSpeak's own formant synthesis).
pub fn voice_family(name: &str) -> &'static str {
    let variant = name.rsplit('+').next().unwrap_or(name);
    if name.starts_with("piper:") {
        "piper"
    } else if name.starts_with("mb-") {
        "mbrola"
    } else if variant.to_ascii_lowercase().starts_with("klatt") {
        "espeak-klatt"
    } else {
        "espeak"
    }
}

/// The voice families [`voice_family`] names.
pub const VOICE_FAMILIES: [&str; 4] = ["espeak", "espeak-klatt", "mbrola", "piper"];

/// Identity coefficients of identity `id`: a deterministic draw, `beta ~ N(0, 0.8^2)`.
pub fn identity_beta(id: &str) -> Vec<f32> {
    let mut rng = Rng::new(hash_str(id) ^ 0xB37A);
    (0..N_ID).map(|_| 0.8 * rng.normal()).collect()
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Clip length, seconds (default 10 s = the model window).
    pub seconds: f32,
    /// Probability of room reverberation.
    pub p_reverb: f32,
    /// Probability of background noise.
    pub p_noise: f32,
    /// Turn-taking probabilities.
    pub turn_taking: TurnTaking,
    /// Microphone colouring, telephone line, lossy codec and level ([`crate::channel`]).
    pub channel: ChannelOdds,
    /// Speak also with Piper's neural voice ([`crate::piper`]; an error when it is not installed).
    pub neural: bool,
    /// Probability that a person speaks with the neural voice (where their split has it).
    pub p_neural: f32,
    /// A voice family ([`voice_family`]) whose voices all go to the test split: conversations
    /// in voices of a kind training never heard.
    pub held_out_family: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seconds: 10.0,
            p_reverb: 0.5,
            p_noise: 0.5,
            turn_taking: TurnTaking::default(),
            channel: ChannelOdds::default(),
            neural: true,
            p_neural: 0.25,
            held_out_family: None,
        }
    }
}

/// Salt of the random stream that draws each clip's [`Channel`].
const CHANNEL_STREAM: u64 = 0xC4A7_7E11_0000_0000;

/// Everything the simulator needs, built once.
pub struct Simulator {
    config: SimConfig,
    corpus: Corpus,
    /// Full voice names grouped by unit.
    voices: BTreeMap<String, Vec<String>>,
    plan: SplitPlan,
    cols: Columns,
    layouts: Library,
    face: &'static FaceModel,
    /// Piper's voice, when `config.neural`.
    piper: Option<PiperVoice>,
}

impl Simulator {
    /// Build with the installed voices and corpus; `split_seed`, `n_identities`, `val`, `test`
    /// define the [`SplitPlan`].
    pub fn new(
        config: SimConfig,
        split_seed: u64,
        n_identities: usize,
        val: f32,
        test: f32,
    ) -> Result<Self, DataError> {
        let mut names = espeak::english_voices()?;
        let piper = if config.neural {
            let voice = PiperVoice::find()?.ok_or_else(|| DataError::Config {
                reason:
                    "Piper's neural voice is not installed (run crates/audio/scripts/fetch_piper.sh, which \
                         scripts/setup.sh runs; or pass --no-neural)"
                        .into(),
            })?;
            names.push(crate::piper::VOICE_NAME.to_string());
            Some(voice)
        } else {
            None
        };
        let mut voices: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for n in names {
            voices.entry(voice_unit(&n)).or_default().push(n);
        }
        // A held-out family's units skip the draw and all go to the test split.
        let held = config.held_out_family.as_deref();
        if let Some(f) = held {
            if !VOICE_FAMILIES.contains(&f) {
                return Err(DataError::Config {
                    reason: format!("unknown voice family {f:?} (known: {})", VOICE_FAMILIES.join(", ")),
                });
            }
            if !voices.keys().any(|u| voice_family(u) == f) {
                return Err(DataError::Config {
                    reason: format!("no installed voice is of the family {f:?}"),
                });
            }
        }
        let (out, units): (Vec<String>, Vec<String>) =
            voices.keys().cloned().partition(|u| held.is_some_and(|f| voice_family(u) == f));
        let mut plan = SplitPlan::new(split_seed, &units, n_identities, val, test)?;
        if !out.is_empty() {
            if test <= 0.0 {
                return Err(DataError::Config {
                    reason: "a held-out voice family needs a test split (--test > 0)".into(),
                });
            }
            let t = plan.voices.entry("test".into()).or_default();
            t.extend(out);
            t.sort();
        }
        let layouts = Library::builtin();
        if layouts.entries().is_empty() {
            return Err(DataError::Config { reason: "the layout library is empty".into() });
        }
        crate::channel::check(&config.channel)?;
        if !(1.0..=600.0).contains(&config.seconds) {
            return Err(DataError::Config {
                reason: format!("clip length {} s must be in [1, 600]", config.seconds),
            });
        }
        Ok(Self {
            config,
            corpus: Corpus::load(),
            voices,
            plan,
            cols: Columns::new()?,
            layouts,
            face: FaceModel::shared(),
            piper,
        })
    }

    /// The split plan (for the manifest).
    pub fn plan(&self) -> &SplitPlan {
        &self.plan
    }

    /// Where the text comes from.
    pub fn corpus_source(&self) -> &str {
        &self.corpus.source
    }

    /// Clip number `index` of a run seeded `seed`.
    pub fn clip(&self, seed: u64, index: u64) -> Result<Clip, DataError> {
        Ok(self.generate(seed, index, false)?.0)
    }

    /// A clip and the two people's dry tracks (before room, noise and normalisation).
    fn generate(&self, seed: u64, index: u64, single: bool) -> Result<(Clip, [Vec<f32>; 2]), DataError> {
        let split = self.plan.split_of(seed, index);
        let mut rng = Rng::derive(seed, index);
        let frames = (self.config.seconds * FPS as f32).round() as usize;
        let seconds = frames as f32 / FPS as f32;

        // Two different voice units and identities from this split; each person speaks with
        // the neural voice with probability `p_neural` when the split has it (one unit among
        // a hundred eSpeak variants would otherwise be a voice in a hundred).
        let units = &self.plan.voices[split];
        let neural: Vec<usize> = (0..units.len()).filter(|&u| voice_family(&units[u]) == "piper").collect();
        let draw = |rng: &mut Rng, not: Option<usize>| -> usize {
            let free: Vec<usize> = neural.iter().copied().filter(|&u| Some(u) != not).collect();
            if !free.is_empty() && free.len() < units.len() && rng.chance(self.config.p_neural) {
                return free[rng.below(free.len())];
            }
            let others: Vec<usize> =
                (0..units.len()).filter(|u| Some(*u) != not && !neural.contains(u)).collect();
            if others.is_empty() {
                free[rng.below(free.len())]
            } else {
                others[rng.below(others.len())]
            }
        };
        let ua = draw(&mut rng, None);
        let ub = draw(&mut rng, Some(ua));
        let ids = &self.plan.identities[split];
        let ia = rng.below(ids.len());
        let ib = (ia + 1 + rng.below(ids.len() - 1)) % ids.len();
        let specs: Vec<VoiceSpec> = [ua, ub]
            .iter()
            .map(|&u| {
                let name = rng.pick(&self.voices[&units[u]]).clone();
                VoiceSpec {
                    name,
                    rate: rng.range(140.0, 210.0) as i32,
                    pitch: rng.range(25.0, 75.0) as i32,
                    range: rng.range(30.0, 85.0) as i32,
                    volume: rng.range(80.0, 130.0) as i32,
                }
            })
            .collect();

        // Layout: training clips use the pool, evaluation clips any entry.
        let pool: Vec<_> = self
            .layouts
            .entries()
            .iter()
            .filter(|e| split != "train" || e.split == LayoutSplit::Pool)
            .collect();
        let layout = *rng.pick(&pool);
        let t0 = if single { [[0.0, 0.0, 0.0], [0.0, 0.0, -1.0]] } else { [layout.a, layout.b] };

        let mut cache: BTreeMap<(usize, String), Utterance> = BTreeMap::new();
        let mut synth = |who: usize, text: &str| -> Result<Utterance, DataError> {
            if let Some(u) = cache.get(&(who, text.to_string())) {
                return Ok(u.clone());
            }
            let u = match &self.piper {
                Some(p) if specs[who].name.starts_with("piper:") => {
                    let mut r = Rng::derive(seed ^ hash_str(text), index * 2 + who as u64);
                    p.synthesize(&specs[who], text, &mut r)?
                }
                _ => espeak::synthesize(&specs[who], text)?,
            };
            cache.insert((who, text.to_string()), u.clone());
            Ok(u)
        };
        let lines = &self.corpus.lines;
        let mut pick = |r: &mut Rng| r.pick(lines).clone();
        let tt = if single {
            TurnTaking { overlap: 0.0, interrupt: 0.0, long_silence: 0.0, backchannel: 0.0, nod: 0.0 }
        } else {
            self.config.turn_taking
        };
        let conv = converse(&mut rng, seconds, tt, single, &mut pick, &mut synth)?;

        // Audio.
        let n = frames * HOP;
        let gains = [rng.range(0.6, 1.0), rng.range(0.6, 1.0)];
        let tracks = [
            mix::render_track(&conv.speech, 0, n, gains[0]),
            mix::render_track(&conv.speech, 1, n, gains[1]),
        ];
        let acoustics = Acoustics::sample(&mut rng, self.config.p_reverb, self.config.p_noise);
        let audio = mix::mix(&tracks, acoustics, &mut rng);
        // Microphone, transmission and level from a stream of their own, so the rest of the
        // clip is what it was without them. Monologues keep their dry track (the dubbing source).
        let channel = if single {
            Channel::sample(&mut Rng::derive(seed, index), &ChannelOdds::clean())
        } else {
            Channel::sample(&mut Rng::derive(seed ^ CHANNEL_STREAM, index), &self.config.channel)
        };
        let audio = if single { audio } else { channel.apply(&audio)? };

        // Events per person.
        let mut events: [PersonEvents; 2] = Default::default();
        for (who, ev) in events.iter_mut().enumerate() {
            for s in conv.speech.iter().filter(|s| s.who == who) {
                ev.phonemes.extend(s.utt.phonemes.iter().map(|p| crate::espeak::Phoneme {
                    start: p.start + s.start,
                    end: p.end + s.start,
                    ..p.clone()
                }));
                ev.word_onsets.extend(s.utt.words.iter().map(|w| w.start + s.start));
                ev.utterance_ends.push(s.end());
                if s.backchannel {
                    ev.backchannels.push(s.start);
                }
            }
            ev.phonemes.sort_by(|a, b| a.start.total_cmp(&b.start));
            ev.holds_turn = vec![false; frames];
            for t in conv.turns.iter().filter(|t| t.who == who) {
                let (a, b) = (
                    (t.start * FPS as f32).max(0.0) as usize,
                    ((t.end * FPS as f32).max(0.0) as usize).min(frames),
                );
                for h in ev.holds_turn.iter_mut().take(b).skip(a) {
                    *h = true;
                }
                if t.start >= 0.0 && a < frames {
                    ev.turn_starts.push(a);
                }
                if b > 0 && b <= frames && t.end < seconds {
                    ev.turn_ends.push(b - 1);
                }
            }
            ev.nods = conv.nods[who].clone();
            ev.loudness_db = mix::frame_db(&tracks[who], frames);
        }

        // Motion.
        let id_names = [ids[ia].clone(), ids[ib].clone()];
        let betas = [identity_beta(&id_names[0]), identity_beta(&id_names[1])];
        let styles = [Style::sample(&mut rng), Style::sample(&mut rng)];
        let pa = motion::body_and_face(&mut rng, &self.cols, &events[0], styles[0], t0[0], t0[1], frames);
        let pb = motion::body_and_face(&mut rng, &self.cols, &events[1], styles[1], t0[1], t0[0], frames);
        let mut people = [(pa, betas[0].clone(), t0[0]), (pb, betas[1].clone(), t0[1])];
        motion::aim_eyes(self.face, &mut people);
        let [(pa, _, _), (pb, _, _)] = people;
        let gaze_at: Vec<Vec<bool>> =
            [&pa, &pb].iter().map(|p| p.gaze.iter().map(|g| g.at_partner()).collect()).collect();

        let mask = |who: usize| mix::speech_mask(&conv.speech, who, frames);
        let duo = Duo {
            a: Person { x: pa.x, beta: betas[0].clone(), t0: t0[0], mask: mask(0) },
            b: Person { x: pb.x, beta: betas[1].clone(), t0: t0[1], mask: mask(1) },
            fps: FPS as f32,
        };
        let texts: Vec<Vec<(f32, String)>> = (0..2)
            .map(|w| conv.speech.iter().filter(|s| s.who == w).map(|s| (s.start, s.text.clone())).collect())
            .collect();
        let meta = ClipMeta {
            source: "simulated".into(),
            split: split.into(),
            lip_reliable: true,
            gaze_reliable: true,
            layout_text: layout.text.clone(),
            layout_id: Some(layout.id.clone()),
            voices: [specs[0].name.clone(), specs[1].name.clone()],
            voice_units: [units[ua].clone(), units[ub].clone()],
            identities: id_names,
            seconds,
            extra: serde_json::json!({
                "seed": seed,
                "index": index,
                "voice_specs": specs,
                "acoustics": {"rt60": acoustics.rt60, "snr_db": if acoustics.snr_db.is_finite() { Some(acoustics.snr_db) } else { None }},
                "channel": channel,
                "voice_families": [voice_family(&specs[0].name), voice_family(&specs[1].name)],
                "texts": texts,
                "corpus": self.corpus.source,
                "gaze_at_partner": [frac(&gaze_at[0]), frac(&gaze_at[1])],
                "turns": conv.turns.iter().map(|t| (t.who, t.start, t.end)).collect::<Vec<_>>(),
            }),
        };
        let clip = Clip { key: format!("sim-{seed:x}-{index:08}"), audio, duo, meta };
        debug_assert_eq!(clip.audio.len(), n);
        debug_assert_eq!(SAMPLE_RATE as usize, HOP * FPS as usize);
        Ok((clip, tracks))
    }

    /// A single-speaker clip (a dubbing source, paper §3.6.2): person A talks alone facing
    /// the camera (a virtual listener 1 m in front, at the viewer's side); A's own dry track is
    /// the audio. Person B of the returned clip is that virtual listener and carries no data.
    pub fn monologue(&self, seed: u64, index: u64) -> Result<Clip, DataError> {
        let (mut clip, tracks) = self.generate(seed, index, true)?;
        clip.audio = tracks[0].clone();
        clip.meta.source = "monologue".into();
        clip.meta.layout_text = "One person talking to the camera.".into();
        clip.meta.layout_id = None;
        clip.key = format!("mono-{seed:x}-{index:08}");
        Ok(clip)
    }
}

fn frac(v: &[bool]) -> f32 {
    v.iter().filter(|&&b| b).count() as f32 / v.len().max(1) as f32
}
