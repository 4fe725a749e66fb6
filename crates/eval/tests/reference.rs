//! FD against numpy + scipy.linalg.sqrtm (scripts/reference.py): the committed fixture, and a
//! live run of the script.

use duologue_eval::fd;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Relative tolerance, with an absolute floor of 1e-6 for values near zero (FD of a set with
/// itself is ~1e-15 in both implementations, of either sign).
fn close(rust: f64, reference: f64) -> bool {
    (rust - reference).abs() <= 1e-6 * reference.abs().max(1.0)
}

fn check(json: &Value) -> usize {
    let dim = json["dim"].as_u64().expect("dim") as usize;
    let cases = json["cases"].as_array().expect("cases");
    for case in cases {
        let nums = |k: &str| -> Vec<f64> {
            case[k].as_array().expect("array").iter().map(|v| v.as_f64().expect("number")).collect()
        };
        let expected = case["fd"].as_f64().expect("fd");
        let got = fd(&nums("a"), &nums("b"), dim).expect("fd");
        let name = case["name"].as_str().unwrap_or("?");
        // Shown with --nocapture: the agreement actually reached, not just "within tolerance".
        eprintln!(
            "{name}: rust {got:.15e}, numpy/scipy {expected:.15e}, |diff| {:.3e}",
            (got - expected).abs()
        );
        assert!(close(got, expected), "{name}: rust {got:.12e}, numpy/scipy {expected:.12e}");
    }
    cases.len()
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn fd_matches_committed_scipy_reference() {
    let text = std::fs::read_to_string(manifest().join("tests/fixtures/fd_reference.json")).expect("fixture");
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(check(&json), 3);
}

#[test]
fn fd_matches_live_scipy_reference() {
    let has = Command::new("python3").args(["-c", "import numpy, scipy.linalg"]).output();
    match has {
        Ok(o) if o.status.success() => {}
        _ => panic!("python3 with numpy and scipy is required for this test: run scripts/setup.sh"),
    }
    let out = std::env::temp_dir().join(format!("duologue-eval-ref-{}", std::process::id()));
    let script = manifest().join("scripts/reference.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run python3 scripts/reference.py");
    assert!(status.status.success(), "reference.py failed: {}", String::from_utf8_lossy(&status.stderr));
    let text = std::fs::read_to_string(Path::new(&out).join("fd_reference.json")).expect("live output");
    let _ = std::fs::remove_dir_all(&out);
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(check(&json), 3);
}
