//! Piper's VITS voice (en_US-joe-medium) in burn against onnxruntime running the voice's own
//! ONNX graph (scripts/piper/fixture.py), deterministic scales [0, 1, 0]. Needs the converted
//! voice that scripts/setup.sh fetches (crates/audio/scripts/fetch_piper.sh).

mod common;
use common::*;
use duologue_audio::vits::{Scales, Vits, HOP};

#[test]
fn hello_world_matches_onnxruntime() {
    let dir = duologue_audio::vits::find_voice_dir().expect("voice folder");
    let voice = Vits::load(&dir.join("model.safetensors"), &burn::prelude::Device::flex())
        .unwrap_or_else(|e| panic!("{e} (run crates/audio/scripts/fetch_piper.sh)"));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("piper_hello.json")).unwrap()).unwrap();
    let ids: Vec<usize> = r["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let want_dur: Vec<usize> =
        r["durations"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let s = voice
        .synthesize(&ids, Scales { noise: 0.0, length: 1.0, noise_w: 0.0 }, &mut |n| vec![0.0; n])
        .unwrap();
    assert_eq!(s.durations, want_dur, "frames per phoneme id");
    assert_eq!(s.audio.len(), HOP * want_dur.iter().sum::<usize>());
    assert_eq!(s.audio.len(), r["samples"].as_u64().unwrap() as usize);
    let step = r["step"].as_u64().unwrap() as usize;
    let want: Vec<f32> = r["audio"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
    let worst = want.iter().enumerate().map(|(i, w)| (s.audio[i * step] - w).abs()).fold(0.0f32, f32::max);
    let peak = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    eprintln!("max |burn - onnxruntime| = {worst} (peak {peak})");
    assert!(peak > 0.1, "reference looks silent");
    assert!(worst < 1e-3, "max |burn - onnxruntime| = {worst}");
}
