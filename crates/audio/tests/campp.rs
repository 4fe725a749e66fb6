//! CAM++ in burn against PyTorch (embeddings committed by scripts/campplus_convert.py), and
//! what it is for: two voices apart, one voice together.

mod common;
use common::*;
use duologue_audio::campp::{CamPlus, DIM};
use duologue_audio::{decode_file, ChannelMode};

fn weights() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/campplus_cn_en_common.safetensors")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (n(a) * n(b))
}

#[test]
fn matches_pytorch_on_committed_embeddings() {
    let text = std::fs::read_to_string(fixture("campplus_hello.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let want = |k: &str| -> Vec<f32> {
        v["embeddings"][k].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
    };
    let audio = decode_file(&fixture("hello.wav"), ChannelMode::Mix).unwrap().tracks.remove(0);
    let m = CamPlus::open(&weights()).unwrap();
    for (k, x) in [("whole", &audio[..]), ("first_second", &audio[..16000])] {
        let (got, want) = (m.embed_audio(x).unwrap(), want(k));
        assert_eq!(got.len(), DIM);
        // float16 convolutions against PyTorch's float32 network.
        let c = cosine(&got, &want);
        let d = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        let scale = want.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
        assert!(c > 0.9999 && d < 0.01 * scale, "{k}: cosine {c}, max diff {d} of {scale}");
    }
}

#[test]
fn two_voices_apart_one_voice_together() {
    // Each channel of the fixture is one espeak-ng voice (two turns each).
    let st = decode_file(&fixture("dialog_stereo.ogg"), ChannelMode::Stereo).unwrap();
    let m = CamPlus::open(&weights()).unwrap();
    // Each voice's speech (its energy-active frames), cut into two halves.
    let halves = |t: &[f32]| -> Vec<Vec<f32>> {
        let act = duologue_audio::score::track_activity(t);
        let speech: Vec<f32> =
            t.chunks(640).zip(&act).filter(|(_, a)| **a).flat_map(|(c, _)| c.iter().copied()).collect();
        let h = speech.len() / 2;
        vec![speech[..h].to_vec(), speech[h..].to_vec()]
    };
    let (a, b) = (halves(&st.tracks[0]), halves(&st.tracks[1]));
    assert!(a.iter().chain(&b).all(|x| x.len() >= 8000), "at least 0.5 s of speech in each half");
    let e = |x: &Vec<f32>| m.embed_audio(x).unwrap();
    let (a0, a1, b0, b1) = (e(&a[0]), e(&a[1]), e(&b[0]), e(&b[1]));
    let same = cosine(&a0, &a1).min(cosine(&b0, &b1));
    let other = [cosine(&a0, &b0), cosine(&a0, &b1), cosine(&a1, &b0), cosine(&a1, &b1)]
        .into_iter()
        .fold(f32::MIN, f32::max);
    assert!(same > other + 0.1, "same voice {same}, other voice {other}");
}
