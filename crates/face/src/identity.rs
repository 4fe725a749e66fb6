//! The 50 identity components (beta, DESIGN.md §3–4): names, meanings and displacement fields.
//!
//! Each field is a smooth displacement of the canonical head scaled to about one population
//! standard deviation of the anthropometric measure it changes (head breadth ~5 mm, face height
//! ~5 mm, inter-ocular ~1.5 mm, ...), so `beta ~ N(0, 1)` draws plausible adults. The first 40
//! are regional and named after what they change; the last 10 are generic low-frequency fields
//! that add smooth variation no named measure covers. Eye centres and the head joint move with
//! the same field as the surface around them (joints(beta) stays consistent).

use crate::sculpt::{gauss, nose_height, smoothstep, V3};

/// Number of identity components.
pub(crate) const N: usize = 50;

const TABLE: [(&str, &str); N] = [
    ("head_width", "breadth of the skull"),
    ("head_height", "height of the skull vault above the brows"),
    ("head_depth", "front-to-back length of the skull (occiput further back)"),
    ("face_length", "height of the face below the eyes (chin lower)"),
    ("face_width", "width across the cheekbones"),
    ("jaw_width", "width across the angles of the jaw"),
    ("jaw_angle", "angles of the jaw lower and squarer"),
    ("chin_height", "chin longer downward"),
    ("chin_projection", "chin further forward"),
    ("chin_width", "chin broader"),
    ("nose_length", "nose tip and base lower (longer nose)"),
    ("nose_projection", "nose sticks out further"),
    ("nose_width", "nostrils and alae wider"),
    ("nose_bridge", "higher nasal bridge between the eyes"),
    ("nose_tip", "rounder, fuller nose tip"),
    ("nose_hump", "dorsal hump on the nose bridge"),
    ("brow_ridge", "more prominent brow ridge"),
    ("forehead_slope", "forehead slopes further back"),
    ("cheekbones", "more prominent cheekbones"),
    ("cheek_fullness", "fuller lower cheeks"),
    ("lip_upper_thickness", "fuller upper lip"),
    ("lip_lower_thickness", "fuller lower lip"),
    ("mouth_width", "wider mouth"),
    ("mouth_height", "mouth sits higher"),
    ("eye_spacing", "eyes further apart (small: ~1.5 mm inter-ocular per unit)"),
    ("eye_height", "eyes sit higher in the face"),
    ("eye_size", "larger eye opening"),
    ("eye_depth", "deeper-set eyes"),
    ("eye_tilt", "outer eye corners higher (canthal tilt)"),
    ("ear_size", "larger ears"),
    ("ear_protrusion", "ears stick out more"),
    ("neck_width", "wider neck"),
    ("neck_depth", "deeper (front-to-back) neck"),
    ("occiput", "rounder back of the head"),
    ("temple_width", "fuller temples"),
    ("midface_projection", "midface (upper jaw, nose base, upper lip) further forward"),
    ("philtrum_length", "longer upper lip: mouth and chin lower relative to the nose"),
    ("submental_fullness", "fuller skin under the chin"),
    ("asymmetry", "left side of the face slightly larger and higher"),
    ("face_taper", "upper face wider, lower face narrower (heart-shaped)"),
    ("smooth_lateral_bend", "generic: the head's vertical profile bows sideways"),
    ("smooth_sagittal_bend", "generic: face bows forward in the middle"),
    ("smooth_twist", "generic: upper head twists slightly against the lower"),
    ("smooth_front_flatten", "generic: flatter, broader face front"),
    ("smooth_crown_tilt", "generic: crown tilts forward"),
    ("smooth_upper_face_forward", "generic: forehead and brows forward"),
    ("smooth_side_bulge", "generic: sides of the head bulge"),
    ("smooth_lower_face_shift", "generic: lower face shifts sideways"),
    ("smooth_skew", "generic: face skews (left up, right down)"),
    ("smooth_squash", "generic: whole head shorter and wider"),
];

/// Identity component names in beta order.
pub const IDENTITY_NAMES: [&str; 50] = crate::first_column(&TABLE);

/// Index of `eye_size`, which acts through the lid opening amplitudes.
pub(crate) const EYE_SIZE: usize = 26;

/// (name, one-line meaning) of every identity component, in beta order.
pub fn describe_identity() -> &'static [(&'static str, &'static str); 50] {
    &TABLE
}

/// Displacement of canonical point `q` (outward direction `dir`) for identity component `i`
/// at beta_i = 1.
pub(crate) fn field(i: usize, q: V3, dir: V3) -> V3 {
    let [x, y, z] = q.to_array();
    let ax = x.abs();
    let sgn = if x >= 0.0 { 1.0 } else { -1.0 };
    let front = smoothstep(0.25, 0.75, -dir[2]);
    let side = smoothstep(0.55, 0.9, dir[0].abs());
    let g = |cx: f64, cy: f64, sx: f64, sy: f64| gauss((x - cx) / sx) * gauss((y - cy) / sy);
    let gs = |cx: f64, cy: f64, sx: f64, sy: f64| gauss((ax - cx) / sx) * gauss((y - cy) / sy);
    let out = |s: f64| (dir * s).to_array();
    let neck_keep = smoothstep(0.0, 0.07, y); // the neck base ring stays (mostly) in place
    let ear = side * gauss((y - 0.172) / 0.026) * gauss((z - 0.014) / 0.014);
    let brow = front * gs(0.028, 0.201, 0.022, 0.008);
    let eyes = gs(0.0315, 0.183, 0.02, 0.018);
    // Each component is a literal (x, y, z) displacement.
    let d: [f64; 3] = match i {
        0 => [0.035 * x * smoothstep(0.12, 0.2, y) * (1.0 - 0.7 * front), 0.0, 0.0],
        1 => [0.0, 0.045 * (y - 0.18) * smoothstep(0.18, 0.3, y), 0.0],
        2 => [0.0, 0.0, 0.05 * z * smoothstep(-0.02, 0.04, z) * smoothstep(0.06, 0.14, y)],
        3 => [0.0, -0.05 * (0.18 - y).max(0.0) * smoothstep(0.02, 0.08, y), 0.0],
        4 => [0.04 * x * gauss((y - 0.16) / 0.03), 0.0, 0.0],
        5 => [0.055 * x * gauss((y - 0.11) / 0.025) * smoothstep(0.01, 0.04, ax), 0.0, 0.0],
        6 => {
            let w = gs(0.05, 0.1, 0.015, 0.02) * gauss(z / 0.03);
            [sgn * 0.002 * w, -0.004 * w, 0.0]
        }
        7 => [0.0, -0.004 * gauss(x / 0.03) * smoothstep(0.115, 0.085, y) * smoothstep(0.04, 0.07, y), 0.0],
        8 => [0.0, 0.0, -0.004 * front * g(0.0, 0.086, 0.02, 0.015)],
        9 => [sgn * 0.003 * front * gs(0.015, 0.088, 0.01, 0.014), 0.0, 0.0],
        10 => [
            0.0,
            -0.003 * gauss(x / 0.015) * gauss((y - 0.145) / 0.015) * smoothstep(0.2, 0.16, y) * front,
            0.0,
        ],
        11 => out(0.003 * front * nose_height(y) / 0.0245 * gauss(x / 0.011)),
        12 => [sgn * 0.0022 * front * gs(0.014, 0.145, 0.008, 0.01), 0.0, 0.0],
        13 => out(0.002 * front * g(0.0, 0.18, 0.008, 0.012)),
        14 => out(0.0015 * front * g(0.0, 0.148, 0.009, 0.006)),
        15 => out(0.0015 * front * g(0.0, 0.168, 0.007, 0.006)),
        16 => out(0.0025 * brow),
        17 => [0.0, 0.0, 0.004 * front * smoothstep(0.21, 0.28, y)],
        18 => out(0.003 * front * gs(0.048, 0.158, 0.015, 0.014)),
        19 => out(0.003 * gs(0.045, 0.125, 0.018, 0.02)),
        20 => out(0.0015 * front * g(0.0, 0.1225, 0.02, 0.005)),
        21 => out(0.0018 * front * g(0.0, 0.112, 0.02, 0.006)),
        22 => [0.1 * x * gauss(x / 0.035) * gauss((y - 0.118) / 0.012) * front, 0.0, 0.0],
        23 => [0.0, 0.002 * g(0.0, 0.118, 0.025, 0.015) * front, 0.0],
        24 => [sgn * 0.00075 * eyes, 0.0, 0.0],
        25 => [0.0, 0.0015 * gs(0.0315, 0.183, 0.025, 0.02), 0.0],
        // eye_size acts through the lid amplitudes (expression::eye_amps).
        26 => [0.0; 3],
        27 => [0.0, 0.0, 0.0015 * eyes],
        28 => [0.0, 0.0015 * (ax - 0.0315) / 0.013 * eyes, 0.0],
        29 => [0.0, 0.004 * (y - 0.172) / 0.024 * ear, 0.004 * (z - 0.014) / 0.014 * ear],
        30 => [sgn * 0.004 * ear, 0.0, 0.0],
        31 => [0.07 * x * smoothstep(0.12, 0.04, y), 0.0, 0.0],
        32 => [0.0, 0.0, 0.06 * (z - 0.012) * smoothstep(0.1, 0.04, y)],
        33 => out(0.004 * gauss((y - 0.19) / 0.03) * gauss(x / 0.04) * smoothstep(0.04, 0.09, z)),
        34 => [sgn * 0.003 * side * gauss((y - 0.215) / 0.02), 0.0, 0.0],
        35 => [0.0, 0.0, -0.003 * front * g(0.0, 0.14, 0.04, 0.025)],
        36 => [
            0.0,
            -0.002 * smoothstep(0.145, 0.125, y) * smoothstep(0.06, 0.1, y) * gauss(x / 0.04) * front,
            0.0,
        ],
        37 => out(0.005 * gauss(x / 0.025) * gauss((y - 0.065) / 0.015) * gauss((z + 0.055) / 0.02)),
        38 => [0.002 * gauss((x - 0.04) / 0.03) * front, 0.0015 * x / 0.07 * front, 0.0],
        39 => [0.04 * x * ((y - 0.15) / 0.08).clamp(-1.0, 1.0) * neck_keep, 0.0, 0.0],
        40 => [0.002 * (std::f64::consts::PI * (y - 0.15) / 0.15).sin() * neck_keep, 0.0, 0.0],
        41 => [0.0, 0.0, -0.002 * gauss((y - 0.16) / 0.05) * front],
        42 => [0.0, 0.0, 0.02 * x * (y - 0.15) / 0.1 * neck_keep],
        43 => [
            0.03 * x * front * gauss((y - 0.16) / 0.05),
            0.0,
            0.003 * front * gauss(x / 0.03) * gauss((y - 0.16) / 0.05),
        ],
        44 => [0.0, 0.0, -0.003 * smoothstep(0.2, 0.3, y) * (y - 0.2) / 0.1],
        45 => [0.0, 0.0, -0.002 * front * smoothstep(0.17, 0.22, y)],
        46 => out(0.0025 * side * gauss((y - 0.19) / 0.05)),
        47 => [0.002 * smoothstep(0.15, 0.1, y) * neck_keep * front, 0.0, 0.0],
        48 => [0.0, 0.015 * x * front * gauss((y - 0.16) / 0.06), 0.0],
        49 => [0.03 * x * neck_keep, -0.03 * (y - 0.1) * neck_keep, 0.0],
        _ => [0.0; 3],
    };
    V3::from(d)
}
