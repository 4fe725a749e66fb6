//! Kaldi's fbank (`duologue_audio::fbank`) against kaldi-native-fbank, live.

mod common;
use common::*;
use duologue_audio::fbank::KaldiFbank;
use duologue_audio::{decode_file, ChannelMode};
use std::process::Command;

#[test]
fn matches_kaldi_native_fbank() {
    let ok = Command::new("python3")
        .args(["-c", "import numpy, kaldi_native_fbank"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "needs python3 with numpy and kaldi-native-fbank: run scripts/setup.sh");
    let speech = decode_file(&fixture("hello.wav"), ChannelMode::Mix).unwrap().tracks.remove(0);
    let dir = tmpdir("fbank-live");
    let (input, output) = (dir.join("in.f32"), dir.join("out.f32"));
    let bytes: Vec<u8> = speech.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&input, bytes).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kaldi_fbank_reference.py");
    let st = Command::new("python3").arg(script).arg(&input).arg(&output).status().unwrap();
    assert!(st.success());
    let want: Vec<f32> = std::fs::read(&output)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let fb = KaldiFbank::new(80);
    let got = fb.compute(&speech);
    assert_eq!(got.len(), want.len(), "frames: ours {} vs {}", got.len() / 80, want.len() / 80);
    assert_eq!(got.len() / 80, KaldiFbank::frames(speech.len()));
    // Log energies (up to ~20 in magnitude); measured 1.2e-4, f32 rounding.
    let d = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(d < 5e-4, "max |ours - kaldi-native-fbank| = {d}");
}
