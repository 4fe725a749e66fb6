//! Speech with exact phoneme and word timings from libespeak-ng (DESIGN.md §1 audio; BEHAVIOR.md "Lips and jaw").
//!
//! The `espeak-ng` command line prints no timings, so we drive the library: it is initialised in
//! synchronous mode with `espeakINITIALIZE_PHONEME_EVENTS`, and our synth callback receives the
//! 22,050 Hz samples together with phoneme and word events whose `audio_position` (ms) the
//! synthesizer itself computed. Nothing is guessed. The library is process-global and not
//! thread-safe, so every call goes through one `Mutex`.
//!
//! Layouts below mirror `/usr/include/espeak-ng/speak_lib.h` (eSpeak NG 1.51). The library is
//! opened at run time, so building needs no espeak-ng headers and the rest of duologue runs
//! without it.

use crate::DataError;
use std::ffi::{c_char, c_int, c_short, c_uint, c_void, CStr, CString};
use std::sync::{Mutex, OnceLock};

const AUDIO_OUTPUT_SYNCHRONOUS: c_int = 2;
const INITIALIZE_PHONEME_EVENTS: c_int = 0x0001;
const INITIALIZE_DONT_EXIT: c_int = 0x8000;
const CHARS_UTF8: c_uint = 1;
const POS_CHARACTER: c_int = 1;
const EVENT_LIST_TERMINATED: c_int = 0;
const EVENT_WORD: c_int = 1;
const EVENT_END: c_int = 5;
const EVENT_PHONEME: c_int = 7;
const PARAM_RATE: c_int = 1;
const PARAM_VOLUME: c_int = 2;
const PARAM_PITCH: c_int = 3;
const PARAM_RANGE: c_int = 4;
const EE_OK: c_int = 0;

/// Output rate of espeak-ng's own voices.
pub const ESPEAK_RATE: u32 = 22_050;

#[repr(C)]
union EventId {
    number: c_int,
    name: *const c_char,
    string: [c_char; 8],
}

/// `espeak_EVENT` from speak_lib.h.
#[repr(C)]
struct RawEvent {
    kind: c_int,
    unique_identifier: c_uint,
    text_position: c_int,
    length: c_int,
    audio_position: c_int,
    sample: c_int,
    user_data: *mut c_void,
    id: EventId,
}

/// `espeak_VOICE` from speak_lib.h.
#[repr(C)]
struct RawVoice {
    name: *const c_char,
    languages: *const c_char,
    identifier: *const c_char,
    gender: u8,
    age: u8,
    variant: u8,
    xx1: u8,
    score: c_int,
    spare: *mut c_void,
}

type SynthCallback = unsafe extern "C" fn(*mut c_short, c_int, *mut RawEvent) -> c_int;

/// The libespeak-ng entry points we use, resolved at run time (dlopen), so the duologue binary
/// starts and works without espeak-ng and only `simulate` asks for it, with install advice.
struct Api {
    initialize: unsafe extern "C" fn(c_int, c_int, *const c_char, c_int) -> c_int,
    set_synth_callback: unsafe extern "C" fn(SynthCallback),
    set_voice_by_name: unsafe extern "C" fn(*const c_char) -> c_int,
    set_parameter: unsafe extern "C" fn(c_int, c_int, c_int) -> c_int,
    #[allow(clippy::type_complexity)]
    synth: unsafe extern "C" fn(
        *const c_void,
        usize,
        c_uint,
        c_int,
        c_uint,
        c_uint,
        *mut c_uint,
        *mut c_void,
    ) -> c_int,
    synchronize: unsafe extern "C" fn() -> c_int,
    list_voices: unsafe extern "C" fn(*mut RawVoice) -> *const *const RawVoice,
    text_to_phonemes: unsafe extern "C" fn(*mut *const c_void, c_int, c_int) -> *const c_char,
    _lib: libloading::Library,
}

extern "C" {
    /// libc's generator, which eSpeak's Klatt voices draw aspiration noise from.
    fn srand(seed: c_uint);
}

/// Shared-library names tried in order.
const LIBRARY_NAMES: [&str; 2] = ["libespeak-ng.so.1", "libespeak-ng.so"];

fn load_api() -> Result<Api, String> {
    let mut last = String::new();
    for name in LIBRARY_NAMES {
        // SAFETY: loading libespeak-ng runs no initialisers with preconditions on us.
        match unsafe { libloading::Library::new(name) } {
            Ok(lib) => {
                // SAFETY: the signatures match speak_lib.h of eSpeak NG 1.51.
                unsafe {
                    macro_rules! sym {
                        ($n:literal) => {
                            *lib.get($n).map_err(|e| format!("{name}: {e}"))?
                        };
                    }
                    return Ok(Api {
                        initialize: sym!(b"espeak_Initialize\0"),
                        set_synth_callback: sym!(b"espeak_SetSynthCallback\0"),
                        set_voice_by_name: sym!(b"espeak_SetVoiceByName\0"),
                        set_parameter: sym!(b"espeak_SetParameter\0"),
                        synth: sym!(b"espeak_Synth\0"),
                        synchronize: sym!(b"espeak_Synchronize\0"),
                        list_voices: sym!(b"espeak_ListVoices\0"),
                        text_to_phonemes: sym!(b"espeak_TextToPhonemes\0"),
                        _lib: lib,
                    });
                }
            }
            Err(e) => last = format!("cannot load {name}: {e}"),
        }
    }
    Err(last)
}

/// One phoneme as the synthesizer placed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Phoneme {
    /// eSpeak phoneme mnemonic (e.g. `p`, `aI`, `@`); stress marks stripped.
    pub symbol: String,
    /// Start, seconds from the start of the utterance.
    pub start: f32,
    /// End (the next event's start), seconds.
    pub end: f32,
    /// Whether the mnemonic carried a stress mark (eSpeak NG 1.51's phoneme events usually do
    /// not, so stress is mostly false and prosody comes from loudness instead).
    pub stressed: bool,
}

/// One word as the synthesizer placed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Start, seconds.
    pub start: f32,
    /// End (start of the next word or end of speech), seconds.
    pub end: f32,
    /// Character offset (1-based, as eSpeak reports) into the text.
    pub text_position: usize,
}

/// A synthesized utterance at 16 kHz with its timings.
#[derive(Debug, Clone, PartialEq)]
pub struct Utterance {
    /// Mono samples, 16 kHz, in [-1, 1].
    pub samples: Vec<f32>,
    /// Phonemes in time order.
    pub phonemes: Vec<Phoneme>,
    /// Words in time order.
    pub words: Vec<Word>,
}

impl Utterance {
    /// Duration in seconds.
    pub fn seconds(&self) -> f32 {
        self.samples.len() as f32 / duologue_params::SAMPLE_RATE as f32
    }
}

/// How one person sounds: a voice name plus prosody settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VoiceSpec {
    /// eSpeak voice name, e.g. `en-us+Alicia` (language voice + variant) or `mb-us1`.
    pub name: String,
    /// Speaking rate, words per minute (80..450, normal 175).
    pub rate: i32,
    /// Base pitch 0..100 (50 normal).
    pub pitch: i32,
    /// Pitch range 0..100 (50 normal).
    pub range: i32,
    /// Volume 0..200 (100 normal).
    pub volume: i32,
}

struct Collector {
    samples: Vec<i16>,
    /// (ms, mnemonic)
    phonemes: Vec<(i32, String)>,
    /// (ms, text position)
    words: Vec<(i32, i32)>,
    end_ms: i32,
}

unsafe extern "C" fn synth_callback(wav: *mut c_short, n: c_int, events: *mut RawEvent) -> c_int {
    if events.is_null() {
        return 0;
    }
    // SAFETY: eSpeak passes an event list terminated by LIST_TERMINATED; user_data is the
    // `Collector` we handed to espeak_Synth, alive for the duration of that synchronous call.
    let collector = unsafe { ((*events).user_data as *mut Collector).as_mut() };
    let Some(c) = collector else { return 0 };
    if !wav.is_null() && n > 0 {
        // SAFETY: eSpeak guarantees `n` valid samples at `wav`.
        c.samples.extend_from_slice(unsafe { std::slice::from_raw_parts(wav, n as usize) });
    }
    let mut e = events;
    loop {
        // SAFETY: the list is terminated; we stop at the terminator.
        let ev = unsafe { &*e };
        match ev.kind {
            EVENT_LIST_TERMINATED => break,
            EVENT_PHONEME => {
                // SAFETY: for phoneme events `id.string` holds up to 8 UTF-8 bytes.
                let raw = unsafe { ev.id.string };
                let bytes: Vec<u8> = raw.iter().map(|&b| b as u8).take_while(|&b| b != 0).collect();
                c.phonemes.push((ev.audio_position, String::from_utf8_lossy(&bytes).into_owned()));
            }
            EVENT_WORD => c.words.push((ev.audio_position, ev.text_position)),
            EVENT_END => c.end_ms = c.end_ms.max(ev.audio_position),
            _ => {}
        }
        // SAFETY: not yet at the terminator, so the next element exists.
        e = unsafe { e.add(1) };
    }
    0
}

static ENGINE: OnceLock<Result<Mutex<Api>, String>> = OnceLock::new();

fn engine() -> Result<&'static Mutex<Api>, DataError> {
    let r = ENGINE.get_or_init(|| {
        let api = load_api()?;
        // SAFETY: called once per process (OnceLock); a null path means eSpeak's default data.
        let rate = unsafe {
            (api.initialize)(
                AUDIO_OUTPUT_SYNCHRONOUS,
                200,
                std::ptr::null(),
                INITIALIZE_PHONEME_EVENTS | INITIALIZE_DONT_EXIT,
            )
        };
        if rate != ESPEAK_RATE as c_int {
            return Err(format!("espeak_Initialize returned {rate} (data files missing?)"));
        }
        // SAFETY: the callback has the signature speak_lib.h declares.
        unsafe { (api.set_synth_callback)(synth_callback) };
        Ok(Mutex::new(api))
    });
    r.as_ref().map_err(|reason| DataError::Espeak { reason: format!("{reason}; {INSTALL_HINT}") })
}

/// How to get espeak-ng, for error messages.
pub const INSTALL_HINT: &str =
    "install espeak-ng with `sudo apt-get install espeak-ng libespeak-ng1` (scripts/setup.sh does this)";

/// English voices available here: every English language voice crossed with every variant
/// (`en-us+Alicia`), plus MBROLA English voices whose database is installed. Sorted.
pub fn english_voices() -> Result<Vec<String>, DataError> {
    let lock = engine()?;
    let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    let mut langs = Vec::new();
    let mut variants = Vec::new();
    let mut mbrola = Vec::new();
    // SAFETY: a null spec lists all voices; the array is null-terminated and owned by eSpeak.
    unsafe {
        let list = (guard.list_voices)(std::ptr::null_mut());
        let mut p = list;
        while !p.is_null() && !(*p).is_null() {
            let v = &**p;
            let ident = cstr(v.identifier);
            let lang = first_language(v.languages);
            if let Some(var) = ident.strip_prefix("!v/") {
                variants.push(var.to_string());
            } else if let Some(mb) = ident.strip_prefix("mb/") {
                if mb.starts_with("mb-us") || mb.starts_with("mb-en") {
                    mbrola.push(mb.to_string());
                }
            } else if lang.starts_with("en") {
                // SetVoiceByName matches voice file names, not language codes ("gmw/en" is
                // British English, whose language code "en-gb" is not a name).
                langs.push(ident.rsplit('/').next().unwrap_or(&ident).to_string());
            }
            p = p.add(1);
        }
    }
    drop(guard);
    // The variant list is shared by eSpeak 1.51 through ListVoices(variant spec); the null spec
    // omits variants on some builds, so fall back to the data directory.
    if variants.is_empty() {
        variants = variant_files();
    }
    langs.sort();
    langs.dedup();
    variants.sort();
    let mut out: Vec<String> = Vec::new();
    for l in &langs {
        out.push(l.clone());
        for v in &variants {
            out.push(format!("{l}+{v}"));
        }
    }
    // MBROLA voices need the `mbrola` program and its database; keep the ones that speak.
    for mb in mbrola {
        let spec = VoiceSpec { name: mb.clone(), rate: 175, pitch: 50, range: 50, volume: 100 };
        if synth_locked(lock, &spec, "test").map(|u| !u.samples.is_empty()).unwrap_or(false) {
            out.push(mb);
        }
    }
    out.sort();
    Ok(out)
}

fn variant_files() -> Vec<String> {
    // eSpeak itself honours ESPEAK_DATA_PATH (the folder holding espeak-ng-data, or that
    // folder itself) when initialised with a null path, as we do; look there first too.
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("ESPEAK_DATA_PATH") {
        let p = std::path::PathBuf::from(p);
        dirs.push(p.join("espeak-ng-data/voices/!v"));
        dirs.push(p.join("voices/!v"));
    }
    dirs.push("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v".into());
    dirs.push("/usr/share/espeak-ng-data/voices/!v".into());
    for d in dirs {
        if let Ok(rd) = std::fs::read_dir(d) {
            let mut v: Vec<String> = rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
            v.sort();
            return v;
        }
    }
    Vec::new()
}

/// # Safety
/// `p` is null or a NUL-terminated string.
unsafe fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: per the caller's contract.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// # Safety
/// `p` is null or eSpeak's language list (priority byte, NUL-terminated name, ...).
unsafe fn first_language(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: skip the priority byte; the name is NUL-terminated.
    unsafe { cstr(p.add(1)) }
}

/// `text` in IPA as eSpeak's `voice` reads it (what Piper's voices are trained on), one string
/// per clause with the clause's closing punctuation kept (`.`, `?`, `!`; `,` `:` `;` followed
/// by a space), as Piper's front end does.
pub fn text_to_ipa(voice: &str, text: &str) -> Result<String, DataError> {
    const IPA: c_int = 0x02;
    let lock = engine()?;
    let api = lock.lock().unwrap_or_else(|p| p.into_inner());
    let name = CString::new(voice)
        .map_err(|_| DataError::Espeak { reason: format!("voice name {voice:?} holds a NUL byte") })?;
    let ctext = CString::new(text.replace('\0', " "))
        .map_err(|_| DataError::Espeak { reason: "text holds a NUL byte".into() })?;
    let bytes = ctext.as_bytes();
    let mut out = String::new();
    // SAFETY: we hold the global lock; `ptr` walks the NUL-terminated `ctext`, which outlives
    // the loop, and eSpeak advances it clause by clause (null at the end); the returned string
    // is eSpeak's own buffer, copied before the next call.
    unsafe {
        if (api.set_voice_by_name)(name.as_ptr()) != EE_OK {
            return Err(DataError::Espeak { reason: format!("voice {voice:?} is not available") });
        }
        let start = ctext.as_ptr() as usize;
        let mut ptr = ctext.as_ptr() as *const c_void;
        while !ptr.is_null() {
            let from = ptr as usize - start;
            let ph = (api.text_to_phonemes)(&mut ptr, CHARS_UTF8 as c_int, IPA);
            let to = if ptr.is_null() { bytes.len() } else { ptr as usize - start };
            if !ph.is_null() {
                out.push_str(&cstr(ph));
            }
            // The clause's terminator, which the phoneme string leaves out.
            let clause = String::from_utf8_lossy(&bytes[from.min(to)..to]);
            match clause.trim_end().chars().last() {
                Some(c @ ('.' | '?' | '!')) => out.push(c),
                Some(c @ (',' | ':' | ';')) => {
                    out.push(c);
                    out.push(' ');
                }
                _ => {}
            }
            if !out.ends_with(' ') {
                out.push(' ');
            }
        }
    }
    Ok(out.trim_end().to_string())
}

/// Synthesize `text` with `voice`. Returns 16 kHz samples and the synthesizer's own timings.
pub fn synthesize(voice: &VoiceSpec, text: &str) -> Result<Utterance, DataError> {
    let lock = engine()?;
    synth_locked(lock, voice, text)
}

fn synth_locked(lock: &Mutex<Api>, voice: &VoiceSpec, text: &str) -> Result<Utterance, DataError> {
    let api = lock.lock().unwrap_or_else(|p| p.into_inner());
    let name = CString::new(voice.name.as_str())
        .map_err(|_| DataError::Espeak { reason: format!("voice name {:?} holds a NUL byte", voice.name) })?;
    let ctext = CString::new(text.replace('\0', " "))
        .map_err(|_| DataError::Espeak { reason: "text holds a NUL byte".into() })?;
    let mut c = Collector { samples: Vec::new(), phonemes: Vec::new(), words: Vec::new(), end_ms: 0 };
    // SAFETY: eSpeak is initialised and we hold the global lock; pointers outlive the calls,
    // and SYNCHRONOUS mode runs the callback inside espeak_Synth.
    unsafe {
        if (api.set_voice_by_name)(name.as_ptr()) != EE_OK {
            return Err(DataError::Espeak { reason: format!("voice {:?} is not available", voice.name) });
        }
        (api.set_parameter)(PARAM_RATE, voice.rate.clamp(80, 450), 0);
        (api.set_parameter)(PARAM_PITCH, voice.pitch.clamp(0, 100), 0);
        (api.set_parameter)(PARAM_RANGE, voice.range.clamp(0, 100), 0);
        (api.set_parameter)(PARAM_VOLUME, voice.volume.clamp(0, 200), 0);
        // eSpeak keeps wave-generator state (flutter phase, pitch smoothing) across calls, so
        // the samples of a request can differ slightly with what this process spoke before;
        // the timings do not. (Re-initialising the library per call would reset it, but
        // espeak_Initialize hangs when called again after espeak_Terminate in eSpeak NG 1.51.)
        // Klatt-based variants draw aspiration noise from libc's rand(); seed it per request.
        srand((crate::rng::hash_str(&voice.name) ^ crate::rng::hash_str(text)) as c_uint);
        let bytes = ctext.as_bytes_with_nul();
        let rc = (api.synth)(
            bytes.as_ptr() as *const c_void,
            bytes.len(),
            0,
            POS_CHARACTER,
            0,
            CHARS_UTF8,
            std::ptr::null_mut(),
            &mut c as *mut Collector as *mut c_void,
        );
        (api.synchronize)();
        if rc != EE_OK {
            return Err(DataError::Espeak { reason: format!("espeak_Synth failed with code {rc}") });
        }
    }
    finish(c)
}

fn finish(c: Collector) -> Result<Utterance, DataError> {
    let raw: Vec<f32> = c.samples.iter().map(|&s| s as f32 / 32768.0).collect();
    let samples = duologue_audio::resample::resample_to_16k(&raw, ESPEAK_RATE)?;
    let total = raw.len() as f32 / ESPEAK_RATE as f32;
    let ms = |m: i32| (m.max(0) as f32 / 1000.0).min(total);
    let mut phonemes: Vec<Phoneme> = Vec::with_capacity(c.phonemes.len());
    for (k, (at, sym)) in c.phonemes.iter().enumerate() {
        let end = c.phonemes.get(k + 1).map(|p| ms(p.0)).unwrap_or(total);
        let stressed = sym.contains('\'') || sym.contains(',');
        let symbol: String = sym.chars().filter(|ch| !matches!(ch, '\'' | ',' | '%' | '=')).collect();
        if symbol.is_empty() {
            continue;
        }
        phonemes.push(Phoneme { symbol, start: ms(*at), end: end.max(ms(*at)), stressed });
    }
    // Word events carry a 1-based character position; after some voices (seen after variants
    // spoke other texts in the same process) eSpeak adds a word event at position 0 past the
    // last word, which is no word of the text.
    let text_words: Vec<(i32, i32)> = c.words.iter().copied().filter(|w| w.1 > 0).collect();
    let mut words: Vec<Word> = Vec::with_capacity(text_words.len());
    let speech_end = phonemes.iter().rev().find(|p| p.symbol != "_").map(|p| p.end).unwrap_or(total);
    for (k, (at, pos)) in text_words.iter().enumerate() {
        let next = text_words.get(k + 1).map(|w| ms(w.0)).unwrap_or(f32::INFINITY);
        // A word ends with its last sounding phoneme, not at the next word (pauses between).
        let end = phonemes
            .iter()
            .filter(|p| p.symbol != "_" && !p.symbol.starts_with('_') && p.start >= ms(*at) && p.start < next)
            .map(|p| p.end)
            .fold(f32::NAN, f32::max);
        let end = if end.is_nan() { next.min(speech_end) } else { end };
        words.push(Word { start: ms(*at), end: end.max(ms(*at)), text_position: (*pos).max(0) as usize });
    }
    Ok(Utterance { samples, phonemes, words })
}
