//! ARKit curves per person (DESIGN §4, §6): the 52 blendshape weights from
//! [`FaceModel::arkit`] plus head and eye rotations, as a Live Link Face CSV or as JSON.
//!
//! Live Link Face CSV (what Epic's iOS app exports per take): header
//! `Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,
//! LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll` — the 52 names capitalised
//! and in Unreal's `EARFaceBlendShape` order (which differs from Apple's: JawRight before
//! JawLeft, MouthRight before MouthLeft) — then one row per frame: timecode `HH:MM:SS:FF.sss`
//! (FF = frame within the second at the clip's rate, .sss = sub-frame), the count 61, the 61
//! values. Rotations there are as Unreal's ARKit face support writes them: Euler angles in
//! degrees divided by 180 (-180..180 mapped to -1..1). The CSV has no place for the frame rate
//! (the app keeps it in the take's JSON), so [`live_link_sidecar`] states it in a JSON file
//! beside the CSV; [`ArkitCurves::resampled`] gives the app's 60 fps.
//!
//! Rotation convention (both formats): the rotation is taken into ARKit's face-anchor frame
//! (right-handed: +X the person's left, +Y up, +Z out of the face — duologue's frame with z
//! negated, DESIGN §2) and decomposed as R = Ry(yaw) Rx(pitch) Rz(roll). So yaw > 0 turns the
//! face towards the person's own left, pitch > 0 tips it down, roll > 0 tilts the top of the
//! head towards the person's right. Head = neck then head joint composed, relative to the
//! person's rest facing (a turn about +Y by [`crate::rest_yaw`], where the head points on
//! average: the same rest the .glb's root node carries), so a person turned toward their partner
//! reads near zero; eyes = each eye joint relative to the head. Yaw and roll are unwrapped over
//! time (no jump between +1 and -1).

use crate::ExportError;
use duologue_face::{matmul, rest_yaw};
use duologue_face::{rodrigues, FaceModel, ARKIT_NAMES};
use duologue_params::{Joint, Person, N_EXPR, THETA};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

/// The 52 blendshape columns of a Live Link Face CSV, in its order.
pub const LIVE_LINK_NAMES: [&str; 52] = [
    "EyeBlinkLeft",
    "EyeLookDownLeft",
    "EyeLookInLeft",
    "EyeLookOutLeft",
    "EyeLookUpLeft",
    "EyeSquintLeft",
    "EyeWideLeft",
    "EyeBlinkRight",
    "EyeLookDownRight",
    "EyeLookInRight",
    "EyeLookOutRight",
    "EyeLookUpRight",
    "EyeSquintRight",
    "EyeWideRight",
    "JawForward",
    "JawRight",
    "JawLeft",
    "JawOpen",
    "MouthClose",
    "MouthFunnel",
    "MouthPucker",
    "MouthRight",
    "MouthLeft",
    "MouthSmileLeft",
    "MouthSmileRight",
    "MouthFrownLeft",
    "MouthFrownRight",
    "MouthDimpleLeft",
    "MouthDimpleRight",
    "MouthStretchLeft",
    "MouthStretchRight",
    "MouthRollLower",
    "MouthRollUpper",
    "MouthShrugLower",
    "MouthShrugUpper",
    "MouthPressLeft",
    "MouthPressRight",
    "MouthLowerDownLeft",
    "MouthLowerDownRight",
    "MouthUpperUpLeft",
    "MouthUpperUpRight",
    "BrowDownLeft",
    "BrowDownRight",
    "BrowInnerUp",
    "BrowOuterUpLeft",
    "BrowOuterUpRight",
    "CheekPuff",
    "CheekSquintLeft",
    "CheekSquintRight",
    "NoseSneerLeft",
    "NoseSneerRight",
    "TongueOut",
];

/// The 9 rotation columns after the blendshapes.
pub const LIVE_LINK_ROTATIONS: [&str; 9] = [
    "HeadYaw",
    "HeadPitch",
    "HeadRoll",
    "LeftEyeYaw",
    "LeftEyePitch",
    "LeftEyeRoll",
    "RightEyeYaw",
    "RightEyePitch",
    "RightEyeRoll",
];

/// One person's ARKit curves. Weights are in [`ARKIT_NAMES`] order (Apple's); rotations are
/// `[yaw, pitch, roll]` in radians, convention in the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct ArkitCurves {
    /// Frames per second.
    pub fps: f32,
    /// The rest facing the head rotations are relative to (radians about +Y, 0 faces -Z).
    pub rest_yaw: f32,
    /// `[L]` x 52 weights in [0, 1].
    pub weights: Vec<[f32; 52]>,
    /// `[L]` head rotation (neck and head composed).
    pub head: Vec<[f32; 3]>,
    /// `[L]` left eye rotation relative to the head.
    pub left_eye: Vec<[f32; 3]>,
    /// `[L]` right eye rotation relative to the head.
    pub right_eye: Vec<[f32; 3]>,
}

/// The JSON file: self-describing, names beside the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArkitJson {
    /// Always "duologue-arkit".
    pub format: String,
    /// Format version (2: head relative to the rest facing; 1: relative to the world).
    pub version: u32,
    /// Which person ("A" or "B").
    pub person: String,
    /// Frames per second.
    pub fps: f32,
    /// Number of frames.
    pub frames: usize,
    /// Rest facing the head rotations are relative to (radians about +Y; 0 faces -Z).
    #[serde(default)]
    pub rest_yaw: f32,
    /// The 52 ARKit names (Apple's camelCase and order) labelling each weight row.
    pub names: Vec<String>,
    /// Unit of the rotations ("radians").
    pub rotation_unit: String,
    /// How the rotations are defined.
    pub rotation_convention: String,
    /// `[frames][52]` weights.
    pub weights: Vec<Vec<f32>>,
    /// `[frames][3]` head yaw, pitch, roll.
    pub head: Vec<[f32; 3]>,
    /// `[frames][3]` left eye yaw, pitch, roll.
    pub left_eye: Vec<[f32; 3]>,
    /// `[frames][3]` right eye yaw, pitch, roll.
    pub right_eye: Vec<[f32; 3]>,
}

const CONVENTION: &str = "ARKit face-anchor frame (right-handed; +X the person's left, +Y up, +Z out of the face; \
     duologue's world with z negated); R = Ry(yaw) * Rx(pitch) * Rz(roll); head = neck*head joints relative to the \
     rest facing (rest_yaw about +Y), eyes relative to head; yaw and roll unwrapped over time";

/// Yaw, pitch, roll (radians) of a duologue-frame rotation, in the ARKit convention above.
pub fn yaw_pitch_roll(r: &[[f32; 3]; 3]) -> [f32; 3] {
    // Conjugate by diag(1, 1, -1): entries with exactly one index 2 change sign.
    let s = [1.0, 1.0, -1.0];
    let m: [[f32; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|j| s[i] * s[j] * r[i][j]));
    // Ry(a) Rx(b) Rz(g) has m[1][2] = -sin b, m[0][2] = sin a cos b, m[2][2] = cos a cos b,
    // m[1][0] = cos b sin g, m[1][1] = cos b cos g.
    let pitch = (-m[1][2]).clamp(-1.0, 1.0).asin();
    let yaw = m[0][2].atan2(m[2][2]);
    let roll = m[1][0].atan2(m[1][1]);
    [yaw, pitch, roll]
}

/// Adds whole turns to the angles at `index` of `seq` so that neighbours differ by at most half
/// a turn.
fn unwrap(seq: &mut [[f32; 3]], index: usize) {
    use std::f32::consts::{PI, TAU};
    let mut offset = 0.0f32;
    let mut prev: Option<f32> = None;
    for r in seq.iter_mut() {
        let raw = r[index];
        if let Some(p) = prev {
            let d = raw + offset - p;
            offset -= TAU * ((d + PI) / TAU).floor();
        }
        r[index] = raw + offset;
        prev = Some(r[index]);
    }
}

/// The ARKit curves of one person.
pub fn arkit_curves(face: &FaceModel, person: &Person, fps: f32) -> ArkitCurves {
    let frames = person.x.frames();
    let rest_yaw = rest_yaw(person);
    let rest_inv = rodrigues([0.0, -rest_yaw, 0.0]);
    let mut c = ArkitCurves {
        fps,
        rest_yaw,
        weights: Vec::with_capacity(frames),
        head: Vec::with_capacity(frames),
        left_eye: Vec::with_capacity(frames),
        right_eye: Vec::with_capacity(frames),
    };
    for k in 0..frames {
        let f = person.x.frame(k);
        c.weights.push(face.arkit(&f[..N_EXPR], &f[THETA]));
        let rot = |j: Joint| rodrigues(person.x.theta(k, j));
        c.head.push(yaw_pitch_roll(&matmul(&rest_inv, &matmul(&rot(Joint::Neck), &rot(Joint::Head)))));
        c.left_eye.push(yaw_pitch_roll(&rot(Joint::LeftEye)));
        c.right_eye.push(yaw_pitch_roll(&rot(Joint::RightEye)));
    }
    for seq in [&mut c.head, &mut c.left_eye, &mut c.right_eye] {
        unwrap(seq, 0);
        unwrap(seq, 2);
    }
    c
}

/// `a + (b - a) t`, element by element.
fn lerp<const N: usize>(a: &[f32; N], b: &[f32; N], t: f32) -> [f32; N] {
    std::array::from_fn(|c| a[c] + (b[c] - a[c]) * t)
}

impl ArkitCurves {
    /// Frames.
    pub fn frames(&self) -> usize {
        self.weights.len()
    }

    /// The curves at `fps` (e.g. 60, Live Link Face's default), linearly interpolated in time
    /// (the angles are unwrapped, so interpolation never crosses a wrap). Frame j of the result
    /// is time j / fps; the last one is at or before the last source frame.
    pub fn resampled(&self, fps: f32) -> ArkitCurves {
        let n = self.frames();
        if n == 0 || fps == self.fps || !(fps.is_finite() && fps > 0.0) {
            return self.clone();
        }
        let duration = (n - 1) as f64 / f64::from(self.fps);
        let m = (duration * f64::from(fps) + 1e-6).floor() as usize + 1;
        let at = |j: usize| {
            let s = j as f64 / f64::from(fps) * f64::from(self.fps);
            let i = (s.floor() as usize).min(n - 1);
            let i1 = (i + 1).min(n - 1);
            (i, i1, (s - i as f64) as f32)
        };
        let mut out = ArkitCurves {
            fps,
            rest_yaw: self.rest_yaw,
            weights: Vec::with_capacity(m),
            head: Vec::with_capacity(m),
            left_eye: Vec::with_capacity(m),
            right_eye: Vec::with_capacity(m),
        };
        for j in 0..m {
            let (i, i1, t) = at(j);
            out.weights.push(lerp(&self.weights[i], &self.weights[i1], t));
            out.head.push(lerp(&self.head[i], &self.head[i1], t));
            out.left_eye.push(lerp(&self.left_eye[i], &self.left_eye[i1], t));
            out.right_eye.push(lerp(&self.right_eye[i], &self.right_eye[i1], t));
        }
        out
    }
}

/// The JSON sidecar of a Live Link Face CSV (the CSV itself has no place for it): format, frame
/// rate, frame count, person, units and the rotation convention.
pub fn live_link_sidecar(curves: &ArkitCurves, person: &str, csv_name: &str) -> serde_json::Value {
    serde_json::json!({
        "format": "live-link-face-csv",
        "file": csv_name,
        "person": person,
        "fps": curves.fps,
        "frames": curves.frames(),
        "blendshapes": LIVE_LINK_NAMES.len(),
        "rotations": LIVE_LINK_ROTATIONS,
        "rotation_unit": "degrees / 180 (-1..1 is -180..180; unwrapped, so a turn past 180 reads beyond 1)",
        "rotation_convention": CONVENTION,
        "rest_yaw_degrees": curves.rest_yaw.to_degrees(),
        "generator": concat!("duologue ", env!("CARGO_PKG_VERSION")),
    })
}

/// Index in [`ARKIT_NAMES`] of each Live Link column (case-insensitive match).
fn live_link_to_arkit() -> Result<[usize; 52], ExportError> {
    let mut map = [0usize; 52];
    for (i, ll) in LIVE_LINK_NAMES.iter().enumerate() {
        map[i] = ARKIT_NAMES
            .iter()
            .position(|a| a.eq_ignore_ascii_case(ll))
            .ok_or_else(|| ExportError::Input(format!("face model has no ARKit shape named like '{ll}'")))?;
    }
    Ok(map)
}

/// Live Link's `HH:MM:SS:FF.sss` for frame `k` at `fps`. At a whole-number rate the timecode is
/// built from the integer frame count (frame `k` is second `k / rate`, frame `k % rate`, no
/// sub-frame), so no frame is rounded into its neighbour; other rates place `k / fps` seconds.
pub fn timecode(k: usize, fps: f32) -> String {
    let rate = fps.round().max(1.0) as u64;
    let (whole, ff, sub) = if (fps as f64 - rate as f64).abs() < 1e-6 {
        (k as u64 / rate, k as u64 % rate, 0)
    } else {
        let t = k as f64 / fps as f64;
        let whole = t.floor() as u64;
        let frame_pos = (t - whole as f64) * rate as f64;
        let ff = (frame_pos.floor() as u64).min(rate - 1);
        (whole, ff, ((frame_pos - ff as f64) * 1000.0).round().min(999.0) as u64)
    };
    format!("{:02}:{:02}:{:02}:{:02}.{:03}", whole / 3600, (whole / 60) % 60, whole % 60, ff, sub)
}

/// The Live Link Face CSV text of `curves`.
pub fn live_link_csv(curves: &ArkitCurves) -> Result<String, ExportError> {
    let map = live_link_to_arkit()?;
    let mut s = String::from("Timecode,BlendShapeCount");
    for n in LIVE_LINK_NAMES.iter().chain(&LIVE_LINK_ROTATIONS) {
        s.push(',');
        s.push_str(n);
    }
    s.push('\n');
    // Degrees / 180, as Unreal's ARKit face support maps -180..180 to -1..1.
    let half_turns = |r: f32| r / std::f32::consts::PI;
    for k in 0..curves.weights.len() {
        let _ =
            write!(s, "{},{}", timecode(k, curves.fps), LIVE_LINK_NAMES.len() + LIVE_LINK_ROTATIONS.len());
        for &i in &map {
            let _ = write!(s, ",{}", curves.weights[k][i]);
        }
        for rot in [curves.head[k], curves.left_eye[k], curves.right_eye[k]] {
            for r in rot {
                let _ = write!(s, ",{}", half_turns(r));
            }
        }
        s.push('\n');
    }
    Ok(s)
}

/// Write `curves` as a Live Link Face CSV.
pub fn write_live_link_csv(path: &Path, curves: &ArkitCurves) -> Result<(), ExportError> {
    crate::write_atomic(path, live_link_csv(curves)?.as_bytes())
}

/// Read a Live Link Face CSV back (columns found by name, so files from the app work too; the
/// frame rate is taken from `fps`, as the CSV does not store it).
pub fn read_live_link_csv(path: &Path, fps: f32) -> Result<ArkitCurves, ExportError> {
    let text = std::fs::read_to_string(path).map_err(|err| ExportError::Io { path: path.into(), err })?;
    let bad = |line: usize, reason: String| ExportError::Parse { path: path.into(), line, reason };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or_else(|| bad(1, "empty file".into()))?.split(',').collect();
    let col = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let map = live_link_to_arkit()?;
    let mut weight_cols = [0usize; 52];
    for (i, n) in LIVE_LINK_NAMES.iter().enumerate() {
        weight_cols[map[i]] = col(n).ok_or_else(|| bad(1, format!("no column '{n}'")))?;
    }
    let rot_cols: Vec<Option<usize>> = LIVE_LINK_ROTATIONS.iter().map(|n| col(n)).collect();
    let mut c = ArkitCurves {
        fps,
        rest_yaw: 0.0,
        weights: vec![],
        head: vec![],
        left_eye: vec![],
        right_eye: vec![],
    };
    for (li, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != header.len() {
            return Err(bad(li + 2, format!("{} fields, header has {}", fields.len(), header.len())));
        }
        let num = |i: usize| {
            fields[i]
                .trim()
                .parse::<f32>()
                .map_err(|_| bad(li + 2, format!("'{}' in column {} is not a number", fields[i], header[i])))
        };
        let mut w = [0.0f32; 52];
        for (a, &ci) in weight_cols.iter().enumerate() {
            w[a] = num(ci)?;
        }
        let mut rots = [0.0f32; 9];
        for (r, ci) in rot_cols.iter().enumerate() {
            if let Some(ci) = ci {
                rots[r] = num(*ci)? * std::f32::consts::PI;
            }
        }
        c.weights.push(w);
        c.head.push([rots[0], rots[1], rots[2]]);
        c.left_eye.push([rots[3], rots[4], rots[5]]);
        c.right_eye.push([rots[6], rots[7], rots[8]]);
    }
    Ok(c)
}

/// The JSON document of `curves` for `person` ("A" / "B").
pub fn arkit_json(curves: &ArkitCurves, person: &str) -> ArkitJson {
    ArkitJson {
        format: "duologue-arkit".into(),
        version: 2,
        person: person.into(),
        fps: curves.fps,
        frames: curves.weights.len(),
        rest_yaw: curves.rest_yaw,
        names: ARKIT_NAMES.iter().map(|s| s.to_string()).collect(),
        rotation_unit: "radians".into(),
        rotation_convention: CONVENTION.into(),
        weights: curves.weights.iter().map(|w| w.to_vec()).collect(),
        head: curves.head.clone(),
        left_eye: curves.left_eye.clone(),
        right_eye: curves.right_eye.clone(),
    }
}

/// Write `curves` of `person` as JSON.
pub fn write_arkit_json(path: &Path, curves: &ArkitCurves, person: &str) -> Result<(), ExportError> {
    let bytes = serde_json::to_vec(&arkit_json(curves, person)).map_err(|e| ExportError::Parse {
        path: path.into(),
        line: 0,
        reason: e.to_string(),
    })?;
    crate::write_atomic(path, &bytes)
}

/// Read a JSON file written by [`write_arkit_json`].
pub fn read_arkit_json(path: &Path) -> Result<ArkitJson, ExportError> {
    let text = std::fs::read(path).map_err(|err| ExportError::Io { path: path.into(), err })?;
    serde_json::from_slice(&text).map_err(|e| ExportError::Parse {
        path: path.into(),
        line: e.line(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_live_link_column_is_an_arkit_shape_once() {
        let map = live_link_to_arkit().unwrap();
        let mut seen = map.to_vec();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 52);
    }

    #[test]
    fn timecodes_count_frames_within_seconds() {
        // Every frame of a long clip gets its own timecode (no 03.999 for 04.000).
        let codes: Vec<String> = (0..25 * 600).map(|k| timecode(k, 25.0)).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "timecodes must increase");
        assert!(codes.iter().all(|c| c.ends_with(".000")));
        assert_eq!(timecode(0, 25.0), "00:00:00:00.000");
        assert_eq!(timecode(24, 25.0), "00:00:00:24.000");
        assert_eq!(timecode(25, 25.0), "00:00:01:00.000");
        assert_eq!(timecode(25 * 3661 + 7, 25.0), "01:01:01:07.000");
    }

    #[test]
    fn yaw_pitch_roll_follow_the_arkit_convention() {
        // Turning to the person's own left is a negative rotation about duologue's +Y
        // (forward -Z swings towards +X); in ARKit's frame that is a positive yaw.
        let r = rodrigues([0.0, -0.3, 0.0]);
        let [y, p, ro] = yaw_pitch_roll(&r);
        assert!((y - 0.3).abs() < 1e-5 && p.abs() < 1e-5 && ro.abs() < 1e-5, "{y} {p} {ro}");
        // Looking up is a positive rotation about duologue's +X: ARKit pitch is negative.
        let [y, p, _] = yaw_pitch_roll(&rodrigues([0.2, 0.0, 0.0]));
        assert!(y.abs() < 1e-5 && (p + 0.2).abs() < 1e-5, "{y} {p}");
        // A composed rotation decomposes back.
        let (a, b, g) = (0.3f32, -0.2f32, 0.1f32);
        let ry = [[a.cos(), 0.0, a.sin()], [0.0, 1.0, 0.0], [-a.sin(), 0.0, a.cos()]];
        let rx = [[1.0, 0.0, 0.0], [0.0, b.cos(), -b.sin()], [0.0, b.sin(), b.cos()]];
        let rz = [[g.cos(), -g.sin(), 0.0], [g.sin(), g.cos(), 0.0], [0.0, 0.0, 1.0]];
        let m = matmul(&matmul(&ry, &rx), &rz);
        // m is in ARKit's frame; express it in duologue's before decomposing.
        let s = [1.0, 1.0, -1.0];
        let d: [[f32; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|j| s[i] * s[j] * m[i][j]));
        let ypr = yaw_pitch_roll(&d);
        for (x, e) in ypr.iter().zip([a, b, g]) {
            assert!((x - e).abs() < 1e-5, "{ypr:?}");
        }
    }
}
