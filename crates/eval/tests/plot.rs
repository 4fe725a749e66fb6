//! Per-clip plots (paper §4.3): the per-frame series on known inputs, and an SVG that parses as
//! XML and whose polylines read back as the series they were drawn from.

use std::collections::HashMap;
use std::path::PathBuf;

use duologue_eval::plot::{clip_svg, frame_energy_db, gaze_angles_deg, mouth_opening_mm, ClipSeries};
use duologue_eval::{gaze_metrics, EvalError, MUTUAL_GAZE_DEG};
use duologue_face::FaceModel;
use duologue_params::{Duo, Joint, Person, FPS, HOP, THETA};

/// Face-to-face layout (DESIGN §2) with A turned round to face B: a rest head looks along -Z,
/// so A (at -Z) yaws 180° and B (at +Z) keeps the rest pose. Both look at each other's eyes.
fn facing(frames: usize) -> Duo {
    let mut a = Person::neutral(frames, [0.0, 0.0, -0.5]);
    let b = Person::neutral(frames, [0.0, 0.0, 0.5]);
    let head = Joint::Head.range();
    for k in 0..frames {
        a.x.frame_mut(k)[head.start + 1] = std::f32::consts::PI;
    }
    Duo { a, b, fps: FPS as f32 }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../audio/tests/fixtures").join(name)
}

/// Real speech, decoded to 16 kHz mono by the project's decoder.
fn speech() -> Vec<f32> {
    let d = duologue_audio::decode_file(&fixture("hello.wav"), duologue_audio::ChannelMode::Mix)
        .expect("crates/audio/tests/fixtures/hello.wav decodes");
    d.mix()
}

#[test]
fn mouth_opening_follows_jaw_open() {
    let model = FaceModel::shared();
    let mut duo = facing(11);
    for k in 0..11 {
        duo.a.x.frame_mut(k)[0] = k as f32 / 10.0; // jaw_open 0 .. 1
    }
    let [a, b] = mouth_opening_mm(&duo, model).expect("series");
    assert_eq!((a.len(), b.len()), (11, 11));
    assert!(a[0] < 2.0, "the rest mouth is closed: {} mm", a[0]);
    assert!(a.windows(2).all(|w| w[1] > w[0]), "opening grows with jaw_open: {a:?}");
    // The face model's README: jaw_open = 1 is a ~17 mm incisal gap; the lips part about as much.
    assert!((10.0..25.0).contains(&a[10]), "jaw_open 1: {} mm", a[10]);
    assert!(b.iter().all(|&v| (v - b[0]).abs() < 1e-9), "B does not move");
    // Pose does not change the opening (the lips move rigidly with the head).
    let mut turned = duo.clone();
    for k in 0..11 {
        turned.a.x.frame_mut(k)[Joint::Neck.range().start] = 0.3;
    }
    let [t, _] = mouth_opening_mm(&turned, model).expect("series");
    assert!(a.iter().zip(&t).all(|(x, y)| (x - y).abs() < 1e-3), "{a:?} vs {t:?}");
}

#[test]
fn gaze_angles_are_the_eye_turn_and_average_to_the_metric() {
    let model = FaceModel::shared();
    let mut duo = facing(7);
    // A's eyes turn away from B by 0, 5, .., 30 degrees about the vertical.
    for k in 0..7 {
        let yaw = (5.0 * k as f32).to_radians();
        for j in [Joint::LeftEye, Joint::RightEye] {
            duo.a.x.frame_mut(k)[j.range().start + 1] = yaw;
        }
    }
    let [a, b] = gaze_angles_deg(&duo, model).expect("series");
    for (k, v) in a.iter().enumerate() {
        assert!((v - 5.0 * k as f64).abs() < 0.1, "frame {k}: {v} deg");
    }
    assert!(b.iter().all(|v| *v < 0.1), "B looks straight at A: {b:?}");
    let m = gaze_metrics(&duo, model, MUTUAL_GAZE_DEG).expect("metric");
    assert!((a.iter().sum::<f64>() / 7.0 - m.angle_a_deg).abs() < 1e-9);
    assert!((b.iter().sum::<f64>() / 7.0 - m.angle_b_deg).abs() < 1e-9);
    // Bad input is an error, not a panic.
    let mut bad = duo.clone();
    bad.b.mask.pop();
    assert!(matches!(gaze_angles_deg(&bad, model), Err(EvalError::Shape { .. })));
    bad = duo;
    bad.a.x.frame_mut(3)[THETA.start] = f32::NAN;
    assert!(matches!(mouth_opening_mm(&bad, model), Err(EvalError::NonFinite { .. })));
}

#[test]
fn frame_energy_of_known_signals() {
    // A sine of amplitude 0.5 (250 Hz: 10 whole periods per frame) has mean square 0.125:
    // -9.03 dB; digital silence is the floor.
    let w = 2.0 * std::f32::consts::PI * 10.0 / HOP as f32;
    let sine: Vec<f32> = (0..3 * HOP).map(|i| 0.5 * (i as f32 * w).sin()).collect();
    let silence = vec![0.0f32; HOP + 100];
    let e = frame_energy_db(&[sine, silence].concat()).expect("energy");
    assert_eq!(e.len(), 5, "3 + 1 whole frames and one partial");
    for v in &e[..3] {
        assert!((v - 10.0 * 0.125f64.log10()).abs() < 0.01, "{v}");
    }
    assert!((e[3] + 100.0).abs() < 1e-9 && (e[4] + 100.0).abs() < 1e-9);
    assert!(matches!(frame_energy_db(&[0.1, f32::INFINITY]), Err(EvalError::NonFinite { index: 1, .. })));

    // Real speech: loud frames and near-silent frames both occur.
    let e = frame_energy_db(&speech()).expect("energy");
    let (lo, hi) = e.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(hi > -30.0 && hi - lo > 20.0, "speech energy {lo:.1} .. {hi:.1} dB");
}

/// A polyline's points as (t seconds, value) through its panel's mapping.
fn read_back(points: &str, rect: (f64, f64, f64, f64), t1: f64, (v0, v1): (f64, f64)) -> Vec<(f64, f64)> {
    let (x, y, w, h) = rect;
    points
        .split_whitespace()
        .map(|p| {
            let (px, py) = p.split_once(',').expect("x,y");
            let (px, py): (f64, f64) = (px.parse().expect("x"), py.parse().expect("y"));
            ((px - x) / w * t1, v0 + (1.0 - (py - y) / h) * (v1 - v0))
        })
        .collect()
}

fn num(n: roxmltree::Node, attr: &str) -> f64 {
    n.attribute(attr).unwrap_or_else(|| panic!("{attr} on {:?}", n.tag_name())).parse().expect("number")
}

#[test]
fn svg_parses_and_its_curves_read_back_as_the_series() {
    let model = FaceModel::shared();
    let audio = speech();
    let energy = frame_energy_db(&audio).expect("energy");
    let frames = energy.len();
    // Prediction: A's jaw follows the speech energy, A's eyes drift, masks from the energy.
    let mut pred = facing(frames);
    let top = energy.iter().copied().fold(f64::MIN, f64::max);
    for (k, &e) in energy.iter().enumerate() {
        let loud = ((e - (top - 40.0)) / 40.0).clamp(0.0, 1.0) as f32;
        pred.a.x.frame_mut(k)[0] = loud;
        pred.a.x.frame_mut(k)[Joint::LeftEye.range().start + 1] = 0.01 * k as f32;
        pred.a.mask[k] = if loud > 0.3 { 1.0 } else { 0.0 };
        pred.b.mask[k] = 0.2;
    }
    let mut gt = pred.clone();
    for k in 0..frames {
        gt.a.x.frame_mut(k)[0] *= 0.5;
        gt.b.x.frame_mut(k)[0] = 0.3;
    }
    let (ps, gs) = ClipSeries::pair(&pred, &gt, model).expect("series");
    let title = "hello.wav <pred & \"gt\">";
    let svg = clip_svg(&ps, Some(&gs), Some(&energy), title).expect("svg");

    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    let title_node = root.children().find(|n| n.has_tag_name("title")).expect("title");
    assert_eq!(title_node.text(), Some(title), "escaped text reads back");
    let panels: Vec<_> =
        root.descendants().filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("panel")).collect();
    assert_eq!(panels.len(), 3);
    let lines: Vec<_> = root.descendants().filter(|n| n.has_tag_name("polyline")).collect();
    assert_eq!(lines.len(), 1 + 3 * 4, "energy + (pred, gt) x (A, B) in each panel");

    let want: HashMap<&str, &Vec<f64>> = HashMap::from([
        ("mouth A", &ps.mouth_mm[0]),
        ("mouth B (gt)", &gs.mouth_mm[1]),
        ("mouth A (gt)", &gs.mouth_mm[0]),
        ("gaze A", &ps.gaze_deg[0]),
        ("gaze B (gt)", &gs.gaze_deg[1]),
        ("mask A", &ps.mask[0]),
        ("mask B (gt)", &gs.mask[1]),
        ("audio energy (dB)", &energy),
    ]);
    let mut checked = 0;
    for line in &lines {
        let name = line.attribute("data-series").expect("named curve");
        let Some(values) = want.get(name) else { continue };
        let panel = line.ancestors().find(|n| n.attribute("class") == Some("panel")).expect("in a panel");
        let rect = (num(panel, "data-x"), num(panel, "data-y"), num(panel, "data-w"), num(panel, "data-h"));
        // The energy curve sits in the right-axis group, which carries its own value range.
        let scale = line.ancestors().find(|n| n.attribute("data-v0").is_some()).expect("value range");
        let (v0, v1) = (num(scale, "data-v0"), num(scale, "data-v1"));
        let pts = read_back(line.attribute("points").expect("points"), rect, num(panel, "data-t1"), (v0, v1));
        assert_eq!(pts.len(), frames, "{name}: one point per frame");
        let tol = 1e-3 * (v1 - v0);
        for (k, ((t, v), want)) in pts.iter().zip(values.iter()).enumerate() {
            assert!((t - k as f64 / 25.0).abs() < 1e-3, "{name} frame {k}: t {t}");
            if *want >= v0 && *want <= v1 {
                assert!((v - want).abs() < tol, "{name} frame {k}: {v} vs {want}");
            } else {
                assert!((v - want.clamp(v0, v1)).abs() < tol, "{name} frame {k}: clamped");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, want.len());
    // The mutual-gaze threshold line sits at its value on the gaze panel.
    let th = root.descendants().find(|n| n.attribute("class") == Some("threshold")).expect("threshold");
    let gaze = th.ancestors().find(|n| n.attribute("class") == Some("panel")).expect("panel");
    let v = num(gaze, "data-v0")
        + (1.0 - (num(th, "y1") - num(gaze, "data-y")) / num(gaze, "data-h"))
            * (num(gaze, "data-v1") - num(gaze, "data-v0"));
    assert!((v - MUTUAL_GAZE_DEG).abs() < 1e-3, "{v}");
    assert!(ps.mouth_mm[0].iter().any(|&v| v > 5.0), "the loud frames open A's mouth");
}

#[test]
fn svg_without_extras_and_bad_series() {
    let model = FaceModel::shared();
    let duo = facing(3);
    let s = ClipSeries::of(&duo, model).expect("series");
    let svg = clip_svg(&s, None, None, "plain").expect("svg");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("polyline")).count(), 6);
    assert!(!svg.contains("(gt)") && !svg.contains("audio energy (dB)"));

    let mut short = s.clone();
    short.gaze_deg[1].pop();
    assert!(matches!(clip_svg(&short, None, None, "x"), Err(EvalError::Shape { .. })));
    let mut nan = s.clone();
    nan.mask[0][1] = f64::NAN;
    assert!(matches!(clip_svg(&nan, None, None, "x"), Err(EvalError::NonFinite { .. })));
    let other = ClipSeries::of(&facing(4), model).expect("series");
    assert!(matches!(clip_svg(&s, Some(&other), None, "x"), Err(EvalError::FrameMismatch { .. })));
    assert!(matches!(clip_svg(&s, None, Some(&[0.0, f64::NAN]), "x"), Err(EvalError::NonFinite { .. })));
    let empty = ClipSeries::of(&facing(0), model);
    assert!(empty.is_err() || clip_svg(&empty.unwrap(), None, None, "x").is_err());
}
