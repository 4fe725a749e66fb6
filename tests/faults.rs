//! Fault tests (issue 21; README "Reliability"): the real binary killed with SIGKILL at random
//! points of training, export and dataset writing, and run out of disk (a file-size limit,
//! `ulimit -f`, with SIGXFSZ ignored so writes fail with EFBIG as on a full disk). After every
//! kill each file under a final name is whole, and a killed training resumes to the losses of
//! an uninterrupted run; a full disk is one clear error that leaves nothing behind.
//! Needs espeak-ng (scripts/setup.sh) for the simulated data.

use duologue_data::shard::read_shard;
use duologue_data::{Dataset, OnError};
use duologue_params::rng::Xoshiro256;
use duologue_params::Duo;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{assert_clean_failure, assert_success, duologue, tempdir};

const BIN: &str = env!("CARGO_BIN_EXE_duologue");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/audio/tests/fixtures");

/// Starts `duologue ARGS` and kills it with SIGKILL after `after` (or lets it finish first);
/// whether it finished by itself with success.
fn kill_after(args: &[&str], after: Duration) -> bool {
    let mut child =
        Command::new(BIN).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.success();
        }
        if start.elapsed() >= after {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `duologue ARGS` with at most `kb` KiB per written file, SIGXFSZ ignored.
fn with_file_limit(kb: u64, args: &[&str]) -> Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    // bash counts `ulimit -f` in 1024-byte blocks.
    let script = format!("trap '' XFSZ; ulimit -f {kb}; exec '{BIN}' {}", quoted.join(" "));
    Command::new("bash").args(["-c", &script]).output().expect("bash")
}

/// Files in `dir` whose names do not start with a dot (hidden temporaries and staging folders
/// are not final names).
fn final_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut v: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

/// Every entry of `dir`, hidden ones included.
fn all_entries(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

fn simulate(dir: &Path, clips: &str) -> PathBuf {
    let sim = dir.join("sim");
    assert_success(&duologue(&["simulate", "--clips", clips, "--seed", "3", "--out", sim.to_str().unwrap()]));
    sim
}

/// configs/tiny.toml saving a checkpoint every 2 steps and logging every step.
fn tiny_config(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/tiny.toml")).unwrap();
    let text = text
        .replace("checkpoint_every = 100", "checkpoint_every = 2")
        .replace("log_every = 10", "log_every = 1")
        .replace("val_every = 100", "val_every = 0");
    let path = dir.join("tiny-faults.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// (step, loss) rows of a run's metrics log; every line must parse.
fn losses(run: &Path) -> Vec<(u64, f64)> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("torn row {l:?}: {e}"));
            (v["step"].as_u64().unwrap(), v["loss"].as_f64().unwrap())
        })
        .collect()
}

#[test]
fn training_killed_at_random_points_resumes_to_the_same_losses() {
    let dir = tempdir("kill-train");
    let sim = simulate(&dir, "4");
    let config = tiny_config(&dir);
    let steps = "40";
    let args = |out: &Path, resume: bool| -> Vec<String> {
        let mut a = ["train", "--config", config.to_str().unwrap(), "--data", sim.to_str().unwrap()]
            .map(String::from)
            .to_vec();
        a.extend(["--out".into(), out.to_str().unwrap().into(), "--steps".into(), steps.into()]);
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let straight = dir.join("straight");
    let a = args(&straight, false);
    let started = Instant::now();
    assert_success(&duologue(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    // Kills land at 20..60 % of an uninterrupted run's time, whatever this machine's speed.
    let whole = started.elapsed().as_millis() as u64;
    let want = losses(&straight);
    assert_eq!(want.len(), 40);

    // Killed at random moments; each time the folder holds whole files, and --resume goes on.
    let run = dir.join("killed");
    let mut rng = Xoshiro256::new(21);
    let (mut kills, mut done) = (0, false);
    for attempt in 0..60 {
        let resume = run.join("checkpoint.safetensors").is_file();
        let a = args(&run, resume);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let after = Duration::from_millis(whole / 5 + rng.next_u64() % (2 * whole / 5).max(1));
        if kill_after(&a, after) {
            done = true;
            break;
        }
        kills += 1;
        // Whatever is under a final name is whole: the checkpoint reads, every log row parses.
        if run.join("checkpoint.safetensors").is_file() {
            duologue_model::Checkpoint::read(&run.join("checkpoint.safetensors"))
                .unwrap_or_else(|e| panic!("attempt {attempt}: torn checkpoint: {e}"));
            losses(&run);
            duologue_model::Config::load(&run.join("config.toml")).expect("whole config");
        }
    }
    assert!(done, "never finished in 60 attempts");
    eprintln!("training killed {kills} times, then finished");
    // At least one kill mid-run, then a resume: a resumed run has less left to do than the
    // whole run the kill times are drawn from, so it may finish before a second kill lands.
    assert!(kills >= 1, "no kill landed: the run was too quick to test anything");
    let got = losses(&run);
    assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), want.iter().map(|r| r.0).collect::<Vec<_>>());
    for ((step, a), (_, b)) in got.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-4 * b.abs(), "step {step}: {a} after {kills} kills, {b} straight");
    }
}

#[test]
fn exports_and_datasets_killed_at_random_points_leave_only_whole_files() {
    let dir = tempdir("kill-write");
    let sim = simulate(&dir, "2");
    // A result to export: the first clip of the dataset.
    let clip = dir.join("clip");
    assert_success(&duologue(&[
        "data",
        "extract",
        sim.to_str().unwrap(),
        "--split",
        "train",
        "--out",
        clip.to_str().unwrap(),
    ]));
    let result = dir.join("clip.npz");
    let mut rng = Xoshiro256::new(22);
    for attempt in 0..12 {
        let out = dir.join(format!("export{attempt}"));
        let args = [
            "export",
            result.to_str().unwrap(),
            "--format",
            "glb",
            "--format",
            "arkit-csv",
            "--format",
            "arkit-json",
            "--out",
            out.to_str().unwrap(),
        ];
        let finished = kill_after(&args, Duration::from_millis(rng.next_u64() % 400));
        let files = final_files(&out);
        if finished {
            assert_eq!(files.len(), 7, "glb, two CSVs and sidecars, two ARKit JSON: {files:?}");
        }
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            let name = f.display().to_string();
            if name.ends_with(".glb") {
                let declared = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
                assert_eq!(declared, bytes.len(), "attempt {attempt}: torn {name}");
            } else if name.ends_with(".json") {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .unwrap_or_else(|e| panic!("torn {name}: {e}"));
            } else if name.ends_with(".csv") {
                assert!(bytes.ends_with(b"\n"), "torn {name}");
            }
        }
    }
    // Datasets: a manifest, when there is one, lists only shards that verify.
    for attempt in 0..6 {
        let out = dir.join(format!("sim{attempt}"));
        let args = [
            "simulate",
            "--clips",
            "6",
            "--clips-per-shard",
            "2",
            "--seed",
            "5",
            "--out",
            out.to_str().unwrap(),
        ];
        kill_after(&args, Duration::from_millis(100 + rng.next_u64() % 1500));
        if let Ok(ds) = Dataset::open(&out) {
            for entry in &ds.manifest.shards {
                read_shard(&out, entry, OnError::Fail)
                    .unwrap_or_else(|e| panic!("attempt {attempt}: {} listed but bad: {e}", entry.file));
            }
        }
    }
}

#[test]
fn a_full_disk_is_one_clear_error_and_leaves_nothing_behind() {
    let dir = tempdir("full");
    let audio = format!("{FIXTURES}/hello.wav");
    // generate: the glb (about 1 MB) does not fit in 64 KiB.
    let out = dir.join("gen");
    let run = with_file_limit(
        64,
        &["generate", &audio, "--steps", "1", "--format", "glb", "--out", out.to_str().unwrap()],
    );
    assert_clean_failure(&run, &["hello.glb"]);
    assert!(!out.exists(), "{:?}", all_entries(&out));
    // A previous result stays as it was.
    assert_success(&duologue(&[
        "generate",
        &audio,
        "--steps",
        "1",
        "--format",
        "arkit-csv",
        "--out",
        out.to_str().unwrap(),
    ]));
    let before = std::fs::read(out.join("hello.npz")).unwrap();
    let run = with_file_limit(
        64,
        &[
            "generate",
            &audio,
            "--steps",
            "1",
            "--seed",
            "4",
            "--format",
            "glb",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_clean_failure(&run, &["hello.glb"]);
    assert_eq!(std::fs::read(out.join("hello.npz")).unwrap(), before);
    assert!(all_entries(&out).iter().all(|n| !n.starts_with('.')), "{:?}", all_entries(&out));

    // train: the first checkpoint does not fit.
    let sim = simulate(&dir, "2");
    let config = tiny_config(&dir);
    let runs = dir.join("run");
    let run = with_file_limit(
        16,
        &[
            "train",
            "--config",
            config.to_str().unwrap(),
            "--data",
            sim.to_str().unwrap(),
            "--out",
            runs.to_str().unwrap(),
            "--steps",
            "4",
        ],
    );
    assert_clean_failure(&run, &["checkpoint.safetensors"]);
    assert!(final_files(&runs).is_empty(), "{:?}", all_entries(&runs));
    assert!(all_entries(&runs).iter().all(|n| !n.ends_with(".tmp")), "{:?}", all_entries(&runs));

    // simulate: the dataset's first file does not fit; no dataset is left.
    let data = dir.join("data");
    let run =
        with_file_limit(16, &["simulate", "--clips", "4", "--seed", "3", "--out", data.to_str().unwrap()]);
    assert_clean_failure(&run, &[data.to_str().unwrap(), "File too large"]);
    assert!(!data.exists(), "{:?}", all_entries(&data));
    Duo::read(&out.join("hello.npz")).expect("the earlier result is whole");
}
