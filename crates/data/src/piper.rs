//! Piper's neural voice (`en_US-joe-medium`, [`duologue_audio::vits`]) as a voice family of its
//! own for simulated conversations: text -> IPA by libespeak-ng (what the voice was trained on)
//! -> Piper's phoneme ids -> speech and the frames the voice itself gives each phoneme, turned
//! into the same [`Utterance`] timings eSpeak's own voices give (so visemes, masks and word
//! onsets work unchanged).
//!
//! Phoneme ids as Piper builds them: `^ _ p1 _ p2 _ ... pn _ $`, one id per Unicode codepoint of
//! the IPA (stress marks and the length mark are symbols of their own). Piper NFD-normalises
//! first; eSpeak's English IPA holds no precomposed letters, so that is the identity here;
//! characters outside the voice's map are dropped (as Piper does). Timings: each symbol lasts
//! from its id's first frame to the next symbol's (the `_` after it included); stress marks give
//! their frames to the phoneme after them, length marks to the one before; word boundaries are
//! the spaces.

use crate::espeak::{self, Phoneme, Utterance, VoiceSpec, Word};
use crate::rng::Rng;
use crate::DataError;
use duologue_audio::vits::{find_voice_dir, Scales, Vits, HOP};
use std::collections::HashMap;
use std::path::Path;

/// The voice name simulate uses for it.
pub const VOICE_NAME: &str = "piper:en_US-joe-medium";

/// A Piper voice with its phoneme map.
#[derive(Debug)]
pub struct PiperVoice {
    vits: Vits,
    ids: HashMap<char, usize>,
    espeak_voice: String,
    rate: u32,
}

fn err(reason: String) -> DataError {
    DataError::Config { reason }
}

impl PiperVoice {
    /// The voice in the folder `vits::find_voice_dir` names, None when it is not installed.
    pub fn find() -> Result<Option<Self>, DataError> {
        match find_voice_dir() {
            Some(d) if d.join("model.safetensors").is_file() => Self::open(&d).map(Some),
            _ => Ok(None),
        }
    }

    /// Loads `dir/model.safetensors` and `dir/config.json` (written by fetch_piper.sh).
    pub fn open(dir: &Path) -> Result<Self, DataError> {
        let cfg_path = dir.join("config.json");
        let text = std::fs::read_to_string(&cfg_path)
            .map_err(|source| DataError::Io { path: cfg_path.clone(), source })?;
        let cfg: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| DataError::Json { what: cfg_path.display().to_string(), reason: e.to_string() })?;
        let mut ids = HashMap::new();
        for (sym, v) in cfg["phoneme_id_map"].as_object().into_iter().flatten() {
            let mut chars = sym.chars();
            if let (Some(c), None, Some(id)) = (chars.next(), chars.next(), v[0].as_u64()) {
                ids.insert(c, id as usize);
            }
        }
        for c in ['_', '^', '$', ' '] {
            if !ids.contains_key(&c) {
                return Err(err(format!("{}: phoneme_id_map lacks {c:?}", cfg_path.display())));
            }
        }
        let rate = cfg["audio"]["sample_rate"].as_u64().unwrap_or(22_050) as u32;
        let espeak_voice = cfg["espeak"]["voice"].as_str().unwrap_or("en-us").to_string();
        let vits = Vits::load_cpu(&dir.join("model.safetensors"))?;
        Ok(Self { vits, ids, espeak_voice, rate })
    }

    /// Piper's ids for an IPA string, with the symbol each id stands for (None: padding, BOS, EOS).
    pub fn phoneme_ids(&self, ipa: &str) -> (Vec<usize>, Vec<Option<char>>) {
        // Language-switch flags such as "(en)" are not phonemes.
        let mut clean = String::new();
        let mut depth = 0;
        for c in ipa.chars() {
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => depth -= 1,
                _ if depth == 0 => clean.push(c),
                _ => {}
            }
        }
        let (mut ids, mut syms) = (vec![self.ids[&'^'], self.ids[&'_']], vec![None, None]);
        for c in clean.chars() {
            if let Some(&id) = self.ids.get(&c) {
                ids.extend([id, self.ids[&'_']]);
                syms.extend([Some(c), None]);
            }
        }
        ids.push(self.ids[&'$']);
        syms.push(None);
        (ids, syms)
    }

    /// `text` spoken by the voice at `spec.rate` (words per minute; 175 is the voice's own
    /// speed), its noise drawn from `rng`: 16 kHz samples and timings.
    pub fn synthesize(&self, spec: &VoiceSpec, text: &str, rng: &mut Rng) -> Result<Utterance, DataError> {
        let ipa = espeak::text_to_ipa(&self.espeak_voice, text)?;
        let (ids, syms) = self.phoneme_ids(&ipa);
        let scales = Scales { length: 175.0 / spec.rate.clamp(80, 450) as f32, ..Scales::default() };
        let s = self.vits.synthesize(&ids, scales, &mut |n| (0..n).map(|_| rng.normal()).collect())?;
        let gain = spec.volume.clamp(0, 200) as f32 / 100.0;
        let peak = s.audio.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        // Piper normalises each sentence to full scale; keep the level eSpeak's voices have.
        let g = if peak > 1e-8 { 0.5 * gain / peak } else { 0.0 };
        let raw: Vec<f32> = s.audio.iter().map(|v| v * g).collect();
        let samples = duologue_audio::resample::resample_to_16k(&raw, self.rate)?;
        let frame_s = HOP as f32 / self.rate as f32;
        let total = raw.len() as f32 / self.rate as f32;
        Ok(timings(&syms, &s.durations, frame_s, total, samples, text))
    }
}

/// Phonemes and words from each id's symbol and frame count.
fn timings(
    syms: &[Option<char>],
    frames: &[usize],
    frame_s: f32,
    total: f32,
    samples: Vec<f32>,
    text: &str,
) -> Utterance {
    let mut at = 0usize;
    let starts: Vec<f32> = frames
        .iter()
        .map(|&f| {
            let s = at as f32 * frame_s;
            at += f;
            s
        })
        .collect();
    // (symbol, start) of every symbol id; the BOS frames are a leading pause.
    let mut marks: Vec<(char, f32)> = Vec::new();
    for (s, &t) in syms.iter().zip(&starts) {
        if let Some(c) = s {
            marks.push((*c, t));
        }
    }
    let mut phonemes: Vec<Phoneme> = Vec::new();
    let first = marks.first().map_or(total, |m| m.1);
    if first > 0.0 {
        phonemes.push(Phoneme { symbol: "_".into(), start: 0.0, end: first, stressed: false });
    }
    let mut word_starts: Vec<f32> = Vec::new();
    let mut in_word = false;
    for (k, &(c, t)) in marks.iter().enumerate() {
        let end = marks.get(k + 1).map_or(total, |m| m.1);
        let mut word = |starts: &mut Vec<f32>| {
            if !in_word {
                starts.push(t);
                in_word = true;
            }
        };
        match c {
            // Stress: a placeholder whose frames the next phoneme takes, marked stressed.
            'ˈ' | 'ˌ' => {
                word(&mut word_starts);
                push(&mut phonemes, STRESS, t, end);
            }
            'ː' => {
                if let Some(p) = phonemes.last_mut() {
                    p.end = end;
                }
            }
            ' ' | '.' | ',' | '?' | '!' | ':' | ';' | '-' => {
                in_word = false;
                push(&mut phonemes, "_", t, end);
            }
            _ => {
                word(&mut word_starts);
                push(&mut phonemes, kirshenbaum(c), t, end);
            }
        }
    }
    let ends_at = |s: f32| phonemes.iter().filter(move |p| p.symbol != "_" && p.start >= s).map(|p| p.end);
    let mut positions = text.char_indices().filter(|&(i, c)| {
        !c.is_whitespace() && (i == 0 || text[..i].chars().last().is_some_and(char::is_whitespace))
    });
    let words = word_starts
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let next = word_starts.get(k + 1).copied().unwrap_or(f32::INFINITY);
            let end = ends_at(s).filter(|&e| e <= next + 1e-6).fold(s, f32::max);
            Word { start: s, end, text_position: positions.next().map_or(0, |(i, _)| i + 1) }
        })
        .collect();
    Utterance { samples, phonemes, words }
}

/// Stands for a stress mark until the phoneme after it arrives.
const STRESS: &str = "\u{2c8}";

/// Appends a phoneme; a pause after a pause extends it, a phoneme after a stress mark takes
/// the mark's place and start and is stressed.
fn push(ph: &mut Vec<Phoneme>, symbol: &str, start: f32, end: f32) {
    match ph.last_mut() {
        Some(last) if symbol == "_" && last.symbol == "_" => last.end = end,
        Some(last) if last.symbol == STRESS && symbol != "_" && symbol != STRESS => {
            last.symbol = symbol.to_string();
            last.end = end;
            last.stressed = true;
        }
        _ => ph.push(Phoneme { symbol: symbol.to_string(), start, end, stressed: false }),
    }
}

/// An IPA symbol as the eSpeak mnemonic [`crate::viseme::Viseme::of`] classifies.
pub fn kirshenbaum(c: char) -> &'static str {
    match c {
        'p' => "p",
        'b' => "b",
        'm' => "m",
        'f' => "f",
        'v' => "v",
        'θ' => "T",
        'ð' => "D",
        't' | 'ɾ' => "t",
        'd' => "d",
        'n' => "n",
        'l' | 'ɫ' => "l",
        's' => "s",
        'z' => "z",
        'ʃ' => "S",
        'ʒ' => "Z",
        'k' | 'c' => "k",
        'g' | 'ɡ' => "g",
        'ŋ' => "N",
        'h' => "h",
        'x' => "x",
        'ʔ' => "?",
        'ɹ' | 'r' | 'ɻ' => "r",
        'w' => "w",
        'j' => "j",
        'a' | 'æ' | 'ɑ' | 'ɐ' | 'ɶ' => "a",
        'ə' | 'ʌ' | 'ɜ' | 'ɚ' | 'ɝ' | 'ᵻ' | 'ɨ' => "@",
        'e' | 'ɛ' => "e",
        'i' | 'ɪ' | 'y' => "i",
        'o' | 'ɔ' | 'ɒ' => "o",
        'u' | 'ʊ' | 'ʉ' => "u",
        _ => "@",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viseme::Viseme;

    #[test]
    fn ipa_symbols_land_in_their_viseme_classes() {
        let cls = |c| Viseme::of(kirshenbaum(c));
        assert_eq!(cls('m'), Viseme::Bilabial);
        assert_eq!(cls('θ'), Viseme::Dental);
        assert_eq!(cls('ʃ'), Viseme::Postalveolar);
        assert_eq!(cls('ŋ'), Viseme::Back);
        assert_eq!(cls('ɹ'), Viseme::R);
        assert_eq!(cls('æ'), Viseme::Open);
        assert_eq!(cls('ə'), Viseme::Central);
        assert_eq!(cls('ɛ'), Viseme::MidFront);
        assert_eq!(cls('ɪ'), Viseme::CloseFront);
        assert_eq!(cls('ɔ'), Viseme::RoundedOpen);
        assert_eq!(cls('ʊ'), Viseme::RoundedClose);
    }

    #[test]
    fn timings_follow_the_frames_and_words_the_spaces() {
        // "^ _ h _ ˈ _ a _ ' ' _ m _ $" with frame counts.
        let syms = [
            None,
            None,
            Some('h'),
            None,
            Some('ˈ'),
            None,
            Some('a'),
            None,
            Some(' '),
            None,
            Some('m'),
            None,
            None,
        ];
        let frames = [2, 1, 3, 1, 1, 0, 4, 1, 2, 0, 3, 1, 2];
        let u = timings(&syms, &frames, 0.01, 0.21, vec![0.0; 10], "ha m");
        let got: Vec<(&str, f32, f32, bool)> =
            u.phonemes.iter().map(|p| (p.symbol.as_str(), p.start, p.end, p.stressed)).collect();
        let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(got[0].0 == "_" && close(got[0].2, 0.03));
        assert!(got[1].0 == "h" && close(got[1].1, 0.03) && close(got[1].2, 0.07));
        // The stress mark's frames go to the vowel, which is marked stressed.
        assert!(got[2].0 == "a" && close(got[2].1, 0.07) && close(got[2].2, 0.13) && got[2].3, "{got:?}");
        assert!(got[3].0 == "_" && close(got[3].1, 0.13) && close(got[3].2, 0.15));
        assert!(got[4].0 == "m" && close(got[4].2, 0.21));
        assert_eq!(u.words.len(), 2);
        assert!(close(u.words[0].start, 0.03) && close(u.words[0].end, 0.13));
        assert_eq!((u.words[0].text_position, u.words[1].text_position), (1, 4));
        assert!(close(u.words[1].start, 0.15));
    }
}
