//! `duologue bench generate` and `bench serve` end to end on tiny settings: every generate case runs in its own process on
//! real (espeak-ng) speech and reports its stages and peak memory; cases past `--max-windows`
//! are estimated from the measured ones. No timing thresholds: timings belong to the benchmark.
//! Needs espeak-ng (scripts/setup.sh installs it).

use serde_json::Value;

mod common;
use common::{duologue, stderr, tempdir};

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

#[test]
fn bench_generate_measures_each_case_in_its_own_process_and_estimates_the_rest() {
    let dir = tempdir("generate");
    let json = dir.join("bench.json");
    let run = duologue(&[
        "bench",
        "generate",
        "--durations",
        "1,12",
        "--configs",
        "default,configs/tiny.toml",
        "--steps",
        "1",
        "--max-windows",
        "1",
        "--work",
        dir.join("work").to_str().unwrap(),
        "--out",
        json.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(table.starts_with("| model |"), "{table}");
    assert_eq!(table.lines().count(), 2 + 4, "{table}");

    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(num(&v, "cores") >= 1.0);
    let cases = v["cases"].as_array().unwrap();
    let names: Vec<(&str, f64)> =
        cases.iter().map(|c| (c["config"].as_str().unwrap(), num(c, "audio_s"))).collect();
    assert_eq!(names, [("default", 1.0), ("default", 12.0), ("tiny", 1.0), ("tiny", 12.0)]);
    for c in cases {
        let audio = num(c, "audio_s");
        let wall = num(c, "wall_s");
        assert!(wall > 0.0 && wall.is_finite(), "{c}");
        assert!((num(c, "rtf") - wall / audio).abs() < 1e-9, "{c}");
        assert!(num(c, "params") > 1000.0, "{c}");
        // Windows as generate lays them out: over the recording with a 6-frame silent lead-in
        // and tail, hop L - L/5, the last one ending on the tail's last frame. The tiny config
        // has L = 50 (12 s: 8 windows), the built-in model L = 250 (12 s: 2).
        let l = num(c, "window_frames") as usize;
        if c["config"] == "tiny" {
            assert_eq!(l, 50, "{c}");
        }
        let expected = |frames: usize| {
            let (mut starts, hop) = (vec![0usize], l - l / 5);
            while frames > l && starts[starts.len() - 1] + l < frames {
                starts.push((starts[starts.len() - 1] + hop).min(frames - l));
            }
            starts.len() as f64
        };
        let windows = num(c, "windows");
        assert_eq!(windows, expected((audio * 25.0) as usize + 2 * 6), "{c}");
        if audio == 1.0 {
            assert_eq!(c["measured"], true, "{c}");
            let r = &c["report"];
            assert_eq!(num(r, "frames"), 25.0, "{c}");
            assert_eq!(num(r, "windows"), 1.0);
            assert_eq!(num(r, "steps"), 1.0);
            assert_eq!(r["speech_found"], true, "the espeak-ng conversation must hold speech: {c}");
            let peak = num(c, "peak_rss_mib");
            // A real resident set: more than the binary's few MiB, far below a GiB here.
            assert!(peak > 5.0 && peak < 1024.0, "{c}");
            for stage in ["load", "decode", "masks_features", "sample", "write_npz"] {
                let s = &r["stages"][stage];
                assert!(s["s"].as_f64().is_some_and(|t| t >= 0.0), "{stage}: {c}");
                // The high-water mark never goes down, and the total is the last one.
                assert!(s["peak_rss_mib"].as_f64().is_some_and(|m| m <= peak), "{stage}: {c}");
            }
            assert!(r["stages"]["exports"].is_null(), "no exports were asked for: {c}");
            assert!(num(c, "sample_s_per_window") > 0.0);
        } else {
            assert_eq!(c["measured"], false, "12 s needs more windows than --max-windows 1: {c}");
            assert!(windows > 1.0);
            assert!(c["peak_rss_mib"].is_null() && c["report"].is_null(), "{c}");
        }
    }
    // Each measured case wrote its result; the speech was made once and cut per duration.
    let work = dir.join("work");
    assert!(work.join("out-default-1s/talk.npz").is_file());
    assert!(work.join("out-tiny-1s/talk.npz").is_file());
    assert!(work.join("conversation.wav").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_generate_rejects_an_unknown_model_in_one_line() {
    let dir = tempdir("unknown");
    let run = duologue(&[
        "bench",
        "generate",
        "--configs",
        "huge",
        "--durations",
        "2",
        "--work",
        dir.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && !err.contains("panicked"), "{err}");
    assert!(err.contains("unknown model \"huge\""), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_generate_refuses_durations_it_could_not_hold_before_any_work() {
    let dir = tempdir("long");
    let work = dir.join("work");
    let run = duologue(&["bench", "generate", "--durations", "10,1000h", "--work", work.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && !err.contains("panicked"), "{err}");
    assert!(err.contains("60000 minutes is longer than generate accepts by default (180 minutes)"), "{err}");
    assert!(!work.exists(), "nothing was written");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_serve_runs_real_jobs_through_a_real_server_and_reports_percentiles() {
    let dir = tempdir("serve");
    let json = dir.join("serve.json");
    let work = dir.join("work");
    let run = duologue(&[
        "bench",
        "serve",
        "--requests",
        "6",
        "--jobs",
        "2",
        "--concurrency",
        "2",
        "--queue",
        "1",
        "--steps",
        "1",
        "--formats",
        "none",
        "--work",
        work.to_str().unwrap(),
        "--out",
        json.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(table.contains("job end to end") && table.contains("p95"), "{table}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["reads_ms"]["n"], 6);
    assert_eq!(v["end_to_end_s"]["n"], 2);
    assert!(num(&v["end_to_end_s"], "p50") >= num(&v["worker_s"], "p50"), "{v}");
    assert!(num(&v["reads_ms"], "max") >= num(&v["reads_ms"], "p50"), "{v}");
    // Each job ran in its own folder of --work (kept when given) and wrote its result there.
    let npz = std::fs::read_dir(&work)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("demo_conversation.npz").is_file())
        .count();
    assert_eq!(npz, 2);
}
