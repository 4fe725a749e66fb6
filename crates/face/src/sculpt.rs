//! The canonical head shape (DESIGN.md §4): a smooth union of ellipsoids that the grid rays are
//! cast onto, and the analytic relief (nose, brows, eye sockets, cheekbones, lips, chin, ears)
//! added along each ray. Landmark constants of the mean head live here too.
//!
//! Proportions are adult averages in metres: chin to crown ~0.23, head breadth ~0.15, eyes 63 mm
//! apart, eyeball radius 12 mm; the neck base (the rig's root) is the origin.

/// Height of the eye slits (the line where the lids meet when closed), model space.
pub(crate) const EYE_SLIT_Y: f64 = 0.1815;
/// Height of the mouth slit (stomion).
pub(crate) const MOUTH_Y: f64 = 0.118;
/// Half-width of the mouth (corner x), canonical.
pub(crate) const MOUTH_CORNER_X: f64 = 0.0255;
/// Canonical eyeball centre of the left eye (right eye mirrored): inter-ocular 63 mm.
pub(crate) const EYE_CENTER: V3 = V3::new(0.0315, 0.183, -0.0615);
/// Eyeball radius.
pub(crate) const EYE_R: f64 = 0.012;
/// Radius of the shell the lids lie on (eyeball + lid clearance).
pub(crate) const LID_SHELL: f64 = 0.0133;
/// Head joint (top of the spine, behind the face).
pub(crate) const HEAD_JOINT: V3 = V3::new(0.0, 0.095, 0.012);
/// Upper and lower lid opening heights at the middle of the eye (rest), metres.
pub(crate) const LID_OPEN_UP: f64 = 0.0058;
pub(crate) const LID_OPEN_DOWN: f64 = 0.0036;

/// A point or direction of the generator in model space (glam's f64 vector; the model itself
/// stores f32).
pub(crate) type V3 = glam::DVec3;

#[inline]
pub(crate) fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}
#[inline]
pub(crate) fn gauss(t: f64) -> f64 {
    (-t * t).exp()
}

/// Smooth union of ellipsoids, cylinder neck: negative inside.
pub(crate) fn implicit(p: V3) -> f64 {
    fn ellipsoid(p: V3, c: [f64; 3], r: [f64; 3]) -> f64 {
        let r = V3::from(r);
        let d = (p - V3::from(c)) / r;
        let k0 = d.length();
        let d2 = d / r;
        let k1 = d2.length().max(1e-9);
        k0 * (k0 - 1.0) / k1
    }
    fn smin(a: f64, b: f64, k: f64) -> f64 {
        let h = (0.5 + 0.5 * (b - a) / k).clamp(0.0, 1.0);
        b + (a - b) * h - k * h * (1.0 - h)
    }
    let cranium = ellipsoid(p, [0.0, 0.213, 0.014], [0.0765, 0.089, 0.097]);
    let midface = ellipsoid(p, [0.0, 0.160, -0.014], [0.066, 0.058, 0.074]);
    let maxilla = ellipsoid(p, [0.0, 0.128, -0.03], [0.049, 0.03, 0.06]);
    let mandible = ellipsoid(p, [0.0, 0.108, -0.03], [0.055, 0.034, 0.06]);
    let ramus = ellipsoid(p, [0.0, 0.135, 0.0], [0.062, 0.046, 0.058]);
    let chin = ellipsoid(p, [0.0, 0.088, -0.066], [0.022, 0.018, 0.022]);
    let nz = p[2] - 0.012;
    let neck_r = ((p[0] / 0.05).powi(2) + (nz / 0.048).powi(2)).sqrt();
    let neck = ((neck_r - 1.0) * 0.048).max(p[1] - 0.25);
    let mut f = smin(cranium, midface, 0.02);
    f = smin(f, maxilla, 0.015);
    f = smin(f, mandible, 0.015);
    f = smin(f, ramus, 0.02);
    f = smin(f, chin, 0.012);
    f = smin(f, neck, 0.025);
    // The neck is cut flat at the neck base.
    f.max(-p[1])
}

/// Distance along a ray from inside the head to the surface (march, then bisect).
pub(crate) fn cast(o: V3, d: V3) -> f64 {
    let at = |t: f64| implicit(o + d * t);
    let (mut lo, mut hi) = (0.0, 0.004);
    while at(hi) < 0.0 && hi < 0.5 {
        lo = hi;
        hi += 0.004;
    }
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        if at(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Catmull-Rom interpolation through (x, y) knots sorted by x.
fn spline(knots: &[(f64, f64)], x: f64) -> f64 {
    let n = knots.len();
    if x <= knots[0].0 {
        return knots[0].1;
    }
    if x >= knots[n - 1].0 {
        return knots[n - 1].1;
    }
    let i = knots.windows(2).position(|w| x < w[1].0).unwrap_or(n - 2);
    let (x1, y1) = knots[i];
    let (x2, y2) = knots[i + 1];
    let y0 = if i > 0 { knots[i - 1].1 } else { y1 };
    let y3 = if i + 2 < n { knots[i + 2].1 } else { y2 };
    let t = (x - x1) / (x2 - x1);
    let m1 = 0.5 * (y2 - y0);
    let m2 = 0.5 * (y3 - y1);
    let t2 = t * t;
    let t3 = t2 * t;
    (2.0 * t3 - 3.0 * t2 + 1.0) * y1 + (t3 - 2.0 * t2 + t) * m1 + (-2.0 * t3 + 3.0 * t2) * y2 + (t3 - t2) * m2
}

/// Nose protrusion on the midline as a function of height (nasion to subnasale).
pub(crate) fn nose_height(y: f64) -> f64 {
    const K: [(f64, f64); 9] = [
        (0.131, 0.0),
        (0.1365, 0.002),
        (0.1405, 0.0125),
        (0.1445, 0.021),
        (0.1495, 0.0245),
        (0.156, 0.022),
        (0.172, 0.0125),
        (0.189, 0.003),
        (0.205, 0.0),
    ];
    spline(&K, y).max(0.0)
}

/// Half-width of the nose ridge at height y.
fn nose_width(y: f64) -> f64 {
    spline(&[(0.135, 0.0105), (0.148, 0.0098), (0.16, 0.0078), (0.18, 0.0068), (0.2, 0.0075)], y)
}

/// Sculpted relief along the outward direction: the face features and ears.
pub(crate) fn relief(p: V3, dir: V3) -> f64 {
    let (x, y, z) = (p[0], p[1], p[2]);
    let ax = x.abs();
    let front = smoothstep(0.25, 0.75, -dir[2]);
    let g2 = |cx: f64, cy: f64, sx: f64, sy: f64| gauss((ax - cx) / sx) * gauss((y - cy) / sy);
    let mut f = 0.0;
    // Nose: midline ridge, alae, nostril dents, alar creases.
    f += nose_height(y) * gauss(x / nose_width(y)).powf(1.3);
    f += 0.0068 * g2(0.0150, 0.1445, 0.0052, 0.0055);
    f -= 0.0022 * g2(0.0215, 0.1455, 0.0018, 0.006);
    f -= 0.0045 * g2(0.0062, 0.1385, 0.0026, 0.0021);
    // Brow ridge and glabella; a soft socket around each eye.
    f += 0.0055 * g2(0.028, 0.2015, 0.021, 0.0062);
    f += 0.0015 * gauss(x / 0.011) * gauss((y - 0.199) / 0.008);
    f -= 0.0060 * g2(EYE_CENTER[0], 0.181, 0.016, 0.0115);
    // Cheekbones, slight hollow under them, nasolabial folds.
    f += 0.0065 * g2(0.047, 0.158, 0.015, 0.014);
    f -= 0.0025 * g2(0.052, 0.118, 0.012, 0.016);
    f -= 0.0014 * g2(0.026, 0.132, 0.003, 0.009);
    // Mouth: muzzle (teeth arch), lips, the rolled-in slit, corner pits, philtrum.
    f += 0.0085 * gauss(x / 0.03) * gauss((y - 0.121) / 0.022);
    let lip_x = gauss(x / 0.019).powf(0.8);
    // Upper lip follows a cupid's bow (peaks either side of the philtrum) and has a tubercle
    // at the middle of its rim.
    let bow = 0.0012 * gauss((ax - 0.006) / 0.004) - 0.0006 * gauss(x / 0.003);
    f += 0.0045 * lip_x * gauss((y - 0.1228 - bow) / 0.0038);
    f += 0.0012 * gauss(x / 0.006) * gauss((y - 0.1196) / 0.0021);
    f += 0.0050 * lip_x * gauss((y - 0.1118) / 0.0046);
    f -= 0.0022 * gauss(x / 0.022) * gauss((y - MOUTH_Y) / 0.0011);
    f -= 0.0028 * g2(0.0255, MOUTH_Y, 0.0035, 0.0035);
    f -= 0.0011 * gauss(x / 0.0028) * gauss((y - 0.131) / 0.005);
    // Labiomental fold and chin.
    f -= 0.0030 * gauss(x / 0.018) * gauss((y - 0.1015) / 0.0038);
    f += 0.0045 * gauss(x / 0.015) * gauss((y - 0.087) / 0.009);
    let face = f * front;
    // Ears: a bump with a hollow, on the sides.
    let side = smoothstep(0.55, 0.9, dir[0].abs());
    // The helix stands out most at the back edge; the concha is a hollow in front of it.
    let ear = 0.015 * gauss((y - 0.174) / 0.027) * gauss((z - 0.021) / 0.012)
        + 0.005 * gauss((y - 0.172) / 0.02) * gauss((z - 0.006) / 0.007)
        - 0.006 * gauss((y - 0.168) / 0.009) * gauss((z - 0.013) / 0.0055);
    // Angles of the jaw.
    let gonion = 0.004 * gauss((y - 0.105) / 0.012) * gauss((z - 0.0) / 0.014);
    // Temples.
    let temple = -0.0025 * gauss((y - 0.205) / 0.02) * gauss((z + 0.02) / 0.02);
    face + (ear + temple + gonion) * side
}

pub(crate) fn profile(xi: f64, skew: f64) -> f64 {
    // Lid opening along the eye: 0 at the corners, peak shifted by `skew`.
    let s = (xi + skew * (1.0 - xi * xi)).clamp(-1.0, 1.0);
    (1.0 - s * s).max(0.0).powf(0.75)
}
