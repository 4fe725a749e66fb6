//! Whisper tiny's front-end and encoder in burn against faster-whisper's log-mel and
//! CTranslate2's own encoder (scripts/whisper_reference.py), on real decoded speech, with the
//! encoder compiled into the binary; and that encoder against the full `model.bin` that
//! scripts/setup.sh fetches (crates/audio/scripts/fetch_whisper.sh).

mod common;
use common::*;
use duologue_audio::ct2::Ct2Model;
use duologue_audio::whisper::{find_model_dir, Whisper, MEL_FRAMES, N_MELS};
use duologue_audio::{decode_file, ChannelMode, FeatureExtractor};
use std::sync::OnceLock;

fn model() -> &'static Whisper {
    static M: OnceLock<Whisper> = OnceLock::new();
    M.get_or_init(|| Whisper::find().unwrap_or_else(|e| panic!("{e}")))
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("whisper_hello.json")).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn usizes(v: &serde_json::Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

fn hello() -> Vec<f32> {
    decode_file(&fixture("hello.wav"), ChannelMode::Mix).unwrap().tracks.remove(0)
}

#[test]
fn log_mel_and_encoder_match_the_reference() {
    let r = reference();
    let audio = hello();
    assert_eq!(audio.len(), r["samples"].as_u64().unwrap() as usize);
    let w = model();
    assert_eq!((w.width(), w.layers()), (384, 4));

    let mel = w.mel().compute(&audio);
    assert_eq!(mel.len(), N_MELS * MEL_FRAMES);
    let mut worst_mel = 0.0f32;
    for (t, want) in usizes(&r["mel_frames"]).iter().zip(r["mel"].as_array().unwrap()) {
        for (b, v) in floats(want).iter().enumerate() {
            worst_mel = worst_mel.max((mel[b * MEL_FRAMES + t] - v).abs());
        }
    }
    eprintln!("max |log-mel - faster-whisper| = {worst_mel}");
    assert!(worst_mel < 5e-5, "max |log-mel - faster-whisper| = {worst_mel}");

    let enc = w.encode(&mel).unwrap();
    assert_eq!(enc.len(), MEL_FRAMES / 2 * 384);
    let step = r["enc_dim_step"].as_u64().unwrap() as usize;
    let (mut worst, mut scale) = (0.0f32, 0.0f32);
    for (j, want) in usizes(&r["enc_rows"]).iter().zip(r["enc"].as_array().unwrap()) {
        for (i, v) in floats(want).iter().enumerate() {
            worst = worst.max((enc[j * 384 + i * step] - v).abs());
            scale = scale.max(v.abs());
        }
    }
    // float16 weights computed in float32 by both; what is left is summation order.
    eprintln!("max |encoder - CTranslate2| = {worst}, largest value {scale}");
    assert!(scale > 1.0, "reference looks empty");
    assert!(worst < 5e-4, "max |encoder - CTranslate2| = {worst} (largest value {scale})");
}

#[test]
fn features_are_25fps_pairs_and_long_audio_stitches() {
    let w = model();
    let audio = hello();
    let f = w.features(&audio).unwrap();
    assert_eq!((f.frames, f.dim), (audio.len().div_ceil(640), 384));
    let h = w.encode(&w.mel().compute(&audio)).unwrap();
    for k in [0, 10, f.frames - 1] {
        for c in [0, 100, 383] {
            let want = 0.5 * (h[2 * k * 384 + c] + h[(2 * k + 1) * 384 + c]);
            assert!((f.row(k)[c] - want).abs() < 1e-6);
        }
    }
    // 45 s: two windows (0-30 s and 20-45 s). The first 25 s come from the first window
    // alone, the rest from the second, whose output near its start sees the speech before.
    let mut long = vec![0.0f32; 45 * 16_000];
    for s in [2.0, 24.0, 40.0] {
        let at = (s * 16_000.0) as usize;
        long[at..at + audio.len()].copy_from_slice(&audio);
    }
    let f = w.features(&long).unwrap();
    assert_eq!(f.frames, long.len() / 640);
    let first = w.encode(&w.mel().compute(&long[..480_000])).unwrap();
    let second = w.encode(&w.mel().compute(&long[320_000..])).unwrap();
    let pair = |h: &[f32], j: usize, c: usize| 0.5 * (h[2 * j * 384 + c] + h[(2 * j + 1) * 384 + c]);
    for c in [0, 200] {
        assert_eq!(f.row(50)[c], pair(&first, 50, c)); // 2 s
        assert_eq!(f.row(624)[c], pair(&first, 624, c)); // 24.96 s
        assert_eq!(f.row(625)[c], pair(&second, 125, c)); // 25 s = 5 s into the second
        assert_eq!(f.row(1000)[c], pair(&second, 500, c)); // 40 s
    }
    // Speech and silence differ: the encoder is not blind to the input.
    let d: f32 = (0..384).map(|c| (f.row(50)[c] - f.row(300)[c]).abs()).sum();
    assert!(d > 10.0, "speech and silence features differ by only {d}");
}

#[test]
fn missing_weights_name_the_fetch_script() {
    let dir = tempfile::tempdir().unwrap();
    let e = Whisper::load(dir.path(), &burn::prelude::Device::flex()).unwrap_err().to_string();
    assert!(e.contains("model.bin"), "{e}");
    let e = Whisper::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("fetch_whisper.sh"), "{e}");
}

/// The shipped encoder is the fetched model's `encoder/*`, every variable with the same shape,
/// type and bytes, and nothing else.
#[test]
fn the_built_in_encoder_is_the_fetched_models_byte_for_byte() {
    let dir = find_model_dir().expect("HOME is set");
    let full = Ct2Model::open(&dir, |n| n.starts_with("encoder/"))
        .unwrap_or_else(|e| panic!("{e} (scripts/setup.sh fetches it)"));
    let bytes =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/weights/whisper_tiny_encoder.safetensors"))
            .unwrap();
    let shipped = Ct2Model::from_safetensors("shipped", &bytes).unwrap();
    assert_eq!((shipped.spec.as_str(), shipped.revision), (full.spec.as_str(), full.revision));
    assert_eq!(shipped.names(), full.names());
    assert!(full.names().len() > 50, "{} variables", full.names().len());
    for n in full.names() {
        let (a, b) = (full.var(n).unwrap(), shipped.var(n).unwrap());
        assert!(a.shape == b.shape && a.dtype == b.dtype && a.bytes == b.bytes, "{n} differs");
    }
    // And it is what the extractor uses when no other model is named.
    let w = Whisper::embedded().unwrap();
    assert_eq!((w.width(), w.layers()), (384, 4));
}
