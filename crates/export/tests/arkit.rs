//! ARKit curves: the Live Link Face CSV and the JSON read back with the right columns, frame
//! count and values, and head/eye rotations follow the documented convention.

mod common;

use duologue_export::arkit::{timecode, LIVE_LINK_NAMES, LIVE_LINK_ROTATIONS};
use duologue_export::{
    arkit_curves, read_arkit_json, read_live_link_csv, write_arkit_json, write_live_link_csv,
};
use duologue_face::{FaceModel, ARKIT_NAMES};
use duologue_params::{Joint, Person};

const FRAMES: usize = 60;

#[test]
fn live_link_csv_has_the_app_layout_and_round_trips() {
    let face = FaceModel::shared();
    let duo = common::duo(FRAMES);
    let curves = arkit_curves(face, &duo.a, duo.fps);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.csv");
    write_live_link_csv(&path, &curves).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), FRAMES + 1);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header.len(), 2 + 52 + 9);
    // Spelled as the Live Link Face app writes it.
    assert_eq!(&header[..3], &["Timecode", "BlendshapeCount", "EyeBlinkLeft"]);
    assert_eq!(&header[2..54], &LIVE_LINK_NAMES[..]);
    assert_eq!(&header[54..], &LIVE_LINK_ROTATIONS[..]);
    for (k, line) in lines[1..].iter().enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), header.len(), "row {k}");
        assert_eq!(f[0], timecode(k, 25.0));
        assert_eq!(f[1], "61");
    }
    assert_eq!(lines[26].split(',').next().unwrap(), "00:00:01:00.000");
    // Values: JawOpen column equals the model's jawOpen weight; everything round-trips.
    let jaw_col = header.iter().position(|h| *h == "JawOpen").unwrap();
    let jaw_idx = ARKIT_NAMES.iter().position(|n| *n == "jawOpen").unwrap();
    let v: f32 = lines[11].split(',').nth(jaw_col).unwrap().parse().unwrap();
    assert_eq!(v, curves.weights[10][jaw_idx]);
    let back = read_live_link_csv(&path, 25.0).unwrap();
    assert_eq!(back.weights, curves.weights);
    for (a, b) in back.head.iter().flatten().zip(curves.head.iter().flatten()) {
        assert!((a - b).abs() < 1e-6);
    }
    assert!(curves.weights.iter().flatten().all(|w| (0.0..=1.0).contains(w)));
    assert!(curves.weights.iter().flatten().any(|w| *w > 0.1), "expressions reach the ARKit weights");
}

#[test]
fn json_round_trips_with_names_and_frames() {
    let face = FaceModel::shared();
    let duo = common::duo(FRAMES);
    let curves = arkit_curves(face, &duo.b, duo.fps);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.json");
    write_arkit_json(&path, &curves, "B").unwrap();
    let j = read_arkit_json(&path).unwrap();
    assert_eq!((j.person.as_str(), j.frames, j.fps), ("B", FRAMES, 25.0));
    assert_eq!(j.names, ARKIT_NAMES.to_vec());
    assert_eq!(j.weights.len(), FRAMES);
    assert!(j.weights.iter().all(|w| w.len() == 52));
    assert_eq!(j.weights[33], curves.weights[33].to_vec());
    assert_eq!((j.head, j.left_eye, j.right_eye), (curves.head, curves.left_eye, curves.right_eye));
    // Not JSON at all: a parse error naming the file.
    std::fs::write(&path, "{ nope").unwrap();
    let err = read_arkit_json(&path).unwrap_err().to_string();
    assert!(err.contains("b.json"), "{err}");
}

#[test]
fn head_turn_and_eye_look_come_out_as_documented() {
    let face = FaceModel::shared();
    let mut p = Person::neutral(1, [0.0; 3]);
    // Neck and head each turn 0.15 rad to the person's left (negative about duologue's +Y).
    p.x.frame_mut(0)[Joint::Neck.range().start + 1] = -0.15;
    p.x.frame_mut(0)[Joint::Head.range().start + 1] = -0.15;
    // Both eyes look to the person's left too.
    for eye in [Joint::LeftEye, Joint::RightEye] {
        p.x.frame_mut(0)[eye.range().start + 1] = -0.4;
    }
    let c = arkit_curves(face, &p, 25.0);
    assert!((c.head[0][0] - 0.3).abs() < 1e-5 && c.head[0][1].abs() < 1e-5, "{:?}", c.head[0]);
    assert!((c.left_eye[0][0] - 0.4).abs() < 1e-5);
    let w = |n: &str| c.weights[0][ARKIT_NAMES.iter().position(|a| *a == n).unwrap()];
    // Looking to one's own left: the left eye looks out, the right eye looks in.
    assert!(
        w("eyeLookOutLeft") > 0.3 && w("eyeLookInRight") > 0.3,
        "{} {}",
        w("eyeLookOutLeft"),
        w("eyeLookInRight")
    );
    assert!(w("eyeLookInLeft") < 1e-6 && w("eyeLookOutRight") < 1e-6);
    // In the CSV: degrees / 180.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.csv");
    write_live_link_csv(&path, &c).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let row: Vec<f32> = text.lines().nth(1).unwrap().split(',').skip(2).map(|v| v.parse().unwrap()).collect();
    assert!((row[52] - 0.3 / std::f32::consts::PI).abs() < 1e-6, "HeadYaw {}", row[52]);
}
