//! Perspective camera and the automatic framing of both heads (DESIGN §2: the default viewer
//! sits on the -Z side looking along +Z).

use crate::math::Vec3;
use glam::Vec3 as V;

/// A pinhole camera. Screen x grows to the right, y downwards; depth is the distance along the
/// viewing direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Camera centre, world metres.
    pub eye: Vec3,
    /// Unit viewing direction.
    pub forward: Vec3,
    /// Unit direction of screen +x in the world.
    pub right: Vec3,
    /// Unit direction of screen -y (up on the screen) in the world.
    pub up: Vec3,
    /// Vertical field of view, radians.
    pub fov_y: f32,
    /// Horizontal lens shift: the optical axis meets the image at `(1 + shift_x) * width / 2`
    /// (0 = centre; negative moves the picture left, e.g. to leave room for the inset).
    pub shift_x: f32,
}

/// A sphere that must stay in view: a head's centre and radius (metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sphere {
    /// Centre, world metres.
    pub center: Vec3,
    /// Radius, metres.
    pub radius: f32,
}

/// Pixels a rendered point lands on, with its depth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projected {
    /// Column (pixels, may be fractional or off-screen).
    pub x: f32,
    /// Row (pixels, downwards).
    pub y: f32,
    /// Depth along the viewing direction (metres); <= 0 is behind the camera.
    pub depth: f32,
}

impl Camera {
    /// A camera at `eye` looking towards `target`, with world +Y as the up hint.
    pub fn look_at(eye: Vec3, target: Vec3, fov_y: f32) -> Self {
        let forward = (V::from(target) - V::from(eye)).normalize_or(V::Z);
        // In this frame, up x forward is screen-right: +Y x +Z = +X, so a camera looking along +Z
        // sees +X on its right as DESIGN §2 requires.
        let right = V::Y.cross(forward).normalize_or(V::X);
        let up = forward.cross(right);
        Self { eye, forward: forward.into(), right: right.into(), up: up.into(), fov_y, shift_x: 0.0 }
    }

    /// Focal length in pixels for an image `height` pixels tall.
    pub fn focal_px(&self, height: u32) -> f32 {
        0.5 * height as f32 / (0.5 * self.fov_y).tan()
    }

    /// Camera-space coordinates `[right, up, depth]` of world point `p`.
    #[inline]
    pub fn to_view(&self, p: Vec3) -> Vec3 {
        let d = V::from(p) - V::from(self.eye);
        [d.dot(self.right.into()), d.dot(self.up.into()), d.dot(self.forward.into())]
    }

    /// Project `p` onto a `width` x `height` image.
    #[inline]
    pub fn project(&self, p: Vec3, width: u32, height: u32) -> Projected {
        let v = self.to_view(p);
        let f = self.focal_px(height);
        let z = if v[2].abs() < 1e-9 { 1e-9 } else { v[2] };
        Projected {
            x: 0.5 * width as f32 * (1.0 + self.shift_x) + f * v[0] / z,
            y: 0.5 * height as f32 - f * v[1] / z,
            depth: v[2],
        }
    }

    /// The camera that frames every sphere in `spheres` (each head over a whole clip) from the
    /// -Z side. It looks along +Z when that shows every head apart; when one head would hide
    /// another (people one behind the other, as face-to-face along Z), it swings round the
    /// group about the vertical by the smallest angle (5 degree steps, up to 80) that separates
    /// them, then raises its view if that is not enough. `aspect` is width / height.
    pub fn framing(spheres: &[Sphere], aspect: f32, fov_y: f32) -> Self {
        Self::framing_left(spheres, aspect, fov_y, 1.0)
    }

    /// [`Camera::framing`] into the left `fraction` of the image width only (the rest is kept
    /// free for an overlay such as the inset), using a lens shift.
    pub fn framing_left(spheres: &[Sphere], aspect: f32, fov_y: f32, fraction: f32) -> Self {
        let fraction = fraction.clamp(0.2, 1.0);
        let mut cam = Self::framing_centred(spheres, aspect * fraction, fov_y);
        cam.shift_x = fraction - 1.0;
        cam
    }

    /// The two-shot of film: the camera on the perpendicular bisector of the line between two
    /// heads (seen from above), at their height, looking at both across that line and backed off
    /// until both fit. Of the bisector's two sides it takes the one the faces point to
    /// (`facings`: each head's horizontal rest direction), or, when they point along the line
    /// (face to face), the one that puts the first head on the left. `fraction` of the image width
    /// is used, as in [`Camera::framing_left`]. None when the heads stand one above the other
    /// (closer than 5 cm apart seen from above): no side view separates them.
    pub fn two_shot(
        spheres: &[Sphere; 2],
        facings: [Vec3; 2],
        aspect: f32,
        fov_y: f32,
        fraction: f32,
    ) -> Option<Self> {
        let (a, b) = (spheres[0].center, spheres[1].center);
        let (dx, dz) = (b[0] - a[0], b[2] - a[2]);
        let len = dx.hypot(dz);
        if len < 0.05 {
            return None;
        }
        // Unit horizontal normal of the line, (x, z).
        let n = (dz / len, -dx / len);
        let towards = |f: Vec3| f[0] * n.0 + f[2] * n.1;
        let face_side = towards(facings[0]) + towards(facings[1]);
        // Looking along -n, screen right is (-n.1, n.0) = (dx, dz) / len: the first head is on the
        // left. So without a side the faces choose, take +n.
        let side = if face_side.abs() > 0.2 { face_side.signum() } else { 1.0 };
        let (fx, fz) = (-side * n.0, -side * n.1);
        let fraction = fraction.clamp(0.2, 1.0);
        let mut cam = Self::fit(spheres, aspect * fraction, fov_y, fx.atan2(fz), 0.0);
        cam.shift_x = fraction - 1.0;
        Some(cam)
    }

    /// A close-up of one head from the front: looking against `facing` (its horizontal rest
    /// direction; +Z when it has none) at eye level, the sphere filling the frame with a margin.
    pub fn close_up(sphere: &Sphere, facing: Vec3, aspect: f32, fov_y: f32) -> Self {
        let (fx, fz) = (-facing[0], -facing[2]);
        let yaw = if fx.hypot(fz) < 1e-6 { 0.0 } else { fx.atan2(fz) };
        Self::fit(std::slice::from_ref(sphere), aspect, fov_y, yaw, 0.0)
    }

    fn framing_centred(spheres: &[Sphere], aspect: f32, fov_y: f32) -> Self {
        if spheres.is_empty() {
            return Self::look_at([0.0, 0.0, -1.0], [0.0; 3], fov_y);
        }
        let mut best = None;
        'search: for pitch_deg in [0.0f32, 15.0, 30.0] {
            for step in 0..=16 {
                for sign in [1.0f32, -1.0] {
                    if step == 0 && sign < 0.0 {
                        continue;
                    }
                    let yaw = (sign * 5.0 * step as f32).to_radians();
                    let cam = Self::fit(spheres, aspect, fov_y, yaw, pitch_deg.to_radians());
                    if best.is_none() {
                        best = Some(cam);
                    }
                    if cam.separates(spheres) {
                        best = Some(cam);
                        break 'search;
                    }
                }
            }
        }
        best.expect("at least one candidate")
    }

    /// The camera looking along direction (yaw, pitch) — yaw about +Y from +Z, pitch downwards —
    /// at the centre of the spheres' extent, backed off until every sphere fits with a margin.
    fn fit(spheres: &[Sphere], aspect: f32, fov_y: f32, yaw: f32, pitch: f32) -> Self {
        let forward = [yaw.sin() * pitch.cos(), -pitch.sin(), yaw.cos() * pitch.cos()];
        let probe = Self::look_at([0.0; 3], forward, fov_y);
        // Centre of the group's extent across the view (in the camera's own axes).
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        for s in spheres {
            let v = probe.to_view(s.center);
            for a in 0..2 {
                lo[a] = lo[a].min(v[a] - s.radius);
                hi[a] = hi[a].max(v[a] + s.radius);
            }
        }
        let f = V::from(forward);
        let mean_along = spheres.iter().map(|s| V::from(s.center).dot(f)).sum::<f32>() / spheres.len() as f32;
        let cx = 0.5 * (lo[0] + hi[0]);
        let cy = 0.5 * (lo[1] + hi[1]);
        let (right, up) = (V::from(probe.right), V::from(probe.up));
        let centre = right * cx + up * cy + f * mean_along;
        let tan_v = (0.5 * fov_y).tan();
        let tan_h = tan_v * aspect;
        const MARGIN: f32 = 1.2;
        // Distance back from the centre so that |x| + r*margin <= tan * depth for each sphere.
        let mut dist: f32 = 0.3;
        for s in spheres {
            let d = V::from(s.center) - centre;
            let (x, y, z) = (d.dot(right), d.dot(up), d.dot(f));
            let r = s.radius * MARGIN;
            dist = dist.max((x.abs() + r) / tan_h - z).max((y.abs() + r) / tan_v - z).max(2.0 * s.radius - z);
        }
        let eye = centre - f * dist;
        Self::look_at(eye.into(), centre.into(), fov_y)
    }

    /// Whether every sphere is seen apart from the others: projected discs do not overlap.
    /// (Bounding spheres are generous, so the heads inside them show a clear gap.)
    fn separates(&self, spheres: &[Sphere]) -> bool {
        let proj: Vec<(f32, f32, f32)> = spheres
            .iter()
            .map(|s| {
                let v = self.to_view(s.center);
                let z = v[2].max(1e-6);
                (v[0] / z, v[1] / z, s.radius / z)
            })
            .collect();
        for (i, a) in proj.iter().enumerate() {
            for b in &proj[i + 1..] {
                let d = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                if d < a.2 + b.2 {
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(cam: &Camera, s: &Sphere, w: u32, h: u32) -> bool {
        let p = cam.project(s.center, w, h);
        let r = s.radius * cam.focal_px(h) / p.depth;
        p.depth > s.radius && p.x - r >= 0.0 && p.x + r <= w as f32 && p.y - r >= 0.0 && p.y + r <= h as f32
    }

    #[test]
    fn side_by_side_is_seen_straight_along_z() {
        let s = [
            Sphere { center: [-0.3, -0.1, 0.0], radius: 0.13 },
            Sphere { center: [0.3, -0.1, 0.0], radius: 0.13 },
        ];
        let cam = Camera::framing(&s, 16.0 / 9.0, 30f32.to_radians());
        assert!((cam.forward[2] - 1.0).abs() < 1e-6, "{cam:?}");
        assert!(cam.eye[2] < -0.5);
        for sp in &s {
            assert!(inside(&cam, sp, 1280, 720));
        }
        // +X (A's side here is -X) appears on the right of the image.
        assert!(cam.project(s[1].center, 1280, 720).x > 640.0);
    }

    #[test]
    fn face_to_face_along_z_swings_round_and_keeps_both_in_view() {
        let s = [
            Sphere { center: [0.0, 0.1, -0.5], radius: 0.13 },
            Sphere { center: [0.0, 0.1, 0.5], radius: 0.13 },
        ];
        let cam = Camera::framing(&s, 16.0 / 9.0, 30f32.to_radians());
        assert!(cam.forward[2] > 0.5, "still on the -Z side: {cam:?}");
        assert!(cam.separates(&s));
        for sp in &s {
            assert!(inside(&cam, sp, 1280, 720));
        }
    }

    #[test]
    fn two_shot_stands_beside_a_face_to_face_pair_and_sees_both() {
        // Face to face along Z: A at -Z looking +Z, B at +Z looking -Z.
        let s = [
            Sphere { center: [0.0, 0.1, -0.5], radius: 0.13 },
            Sphere { center: [0.0, 0.1, 0.5], radius: 0.13 },
        ];
        let cam =
            Camera::two_shot(&s, [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]], 16.0 / 9.0, 30f32.to_radians(), 1.0)
                .unwrap();
        // On the bisector (z = 0), looking across the line (along X), A on the left.
        assert!(cam.eye[2].abs() < 1e-4 && cam.forward[0].abs() > 0.999, "{cam:?}");
        assert!(cam.project(s[0].center, 1280, 720).x < 640.0);
        for sp in &s {
            assert!(inside(&cam, sp, 1280, 720));
        }
        // Side by side facing the viewer (-Z): the camera is in front of them, on the -Z side.
        let s = [
            Sphere { center: [-0.3, 0.0, 0.0], radius: 0.13 },
            Sphere { center: [0.3, 0.0, 0.0], radius: 0.13 },
        ];
        let cam = Camera::two_shot(&s, [[0.0, 0.0, -1.0]; 2], 16.0 / 9.0, 30f32.to_radians(), 1.0).unwrap();
        assert!(cam.eye[2] < -0.5 && cam.forward[2] > 0.999, "{cam:?}");
        // One above the other: no two-shot.
        let s = [
            Sphere { center: [0.0, 0.0, 0.0], radius: 0.13 },
            Sphere { center: [0.01, 0.5, 0.0], radius: 0.13 },
        ];
        assert!(Camera::two_shot(&s, [[0.0, 0.0, -1.0]; 2], 1.7, 0.5, 1.0).is_none());
    }

    #[test]
    fn close_up_looks_at_the_face() {
        let s = Sphere { center: [1.0, 0.2, 2.0], radius: 0.15 };
        // Facing +X: the camera stands at +X looking back along -X.
        let cam = Camera::close_up(&s, [1.0, 0.0, 0.0], 0.9, 30f32.to_radians());
        assert!(cam.eye[0] > 1.3 && (cam.forward[0] + 1.0).abs() < 1e-4, "{cam:?}");
        assert!(inside(&cam, &s, 640, 720));
        let p = cam.project(s.center, 640, 720);
        assert!((p.x - 320.0).abs() < 1.0 && (p.y - 360.0).abs() < 1.0, "{p:?}");
    }

    #[test]
    fn different_heights_fit_a_portrait_frame() {
        let s = [
            Sphere { center: [-0.2, 0.4, 0.0], radius: 0.13 },
            Sphere { center: [0.2, -0.4, 0.3], radius: 0.13 },
        ];
        let cam = Camera::framing(&s, 0.6, 30f32.to_radians());
        for sp in &s {
            assert!(inside(&cam, sp, 360, 600));
        }
    }
}
