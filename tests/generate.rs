//! `duologue generate` and `duologue demo` through the real binary with the default model built
//! into it (DESIGN §1–6): no flags needed, two tracks mixed into the preview, and every kind of bad
//! input the issue lists — no speech, one person silent, less than a frame, an unreadable model,
//! positions or presets that `layout` refuses, inputs past the length cap — ending in results or one clear error line.
//! Nothing here depends on the default model's quality, only on it loading and giving the right
//! shapes. Needs ffmpeg (scripts/setup.sh) for the MP4 checks.

use duologue_data::wav::{decode as decode_wav, encode_pcm16};
use duologue_params::{Duo, X_DIM};
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{assert_clean_failure, assert_success, duologue_in, stderr, tempdir};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/audio/tests/fixtures");

/// Runs `duologue generate ARGS... --steps 1 --json --out DIR/out` (fast: one DDIM step).
fn generate(dir: &Path, args: &[&str]) -> Output {
    let out = dir.join("out");
    let mut all = vec!["generate"];
    all.extend(args);
    all.extend(["--steps", "1", "--json", "--out", out.to_str().unwrap()]);
    duologue_in(dir, &all)
}

fn summary(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("json summary ({e}): {}", stderr(out)))
}

/// Writes 16 kHz mono 16-bit samples as `dir/name`.
fn write_wav(dir: &Path, name: &str, samples: &[f32]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, encode_pcm16(samples, 16_000)).unwrap();
    path
}

/// hello.wav's 1.5 s of speech (16 kHz mono).
fn hello() -> Vec<f32> {
    let (s, rate) = decode_wav(&std::fs::read(format!("{FIXTURES}/hello.wav")).unwrap()).unwrap();
    assert_eq!(rate, 16_000);
    s
}

fn assert_shapes(duo: &Duo, frames: usize) {
    assert_eq!(duo.frames(), frames);
    for p in [&duo.a, &duo.b] {
        assert_eq!(p.x.as_slice().len(), frames * X_DIM);
        assert!(p.x.as_slice().iter().all(|v| v.is_finite()));
        assert_eq!(p.mask.len(), frames);
        assert_eq!(p.beta.len(), 50);
    }
}

/// RMS of `x[a..b]`.
fn rms(x: &[f32], a: usize, b: usize) -> f32 {
    let s = &x[a.min(x.len())..b.min(x.len())];
    (s.iter().map(|v| v * v).sum::<f32>() / s.len().max(1) as f32).sqrt()
}

#[test]
fn demo_needs_no_arguments_and_writes_into_the_current_directory() {
    let dir = tempdir("demo");
    let run = duologue_in(&dir, &["demo", "--steps", "2", "--json"]);
    assert_success(&run);
    let s = summary(&run);
    assert_eq!(s["model"], "<embedded default model>");
    let demo = dir.join("duologue-demo");
    let duo = Duo::read(&demo.join("demo_conversation.npz")).expect("demo result");
    // The built-in clip is 9.5 s: 238 frames at 25 fps (the last one partial).
    assert_shapes(&duo, 238);
    // A conversation: both people speak somewhere, A first.
    let first = |m: &[f32]| m.iter().position(|&v| v >= 0.5);
    let (fa, fb) = (first(&duo.a.mask), first(&duo.b.mask));
    assert!(fa.is_some() && fb.is_some() && fa < fb, "A {fa:?} B {fb:?}");
    for f in [
        "demo_conversation.ogg",
        "demo_conversation.glb",
        "demo_conversation_A.csv",
        "demo_conversation_B.csv",
    ] {
        assert!(demo.join(f).is_file(), "{f} missing");
    }
    // The preview has the conversation's sound, as long as the video.
    let mp4 = demo.join("demo_conversation.mp4");
    let sound = duologue_audio::decode_file(&mp4, duologue_audio::ChannelMode::Mix).expect("mp4 audio");
    let secs = sound.len() as f32 / 16_000.0;
    assert!((secs - 9.5).abs() < 0.3, "{secs} s of sound");
    assert!(rms(&sound.tracks[0], 0, sound.len()) > 0.01);
    // Every file it wrote is reported.
    let files: Vec<&str> =
        s["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(files.iter().any(|f| f.ends_with("demo_conversation.mp4")), "{files:?}");
}

#[test]
fn generate_uses_the_built_in_model_without_flags() {
    let dir = tempdir("default");
    let audio = format!("{FIXTURES}/dialog_stereo.ogg");
    let run = generate(&dir, &[&audio, "--format", "arkit-csv"]);
    assert_success(&run);
    let s = summary(&run);
    assert_eq!(s["model"], "<embedded default model>");
    assert_eq!(s["frames"], 113);
    assert_eq!(s["warnings"].as_array().map(Vec::len), Some(0), "{s}");
    let first = Duo::read(&dir.join("out/dialog_stereo.npz")).unwrap();
    assert_shapes(&first, 113);
    assert!(dir.join("out/dialog_stereo_B.csv").is_file());

    // Identities: random by seed, or taken from a result file with --identity.
    let kept = dir.join("first.npz");
    std::fs::copy(dir.join("out/dialog_stereo.npz"), &kept).unwrap();
    assert_success(&generate(&dir, &[&audio, "--format", "arkit-csv", "--seed", "5"]));
    let other = Duo::read(&dir.join("out/dialog_stereo.npz")).unwrap();
    assert!(other.a.beta != first.a.beta && other.b.beta != first.b.beta, "another seed, other people");
    let run = generate(
        &dir,
        &[&audio, "--format", "arkit-csv", "--seed", "5", "--identity", kept.to_str().unwrap()],
    );
    assert_success(&run);
    let same = Duo::read(&dir.join("out/dialog_stereo.npz")).unwrap();
    assert!(same.a.beta == first.a.beta && same.b.beta == first.b.beta, "--identity keeps the people");
    let bad = generate(&dir, &[&audio, "--identity", &audio]);
    assert_clean_failure(&bad, &["--identity", "dialog_stereo.ogg"]);
}

#[test]
fn two_tracks_are_both_heard_in_the_preview_and_a_silent_person_listens() {
    let dir = tempdir("tracks");
    // A speaks 0-1.5 s, B the same words 2.0-3.5 s; 4 s each.
    let speech = hello();
    let mut a = speech.clone();
    a.resize(64_000, 0.0);
    let mut b = vec![0.0; 32_000];
    b.extend(&speech);
    b.resize(64_000, 0.0);
    let (pa, pb) = (write_wav(&dir, "anna.wav", &a), write_wav(&dir, "ben.wav", &b));
    let run = generate(&dir, &["--tracks", pa.to_str().unwrap(), pb.to_str().unwrap(), "--format", "mp4"]);
    assert_success(&run);
    let duo = Duo::read(&dir.join("out/anna.npz")).expect("named after A's track");
    assert_shapes(&duo, 100);
    let speaks = |m: &[f32], r: std::ops::Range<usize>| m[r].iter().any(|&v| v >= 0.5);
    assert!(speaks(&duo.a.mask, 0..40) && !speaks(&duo.a.mask, 55..100), "{:?}", duo.a.mask);
    assert!(speaks(&duo.b.mask, 50..90) && !speaks(&duo.b.mask, 0..45), "{:?}", duo.b.mask);
    // The MP4 carries both people: sound in A's turn and in B's, quiet in between and after.
    let sound = duologue_audio::decode_file(&dir.join("out/anna.mp4"), duologue_audio::ChannelMode::Mix)
        .expect("mp4 audio");
    let (turn_a, turn_b) = (rms(&sound.tracks[0], 1_600, 22_000), rms(&sound.tracks[0], 33_600, 54_000));
    let quiet = rms(&sound.tracks[0], 58_000, 63_000);
    assert!(turn_a > 0.02 && turn_b > 0.02 && quiet < 0.2 * turn_a.min(turn_b), "{turn_a} {turn_b} {quiet}");
    // No temporary mix is left behind in the output folder.
    let names: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("mix")), "{names:?}");

    // B silent throughout: B only listens, with a warning; results are still written.
    let quiet_b = write_wav(&dir, "nobody.wav", &vec![0.0; 64_000]);
    let run =
        generate(&dir, &["--tracks", pa.to_str().unwrap(), quiet_b.to_str().unwrap(), "--format", "glb"]);
    assert_success(&run);
    assert!(stderr(&run).contains("B never speaks"), "{}", stderr(&run));
    let duo = Duo::read(&dir.join("out/anna.npz")).unwrap();
    assert!(duo.b.mask.iter().all(|&m| m < 0.5) && duo.a.mask.iter().any(|&m| m >= 0.5));
    assert!(dir.join("out/anna.glb").is_file());
}

#[test]
fn no_speech_at_all_warns_and_still_writes_idle_listeners() {
    let dir = tempdir("silence");
    let silent = write_wav(&dir, "room_tone.wav", &vec![0.0; 48_000]);
    let run = generate(&dir, &[silent.to_str().unwrap(), "--format", "arkit-csv"]);
    assert_success(&run);
    let err = stderr(&run);
    assert!(err.lines().any(|l| l.starts_with("warning") && l.contains("no speech")), "{err}");
    let s = summary(&run);
    assert!(s["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("no speech")));
    let duo = Duo::read(&dir.join("out/room_tone.npz")).expect("result written");
    assert_shapes(&duo, 75);
    assert!(duo.a.mask.iter().chain(&duo.b.mask).all(|&m| m < 0.5));
    assert!(dir.join("out/room_tone_A.csv").is_file());
}

#[test]
fn audio_shorter_than_one_frame_is_a_clear_error() {
    let dir = tempdir("short");
    // 100 samples: less than the 640 of one 25 fps frame.
    let blip = write_wav(&dir, "blip.wav", &[0.1; 100]);
    let run = generate(&dir, &[blip.to_str().unwrap()]);
    assert_clean_failure(&run, &["blip.wav", "too short", "640"]);
    // An empty file, and one that is not audio.
    std::fs::write(dir.join("empty.wav"), b"").unwrap();
    assert_clean_failure(&generate(&dir, &[dir.join("empty.wav").to_str().unwrap()]), &["empty.wav"]);
    std::fs::write(dir.join("notes.mp3"), b"these are not audio samples at all").unwrap();
    assert_clean_failure(&generate(&dir, &[dir.join("notes.mp3").to_str().unwrap()]), &["notes.mp3"]);
}

#[test]
fn an_unreadable_model_is_named_in_one_error_line() {
    let dir = tempdir("model");
    let audio = format!("{FIXTURES}/hello.wav");
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"not a checkpoint").unwrap();
    assert_clean_failure(
        &generate(&dir, &[&audio, "--model", junk.to_str().unwrap()]),
        &["junk.safetensors"],
    );
    let missing = dir.join("missing.safetensors");
    assert_clean_failure(
        &generate(&dir, &[&audio, "--model", missing.to_str().unwrap()]),
        &["missing.safetensors", "cannot load model"],
    );
    // Nothing was written for a run that failed at the model.
    assert!(!dir.join("out").exists());
}

#[test]
fn positions_and_presets_that_layout_refuses_are_refused_before_any_work() {
    let dir = tempdir("layout");
    let audio = format!("{FIXTURES}/hello.wav");
    for (bad, words) in [
        (["--positions", "A=1,2;B=nonsense"], ["--positions", "A=1,2;B=nonsense"]),
        (["--positions", "A=NaN,0,0;B=0,0,1"], ["--positions", "NaN"]),
        (["--preset", "no-such-preset"], ["--preset", "no-such-preset"]),
    ] {
        assert_clean_failure(&generate(&dir, &[&audio, bad[0], bad[1], "--format", "arkit-csv"]), &words);
        // Nothing was written.
        assert!(!dir.join("out").exists());
    }
    // Out-of-range values are clamped with a note, as `duologue layout` does.
    let run = generate(&dir, &[&audio, "--positions", "A=0,0,-50;B=0,0,0.5", "--format", "arkit-csv"]);
    assert_success(&run);
    assert!(stderr(&run).contains("warning"), "{}", stderr(&run));
    let duo = Duo::read(&dir.join("out/hello.npz")).unwrap();
    assert!(duo.a.t0[2] >= -8.0 && duo.a.t0[2] < -7.0, "{:?}", duo.a.t0);
}

#[test]
fn inputs_past_the_length_cap_are_refused_before_decoding() {
    let dir = tempdir("huge");
    // A real 4 s file against a 3 s cap (0.05 minutes): refused from its header, which a file
    // of its size can hold.
    let long = write_wav(&dir, "long.wav", &vec![0.0; 64_000]);
    let run = generate(&dir, &[long.to_str().unwrap(), "--max-minutes", "0.05"]);
    assert_clean_failure(&run, &["long.wav", "its header states 4.0 s", "3.0 s", "--max-minutes"]);
    // Past the cap only when decoded: a header stating more than the file can hold is checked
    // as it decodes.
    let mut bytes = std::fs::read(&long).unwrap();
    bytes[4..8].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    bytes[40..44].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    let unstated = dir.join("unstated.wav");
    std::fs::write(&unstated, &bytes).unwrap();
    let run = generate(&dir, &[unstated.to_str().unwrap(), "--max-minutes", "0.05"]);
    assert_clean_failure(&run, &["unstated.wav", "holds more audio than the cap of 3.0 s", "--max-minutes"]);
    assert!(!dir.join("out").exists());
    // A forged header claiming ~4.3 GB of 16 kHz 16-bit mono (37 hours) over one second of
    // data (issue 21: refused as "2237.0 minutes of audio"): a file of 32 KB cannot hold that,
    // so the header is not believed and the one second it holds is generated.
    let mut bytes = encode_pcm16(&[0.0; 16_000], 16_000);
    let claim: u32 = 0xFFFF_FF00;
    bytes[4..8].copy_from_slice(&claim.wrapping_add(36).to_le_bytes());
    bytes[40..44].copy_from_slice(&claim.to_le_bytes());
    let huge = dir.join("huge.wav");
    std::fs::write(&huge, bytes).unwrap();
    let run = generate(&dir, &[huge.to_str().unwrap(), "--format", "arkit-csv"]);
    assert_success(&run);
    assert_eq!(summary(&run)["frames"], 25);
    std::fs::remove_dir_all(dir.join("out")).unwrap();
    assert_clean_failure(
        &generate(&dir, &[long.to_str().unwrap(), "--max-minutes", "0"]),
        &["--max-minutes"],
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn a_failed_run_leaves_the_previous_results_as_they_were() {
    // issue 21: an interrupted or failed generate left the previous mp4 beside the new npz/glb.
    let dir = tempdir("staged");
    let audio = format!("{FIXTURES}/hello.wav");
    assert_success(&generate(&dir, &[&audio, "--format", "arkit-csv"]));
    let out = dir.join("out");
    let before: Vec<(PathBuf, Vec<u8>)> = {
        let mut v: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| (p.clone(), std::fs::read(p).unwrap()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(before.len(), 5, "npz, two CSVs and their sidecars: {before:?}");
    // A folder where the new run's glb would go: the run fails at its very end, naming it.
    std::fs::create_dir(out.join("hello.glb")).unwrap();
    let run = generate(&dir, &[&audio, "--format", "glb", "--format", "arkit-csv", "--seed", "9"]);
    assert_clean_failure(&run, &["hello.glb", "in the way"]);
    for (path, bytes) in &before {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{} changed", path.display());
    }
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 6, "the five old files and the folder, no staging left: {names:?}");
    // Out of the way, the same run replaces them all.
    std::fs::remove_dir(out.join("hello.glb")).unwrap();
    assert_success(&generate(&dir, &[&audio, "--format", "glb", "--format", "arkit-csv", "--seed", "9"]));
    assert!(out.join("hello.glb").is_file());
    assert_ne!(
        std::fs::read(out.join("hello.npz")).unwrap(),
        before.iter().find(|(p, _)| p.ends_with("hello.npz")).unwrap().1
    );
}
