//! The 4-joint rig: Rodrigues rotations, the joint chain and linear blend skinning, exactly as
//! notes/FACE_API.md and DESIGN.md §3 define them (world <- root t <- neck <- head <- eyes).

use glam::Vec3;

/// 3x4 affine transform, row-major: the first three columns are the rotation, the last the
/// translation. Cheaper to blend per vertex than a full 4x4.
pub(crate) type Affine = [[f32; 4]; 3];

/// Rotation matrix of an axis-angle vector `r` (rotation about `r/|r|` by `|r|`, right-hand rule),
/// row-major. Uses the series expansion near zero so tiny angles stay exact and NaN-free.
pub fn rodrigues(r: [f32; 3]) -> [[f32; 3]; 3] {
    let [x, y, z] = r.map(f64::from);
    let th2 = x * x + y * y + z * z;
    // a = sin(th)/th, b = (1 - cos(th))/th^2, with Taylor series for small th.
    let (a, b) = if th2 < 1e-10 {
        (1.0 - th2 / 6.0, 0.5 - th2 / 24.0)
    } else {
        let th = th2.sqrt();
        (th.sin() / th, (1.0 - th.cos()) / th2)
    };
    let m = [
        [1.0 - b * (y * y + z * z), -a * z + b * x * y, a * y + b * x * z],
        [a * z + b * x * y, 1.0 - b * (x * x + z * z), -a * x + b * y * z],
        [-a * y + b * x * z, a * x + b * y * z, 1.0 - b * (x * x + y * y)],
    ];
    m.map(|row| row.map(|v| v as f32))
}

/// Product of two affine transforms `a * b`.
pub(crate) fn compose(a: &Affine, b: &Affine) -> Affine {
    let mut out = [[0.0f32; 4]; 3];
    for i in 0..3 {
        for j in 0..4 {
            let mut s = if j == 3 { a[i][3] } else { 0.0 };
            for k in 0..3 {
                s += a[i][k] * b[k][j];
            }
            out[i][j] = s;
        }
    }
    out
}

/// Affine of rotation `r` about the origin followed by translation `t`.
pub(crate) fn affine(r: [[f32; 3]; 3], t: [f32; 3]) -> Affine {
    [[r[0][0], r[0][1], r[0][2], t[0]], [r[1][0], r[1][1], r[1][2], t[1]], [r[2][0], r[2][1], r[2][2], t[2]]]
}

/// Applies an affine to a point.
#[inline]
pub(crate) fn apply(m: &Affine, p: [f32; 3]) -> [f32; 3] {
    [
        m[0][0] * p[0] + m[0][1] * p[1] + m[0][2] * p[2] + m[0][3],
        m[1][0] * p[0] + m[1][1] * p[1] + m[1][2] * p[2] + m[1][3],
        m[2][0] * p[0] + m[2][1] * p[1] + m[2][2] * p[2] + m[2][3],
    ]
}

/// Applies only the rotation part of an affine to a direction.
#[inline]
pub(crate) fn rotate(m: &Affine, d: [f32; 3]) -> [f32; 3] {
    [
        m[0][0] * d[0] + m[0][1] * d[1] + m[0][2] * d[2],
        m[1][0] * d[0] + m[1][1] * d[1] + m[1][2] * d[2],
        m[2][0] * d[0] + m[2][1] * d[1] + m[2][2] * d[2],
    ]
}

/// Axis-angle of joint `j` from a theta slice; missing entries read as zero so short slices
/// never panic.
pub(crate) fn joint_axis_angle(theta: &[f32], j: usize) -> [f32; 3] {
    let at = |k: usize| theta.get(3 * j + k).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
    [at(0), at(1), at(2)]
}

/// The global joint transforms G_j (FACE_API.md):
/// G_neck = T(t) T(J_neck) R_neck, G_head = G_neck T(J_head - J_neck) R_head,
/// G_eye = G_head T(J_eye - J_head) R_eye.
pub(crate) fn global_transforms(joints: &[[f32; 3]; 4], theta: &[f32], t: [f32; 3]) -> [Affine; 4] {
    let local = |j: usize, parent: Option<usize>| {
        let offset = match parent {
            None => Vec3::from(joints[j]) + Vec3::from(t),
            Some(p) => Vec3::from(joints[j]) - Vec3::from(joints[p]),
        };
        affine(rodrigues(joint_axis_angle(theta, j)), offset.to_array())
    };
    let neck = local(0, None);
    let head = compose(&neck, &local(1, Some(0)));
    let eye_l = compose(&head, &local(2, Some(1)));
    let eye_r = compose(&head, &local(3, Some(1)));
    [neck, head, eye_l, eye_r]
}

/// Skinning transforms A_j = G_j T(-J_j), which map rest (shaped) positions to the world.
pub(crate) fn skinning_transforms(globals: &[Affine; 4], joints: &[[f32; 3]; 4]) -> [Affine; 4] {
    std::array::from_fn(|j| {
        let g = &globals[j];
        let moved = rotate(g, joints[j]);
        let mut a = *g;
        for (row, m) in a.iter_mut().zip(moved) {
            row[3] -= m;
        }
        a
    })
}

/// Linear blend skinning in place: `verts[v] = sum_j w[v][j] * A_j * verts[v]`.
/// Rows with a single non-zero weight (most of the head) take the cheap path.
pub(crate) fn skin_in_place(verts: &mut [[f32; 3]], weights: &[[f32; 4]], a: &[Affine; 4]) {
    for (p, w) in verts.iter_mut().zip(weights) {
        let m = if w[1] == 1.0 {
            a[1]
        } else if w[0] == 1.0 {
            a[0]
        } else if w[2] == 1.0 {
            a[2]
        } else if w[3] == 1.0 {
            a[3]
        } else {
            let mut m = [[0.0f32; 4]; 3];
            for (j, aj) in a.iter().enumerate() {
                if w[j] != 0.0 {
                    for r in 0..3 {
                        for c in 0..4 {
                            m[r][c] += w[j] * aj[r][c];
                        }
                    }
                }
            }
            m
        };
        *p = apply(&m, *p);
    }
}

/// Normalised mean of both eyes' rotated forward axes (DESIGN.md §3 gaze).
pub(crate) fn gaze_of(globals: &[Affine; 4]) -> [f32; 3] {
    let fwd = [0.0, 0.0, -1.0];
    let l = rotate(&globals[2], fwd);
    let r = rotate(&globals[3], fwd);
    let m = [l[0] + r[0], l[1] + r[1], l[2] + r[2]];
    let n = (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]).sqrt();
    if n < 1e-6 {
        // Eyes pointing in opposite directions: fall back to the left eye.
        l
    } else {
        m.map(|v| v / n)
    }
}

/// Converts a 3x4 affine into the row-major 4x4 of the public API.
pub(crate) fn to_4x4(m: &Affine) -> [[f32; 4]; 4] {
    [m[0], m[1], m[2], [0.0, 0.0, 0.0, 1.0]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rodrigues_quarter_turn_about_y_maps_minus_z_to_minus_x() {
        // Right-hand rule about +Y: +Z goes to +X, so -Z goes to -X.
        let r = rodrigues([0.0, std::f32::consts::FRAC_PI_2, 0.0]);
        let d = [-r[0][2], -r[1][2], -r[2][2]];
        assert!((d[0] + 1.0).abs() < 1e-6 && d[1].abs() < 1e-6 && d[2].abs() < 1e-6, "{d:?}");
    }

    #[test]
    fn rodrigues_is_orthonormal_and_zero_is_identity() {
        let r = rodrigues([0.3, -0.7, 1.1]);
        for i in 0..3 {
            for j in 0..3 {
                let dot: f32 = (0..3).map(|k| r[i][k] * r[j][k]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5);
            }
        }
        assert_eq!(rodrigues([0.0; 3]), [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    }
}
