//! Fuzz harnesses of the result files (issue 21; README "Reliability"): damaged and forged
//! `.npy` members and `.npz` results read back. Zero panics; every error of a file reader names
//! the file. Cases: `DUOLOGUE_FUZZ_CASES` (CI: the default, 200).

use duologue_params::fuzz::{run, Mutator};
use duologue_params::{npy, read_npz, Duo, Person};

/// A real two-second result: what `generate` writes.
fn valid_result() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.npz");
    let mut a = Person::neutral(50, [0.0, 0.0, -0.5]);
    a.mask = (0..50).map(|k| (k % 7) as f32 / 7.0).collect();
    let duo = Duo { a, b: Person::neutral(50, [0.0, 0.0, 0.5]), fps: 25.0 };
    duo.write(&path).unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn npy_members_never_panic() {
    let valid = npy::write(&npy::Array::new(vec![10, 78], (0..780).map(|i| i as f32).collect()));
    run("npy", 11, |m: &mut Mutator| m.mutate(&valid), |bytes| Ok(npy::read(bytes, "x.npy").is_ok()));
}

#[test]
fn npz_results_never_panic_and_errors_name_the_file() {
    let valid = valid_result();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.npz");
    run(
        "npz",
        12,
        |m| m.mutate(&valid),
        |bytes| {
            std::fs::write(&path, bytes).unwrap();
            let raw = read_npz(&path).map_err(|e| e.to_string());
            let duo = Duo::read(&path).map_err(|e| e.to_string());
            for err in [raw.as_ref().err(), duo.as_ref().err()].into_iter().flatten() {
                if !err.contains("damaged.npz") {
                    return Err(format!("error does not name the file: {err}"));
                }
            }
            if let Ok(d) = &duo {
                // What reads as a result is a whole one.
                if d.a.x.frames() != d.b.x.frames() || d.a.mask.len() != d.a.x.frames() {
                    return Err(format!(
                        "ragged result read: {} / {} frames",
                        d.a.x.frames(),
                        d.b.x.frames()
                    ));
                }
            }
            Ok(duo.is_ok())
        },
    );
}
