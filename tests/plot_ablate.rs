//! `duologue plot` and `duologue train --ablate` end to end (paper §4.3–4.4): a real result and real
//! audio to an SVG, and Table 3's switches recorded in a trained run's config.toml.

use duologue_params::{Duo, Person, FPS};
use std::path::Path;
use std::process::Output;

mod common;
use common::{assert_clean_failure, duologue, stderr, tempdir, train_tiny};

fn train(data: &Path, out: &Path, ablate: &str) -> Output {
    train_tiny(data, out, "3", &["--ablate", ablate])
}

/// Face to face, A's jaw opening and closing twice a second.
fn result(frames: usize, jaw: f32) -> Duo {
    let mut a = Person::neutral(frames, [0.0, 0.0, -0.5]);
    let b = Person::neutral(frames, [0.0, 0.0, 0.5]);
    for k in 0..frames {
        let t = k as f32 / FPS as f32;
        a.x.frame_mut(k)[0] = jaw * (t * 4.0 * std::f32::consts::PI).sin().max(0.0);
        a.x.frame_mut(k)[duologue_params::Joint::Head.range().start + 1] = std::f32::consts::PI;
        a.mask[k] = 1.0;
    }
    Duo { a, b, fps: FPS as f32 }
}

#[test]
fn plot_writes_three_panels_with_ground_truth_and_audio() {
    let dir = tempdir("plot");
    let audio = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/audio/tests/fixtures/hello.wav");
    let (pred, gt) = (dir.join("pred.npz"), dir.join("gt.npz"));
    result(40, 1.0).write(&pred).unwrap();
    result(40, 0.5).write(&gt).unwrap();
    let svg = dir.join("plots/clip.svg");
    let args = ["plot", "--pred", pred.to_str().unwrap(), "--gt", gt.to_str().unwrap(), "--audio", audio];
    let run = duologue(&[&args[..], &["--out", svg.to_str().unwrap()]].concat());
    assert!(run.status.success(), "{}", stderr(&run));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<?xml") && text.trim_end().ends_with("</svg>"));
    assert_eq!(text.matches(r#"class="panel""#).count(), 3);
    assert_eq!(text.matches("<polyline").count(), 13, "energy + 3 panels x (A, B) x (pred, gt)");
    assert!(
        text.contains(r#"data-series="audio energy (dB)""#) && text.contains(r#"data-series="mouth A (gt)""#)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("40 frames"), "{stdout}");

    // Without extras: six curves; bad inputs fail in one line naming the file.
    let run = duologue(&["plot", "--pred", pred.to_str().unwrap(), "--out", svg.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(std::fs::read_to_string(&svg).unwrap().matches("<polyline").count(), 6);
    let short = dir.join("short.npz");
    result(30, 1.0).write(&short).unwrap();
    let run = duologue(&[
        "plot",
        "--pred",
        pred.to_str().unwrap(),
        "--gt",
        short.to_str().unwrap(),
        "--out",
        "x.svg",
    ]);
    assert_clean_failure(&run, &["short.npz", "frames"]);
    let missing = dir.join("missing.wav");
    let run = duologue(&[
        "plot",
        "--pred",
        pred.to_str().unwrap(),
        "--audio",
        missing.to_str().unwrap(),
        "--out",
        "x.svg",
    ]);
    assert_clean_failure(&run, &["missing.wav"]);
    let _ = std::fs::remove_dir_all(dir);
}

fn simulate(out: &Path, single: bool) {
    let mut args =
        vec!["simulate", "--clips", "4", "--seconds", "3", "--seed", "5", "--out", out.to_str().unwrap()];
    if single {
        args.push("--single");
    }
    let run = duologue(&args);
    assert!(run.status.success(), "{}", stderr(&run));
}

#[test]
fn ablations_are_applied_and_recorded_in_the_run_config() {
    let dir = tempdir("ablate");
    let (conv, mono) = (dir.join("conv"), dir.join("mono"));
    simulate(&conv, false);
    simulate(&mono, true);

    let run = dir.join("run");
    let out = train(&conv, &run, "no-gaze,no-cross-attn,no-role");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(run.join("config.toml")).unwrap();
    let config: duologue_model::Config = duologue_model::Config::from_toml(&text).unwrap();
    assert!(!config.model.cross_attention && !config.model.role_embedding);
    assert_eq!(config.train.loss.gaze, 0.0);
    assert_eq!(config.train.ablations, ["no-cross-attn", "no-role", "no-gaze"]);
    // The checkpoint carries the same architecture and loads for generation.
    let ckpt = duologue_model::Checkpoint::read(&run.join("checkpoint.safetensors")).unwrap();
    assert_eq!(ckpt.meta.config, config);

    // Single-person: monologues only.
    let out = train(&conv, &dir.join("bad"), "single-person");
    assert_clean_failure(&out, &["single-person", "simulate --single", "simulated"]);
    let out = train(&mono, &dir.join("single"), "single-person");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("single/config.toml")).unwrap();
    assert!(text.contains(r#"ablations = ["single-person"]"#), "{text}");
    assert_clean_failure(&train(&conv, &dir.join("bad"), "no-such-thing"), &["no-such-thing"]);
    let _ = std::fs::remove_dir_all(dir);
}
