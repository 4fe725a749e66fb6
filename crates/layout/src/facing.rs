//! Orientation that makes two people face each other (DESIGN.md §2–§3).
//!
//! A head at rest looks along -Z, upright. In the rig, the root only translates, so the neck
//! carries the body's turn: the neck yaws about +Y to point at the partner in the ground plane
//! and the head pitches about its own +X to look up or down at them. The chain
//! world <- neck <- head composes to `R = Ry(yaw) · Rx(pitch)`, whose forward axis
//! `R·(0,0,-1) = (-cos p·sin y, sin p, -cos p·cos y)` is the unit vector to the partner.
//! The two orientations are symmetric: B's yaw is A's plus π and B's pitch is minus A's.

use crate::validate::{norm, sub};
use crate::Layout;

/// How one person is turned to look at the other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facing {
    /// Rotation about +Y (radians, in (-π, π]); 0 faces the viewer (-Z), π faces away (+Z).
    pub yaw: f32,
    /// Rotation about the person's +X after the yaw (radians); positive looks up.
    pub pitch: f32,
    /// Neck joint axis-angle (`theta[0..3]`): the yaw.
    pub neck: [f32; 3],
    /// Head joint axis-angle (`theta[3..6]`): the pitch.
    pub head: [f32; 3],
    /// Unit vector from this person's head to the partner's (world frame).
    pub forward: [f32; 3],
}

impl Facing {
    /// The orientation with this yaw (about +Y, 0 faces the viewer) and pitch (about the
    /// person's +X after the yaw, positive looks up).
    pub fn from_yaw_pitch(yaw: f32, pitch: f32) -> Facing {
        let (sy, cy) = yaw.sin_cos();
        let (sp, cp) = pitch.sin_cos();
        Facing {
            yaw,
            pitch,
            neck: [0.0, yaw, 0.0],
            head: [pitch, 0.0, 0.0],
            forward: [-cp * sy, sp, -cp * cy],
        }
    }

    /// The 12 `theta` floats (neck, head, left eye, right eye) with the eyes at rest.
    pub fn theta(&self) -> [f32; 12] {
        let mut t = [0.0; 12];
        t[0..3].copy_from_slice(&self.neck);
        t[3..6].copy_from_slice(&self.head);
        t
    }
}

/// The orientation of someone at `from` who looks at `to`. When the two coincide the person
/// keeps the rest orientation (facing the viewer).
pub fn facing_toward(from: [f32; 3], to: [f32; 3]) -> Facing {
    let d = sub(to, from);
    let n = norm(d);
    if n < 1e-6 {
        return Facing { yaw: 0.0, pitch: 0.0, neck: [0.0; 3], head: [0.0; 3], forward: [0.0, 0.0, -1.0] };
    }
    let f = d.map(|v| v / n);
    let horiz = (f[0] * f[0] + f[2] * f[2]).sqrt();
    // Straight up or down leaves the yaw undefined: keep facing the viewer and only pitch.
    let yaw = if horiz < 1e-6 { 0.0 } else { (-f[0]).atan2(-f[2]) };
    let pitch = f[1].atan2(horiz);
    Facing { yaw, pitch, neck: [0.0, yaw, 0.0], head: [pitch, 0.0, 0.0], forward: f }
}

/// Both people's orientations, `[A, B]`, each looking at the other.
pub fn facing(a: [f32; 3], b: [f32; 3]) -> [Facing; 2] {
    [facing_toward(a, b), facing_toward(b, a)]
}

impl Layout {
    /// [`facing`] of this layout's two heads.
    pub fn facing(&self) -> [Facing; 2] {
        facing(self.a, self.b)
    }
}

/// Rotates `v` by the axis-angle `r` (Rodrigues' formula in the frame's own axes, DESIGN §3).
pub fn rotate(r: [f32; 3], v: [f32; 3]) -> [f32; 3] {
    let angle = norm(r);
    if angle < 1e-12 {
        return v;
    }
    let k = r.map(|x| x / angle);
    let (s, c) = angle.sin_cos();
    let kxv = [k[1] * v[2] - k[2] * v[1], k[2] * v[0] - k[0] * v[2], k[0] * v[1] - k[1] * v[0]];
    let kdv = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
    [0, 1, 2].map(|i| v[i] * c + kxv[i] * s + k[i] * kdv * (1.0 - c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::{FRAC_PI_2, PI};

    fn close(a: [f32; 3], b: [f32; 3]) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-5)
    }

    #[test]
    fn face_to_face_turns_a_around_and_leaves_b_facing_the_viewer() {
        let [fa, fb] = facing([0.0, 0.0, -0.5], [0.0, 0.0, 0.5]);
        assert!((fa.yaw.abs() - PI).abs() < 1e-6, "{}", fa.yaw);
        assert_eq!(fb.yaw, 0.0);
        assert_eq!(fa.pitch, 0.0);
    }

    #[test]
    fn side_by_side_turn_a_quarter_each_way() {
        let [fa, fb] = facing([-0.3, -0.2, 0.0], [0.3, -0.2, 0.0]);
        assert!((fa.yaw + FRAC_PI_2).abs() < 1e-6);
        assert!((fb.yaw - FRAC_PI_2).abs() < 1e-6);
    }

    #[test]
    fn neck_then_head_points_the_rest_gaze_at_the_partner() {
        // Independent check through Rodrigues: R_neck · R_head · (0,0,-1) == direction to partner,
        // for layouts with height differences in every quadrant.
        let pairs = [
            ([0.0, 0.0, -0.35], [0.0, -0.65, 0.35]),
            ([-0.3, -0.35, -0.3], [0.3, -0.5, 0.3]),
            ([0.0, 0.0, -1.5], [0.0, 3.0, 1.5]),
            ([1.0, 0.2, 2.0], [-2.0, -0.1, -1.0]),
        ];
        for (a, b) in pairs {
            for (f, from, to) in [(facing(a, b)[0], a, b), (facing(a, b)[1], b, a)] {
                let g = rotate(f.neck, rotate(f.head, [0.0, 0.0, -1.0]));
                let d = sub(to, from);
                let want = d.map(|v| v / norm(d));
                assert!(close(g, want), "{g:?} vs {want:?}");
                assert!(close(f.forward, want));
            }
            let [fa, fb] = facing(a, b);
            assert!((fa.pitch + fb.pitch).abs() < 1e-6, "pitches are opposite");
            let dyaw = (fa.yaw - fb.yaw).rem_euclid(2.0 * PI);
            assert!((dyaw - PI).abs() < 1e-5, "yaws differ by pi: {dyaw}");
        }
    }

    #[test]
    fn theta_puts_neck_and_head_first() {
        let f = facing_toward([0.0, 0.0, 0.0], [1.0, 1.0, 0.0]);
        let t = f.theta();
        assert_eq!(&t[0..3], &f.neck);
        assert_eq!(&t[3..6], &f.head);
        assert!(t[6..].iter().all(|&v| v == 0.0));
    }
}
