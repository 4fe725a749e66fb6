//! The 63 expression components (psi, DESIGN.md §3–4): names, one-line meanings and the
//! analytic displacement fields that define them. psi[0..20] is the lip/jaw group, which moves
//! only the mouth, lips, jaw and chin; the rest are cheeks, nose, brows, lids, chin and neck.
//!
//! A component at 1.0 is a full, natural action; values in roughly [-1, 2] stay usable. Lid
//! actions (blink, squint, wide) change the eyelid opening amplitudes and the lids re-hug the
//! eyeball, so a blink at 1.0 closes the lids completely. "Left"/"right" are the person's own.

use crate::context::VInfo;
use crate::sculpt::{gauss, smoothstep, MOUTH_Y, V3};

/// Number of expression components.
pub(crate) const N: usize = 63;

/// (name, meaning) of every expression component, in psi order.
const TABLE: [(&str, &str); N] = [
    ("jaw_open", "lower jaw rotates open about the hinge; ~17 mm incisal gap (~19 mm jaw drop) at 1.0"),
    ("jaw_forward", "lower jaw slides forward (protrusion)"),
    ("jaw_sideways", "lower jaw slides toward the person's left (negative: right)"),
    ("lips_close", "lips close over an open jaw (ARKit mouthClose; use with jaw_open)"),
    ("lip_funnel", "lips protrude and flare into a funnel, as in 'sh'"),
    ("lip_pucker", "lips push forward and narrow into a pucker, as in 'oo' or a kiss"),
    ("lip_press", "lips press together and thin"),
    ("lip_roll_upper", "upper lip rolls in over the teeth"),
    ("lip_roll_lower", "lower lip rolls in over the teeth"),
    ("upper_lip_raise", "upper lip lifts on both sides, showing the upper teeth"),
    ("lower_lip_depress", "lower lip pulls down on both sides, showing the lower teeth"),
    ("lip_shrug_upper", "upper lip pushes up and out"),
    ("lip_shrug_lower", "lower lip pushes up and out (pout)"),
    ("mouth_stretch_left", "left mouth corner stretches out and down"),
    ("mouth_stretch_right", "right mouth corner stretches out and down"),
    ("mouth_shift", "whole mouth shifts toward the person's left (negative: right)"),
    ("lip_tighten", "lips tighten and narrow (thin red lips)"),
    ("lower_lip_bite", "lower lip tucks up under the upper teeth, as in 'f' and 'v'"),
    ("lips_part", "lips part with the jaw still, as in 's' or a relaxed open mouth"),
    ("mouth_wide", "both corners pull sideways and back, as in 'ee'"),
    ("smile_left", "left mouth corner pulls up and out, cheek lifts"),
    ("smile_right", "right mouth corner pulls up and out, cheek lifts"),
    ("frown_left", "left mouth corner pulls down"),
    ("frown_right", "right mouth corner pulls down"),
    ("dimple_left", "left mouth corner tucks back (dimpler)"),
    ("dimple_right", "right mouth corner tucks back (dimpler)"),
    ("cheek_puff", "both cheeks puff out with air"),
    ("cheek_suck", "both cheeks suck in"),
    ("cheek_squint_left", "left cheek rises toward the eye"),
    ("cheek_squint_right", "right cheek rises toward the eye"),
    ("nose_sneer_left", "left side of the nose and upper lip wrinkle up"),
    ("nose_sneer_right", "right side of the nose and upper lip wrinkle up"),
    ("nostril_flare", "nostrils widen"),
    ("brow_inner_up", "inner ends of both brows rise (worry, sadness)"),
    ("brow_down_left", "left brow lowers and draws in"),
    ("brow_down_right", "right brow lowers and draws in"),
    ("brow_outer_up_left", "outer end of the left brow rises"),
    ("brow_outer_up_right", "outer end of the right brow rises"),
    ("brow_furrow", "inner brows pull together (corrugator), vertical frown lines"),
    ("forehead_raise", "both brows and the forehead rise together (surprise)"),
    ("blink_left", "left eyelids close; fully closed at 1.0"),
    ("blink_right", "right eyelids close; fully closed at 1.0"),
    ("eye_squint_left", "left lids narrow, mostly the lower lid rising"),
    ("eye_squint_right", "right lids narrow, mostly the lower lid rising"),
    ("eye_wide_left", "left upper lid lifts, eye opens wide"),
    ("eye_wide_right", "right upper lid lifts, eye opens wide"),
    ("lower_lid_raise_left", "left lower lid rises on its own"),
    ("lower_lid_raise_right", "right lower lid rises on its own"),
    ("chin_raise", "chin boss and lower lip push up (mentalis)"),
    ("jaw_clench", "jaw muscles bulge at the angles of the jaw"),
    ("neck_tense", "neck cords tense and mouth corners pull down (platysma)"),
    ("swallow", "larynx and throat skin rise, as in swallowing"),
    ("upper_lip_raise_left", "upper lip lifts on the left side only"),
    ("upper_lip_raise_right", "upper lip lifts on the right side only"),
    ("lower_lip_depress_left", "lower lip pulls down on the left side only"),
    ("lower_lip_depress_right", "lower lip pulls down on the right side only"),
    ("mouth_press_left", "lips press together on the left side only"),
    ("mouth_press_right", "lips press together on the right side only"),
    ("nose_tip_down", "nose tip and columella pull down"),
    ("nostril_compress", "nostrils narrow"),
    ("ear_raise", "ears lift slightly (auricular muscles)"),
    ("lower_lip_pout", "lower lip everts and pushes forward"),
    ("nasolabial_deepen", "nasolabial folds deepen, lateral upper lip lifts"),
];

/// Expression component names in psi order; psi[0..20] is the lip/jaw group.
pub const EXPRESSION_NAMES: [&str; 63] = crate::first_column(&TABLE);

/// (name, one-line meaning) of every expression component, in psi order (for docs and the
/// README).
pub fn describe_expressions() -> &'static [(&'static str, &'static str); 63] {
    &TABLE
}

/// Eyelid opening amplitudes of one eye (1 = rest, 0 = closed at the slit line).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EyeAmps {
    pub up: f64,
    pub down: f64,
}

fn idx(name: &str) -> usize {
    EXPRESSION_NAMES.iter().position(|n| *n == name).unwrap_or(usize::MAX)
}

/// Lid amplitudes from the lid-related actions (and the identity eye size).
pub(crate) fn eye_amps(act: &[f64], id: &[f64]) -> [EyeAmps; 2] {
    let a = |name: &str| act.get(idx(name)).copied().unwrap_or(0.0);
    let size = 1.0 + 0.1 * id.get(crate::identity::EYE_SIZE).copied().unwrap_or(0.0);
    std::array::from_fn(|e| {
        let s = if e == 0 { "left" } else { "right" };
        let blink = a(&format!("blink_{s}"));
        let squint = a(&format!("eye_squint_{s}"));
        let wide = a(&format!("eye_wide_{s}"));
        let lower = a(&format!("lower_lid_raise_{s}"));
        let cheek = a(&format!("cheek_squint_{s}"));
        let smile = a(&format!("smile_{s}"));
        let up = 1.0 - blink - 0.18 * squint + 0.45 * wide;
        let down = 1.0 - blink - 0.45 * squint + 0.15 * wide - 0.5 * lower - 0.15 * cheek - 0.1 * smile;
        EyeAmps { up: up * size, down: down * size }
    })
}

/// Mouth corner x (canonical).
const CORNER_X: f64 = crate::sculpt::MOUTH_CORNER_X;
/// Jaw hinge (y, z) and opening angle at jaw_open = 1.
const HINGE: (f64, f64) = (0.160, 0.004);
const JAW_OPEN_RAD: f64 = 0.2;

/// Displacement of one vertex for expression `k` at amplitude 1, evaluated on the canonical
/// geometry `inf` (so components superpose linearly).
pub(crate) fn field(k: usize, inf: &VInfo) -> V3 {
    let q = inf.qf;
    let (x, y) = (q[0], q[1]);
    let ax = x.abs();
    let sgn = if x >= 0.0 { 1.0 } else { -1.0 };
    let f = inf.front * inf.att;
    let up = inf.mouth_side.max(0.0);
    let dn = (-inf.mouth_side).max(0.0);
    let g = |cx: f64, cy: f64, sx: f64, sy: f64| gauss((x - cx) / sx) * gauss((y - cy) / sy);
    let gs = |cx: f64, cy: f64, sx: f64, sy: f64| gauss((ax - cx) / sx) * gauss((y - cy) / sy);
    // Across-the-mouth profile: 1 in the middle, 0 at the corners.
    let mid = (1.0 - (x / CORNER_X).powi(2)).max(0.0);
    let zone = f * g(0.0, MOUTH_Y, 0.028, 0.012);
    let zone_up = f * up * g(0.0, MOUTH_Y, 0.022, 0.009);
    let zone_dn = f * dn * g(0.0, MOUTH_Y, 0.022, 0.011);
    let lip_up = f * up * g(0.0, 0.1225, 0.022, 0.006);
    let lip_dn = f * dn * g(0.0, 0.112, 0.022, 0.007);
    let corner = |s: f64, sx: f64| f * g(s * CORNER_X, MOUTH_Y, sx, sx);
    let side = |s: f64| smoothstep(-0.004, 0.004, s * x);
    let jaw = inf.jaw;
    let v = V3::new;
    let dirv = |s: f64| inf.dir * s;
    let name = EXPRESSION_NAMES.get(k).copied().unwrap_or("");
    match name {
        "jaw_open" => {
            // Exact rotation about the hinge (the secant makes it linear), plus the condyle glide.
            let (s, c) = (-JAW_OPEN_RAD).sin_cos();
            let (ry, rz) = (inf.q[1] - HINGE.0, inf.q[2] - HINGE.1);
            let (ny, nz) = (ry * c - rz * s, ry * s + rz * c);
            v(0.0, ny - ry - 0.002, nz - rz - 0.004) * jaw
        }
        "jaw_forward" => v(0.0, 0.0, -0.005) * jaw,
        "jaw_sideways" => v(0.005, 0.0, 0.0) * jaw,
        "lips_close" => {
            // Cancels jaw_open's lip separation (which follows the lips' jaw weights, ∝ m).
            let m = (1.0 - (x / CORNER_X).powi(2)).max(0.0).sqrt();
            (v(0.0, -0.006, -0.001) * (zone_up * m)) + (v(0.0, 0.0157, -0.0074) * (zone_dn * m))
        }
        "lip_funnel" => {
            (v(-0.15 * x, 0.0, -0.0055) * zone)
                + ((v(0.0, 0.0022, -0.001) * (zone_up * mid)) + (v(0.0, -0.003, -0.001) * (zone_dn * mid)))
        }
        "lip_pucker" => {
            // Flat across the mouth so the corners come in too (a round, narrow mouth).
            let z = f * g(0.0, MOUTH_Y, 0.04, 0.012);
            (v(-0.3 * x, 0.0, -0.009) * z)
                + ((v(0.0, -0.0008, 0.0) * zone_up) + (v(0.0, 0.0008, 0.0) * zone_dn))
        }
        "lip_press" => {
            (v(0.0, -0.0015, 0.0015) * lip_up)
                + ((v(0.0, 0.0015, 0.0015) * lip_dn) + (v(0.05 * x, 0.0, 0.0) * zone))
        }
        "lip_roll_upper" => v(0.0, 0.0012, 0.005) * lip_up,
        "lip_roll_lower" => v(0.0, -0.0015, 0.005) * lip_dn,
        "upper_lip_raise" => v(0.0, 0.0045, -0.0005) * (zone_up * gs(0.012, MOUTH_Y, 0.011, 0.03)),
        "lower_lip_depress" => v(0.0, -0.0055, -0.0005) * (zone_dn * gs(0.012, MOUTH_Y, 0.011, 0.03)),
        "lip_shrug_upper" => v(0.0, 0.002, -0.002) * zone_up,
        "lip_shrug_lower" => {
            (v(0.0, 0.003, -0.003) * zone_dn) + (v(0.0, 0.002, -0.001) * (f * g(0.0, 0.092, 0.016, 0.014)))
        }
        "mouth_stretch_left" => v(0.006, -0.004, 0.002) * corner(1.0, 0.013),
        "mouth_stretch_right" => v(-0.006, -0.004, 0.002) * corner(-1.0, 0.013),
        "mouth_shift" => v(0.007, 0.0, 0.0) * (f * g(0.0, MOUTH_Y, 0.035, 0.018)),
        "lip_tighten" => {
            (v(0.0, -0.0018, 0.0015) * lip_up)
                + ((v(0.0, 0.0018, 0.0015) * lip_dn) + (v(-0.06 * x, 0.0, 0.0) * zone))
        }
        "lower_lip_bite" => (v(0.0, 0.0065, 0.0065) * lip_dn) + (v(0.0, 0.0025, -0.001) * lip_up),
        "lips_part" => (v(0.0, 0.002, 0.0005) * (lip_up * mid)) + (v(0.0, -0.003, 0.001) * (lip_dn * mid)),
        "mouth_wide" => {
            (v(0.005, 0.001, 0.003) * corner(1.0, 0.013)) + (v(-0.005, 0.001, 0.003) * corner(-1.0, 0.013))
        }
        "smile_left" | "smile_right" => {
            let s = if name == "smile_left" { 1.0 } else { -1.0 };
            let c = v(s * 0.006, 0.0075, 0.0035) * corner(s, 0.016);
            let cheek = v(0.0, 0.0035, -0.0035) * (f * g(s * 0.042, 0.138, 0.016, 0.016));
            let lid = v(0.0, 0.0015, 0.0) * (f * g(s * 0.032, 0.168, 0.012, 0.006));
            c + (cheek + lid)
        }
        "frown_left" => v(0.0015, -0.0055, 0.0) * corner(1.0, 0.014),
        "frown_right" => v(-0.0015, -0.0055, 0.0) * corner(-1.0, 0.014),
        "dimple_left" => v(0.003, 0.0, 0.005) * corner(1.0, 0.009),
        "dimple_right" => v(-0.003, 0.0, 0.005) * corner(-1.0, 0.009),
        "cheek_puff" => dirv(0.011 * inf.att * gs(0.042, 0.125, 0.016, 0.018)) + (v(0.0, 0.0, -0.002) * zone),
        "cheek_suck" => {
            dirv(-0.006 * inf.att * gs(0.05, 0.132, 0.011, 0.012)) + (v(-0.15 * x, 0.0, -0.004) * zone)
        }
        "cheek_squint_left" | "cheek_squint_right" => {
            let s = if name == "cheek_squint_left" { 1.0 } else { -1.0 };
            (v(0.0, 0.004, -0.0015) * (f * g(s * 0.045, 0.158, 0.015, 0.014)))
                + (v(0.0, 0.0015, 0.0) * (f * g(s * 0.033, 0.171, 0.012, 0.005)))
        }
        "nose_sneer_left" | "nose_sneer_right" => {
            let s = if name == "nose_sneer_left" { 1.0 } else { -1.0 };
            (v(0.0, 0.004, -0.0005) * (f * g(s * 0.016, 0.149, 0.008, 0.012)))
                + (v(0.0, 0.0015, 0.0) * (zone_up * side(s)))
        }
        "nostril_flare" => v(sgn * 0.0022, 0.0, 0.0) * (f * gs(0.016, 0.144, 0.006, 0.007)),
        "brow_inner_up" => {
            (v(0.0, 0.006, 0.0) * (f * gs(0.013, 0.2, 0.012, 0.016)))
                + (v(0.0, 0.002, 0.0) * (f * g(0.0, 0.218, 0.02, 0.015)))
        }
        "brow_down_left" | "brow_down_right" => {
            let s = if name == "brow_down_left" { 1.0 } else { -1.0 };
            v(-s * 0.0015, -0.005, -0.0015) * (f * g(s * 0.028, 0.2, 0.018, 0.013))
        }
        "brow_outer_up_left" => v(0.0, 0.0065, 0.0) * (f * g(0.045, 0.2, 0.014, 0.016)),
        "brow_outer_up_right" => v(0.0, 0.0065, 0.0) * (f * g(-0.045, 0.2, 0.014, 0.016)),
        "brow_furrow" => v(-sgn * 0.003, -0.0015, -0.001) * (f * gs(0.016, 0.198, 0.01, 0.012)),
        "forehead_raise" => v(0.0, 0.0065, 0.0) * (f * g(0.0, 0.207, 0.06, 0.028)),
        "eye_squint_left" | "eye_squint_right" => {
            let s = if name == "eye_squint_left" { 1.0 } else { -1.0 };
            v(0.0, 0.001, 0.0) * (f * g(s * 0.033, 0.168, 0.014, 0.007))
        }
        "chin_raise" => {
            (v(0.0, 0.004, -0.002) * (f * g(0.0, 0.09, 0.016, 0.014))) + (v(0.0, 0.0025, -0.002) * lip_dn)
        }
        "jaw_clench" => dirv(
            0.003
                * smoothstep(0.5, 0.8, inf.dir[0].abs())
                * gauss((y - 0.125) / 0.018)
                * gauss((q[2] + 0.005) / 0.018),
        ),
        "neck_tense" => {
            dirv(0.002 * f * gs(0.025, 0.045, 0.008, 0.025) * smoothstep(0.02, 0.04, y))
                + ((v(0.002, -0.002, 0.0) * corner(1.0, 0.014))
                    + (v(-0.002, -0.002, 0.0) * corner(-1.0, 0.014)))
        }
        "swallow" => v(0.0, 0.008, -0.002) * (f * g(0.0, 0.045, 0.012, 0.014)),
        "upper_lip_raise_left" | "upper_lip_raise_right" => {
            let s = if name.ends_with("left") { 1.0 } else { -1.0 };
            v(0.0, 0.0045, -0.0005) * (zone_up * gs(0.012, MOUTH_Y, 0.011, 0.03) * side(s))
        }
        "lower_lip_depress_left" | "lower_lip_depress_right" => {
            let s = if name.ends_with("left") { 1.0 } else { -1.0 };
            v(0.0, -0.0055, -0.0005) * (zone_dn * gs(0.012, MOUTH_Y, 0.011, 0.03) * side(s))
        }
        "mouth_press_left" | "mouth_press_right" => {
            let s = if name.ends_with("left") { 1.0 } else { -1.0 };
            (v(0.0, -0.0015, 0.0015) * (lip_up * side(s))) + (v(0.0, 0.0015, 0.0015) * (lip_dn * side(s)))
        }
        "nose_tip_down" => {
            (v(0.0, -0.002, 0.0) * (f * g(0.0, 0.146, 0.01, 0.008)))
                + (v(0.0, -0.001, 0.0) * (f * g(0.0, 0.13, 0.01, 0.006)))
        }
        "nostril_compress" => v(-sgn * 0.0022, 0.0, 0.001) * (f * gs(0.016, 0.144, 0.006, 0.007)),
        "ear_raise" => {
            v(0.0, 0.003, 0.0)
                * (smoothstep(0.55, 0.9, inf.dir[0].abs())
                    * gauss((y - 0.172) / 0.03)
                    * gauss((q[2] - 0.014) / 0.02))
        }
        "lower_lip_pout" => v(0.0, -0.001, -0.004) * lip_dn,
        "nasolabial_deepen" => {
            (v(0.0, 0.0, 0.002) * (f * gs(0.026, 0.132, 0.005, 0.012)))
                + (v(0.0, 0.0015, 0.0) * (zone_up * gs(0.016, MOUTH_Y, 0.008, 0.03)))
        }
        _ => V3::ZERO,
    }
}
