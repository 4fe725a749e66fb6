//! Silero VAD in burn against the silero-vad package's ONNX model (onnxruntime).

mod common;
use common::*;
use duologue_audio::score::{binarize, boundary_errors, track_activity};
use duologue_audio::silero::{SileroStream, SileroVad};
use duologue_audio::{decode_file, ChannelMode};
use std::process::Command;

fn reference(path: &std::path::Path) -> Vec<f32> {
    let text = std::fs::read_to_string(path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["probs"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn matches_the_packages_onnx_output_on_committed_numbers() {
    let vad = SileroVad::embedded().unwrap();
    let audio = decode_file(&fixture("hello.wav"), ChannelMode::Mix).unwrap();
    let ours = vad.probs(&audio.tracks[0]).unwrap();
    let theirs = reference(&fixture("silero_hello.json"));
    let d = max_diff(&ours, &theirs);
    assert!(d < 1e-4, "max |burn - onnxruntime| = {d}");
    // And it is a speech detector: speech in the middle, not in the trailing silence.
    assert!(ours[5..18].iter().all(|&p| p > 0.9));
}

#[test]
fn matches_onnxruntime_live() {
    let ok = Command::new("python3")
        .args(["-c", "import onnxruntime, numpy, importlib.util as u; assert u.find_spec('silero_vad')"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "needs python3 with onnxruntime, numpy and silero-vad: run scripts/setup.sh");
    // The two-person mix, written as 16 kHz s16 so both sides read identical samples.
    let mix = decode_file(&fixture("dialog_stereo.ogg"), ChannelMode::Mix).unwrap();
    let dir = tmpdir("silero-live");
    let wav = dir.join("mix.wav");
    write_wav_i16(&wav, 16000, 1, &mix.tracks[0]);
    let q: Vec<f32> =
        mix.tracks[0].iter().map(|v| (v.clamp(-1.0, 1.0) * 32767.0).round() / 32768.0).collect();
    let out = dir.join("ref.json");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/silero_reference.py");
    let st = Command::new("python3").arg(script).arg(&wav).arg(&out).status().unwrap();
    assert!(st.success());
    let vad = SileroVad::embedded().unwrap();
    let d = max_diff(&vad.probs(&q).unwrap(), &reference(&out));
    assert!(d < 1e-4, "max |burn - onnxruntime| = {d}");
}

#[test]
fn streaming_equals_whole_and_follows_the_speakers() {
    let vad = SileroVad::embedded().unwrap();
    let mix = decode_file(&fixture("dialog_stereo.ogg"), ChannelMode::Mix).unwrap();
    let whole = vad.frame_probs(&mix.tracks[0]).unwrap();
    let mut s = SileroStream::new(&vad);
    for c in mix.tracks[0].chunks(3001) {
        s.push(c).unwrap();
    }
    let streamed = s.finish().unwrap();
    assert_eq!(whole.len(), 113);
    assert!(max_diff(&whole, &streamed) < 1e-5);
    // Speech at 0.5-1.2 s and 1.8-2.4 s, silence at 2.9-3.3 s (see make_fixtures.sh).
    assert!(whole[13..30].iter().all(|&p| p > 0.5));
    assert!(whole[45..60].iter().all(|&p| p > 0.5));
    assert!(whole[74..82].iter().all(|&p| p < 0.3), "{:?}", &whole[74..82]);
}

#[test]
fn activity_edges_land_on_the_speech_not_a_chunk_later() {
    // Each channel of the fixture is one person's own track: its energy edges are the truth.
    let vad = SileroVad::embedded().unwrap();
    let st = decode_file(&fixture("dialog_stereo.ogg"), ChannelMode::Stereo).unwrap();
    let mut errors = Vec::new();
    for track in &st.tracks {
        let reference = track_activity(track);
        let act = binarize(&vad.frame_activity(track).unwrap());
        let pair = [act, vec![false; reference.len()]];
        let r = [reference.clone(), vec![false; reference.len()]];
        errors.extend(boundary_errors(&pair, &r, 5).into_iter().flatten());
    }
    assert!(errors.len() >= 4, "{errors:?}");
    // Signed edge errors in 40 ms frames: centred on zero, none more than a frame off.
    let e: Vec<i64> = errors.iter().map(|e| e.expect("an edge near each turn")).collect();
    assert!(e.iter().all(|d| d.abs() <= 1), "{e:?}");
    assert!(e.iter().sum::<i64>().abs() <= e.len() as i64 / 2, "{e:?}");
}
