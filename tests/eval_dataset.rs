//! `duologue eval --model CKPT --data DIR` end to end on real data (paper Table 2): a tiny
//! simulated dataset, a tiny model trained a few steps, the evaluation with every baseline, and
//! one-line errors for bad input.

use std::path::{Path, PathBuf};

mod common;
use common::{assert_clean_failure, duologue, stderr, tempdir, train_tiny};

/// 8 clips of 4 s; seed 2 with these fractions puts 2 clips in test, 5 in train, 1 in val.
fn simulate(dir: &Path) -> PathBuf {
    let sim = dir.join("sim");
    let run = duologue(&[
        "simulate",
        "--clips",
        "8",
        "--seconds",
        "4",
        "--seed",
        "2",
        "--test",
        "0.25",
        "--val",
        "0.1",
        "--out",
        sim.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    sim
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn eval_scores_a_checkpoint_and_the_baselines_on_the_test_split() {
    let dir = tempdir("full");
    let sim = simulate(&dir);
    let run = train_tiny(&sim, &dir.join("run"), "5", &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let ckpt = dir.join("run/checkpoint.safetensors");
    let out = dir.join("report");
    let run = duologue(&[
        "eval",
        "--model",
        ckpt.to_str().unwrap(),
        "--data",
        sim.to_str().unwrap(),
        "--steps",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--save-predictions",
        "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    // --save-predictions: the model's result per clip, readable, with the clip's own masks.
    let mut saved: Vec<PathBuf> =
        std::fs::read_dir(out.join("predictions")).unwrap().map(|e| e.unwrap().path()).collect();
    saved.sort();
    assert_eq!(saved.len(), 2, "{saved:?}");
    for p in &saved {
        let duo = duologue_params::Duo::read(p).expect("a result file");
        assert_eq!(duo.frames(), 100);
        assert!(duo.a.x.as_slice().iter().chain(duo.b.x.as_slice()).all(|x| x.is_finite()));
        assert!(duo.a.mask.iter().chain(&duo.b.mask).any(|&m| m >= 0.5), "GT masks carried");
    }
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    assert_eq!(v, written, "--json prints what eval.json holds");
    assert_eq!(v["clips"], 2);
    assert_eq!(v["frames"], 200, "2 clips x 4 s x 25 fps");
    assert_eq!(v["settings"]["ddim_steps"], 2);
    assert_eq!(v["settings"]["window_frames"], 50);
    // Retrieval windows as long as the test clips: one per 100-frame training clip.
    assert_eq!(v["settings"]["retrieval_window_frames"], 100);
    assert_eq!(v["settings"]["train_windows"], 5, "5 training clips of 100 frames");
    let order: Vec<&str> = v["order"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(order, ["gt", "model", "mean", "listen-r", "listen-a", "listen-m", "independent"]);
    let m = &v["methods"];

    // The ground truth against itself: every error is zero, FD ~ 0; its quality metrics are the
    // reference. Simulated lips follow the speech and listeners mostly look at each other.
    let gt = &m["gt"];
    for g in ["FULL", "EXP", "ROT", "TRANSL", "EYE", "LIP"] {
        assert_eq!(num(&gt["mse"][g]), 0.0, "{g}");
    }
    assert_eq!(num(&gt["vmse_m2"]), 0.0);
    assert_eq!(num(&gt["lip_vertex_error_speaker_m2"]), 0.0);
    assert!(num(&gt["fd_params"]).abs() < 1e-6 && num(&gt["pfd_params"]).abs() < 1e-6);
    // Vertex features are world positions of two heads a metre apart: a covariance with a few
    // large and many near-zero eigenvalues, where the square-root trace is exact only to about
    // sqrt(eps) x the largest eigenvalue per null direction, so "zero" is relative here.
    let fdv_scale = num(&m["mean"]["fd_vertices"]);
    assert!(num(&gt["fd_vertices"]).abs() < 1e-3 * fdv_scale, "{} vs {fdv_scale}", gt["fd_vertices"]);
    assert!(num(&gt["pfd_vertices"]).abs() < 1e-3 * num(&m["mean"]["pfd_vertices"]));
    let agree = num(&gt["role_agreement"]);
    assert!(agree > 0.6 && agree <= 1.0, "GT mask-role agreement {agree}");
    let gaze = num(&gt["listening_gaze_rate"]);
    assert!(gaze > 0.5 && gaze <= 1.0, "GT gaze at partner while listening {gaze}");
    assert!(num(&gt["sid_speaker_bits"]) > 0.0);

    // Every method: finite, non-negative errors over the same 200 frames.
    for name in &order[1..] {
        let r = &m[*name];
        assert_eq!(r["frames"], 200, "{name}");
        for key in ["vmse_m2", "vmse_speaker_m2", "vmse_listener_m2", "lip_vertex_error_speaker_m2"] {
            let x = num(&r[key]);
            assert!(x.is_finite() && x >= 0.0, "{name} {key} {x}");
        }
        for g in ["FULL", "EXP", "ROT", "TRANSL", "EYE", "LIP"] {
            assert!(num(&r["mse"][g]).is_finite(), "{name} {g}");
        }
        let rate = num(&r["role_agreement"]);
        assert!((0.0..=1.0).contains(&rate), "{name} {rate}");
    }
    assert!(num(&m["model"]["mse"]["FULL"]) > 0.0);
    // Mask-role agreement by the speaker's voice family: the families' frames together are all
    // single-speaker frames, so their frame-weighted rates give back the pooled ones.
    let fam = v["role_agreement_by_voice_family"].as_object().expect("families");
    assert!(!fam.is_empty());
    for key in ["model", "gt"] {
        let (mut agree, mut frames) = (0.0, 0.0);
        for (name, f) in fam {
            assert!(["espeak", "espeak-klatt", "mbrola", "piper"].contains(&name.as_str()), "{name}");
            let n = num(&f["frames"]);
            if n > 0.0 {
                agree += num(&f[key]) * n;
                frames += n;
            }
        }
        let pooled = num(&m[key]["role_agreement"]);
        assert!(
            (agree / frames - pooled).abs() < 1e-9,
            "{key}: families {} vs pooled {pooled}",
            agree / frames
        );
    }
    // Lip sync per family: the ground truth's speakers open their mouths with their own speech
    // in every family that speaks alone, at a lag inside the searched +-200 ms.
    for (name, f) in fam {
        if num(&f["frames"]) < 50.0 {
            continue;
        }
        for key in ["lipsync_gt", "lipsync_model"] {
            let (corr, lag) = (num(&f[key]["corr"]), num(&f[key]["lag_ms"]));
            assert!((-1.0..=1.0).contains(&corr) && lag.abs() <= 200.0, "{name} {key}: {corr} at {lag} ms");
        }
        assert!(num(&f["lipsync_gt"]["corr"]) > 0.1, "{name}: {}", f["lipsync_gt"]);
    }
    // The mean pose never moves: one k-means cluster (SID 0) and lips that never move, so
    // mask-role agreement is 0.
    assert_eq!(num(&m["mean"]["sid_speaker_bits"]), 0.0);
    for g in ["EXP", "JAW", "HEAD"] {
        assert_eq!(num(&m["mean"]["sid_groups_bits"][g]["listener"]), 0.0, "mean {g}");
    }
    assert!(num(&gt["sid_groups_bits"]["EXP"]["speaker"]) > 0.0);
    assert_eq!(num(&m["mean"]["role_agreement"]), 0.0);
    assert!(num(&m["mean"]["fd_params"]) > 0.0);
    assert!(num(&m["mean"]["fd_vertices"]) > 0.0 && num(&m["mean"]["pfd_vertices"]) > 0.0);

    let md = std::fs::read_to_string(out.join("eval.md")).unwrap();
    assert!(md.contains("## Mask-role agreement and lip sync by the speaker's voice family"), "{md}");
    // One clip's curves are drawn (the first by default) and named in the report.
    let plots: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    assert_eq!(plots.len(), 1, "{plots:?}");
    let svg = std::fs::read_to_string(&plots[0]).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.contains("polyline") && md.contains(&plots[0].display().to_string()), "{md}");
    assert!(md.contains("| gt |") && md.contains("| listen-m |") && md.contains("x 1e3"), "{md}");
    assert!(md.contains("SID per parameter group") && md.contains("| mean | 0.00 / 0.00 |"), "{md}");

    // Seeded: the same run again gives the same model numbers.
    let quick = || {
        duologue(&[
            "eval",
            "--model",
            ckpt.to_str().unwrap(),
            "--data",
            sim.to_str().unwrap(),
            "--steps",
            "2",
            "--clips",
            "1",
            "--baselines",
            "none",
            "--no-vertices",
            "--out",
            dir.join("again").to_str().unwrap(),
            "--json",
        ])
    };
    let again = quick();
    assert!(again.status.success(), "{}", stderr(&again));
    let a: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(a["clips"], 1);
    assert_eq!(a["order"].as_array().unwrap().len(), 2, "gt and model only");
    assert!(a["methods"]["model"]["vmse_m2"].is_null(), "--no-vertices");
    let b = quick();
    let b: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_eq!(a["methods"]["model"]["mse"], b["methods"]["model"]["mse"]);

    // Bad input: one error line naming the file, never a panic.
    let model = ckpt.to_str().unwrap();
    let data = sim.to_str().unwrap();
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"not a checkpoint").unwrap();
    assert_clean_failure(
        &duologue(&["eval", "--model", junk.to_str().unwrap(), "--data", data]),
        &["junk.safetensors"],
    );
    assert_clean_failure(
        &duologue(&["eval", "--model", model, "--data", data, "--split", "nosuch"]),
        &["no clips in split 'nosuch'", "sim"],
    );
    assert_clean_failure(
        &duologue(&["eval", "--model", model, "--data", dir.to_str().unwrap()]),
        &["manifest.jsonl"],
    );
    assert_clean_failure(
        &duologue(&["eval", "--model", model, "--data", data, "--train-data", dir.to_str().unwrap()]),
        &["manifest.jsonl"],
    );
    assert_clean_failure(
        &duologue(&["eval", "--model", model, "--data", data, "--baselines", "mean,oracle"]),
        &["oracle"],
    );
}
