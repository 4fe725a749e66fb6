//! The `duologue` binary end to end: real result files in, real exports out, and one-line errors
//! (non-zero exit, no panic) for every kind of bad input the issues list.

use duologue_params::{Duo, Motion, Person, X_DIM};
use std::path::{Path, PathBuf};

mod common;
use common::{assert_clean_failure, assert_success, duologue, stderr, tempdir, train_tiny};
use std::process::Command;

/// A short conversation-like result: A talks (jaw moving), B nods, they face each other.
fn result(frames: usize) -> Duo {
    let mut a = Person::neutral(frames, [0.0, 0.0, -0.5]);
    let mut b = Person::neutral(frames, [0.0, 0.0, 0.5]);
    let mut xa = vec![0.0f32; frames * X_DIM];
    let mut xb = vec![0.0f32; frames * X_DIM];
    for k in 0..frames {
        let t = k as f32 / 25.0;
        xa[k * X_DIM] = (t * 9.0).sin().max(0.0) * 0.8; // jaw_open
        xa[k * X_DIM + 64] = std::f32::consts::PI; // neck yaw: A turns to face +Z
        xb[k * X_DIM + 66] = (t * 12.0).sin() * 0.1; // head pitch: nodding
    }
    a.x = Motion::from_vec(xa).unwrap();
    b.x = Motion::from_vec(xb).unwrap();
    a.mask = vec![1.0; frames];
    Duo { a, b, fps: 25.0 }
}

#[test]
fn export_writes_every_format_and_they_read_back() {
    let dir = tempdir("export");
    let npz = dir.join("talk.npz");
    result(30).write(&npz).unwrap();
    let out = dir.join("out");
    let run = duologue(&[
        "export",
        npz.to_str().unwrap(),
        "--format",
        "glb,arkit-csv,arkit-json,png",
        "--width",
        "320",
        "--height",
        "240",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let files: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    let has = |suffix: &str| files.iter().any(|f| f.ends_with(suffix));
    assert!(has(".glb") && has(".csv") && has(".json") && has(".png"), "{files:?}");
    // The glb is a real glTF binary with both heads.
    let glb = files.iter().find(|f| f.ends_with(".glb")).unwrap();
    let bytes = std::fs::read(out.join(glb)).unwrap();
    assert_eq!(&bytes[0..4], b"glTF");
    let json_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let json: serde_json::Value = serde_json::from_slice(&bytes[20..20 + json_len]).unwrap();
    assert_eq!(json["skins"].as_array().unwrap().len(), 2);
    // Each CSV holds one row per frame, its rate in the sidecar beside it.
    for csv in files.iter().filter(|f| f.ends_with(".csv")) {
        let text = std::fs::read_to_string(out.join(csv)).unwrap();
        assert_eq!(text.lines().count(), 1 + 30, "{csv}");
        let side: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(format!("{csv}.json"))).unwrap()).unwrap();
        assert_eq!(side["fps"], 25.0);
    }
    // Split morph targets by default; ARKit-named ones and 60 fps curves on request.
    assert_eq!(json["meshes"][0]["extras"]["morphs"], "split");
    let out60 = dir.join("out60");
    let run = duologue(&[
        "export",
        npz.to_str().unwrap(),
        "--format",
        "glb,arkit-csv",
        "--arkit-morphs",
        "--arkit-fps",
        "60",
        "--out",
        out60.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let bytes = std::fs::read(out60.join("talk.glb")).unwrap();
    let json_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let json: serde_json::Value = serde_json::from_slice(&bytes[20..20 + json_len]).unwrap();
    assert_eq!(json["meshes"][0]["extras"]["targetNames"][17], "jawOpen");
    let text = std::fs::read_to_string(out60.join("talk_A.csv")).unwrap();
    // 30 frames at 25 fps span 1.16 s: 70 frames at 60 fps.
    assert_eq!(text.lines().count(), 1 + 70);
    assert!(text.lines().nth(61).unwrap().starts_with("00:00:01:00.000,61,"));
    let bad = duologue(&[
        "export",
        npz.to_str().unwrap(),
        "--format",
        "arkit-csv",
        "--arkit-fps",
        "0",
        "--out",
        out60.to_str().unwrap(),
    ]);
    assert!(!bad.status.success() && stderr(&bad).contains("frame rate"), "{}", stderr(&bad));
    // The preview camera is the user's choice: split-screen puts a dark divider down the
    // middle under the inset, the front view does not; an unknown name lists the choices.
    let middle_column = |camera: &str| {
        let out = dir.join(format!("png-{camera}"));
        let run = duologue(&[
            "export",
            npz.to_str().unwrap(),
            "--format",
            "png",
            "--width",
            "320",
            "--height",
            "240",
            "--camera",
            camera,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(run.status.success(), "{}", stderr(&run));
        let png = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "png"));
        let img = duologue_render::Image::load_png(&png.unwrap()).unwrap();
        (100..180).filter(|&y| img.pixel(159, y).iter().all(|&c| c < 16)).count()
    };
    assert_eq!(middle_column("split"), 80);
    assert_eq!(middle_column("front"), 0);
    let bad = duologue(&[
        "export",
        npz.to_str().unwrap(),
        "--format",
        "png",
        "--camera",
        "overhead",
        "--out",
        out60.to_str().unwrap(),
    ]);
    assert!(
        !bad.status.success() && stderr(&bad).contains("auto, two-shot, split, front"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn masks_reports_voices_warns_on_one_and_takes_an_embedder() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/audio/tests/fixtures");
    let dialog = format!("{fixtures}/dialog_stereo.ogg");
    let run = duologue(&["masks", &dialog, "--json"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let j: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
    assert_eq!(j["method"], "mixed:ge2e");
    assert_eq!(j["mix"]["speakers"], 2, "{}", j["mix"]);
    assert_eq!(j["m_A"].as_array().unwrap().len(), 113);
    let text = duologue(&["masks", &dialog, "--embedder", "spectral"]);
    assert!(text.status.success(), "{}", stderr(&text));
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("mixed:spectral") && out.contains("two voices"), "{out}");
    // One voice: all speech goes to A, and stderr says how to give two people.
    let hello = format!("{fixtures}/hello.mp3");
    let one = duologue(&["masks", &hello, "--json"]);
    assert!(one.status.success(), "{}", stderr(&one));
    let j: serde_json::Value = serde_json::from_slice(&one.stdout).expect("json");
    assert_eq!(j["mix"]["speakers"], 1);
    assert!(stderr(&one).contains("warning") && stderr(&one).contains("--tracks"), "{}", stderr(&one));
    // Two tracks: no mix report; a missing weights file is a one-line error naming it.
    let tracks = duologue(&["masks", "--tracks", &dialog, &hello, "--json"]);
    assert!(tracks.status.success(), "{}", stderr(&tracks));
    let j: serde_json::Value = serde_json::from_slice(&tracks.stdout).expect("json");
    assert_eq!((j["method"].as_str(), j["mix"].is_null()), (Some("tracks"), true));
    let bad = duologue(&["masks", &dialog, "--ge2e", "no/such/ge2e.safetensors"]);
    assert_clean_failure(&bad, &["no/such/ge2e.safetensors"]);
}

#[test]
fn info_reports_frames_and_layout() {
    let dir = tempdir("info");
    let npz = dir.join("r.npz");
    result(50).write(&npz).unwrap();
    let run = duologue(&["info", npz.to_str().unwrap(), "--json"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(v["frames"], 50);
    assert_eq!(v["seconds"], 2.0);
    assert_eq!(v["t0_B"][2], 0.5);
    assert_eq!(v["speaking_seconds_A"], 2.0);
}

#[test]
fn bad_results_fail_with_one_line_naming_file_and_array() {
    let dir = tempdir("bad");
    let good = dir.join("good.npz");
    result(10).write(&good).unwrap();
    let out = dir.join("out");
    let export = |p: &Path, fmt: &str| {
        duologue(&["export", p.to_str().unwrap(), "--format", fmt, "--out", out.to_str().unwrap()])
    };

    // Wrong shape: x_B with 77 columns.
    let mut npz = duologue_params::read_npz(&good).unwrap();
    npz.insert("x_B".into(), duologue_params::npy::Array::new(vec![10, 77], vec![0.0; 770]));
    let wrong = dir.join("wrong.npz");
    duologue_params::write_npz(&wrong, &npz).unwrap();
    assert_clean_failure(&export(&wrong, "glb"), &["wrong.npz", "x_B", "[10, 78]"]);

    // NaN inside x_A.
    let mut npz = duologue_params::read_npz(&good).unwrap();
    npz.get_mut("x_A").unwrap().data[100] = f32::NAN;
    let nan = dir.join("nan.npz");
    duologue_params::write_npz(&nan, &npz).unwrap();
    assert_clean_failure(&export(&nan, "arkit-csv"), &["nan.npz", "x_A", "non-finite"]);

    // Empty and truncated files, a missing file.
    let empty = dir.join("empty.npz");
    std::fs::write(&empty, b"").unwrap();
    assert_clean_failure(&export(&empty, "glb"), &["empty.npz"]);
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.join("cut.npz");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    assert_clean_failure(&export(&cut, "glb"), &["cut.npz"]);
    assert_clean_failure(&export(&dir.join("absent.npz"), "glb"), &["absent.npz"]);

    // An unknown format is refused by the argument parser, naming the value.
    let run = export(&good, "fbx");
    assert!(!run.status.success());
    assert!(stderr(&run).contains("fbx") && !stderr(&run).contains("panicked"));
    assert!(!out.join("good.glb").exists());
}

#[test]
fn face_lists_the_63_components_lip_group_first() {
    let run = duologue(&["face", "--list"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("jaw_open") && text.contains("blink_left") && text.contains("smile_right"));
    let jaw = text.find("jaw_open").unwrap();
    let smile = text.find("smile_left").unwrap();
    assert!(jaw < smile, "lip/jaw group must come first");
}

/// `duologue simulate --clips CLIPS --seed SEED` into DIR/sim.
fn simulate(dir: &Path, clips: &str, seed: &str) -> PathBuf {
    let sim = dir.join("sim");
    let run = duologue(&["simulate", "--clips", clips, "--seed", seed, "--out", sim.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    sim
}

#[test]
fn simulate_then_train_then_resume() {
    let dir = tempdir("train");
    let sim = simulate(&dir, "4", "3");
    let out = dir.join("run");
    let train =
        |steps: &str, resume: bool| train_tiny(&sim, &out, steps, if resume { &["--resume"] } else { &[] });
    let first = train("10", false);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(out.join("checkpoint.safetensors").is_file());
    let second = train("20", true);
    assert!(second.status.success(), "{}", stderr(&second));
    // The metrics log has one row per logging step, with step and loss, continuing past 10.
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let steps: Vec<u64> = rows.iter().map(|r| r["step"].as_u64().unwrap()).collect();
    assert_eq!(steps.last(), Some(&20), "{steps:?}");
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    assert!(rows.iter().all(|r| r["loss"].as_f64().unwrap().is_finite()));

    // A folder that is not a dataset.
    let bad = train_tiny(&dir, &out, "10", &["--overwrite"]);
    assert_clean_failure(&bad, &["manifest"]);

    // The run is never lost: a new run into its folder is refused without --overwrite, and so
    // is --resume where there is nothing to resume; the files stay as they were.
    let files = ["checkpoint.safetensors", "metrics.jsonl", "config.toml"];
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(out.join(f)).unwrap()).collect();
    assert_clean_failure(&train("5", false), &["already holds a training run", "--resume", "--overwrite"]);
    let nowhere = dir.join("no-such-run");
    assert_clean_failure(
        &train_tiny(&sim, &nowhere, "5", &["--resume"]),
        &["nothing to resume", "checkpoint.safetensors"],
    );
    assert!(!nowhere.exists(), "a refused resume creates nothing");
    assert_clean_failure(&train_tiny(&sim, &out, "0", &["--resume"]), &["--steps", "at least 1"]);
    let after: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(out.join(f)).unwrap()).collect();
    assert!(before == after, "the run's files changed");
}

#[test]
fn a_model_that_hears_whisper_trains_from_cached_features_and_generates() {
    let dir = tempdir("whisper");
    let sim = simulate(&dir, "3", "5");
    let tiny = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/tiny.toml")).unwrap();
    let config = dir.join("whisper.toml");
    std::fs::write(&config, tiny.replace("audio_dim = 80", "audio_dim = 384\nfeatures = \"whisper-tiny\""))
        .unwrap();
    let cache = dir.join("cache");
    let train = |out: &Path, extra: &[&str]| {
        let mut args = vec!["train", "--config", config.to_str().unwrap(), "--data", sim.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap(), "--steps", "3"]);
        args.extend(extra);
        Command::new(env!("CARGO_BIN_EXE_duologue"))
            .env("DUOLOGUE_FEATURE_CACHE", &cache)
            .args(&args)
            .output()
            .expect("run duologue")
    };
    let losses = |out: &Path| -> Vec<f64> {
        std::fs::read_to_string(out.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"].as_f64().unwrap())
            .collect()
    };
    let (first, second) = (dir.join("first"), dir.join("second"));
    assert_success(&train(&first, &[]));
    // One cache file per clip of the train and val splits, 38.4 KB per second of audio.
    let files: Vec<PathBuf> = std::fs::read_dir(cache.join("whisper-tiny"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .collect();
    assert!(!files.is_empty() && files.len() <= 3, "{files:?}");
    assert!(files.iter().all(|f| std::fs::metadata(f).unwrap().len() == 16 + 250 * 384 * 4));
    // The same run again reads them back: the same losses to the last bit.
    assert_success(&train(&second, &[]));
    assert_eq!(losses(&first), losses(&second));
    // A log-mel network's weights start a Whisper one (all but its audio rows, which start at
    // zero), here at another learning rate, recorded in the run's config.
    let mel = dir.join("mel");
    assert_success(&duologue(&[
        "train",
        "--config",
        concat!(env!("CARGO_MANIFEST_DIR"), "/configs/tiny.toml"),
        "--data",
        sim.to_str().unwrap(),
        "--out",
        mel.to_str().unwrap(),
        "--steps",
        "2",
    ]));
    let third = dir.join("third");
    let init = mel.join("checkpoint.safetensors");
    assert_success(&train(&third, &["--init", init.to_str().unwrap(), "--lr", "2e-4"]));
    let run_config = std::fs::read_to_string(third.join("config.toml")).unwrap();
    assert!(run_config.contains("lr = 0.0002"), "{run_config}");
    assert!(run_config.contains("features = \"whisper-tiny\""), "{run_config}");
    assert_clean_failure(&train(&dir.join("fourth"), &["--lr", "0"]), &["learning rate"]);
    // The checkpoint names its features, so generate computes Whisper's without being told.
    let out = dir.join("out");
    let gen = duologue(&[
        "generate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/crates/audio/tests/fixtures/dialog_stereo.ogg"),
        "--model",
        first.join("checkpoint.safetensors").to_str().unwrap(),
        "--steps",
        "1",
        "--format",
        "glb",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&gen);
    assert_eq!(Duo::read(&out.join("dialog_stereo.npz")).expect("npz").frames(), 113);
}

#[test]
fn generate_from_a_trained_tiny_model() {
    let dir = tempdir("generate");
    let sim = simulate(&dir, "3", "4");
    let train_dir = dir.join("run");
    let train = train_tiny(&sim, &train_dir, "5", &[]);
    assert!(train.status.success(), "{}", stderr(&train));
    let ckpt = train_dir.join("checkpoint.safetensors");
    let audio = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/audio/tests/fixtures/dialog_stereo.ogg");
    let out = dir.join("out");
    let gen = duologue(&[
        "generate",
        audio,
        "--model",
        ckpt.to_str().unwrap(),
        "--positions",
        "A=-0.5,0,0;B=0.5,0,0",
        "--steps",
        "2",
        "--format",
        "glb",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(gen.status.success(), "{}", stderr(&gen));
    let summary: serde_json::Value = serde_json::from_slice(&gen.stdout).expect("json summary");
    assert_eq!(summary["frames"], 113);
    // The masks it was conditioned on: the dialog's two voices, told apart with confidence.
    let masks = &summary["masks"];
    assert_eq!(masks["mix"]["speakers"], 2, "{masks}");
    assert!(masks["mix"]["confidence"].as_f64().unwrap() > 0.5, "{masks}");
    assert!(
        masks["speaking_A"].as_f64().unwrap() > 1.0 && masks["speaking_B"].as_f64().unwrap() > 0.7,
        "{masks}"
    );
    let duo = Duo::read(&out.join("dialog_stereo.npz")).expect("dialog_stereo.npz");
    assert_eq!(duo.frames(), 113);
    assert_eq!(duo.a.t0, [-0.5, 0.0, 0.0]);
    assert!(out.join("dialog_stereo.glb").is_file());

    // No model given (the built-in default model: tests/generate.rs), an unreadable model, and
    // a layout the parser rejects (refused, as `duologue layout` refuses it).
    let no_model = duologue(&[
        "generate",
        audio,
        "--steps",
        "1",
        "--format",
        "arkit-csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(no_model.status.success(), "{}", stderr(&no_model));
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"not a checkpoint").unwrap();
    let bad_model =
        duologue(&["generate", audio, "--model", junk.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_clean_failure(&bad_model, &["junk.safetensors"]);
    let fallback = duologue(&[
        "generate",
        audio,
        "--model",
        ckpt.to_str().unwrap(),
        "--positions",
        "nonsense",
        "--steps",
        "1",
        "--format",
        "arkit-csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_failure(&fallback, &["--positions", "nonsense"]);
}

#[test]
fn eval_scores_a_known_offset_and_refuses_mismatched_lengths() {
    let dir = tempdir("eval");
    let gt = result(60);
    let gt_path = dir.join("gt.npz");
    gt.write(&gt_path).unwrap();
    // The prediction is the ground truth with every lip/jaw coefficient 0.1 too high.
    let mut pred = gt.clone();
    for who in [&mut pred.a, &mut pred.b] {
        for k in 0..60 {
            for v in &mut who.x.frame_mut(k)[duologue_params::LIP] {
                *v += 0.1;
            }
        }
    }
    let pred_path = dir.join("pred.npz");
    pred.write(&pred_path).unwrap();
    let run = duologue(&[
        "eval",
        "--pred",
        pred_path.to_str().unwrap(),
        "--gt",
        gt_path.to_str().unwrap(),
        "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let lip = v["mse"]["LIP"].as_f64().unwrap();
    assert!((lip - 0.01).abs() < 1e-6, "{lip}");
    assert!((v["mse"]["EXP"].as_f64().unwrap() - 0.01 * 20.0 / 63.0).abs() < 1e-6);
    assert_eq!(v["mse"]["ROT"].as_f64().unwrap(), 0.0);
    assert!(v["lip_vertex_error_m2"].as_f64().unwrap() > 0.0);
    assert!(v["sid_speaker_bits"].is_f64(), "60 speaking frames of A are enough for k = 40");

    // Against itself every error is zero.
    let same =
        duologue(&["eval", "--pred", gt_path.to_str().unwrap(), "--gt", gt_path.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(v["mse"]["FULL"].as_f64().unwrap(), 0.0);
    assert!(v["fd_params"].as_f64().unwrap().abs() < 1e-6);

    // A shorter prediction is an error naming both files, not a truncated score.
    let short = dir.join("short.npz");
    result(40).write(&short).unwrap();
    let bad = duologue(&["eval", "--pred", short.to_str().unwrap(), "--gt", gt_path.to_str().unwrap()]);
    assert_clean_failure(&bad, &["short.npz", "gt.npz", "40", "60"]);
}

/// `GET path` on `addr` with ureq (the binary's own HTTP client): (status, body).
fn http_get(addr: &str, path: &str) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let mut res = agent.get(format!("http://{addr}{path}")).call().unwrap();
    let body = res.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
    (res.status().as_u16(), body)
}

#[test]
fn view_prints_its_url_and_serves_the_result_and_the_page() {
    use std::io::BufRead;
    let dir = tempdir("view");
    let path = dir.join("talk.npz");
    result(50).write(&path).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_duologue"))
        .args(["view", path.to_str().unwrap(), "--port", "0", "--no-open"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let served = (|| {
        let url = line.trim().strip_prefix("duologue view: http://")?.split('/').next()?.to_string();
        Some(url)
    })();
    let Some(addr) = served else {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!("no URL in {line:?}: {}", stderr(&out));
    };
    let results = http_get(&addr, "/api/results");
    let page = http_get(&addr, "/");
    let three = http_get(&addr, "/vendor/three.js");
    let missing = http_get(&addr, "/api/jobs");
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(results.0, 200);
    let list: serde_json::Value = serde_json::from_slice(&results.1).unwrap();
    assert_eq!(list["results"][0]["name"], "talk.npz", "{list}");
    assert_eq!(list["results"][0]["audio"], false, "no talk.wav beside it: {list}");
    assert_eq!(list["results"][0]["frames"], 50, "{list}");
    assert_eq!(page.0, 200);
    assert!(
        String::from_utf8_lossy(&page.1).contains("<canvas")
            || String::from_utf8_lossy(&page.1).contains("app.js")
    );
    assert_eq!(three.0, 200);
    assert!(three.1.len() > 100_000, "three.js is {} bytes", three.1.len());
    // `view` takes no jobs: that needs `serve`.
    assert_eq!(missing.0, 404);
    assert!(String::from_utf8_lossy(&missing.1).contains("duologue serve"));
}
