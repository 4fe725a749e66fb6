//! The result file is a real `.npz`: numpy reads what we write, and we read what numpy writes
//! (plain and compressed archives, float32 and float64 members). Needs python3 with numpy,
//! which scripts/setup.sh installs.

use duologue_params::{Duo, Motion, Person, X_DIM};
use std::path::Path;
use std::process::Command;

fn python(script: &str, arg: &Path) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(arg)
        .output()
        .expect("python3 not found: run scripts/setup.sh");
    assert!(
        out.status.success(),
        "python failed (numpy missing? run scripts/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sample(frames: usize) -> Duo {
    let person = |seed: f32, t0| {
        let x: Vec<f32> = (0..frames * X_DIM).map(|i| (i as f32 * 0.37 + seed).sin() * 0.5).collect();
        Person {
            x: Motion::from_vec(x).unwrap(),
            beta: (0..50).map(|i| i as f32 * 0.01 - seed).collect(),
            t0,
            mask: (0..frames).map(|k| ((k as f32 + seed) * 0.1).sin().abs()).collect(),
        }
    };
    Duo { a: person(0.25, [0.0, 0.0, -0.5]), b: person(1.5, [0.0, 0.1, 0.5]), fps: 25.0 }
}

#[test]
fn numpy_reads_what_we_write() {
    let dir = tempdir();
    let path = dir.join("result.npz");
    let duo = sample(7);
    duo.write(&path).unwrap();
    let printed = python(
        "import sys, numpy as np\n\
         z = np.load(sys.argv[1])\n\
         print(sorted(z.files))\n\
         print(z['x_A'].shape, z['x_A'].dtype, z['m_B'].shape, z['beta_A'].shape, z['fps'].shape)\n\
         print(repr(float(z['x_A'][3, 70])), repr(float(z['t0_B'][1])), repr(float(z['fps'])))\n",
        &path,
    );
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines[0], "['beta_A', 'beta_B', 'fps', 'm_A', 'm_B', 't0_A', 't0_B', 'x_A', 'x_B']");
    assert_eq!(lines[1], "(7, 78) float32 (7,) (50,) ()");
    let vals: Vec<f32> = lines[2].split_whitespace().map(|s| s.parse().unwrap()).collect();
    assert_eq!(vals[0], duo.a.x.frame(3)[70]);
    assert_eq!(vals[1], 0.1f32);
    assert_eq!(vals[2], 25.0);
}

#[test]
fn we_read_what_numpy_writes() {
    let dir = tempdir();
    for (name, save) in [("plain.npz", "np.savez"), ("packed.npz", "np.savez_compressed")] {
        let path = dir.join(name);
        let script = format!(
            "import sys, numpy as np\n\
             L = 11\n\
             x = np.arange(L * 78, dtype=np.float64).reshape(L, 78) / 1000.0\n\
             {save}(sys.argv[1], x_A=x, x_B=-x.astype(np.float32), beta_A=np.ones(50), beta_B=np.zeros(50, np.float32),\n\
                   t0_A=np.array([0, 0, -0.5]), t0_B=np.array([0, 0, 0.5], np.float32),\n\
                   m_A=np.linspace(0, 1, L), m_B=np.zeros(L, bool), fps=np.float32(25), note=np.arange(3))\n"
        );
        python(&script, &path);
        let duo = Duo::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(duo.frames(), 11);
        assert_eq!(duo.a.x.frame(2)[5], 161.0 / 1000.0);
        assert_eq!(duo.b.x.frame(10)[77], -(857.0f64 / 1000.0) as f32);
        assert_eq!(duo.a.beta, vec![1.0; 50]);
        assert_eq!(duo.b.t0, [0.0, 0.0, 0.5]);
        assert_eq!(duo.a.mask[10], 1.0);
        // Rewriting what numpy wrote gives back the same arrays.
        let again = dir.join(format!("again-{name}"));
        duo.write(&again).unwrap();
        assert_eq!(Duo::read(&again).unwrap(), duo);
    }
}

#[test]
fn bad_files_name_the_file_array_and_shape() {
    let dir = tempdir();
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "wrong_shape.npz",
            "np.savez(p, **{**ok, 'x_B': np.zeros((5, 77))})",
            &["x_B", "[5, 78]", "[5, 77]"],
        ),
        ("missing.npz", "d = dict(ok); d.pop('m_A'); np.savez(p, **d)", &["m_A", "missing"]),
        (
            "nan.npz",
            "x = np.zeros((5, 78)); x[2, 3] = np.nan; np.savez(p, **{**ok, 'x_A': x})",
            &["x_A", "non-finite", "159"],
        ),
        ("mask.npz", "np.savez(p, **{**ok, 'm_B': np.full(5, 2.0)})", &["m_B", "outside [0, 1]"]),
    ];
    for (name, body, needles) in cases {
        let path = dir.join(name);
        let script = format!(
            "import sys, numpy as np\np = sys.argv[1]\nL = 5\n\
             ok = dict(x_A=np.zeros((L, 78)), x_B=np.zeros((L, 78)), beta_A=np.zeros(50), beta_B=np.zeros(50),\n\
                       t0_A=np.zeros(3), t0_B=np.zeros(3), m_A=np.zeros(L), m_B=np.zeros(L))\n{body}\n"
        );
        python(&script, &path);
        let err = Duo::read(&path).unwrap_err().to_string();
        assert!(err.contains(name), "{err}");
        for n in needles {
            assert!(err.contains(n), "'{n}' not in: {err}");
        }
    }
    // Empty and truncated archives.
    let empty = dir.join("empty.npz");
    std::fs::write(&empty, b"").unwrap();
    assert!(Duo::read(&empty).unwrap_err().to_string().contains("empty"));
    let good = dir.join("good.npz");
    sample(4).write(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.join("cut.npz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = Duo::read(&cut).unwrap_err().to_string();
    assert!(err.contains("cut.npz"), "{err}");
}

/// A fresh temporary folder, removed when dropped; derefs to its path.
struct TmpDir(tempfile::TempDir);

impl std::ops::Deref for TmpDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        self.0.path()
    }
}

fn tempdir() -> TmpDir {
    TmpDir(tempfile::Builder::new().prefix("duologue-params-").tempdir().unwrap())
}
