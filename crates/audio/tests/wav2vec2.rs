//! wav2vec 2.0 in burn against transformers' Wav2Vec2Model (scripts/wav2vec2_fixture.py).

mod common;
use burn::prelude::Device;
use common::*;
use duologue_audio::wav2vec2::Wav2Vec2;
use duologue_audio::{decode_file, ChannelMode, FeatureExtractor};

#[test]
fn matches_transformers_last_hidden_state() {
    let dir = fixture("wav2vec2_tiny");
    let model = Wav2Vec2::load_dir(&dir, &Device::flex()).unwrap();
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let want: Vec<f32> =
        r["last_hidden_state"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
    let shape: Vec<usize> =
        r["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();

    let audio = decode_file(&fixture("hello.wav"), ChannelMode::Mix).unwrap();
    let x = &audio.tracks[0][4000..12000];
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    let xn: Vec<f32> = x.iter().map(|&v| ((v as f64 - mean) / (var + 1e-7).sqrt()) as f32).collect();

    let got = model.forward(&xn).unwrap();
    assert_eq!(model.output_len(xn.len()), shape[0]);
    assert_eq!(got.len(), shape[0] * shape[1]);
    let d = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(d < 1e-4, "max |burn - transformers| = {d}");
    // The public path normalises the same way.
    assert_eq!(model.hidden_50hz(x).unwrap().len(), got.len());
}

#[test]
fn features_are_25fps_and_windows_stitch() {
    let mut model = Wav2Vec2::load_dir(&fixture("wav2vec2_tiny"), &Device::flex()).unwrap();
    let audio = decode_file(&fixture("hello.wav"), ChannelMode::Mix).unwrap();
    let x = &audio.tracks[0];
    let f = model.features(x).unwrap();
    assert_eq!((f.frames, f.dim), (x.len().div_ceil(640), 32));
    assert!(f.data.iter().all(|v| v.is_finite()));
    // Windowed (0.4 s windows, 0.2 s context): same number of 50 Hz vectors, all finite.
    let whole = model.hidden_50hz(x).unwrap();
    model.window_s = 0.4;
    model.context_s = 0.2;
    let win = model.hidden_50hz(x).unwrap();
    assert_eq!(win.len(), whole.len());
    assert!(rms(&win) > 0.1 && win.iter().all(|v| v.is_finite()));
}
