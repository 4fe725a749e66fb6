//! GE2E speaker encoder in burn against the Resemblyzer package (scripts/ge2e_reference.py).

mod common;
use burn::prelude::Device;
use common::*;
use duologue_audio::diarize::SpeakerEmbedder;
use duologue_audio::ge2e::{mel_spectrogram, Ge2e, HIDDEN, N_MELS};
use duologue_audio::{decode_file, ChannelMode};

fn weights() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/ge2e_resemblyzer.safetensors")
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    fn walk(v: &serde_json::Value, out: &mut Vec<f32>) {
        match v {
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            x => out.push(x.as_f64().unwrap() as f32),
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    out
}

#[test]
fn matches_resemblyzer_mel_partials_and_embedding() {
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("ge2e_hello.json")).unwrap()).unwrap();
    let one = decode_file(&fixture("hello.wav"), ChannelMode::Mix).unwrap();
    let repeat = r["repeat"].as_u64().unwrap() as usize;
    let wav: Vec<f32> = (0..repeat).flat_map(|_| one.tracks[0].iter().copied()).collect();

    let mel = mel_spectrogram(&wav);
    assert_eq!(mel.len() / N_MELS, r["mel_frames"].as_u64().unwrap() as usize);
    let theirs = floats(&r["mel_first_frames"]);
    let scale = theirs.iter().cloned().fold(0.0, f32::max);
    for (a, b) in mel.iter().zip(&theirs) {
        assert!((a - b).abs() <= 1e-4 * scale.max(1e-3), "mel {a} vs librosa {b}");
    }

    let enc = Ge2e::load(&weights(), &Device::flex()).unwrap();
    let (embed, partials) = enc.embed_utterance(&wav).unwrap();
    let want_p = floats(&r["partials"]);
    assert_eq!(partials.len(), want_p.len());
    let dp = partials.iter().zip(&want_p).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(dp < 1e-4, "partials: max diff {dp}");
    let de = embed.iter().zip(floats(&r["embedding"])).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(de < 1e-4, "embedding: max diff {de}");
}

#[test]
fn the_two_voices_of_the_dialog_embed_apart() {
    let enc = Ge2e::load(&weights(), &Device::flex()).unwrap();
    let d = decode_file(&fixture("dialog_stereo.ogg"), ChannelMode::Stereo).unwrap();
    let seg =
        |t: usize, a: f32, b: f32| enc.embed(&d.tracks[t][(a * 16000.0) as usize..(b * 16000.0) as usize]);
    let (a1, a2, b1) = (seg(0, 0.0, 0.75), seg(0, 0.75, 1.5), seg(1, 1.4, 2.7));
    assert_eq!(a1.len(), HIDDEN);
    let cos = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
    assert!(cos(&a1, &a2) > cos(&a1, &b1) + 0.05, "same {} other {}", cos(&a1, &a2), cos(&a1, &b1));
}
