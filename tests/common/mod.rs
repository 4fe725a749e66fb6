//! Helpers shared by the root integration tests: run the real `duologue` binary, make a fresh
//! temporary folder, and check that a failure is one clean error line (no panic).
#![allow(dead_code)] // each test target uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `duologue` binary built for these tests.
pub fn duologue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duologue")).args(args).output().expect("run duologue")
}

/// Runs the `duologue` binary with `dir` as its working directory.
pub fn duologue_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duologue")).current_dir(dir).args(args).output().expect("run duologue")
}

/// An empty folder under the system temp dir, named after the test target, `name` and this
/// process (so parallel test binaries never share one).
pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "duologue-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The process's stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit status 0 and no panic.
pub fn assert_success(out: &Output) {
    assert!(out.status.success(), "failed: {}", stderr(out));
    assert!(!stderr(out).contains("panicked"), "{}", stderr(out));
}

/// A non-zero exit with exactly one `error...` line on stderr holding every one of `needles`,
/// and no panic.
pub fn assert_clean_failure(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert!(!out.status.success(), "expected failure, got success: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(error_lines.len(), 1, "one error line expected: {err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
}

/// `duologue train --config configs/tiny.toml --data DATA --out OUT --steps STEPS EXTRA...`.
pub fn train_tiny(data: &Path, out: &Path, steps: &str, extra: &[&str]) -> Output {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/tiny.toml");
    let mut args =
        vec!["train", "--config", config, "--data", data.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend(["--steps", steps]);
    args.extend(extra);
    duologue(&args)
}
