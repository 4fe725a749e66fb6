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
    assert_eq!(&header[..3], &["Timecode", "BlendShapeCount", "EyeBlinkLeft"]);
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
    let mut p = Person::neutral(2, [0.0; 3]);
    // Frame 0 faces the viewer; in frame 1 neck and head each turn 0.15 rad to the person's left
    // (negative about duologue's +Y). The rest facing is halfway, so the head reads -0.15 and
    // +0.15 rad of ARKit yaw (positive: toward one's own left).
    p.x.frame_mut(0)[Joint::Neck.range().start + 1] = 0.0;
    p.x.frame_mut(1)[Joint::Neck.range().start + 1] = -0.15;
    p.x.frame_mut(1)[Joint::Head.range().start + 1] = -0.15;
    // Both eyes look to the person's left too.
    for eye in [Joint::LeftEye, Joint::RightEye] {
        p.x.frame_mut(0)[eye.range().start + 1] = -0.4;
    }
    let c = arkit_curves(face, &p, 25.0);
    assert!((c.rest_yaw + 0.15).abs() < 1e-5, "rest yaw {}", c.rest_yaw);
    assert!((c.head[0][0] + 0.15).abs() < 1e-5 && c.head[0][1].abs() < 1e-5, "{:?}", c.head[0]);
    assert!((c.head[1][0] - 0.15).abs() < 1e-5 && c.head[1][1].abs() < 1e-5, "{:?}", c.head[1]);
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
    assert!((row[52] + 0.15 / std::f32::consts::PI).abs() < 1e-6, "HeadYaw {}", row[52]);
}

/// A person turned half a turn toward their partner, swinging across +-180 degrees: the CSV's
/// HeadYaw is relative to that rest, small, and never wraps between +1 and -1.
#[test]
fn head_yaw_is_relative_to_the_rest_facing_and_never_wraps() {
    let face = FaceModel::shared();
    let duo = common::facing_duo(FRAMES);
    for (p, name) in [(&duo.a, "A"), (&duo.b, "B")] {
        let c = arkit_curves(face, p, duo.fps);
        let yaw: Vec<f32> = c.head.iter().map(|h| h[0]).collect();
        assert!(yaw.iter().all(|y| y.abs() < 0.5), "{name}: head yaw {yaw:?}");
        assert!(yaw.windows(2).all(|w| (w[1] - w[0]).abs() < 0.1), "{name}: a jump in {yaw:?}");
    }
}

/// The app's own published CSV layout, spelled out here independently of the crate's constants:
/// `Timecode,BlendShapeCount,` + the 52 shapes + 9 rotations.
const APP_HEADER: &str = "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,\
EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,\
EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,\
MouthLeft,MouthSmileLeft,MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,\
MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,MouthShrugUpper,MouthPressLeft,\
MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,\
BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,\
NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,\
RightEyePitch,RightEyeRoll";

/// A Live Link Face reader written from the app's format (not the crate's): the header must be
/// the app's; `HH:MM:SS:FF.sss` gives frame ((h * 60 + m) * 60 + s) * rate + FF (+ sub-frame);
/// values by column name. Returns (frame numbers, rows of name -> value).
fn read_app_csv(text: &str, rate: f64) -> (Vec<f64>, Vec<std::collections::HashMap<String, f64>>) {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, APP_HEADER.split(',').collect::<Vec<_>>(), "header differs from the app's");
    let (mut frames, mut rows) = (vec![], vec![]);
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let tc: Vec<&str> = f[0].split([':', '.']).collect();
        assert_eq!(tc.len(), 5, "timecode {}", f[0]);
        let n: Vec<f64> = tc.iter().map(|x| x.parse().unwrap()).collect();
        assert!(n[3] < rate, "frame field {} at {rate} fps", n[3]);
        frames.push(((n[0] * 60.0 + n[1]) * 60.0 + n[2]) * rate + n[3] + n[4] / 1000.0);
        assert_eq!(f[1], "61");
        rows.push(header.iter().zip(&f).skip(2).map(|(h, v)| (h.to_string(), v.parse().unwrap())).collect());
    }
    (frames, rows)
}

/// The CSV at 25 fps and resampled to the app's 60, each with its sidecar, read by the app-format
/// reader: consecutive frame numbers, and the curves of the JSON export (Apple's names, radians).
#[test]
fn csv_reads_as_the_app_writes_it_at_25_and_60_fps_with_its_rate_beside_it() {
    let face = FaceModel::shared();
    let duo = common::facing_duo(FRAMES);
    let curves = arkit_curves(face, &duo.a, duo.fps);
    let dir = tempfile::tempdir().unwrap();
    for fps in [25.0f32, 60.0] {
        let out = dir.path().join(format!("fps{fps}"));
        let settings = duologue_export::Settings { arkit_fps: Some(fps), ..Default::default() };
        let formats = [duologue_export::Format::ArkitCsv, duologue_export::Format::ArkitJson];
        duologue_export::write_exports(&duo, "talk", &out, &formats, &settings, &mut |_| {}).unwrap();
        let side: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("talk_A.csv.json")).unwrap()).unwrap();
        assert_eq!(side["fps"].as_f64().unwrap() as f32, fps);
        let (frames, rows) =
            read_app_csv(&std::fs::read_to_string(out.join("talk_A.csv")).unwrap(), fps as f64);
        assert_eq!(side["frames"].as_u64().unwrap() as usize, rows.len());
        let want_rows =
            if fps == 25.0 { FRAMES } else { ((FRAMES - 1) as f64 * 60.0 / 25.0).floor() as usize + 1 };
        assert_eq!(rows.len(), want_rows);
        assert!(frames.iter().enumerate().all(|(i, f)| *f == i as f64), "frame numbers {frames:?}");
        let json = read_arkit_json(&out.join("talk_A.arkit.json")).unwrap();
        assert_eq!((json.frames, json.fps), (rows.len(), fps));
        for (k, row) in rows.iter().enumerate() {
            for (i, name) in json.names.iter().enumerate() {
                let v = row.iter().find(|(h, _)| h.eq_ignore_ascii_case(name)).unwrap().1;
                assert!((v - json.weights[k][i] as f64).abs() < 1e-6, "{name} frame {k}");
            }
            let yaw = row["HeadYaw"] * std::f64::consts::PI;
            assert!((yaw - json.head[k][0] as f64).abs() < 1e-5, "HeadYaw frame {k}");
        }
    }
    // 60 fps frame 12 is 0.2 s: source frame 5 exactly.
    let sixty = curves.resampled(60.0);
    for (a, b) in sixty.weights[12].iter().zip(&curves.weights[5]) {
        assert!((a - b).abs() < 1e-6);
    }
}
