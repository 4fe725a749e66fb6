//! Every numeric option is checked when the command line is parsed: out-of-range values are one
//! clear error line naming the option, before any work or any file.

mod common;
use common::{assert_clean_failure, duologue, tempdir};

#[test]
fn out_of_range_options_are_refused_at_parse_time() {
    let dir = tempdir("options");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let audio = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/audio/tests/fixtures/hello.wav");
    let cases: [(&[&str], &[&str]); 14] = [
        (&["generate", audio, "--steps", "100000", "--out", out], &["--steps", "at most 1000"]),
        (&["generate", audio, "--steps", "0", "--out", out], &["--steps", "at least 1"]),
        (&["generate", audio, "--guidance", "1e30", "--out", out], &["--guidance", "0 to 20"]),
        (&["generate", audio, "--guidance", "NaN", "--out", out], &["--guidance"]),
        (&["generate", audio, "--llm-timeout", "0", "--out", out], &["--llm-timeout", "0.1 to 600"]),
        (&["demo", "--steps", "5000", "--out", out], &["--steps"]),
        (&["eval", "--guidance-interval", "0.8,0.2", "--out", out], &["--guidance-interval", "LO <= HI"]),
        (&["eval", "--guidance-interval", "0.5", "--out", out], &["--guidance-interval", "LO,HI"]),
        (&["simulate", "--clips", "2", "--p-reverb", "2", "--out", out], &["--p-reverb", "0 to 1"]),
        (&["simulate", "--clips", "2", "--clips-per-shard", "0", "--out", out], &["--clips-per-shard"]),
        (&["simulate", "--clips", "0", "--out", out], &["--clips"]),
        (&["dub", "--sources", out, "--clips", "2", "--overlap", "1.5", "--out", out], &["--overlap"]),
        (&["export", audio, "--format", "png", "--width", "100000", "--out", out], &["--width"]),
        (&["export", audio, "--format", "png", "--supersample", "9", "--out", out], &["--supersample"]),
    ];
    for (args, words) in cases {
        let run = duologue(args);
        assert_clean_failure(&run, words);
        assert!(!dir.join("out").exists(), "{args:?} wrote something");
    }
}

#[test]
fn parameters_too_large_to_pose_never_reach_a_file() {
    use duologue_params::{Duo, Person};
    let dir = tempdir("huge-values");
    let mut a = Person::neutral(5, [0.0, 0.0, -0.5]);
    let b = Person::neutral(5, [0.0, 0.0, 0.5]);
    let mut x = a.x.clone().into_vec();
    x[3] = 1e30;
    a.x = duologue_params::Motion::from_vec(x).unwrap();
    let npz = dir.join("huge.npz");
    Duo { a, b, fps: 25.0 }.write(&npz).unwrap();
    let out = dir.join("out");
    let run = duologue(&["export", npz.to_str().unwrap(), "--format", "glb", "--out", out.to_str().unwrap()]);
    assert_clean_failure(&run, &["person A", "out of range"]);
    assert!(!out.exists(), "nothing is created for a result that cannot be exported");
}
