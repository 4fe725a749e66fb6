//! Export of the expression coefficients to Apple ARKit's 52 blendshape weights (DESIGN.md §4).
//!
//! The map is one documented matrix, [`arkit_matrix`]: `weights = clamp01(M * [psi; eye_rot])`,
//! where `eye_rot` is the left eye's then the right eye's axis-angle (6 floats, head-relative, as
//! `theta[6..12]`). Positive and negative halves of a signed input (jaw sideways, eye yaw) get
//! separate rows with opposite signs, so the clamp to [0, 1] splits them. "Left"/"Right" in ARKit
//! names are the person's own sides, like ours (DESIGN.md §3).

use crate::expression::EXPRESSION_NAMES;

/// ARKit's 52 blendshape names in Apple's order (ARFaceAnchor.BlendShapeLocation as exported by
/// ARKit tools: eyes left, eyes right, jaw, mouth, brows, cheeks, nose, tongue).
pub const ARKIT_NAMES: [&str; 52] = [
    "eyeBlinkLeft",
    "eyeLookDownLeft",
    "eyeLookInLeft",
    "eyeLookOutLeft",
    "eyeLookUpLeft",
    "eyeSquintLeft",
    "eyeWideLeft",
    "eyeBlinkRight",
    "eyeLookDownRight",
    "eyeLookInRight",
    "eyeLookOutRight",
    "eyeLookUpRight",
    "eyeSquintRight",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawRight",
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthLeft",
    "mouthRight",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "noseSneerLeft",
    "noseSneerRight",
    "tongueOut",
];

/// Columns of the ARKit matrix: the 63 psi, then left eye (rx, ry, rz), then right eye.
pub const ARKIT_INPUTS: usize = 63 + 6;

/// Eye rotation (radians) that maps to a full eye-look weight of 1.0 (30 degrees).
pub const EYE_LOOK_FULL: f32 = std::f32::consts::PI / 6.0;

/// For each expression name, the ARKit shapes it drives and with which weight.
const PSI_TO_ARKIT: &[(&str, &[(&str, f32)])] = &[
    ("jaw_open", &[("jawOpen", 1.0)]),
    ("jaw_forward", &[("jawForward", 1.0)]),
    ("jaw_sideways", &[("jawLeft", 1.0), ("jawRight", -1.0)]),
    ("lips_close", &[("mouthClose", 1.0)]),
    ("lip_funnel", &[("mouthFunnel", 1.0)]),
    ("lip_pucker", &[("mouthPucker", 1.0)]),
    ("lip_press", &[("mouthPressLeft", 1.0), ("mouthPressRight", 1.0)]),
    ("lip_roll_upper", &[("mouthRollUpper", 1.0)]),
    ("lip_roll_lower", &[("mouthRollLower", 1.0)]),
    ("upper_lip_raise", &[("mouthUpperUpLeft", 1.0), ("mouthUpperUpRight", 1.0)]),
    ("lower_lip_depress", &[("mouthLowerDownLeft", 1.0), ("mouthLowerDownRight", 1.0)]),
    ("lip_shrug_upper", &[("mouthShrugUpper", 1.0)]),
    ("lip_shrug_lower", &[("mouthShrugLower", 1.0)]),
    ("mouth_stretch_left", &[("mouthStretchLeft", 1.0)]),
    ("mouth_stretch_right", &[("mouthStretchRight", 1.0)]),
    ("mouth_shift", &[("mouthLeft", 1.0), ("mouthRight", -1.0)]),
    (
        "lip_tighten",
        &[
            ("mouthPressLeft", 0.4),
            ("mouthPressRight", 0.4),
            ("mouthRollUpper", 0.2),
            ("mouthRollLower", 0.2),
        ],
    ),
    ("lower_lip_bite", &[("mouthRollLower", 0.7), ("mouthUpperUpLeft", 0.2), ("mouthUpperUpRight", 0.2)]),
    (
        "lips_part",
        &[
            ("mouthUpperUpLeft", 0.25),
            ("mouthUpperUpRight", 0.25),
            ("mouthLowerDownLeft", 0.25),
            ("mouthLowerDownRight", 0.25),
        ],
    ),
    ("mouth_wide", &[("mouthStretchLeft", 0.6), ("mouthStretchRight", 0.6)]),
    ("smile_left", &[("mouthSmileLeft", 1.0)]),
    ("smile_right", &[("mouthSmileRight", 1.0)]),
    ("frown_left", &[("mouthFrownLeft", 1.0)]),
    ("frown_right", &[("mouthFrownRight", 1.0)]),
    ("dimple_left", &[("mouthDimpleLeft", 1.0)]),
    ("dimple_right", &[("mouthDimpleRight", 1.0)]),
    ("cheek_puff", &[("cheekPuff", 1.0)]),
    ("cheek_squint_left", &[("cheekSquintLeft", 1.0)]),
    ("cheek_squint_right", &[("cheekSquintRight", 1.0)]),
    ("nose_sneer_left", &[("noseSneerLeft", 1.0)]),
    ("nose_sneer_right", &[("noseSneerRight", 1.0)]),
    ("nostril_flare", &[("noseSneerLeft", 0.2), ("noseSneerRight", 0.2)]),
    ("brow_inner_up", &[("browInnerUp", 1.0)]),
    ("brow_down_left", &[("browDownLeft", 1.0)]),
    ("brow_down_right", &[("browDownRight", 1.0)]),
    ("brow_outer_up_left", &[("browOuterUpLeft", 1.0)]),
    ("brow_outer_up_right", &[("browOuterUpRight", 1.0)]),
    ("brow_furrow", &[("browDownLeft", 0.5), ("browDownRight", 0.5)]),
    ("forehead_raise", &[("browInnerUp", 1.0), ("browOuterUpLeft", 1.0), ("browOuterUpRight", 1.0)]),
    ("blink_left", &[("eyeBlinkLeft", 1.0)]),
    ("blink_right", &[("eyeBlinkRight", 1.0)]),
    ("eye_squint_left", &[("eyeSquintLeft", 1.0)]),
    ("eye_squint_right", &[("eyeSquintRight", 1.0)]),
    ("eye_wide_left", &[("eyeWideLeft", 1.0)]),
    ("eye_wide_right", &[("eyeWideRight", 1.0)]),
    ("lower_lid_raise_left", &[("eyeSquintLeft", 0.6)]),
    ("lower_lid_raise_right", &[("eyeSquintRight", 0.6)]),
    ("chin_raise", &[("mouthShrugLower", 0.7)]),
    ("upper_lip_raise_left", &[("mouthUpperUpLeft", 1.0)]),
    ("upper_lip_raise_right", &[("mouthUpperUpRight", 1.0)]),
    ("lower_lip_depress_left", &[("mouthLowerDownLeft", 1.0)]),
    ("lower_lip_depress_right", &[("mouthLowerDownRight", 1.0)]),
    ("mouth_press_left", &[("mouthPressLeft", 1.0)]),
    ("mouth_press_right", &[("mouthPressRight", 1.0)]),
    ("lower_lip_pout", &[("mouthShrugLower", 0.3)]),
    (
        "nasolabial_deepen",
        &[
            ("noseSneerLeft", 0.3),
            ("noseSneerRight", 0.3),
            ("mouthUpperUpLeft", 0.2),
            ("mouthUpperUpRight", 0.2),
        ],
    ),
];

/// The ARKit export matrix, `[52][ARKIT_INPUTS]`: row = ARKit shape (in [`ARKIT_NAMES`] order),
/// column = psi index (0..63) or eye rotation component (63..69: left rx, ry, rz, right rx, ry,
/// rz). Eye-look rows read the small-angle gaze offset of each eye (gaze.x = -ry, gaze.y = rx)
/// scaled so [`EYE_LOOK_FULL`] gives 1.0. Expressions without an ARKit counterpart (jaw_clench,
/// neck_tense, swallow, ...) have all-zero columns; tongueOut's row is zero (no tongue).
pub fn arkit_matrix() -> [[f32; ARKIT_INPUTS]; 52] {
    let row = |name: &str| ARKIT_NAMES.iter().position(|n| *n == name).expect("ARKit name in table");
    let mut m = [[0.0f32; ARKIT_INPUTS]; 52];
    for (expr, targets) in PSI_TO_ARKIT {
        let col = EXPRESSION_NAMES.iter().position(|n| n == expr).expect("expression name in table");
        for (shape, w) in targets.iter() {
            m[row(shape)][col] = *w;
        }
    }
    let s = 1.0 / EYE_LOOK_FULL;
    // Left eye columns 63..66, right eye 66..69; x = 0, y = 1 within each.
    for (side, base) in [("Left", 63usize), ("Right", 66usize)] {
        // Looking toward +X (gaze.x = -ry > 0) is "out" for the left eye, "in" for the right.
        let (toward_plus_x, toward_minus_x) = if side == "Left" { ("Out", "In") } else { ("In", "Out") };
        m[row(&format!("eyeLookUp{side}"))][base] = s;
        m[row(&format!("eyeLookDown{side}"))][base] = -s;
        m[row(&format!("eyeLook{toward_plus_x}{side}"))][base + 1] = -s;
        m[row(&format!("eyeLook{toward_minus_x}{side}"))][base + 1] = s;
    }
    m
}

/// Applies the matrix and clamps to [0, 1]. Missing or non-finite inputs read as zero.
pub(crate) fn apply(m: &[[f32; ARKIT_INPUTS]; 52], psi: &[f32], theta: &[f32]) -> [f32; 52] {
    let mut input = [0.0f32; ARKIT_INPUTS];
    for (k, x) in input.iter_mut().take(63).enumerate() {
        *x = psi.get(k).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
    }
    for k in 0..6 {
        input[63 + k] = theta.get(6 + k).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
    }
    std::array::from_fn(|r| {
        let s: f32 = m[r].iter().zip(&input).map(|(a, b)| a * b).sum();
        s.clamp(0.0, 1.0)
    })
}
