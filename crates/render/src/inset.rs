//! The top-down inset: a small panel (top-right, or top-centre between split-screen close-ups)
//! showing where the people stand
//! (the layout of DESIGN §2 seen from above: +X to the right, +Z up the panel, the viewer at
//! the bottom), with an arrow for where each head faces and a thinner one for the gaze.

use crate::image::Image;
use crate::math::Vec3;

/// One person's marker in the inset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InsetPerson {
    /// Head position (root translation), world metres.
    pub position: Vec3,
    /// Unit direction the head faces (world), e.g. the head joint's rotated -Z.
    pub facing: Vec3,
    /// Unit gaze direction (world).
    pub gaze: Vec3,
    /// Marker colour (sRGB).
    pub color: [u8; 3],
    /// Speaking probability in [0, 1] (DESIGN §5): shown as a ring around the dot.
    pub speaking: f32,
}

/// The square region of the ground plane (x, z) the inset shows, fixed for a whole clip so that
/// movement shows as movement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InsetBounds {
    /// Centre (x, z), metres.
    pub center: [f32; 2],
    /// Half the side of the square, metres.
    pub half: f32,
}

impl InsetBounds {
    /// Bounds holding every `(x, z)` in `points` with a margin (at least 0.5 m across).
    pub fn around(points: impl IntoIterator<Item = [f32; 2]>) -> Self {
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        for p in points {
            for a in 0..2 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        if lo[0] > hi[0] {
            return Self { center: [0.0, 0.0], half: 0.5 };
        }
        let center = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])];
        let half = (0.5 * (hi[0] - lo[0]).max(hi[1] - lo[1]) + 0.25).max(0.25);
        Self { center, half }
    }
}

/// Side of the inset panel and its margin from the image corner, pixels.
fn panel(height: u32) -> (i32, i32) {
    ((height as f32 * 0.28).round().max(24.0) as i32, (height as f32 * 0.02).round() as i32)
}

/// Width the inset takes from the right edge of a `height`-pixel-tall image (panel and both
/// margins), so the view can be framed beside it.
pub fn reserved_width(height: u32) -> u32 {
    let (side, pad) = panel(height);
    (side + 2 * pad) as u32
}

/// Side of the inset panel for a picture `height` pixels tall: 28% of it.
pub fn panel_side(height: u32) -> u32 {
    panel(height).0 as u32
}

/// Draw the inset onto `img`: panel side = 28% of the image height, 2% from the corner.
pub fn draw_inset(img: &mut Image, bounds: &InsetBounds, people: &[InsetPerson]) {
    let (side, pad) = panel(img.height);
    draw_inset_at(img, (img.width as i32 - side - pad, pad), side, bounds, people, Some([0.0, 1.0]));
}

/// Draw the inset as a `side`-pixel square panel with its top-left corner at `corner`. `viewer`
/// is the camera's horizontal viewing direction `(x, z)`, drawn as a wedge at the panel's edge
/// pointing into the scene (None: no wedge, e.g. one camera per person).
pub fn draw_inset_at(
    img: &mut Image,
    corner: (i32, i32),
    side: i32,
    bounds: &InsetBounds,
    people: &[InsetPerson],
    viewer: Option<[f32; 2]>,
) {
    let (x0, y0) = corner;
    // Panel and frame.
    for y in y0..y0 + side {
        for x in x0..x0 + side {
            img.blend(x, y, [8, 10, 14], 0.72);
        }
    }
    let frame = [150, 156, 170];
    for t in 0..side {
        img.blend(x0 + t, y0, frame, 0.8);
        img.blend(x0 + t, y0 + side - 1, frame, 0.8);
        img.blend(x0, y0 + t, frame, 0.8);
        img.blend(x0 + side - 1, y0 + t, frame, 0.8);
    }
    let s = side as f32 / (2.0 * bounds.half);
    let to_px = |x: f32, z: f32| {
        (
            x0 as f32 + 0.5 * side as f32 + (x - bounds.center[0]) * s,
            y0 as f32 + 0.5 * side as f32 - (z - bounds.center[1]) * s,
        )
    };
    // The viewer: a small wedge near the edge it looks in from, pointing into the scene.
    if let Some([fx, fz]) = viewer {
        let len = fx.hypot(fz);
        if len > 1e-6 {
            let dir = (fx / len, -fz / len); // on the panel, +Z is up
            let (cx, cy) = (x0 as f32 + 0.5 * side as f32, y0 as f32 + 0.5 * side as f32);
            let (px, py) = (cx - dir.0 * 0.44 * side as f32, cy - dir.1 * 0.44 * side as f32);
            let u = 0.04 * side as f32;
            let tip = (px + dir.0 * u, py + dir.1 * u);
            let perp = (-dir.1, dir.0);
            for sign in [1.0, -1.0] {
                let base =
                    (px - 0.5 * dir.0 * u + sign * perp.0 * u, py - 0.5 * dir.1 * u + sign * perp.1 * u);
                line(img, base, tip, [120, 124, 134], 1.0);
            }
        }
    }
    let arrow_len = 0.22 * side as f32;
    let dot_r = (0.035 * side as f32).max(2.0);
    for p in people {
        let (px, py) = to_px(p.position[0], p.position[2]);
        for (dir, scale, width, tint) in [(p.facing, 1.0, 1.6, 0.0), (p.gaze, 1.3, 0.8, 0.55)] {
            let (dx, dz) = (dir[0], dir[2]);
            let len = (dx * dx + dz * dz).sqrt();
            if len < 1e-3 {
                continue; // looking straight up or down: no direction on the ground plane
            }
            let c = lighten(p.color, tint);
            // Length follows the direction's ground-plane part, so looking down shortens it.
            let (ex, ey) = (px + dx * arrow_len * scale, py - dz * arrow_len * scale);
            line(img, (px, py), (ex, ey), c, width);
            let (ux, uy) = (dx / len, -dz / len);
            let h = 0.3 * arrow_len * len.sqrt();
            for side_sign in [1.0, -1.0] {
                let (hx, hy) = (ex - h * (ux + 0.5 * side_sign * uy), ey - h * (uy - 0.5 * side_sign * ux));
                line(img, (ex, ey), (hx, hy), c, width);
            }
        }
        disc(img, (px, py), dot_r, p.color);
        if p.speaking > 0.05 {
            ring(img, (px, py), 1.9 * dot_r, 1.5, p.color, p.speaking.min(1.0));
        }
    }
}

/// A circle outline of radius `r`, `width` pixels wide, at opacity `alpha`.
fn ring(img: &mut Image, c: (f32, f32), r: f32, width: f32, rgb: [u8; 3], alpha: f32) {
    let reach = r + width + 1.0;
    let (xa, xb) = ((c.0 - reach).floor() as i32, (c.0 + reach).ceil() as i32);
    let (ya, yb) = ((c.1 - reach).floor() as i32, (c.1 + reach).ceil() as i32);
    for y in ya..=yb {
        for x in xa..=xb {
            let d = ((x as f32 + 0.5 - c.0).powi(2) + (y as f32 + 0.5 - c.1).powi(2)).sqrt();
            img.blend(x, y, rgb, alpha * (0.5 * width + 0.5 - (d - r).abs()).clamp(0.0, 1.0));
        }
    }
}

fn lighten(c: [u8; 3], t: f32) -> [u8; 3] {
    c.map(|v| (v as f32 + (255.0 - v as f32) * t).round() as u8)
}

/// A filled disc with a one-pixel soft edge.
fn disc(img: &mut Image, c: (f32, f32), r: f32, rgb: [u8; 3]) {
    let (xa, xb) = ((c.0 - r - 1.0).floor() as i32, (c.0 + r + 1.0).ceil() as i32);
    let (ya, yb) = ((c.1 - r - 1.0).floor() as i32, (c.1 + r + 1.0).ceil() as i32);
    for y in ya..=yb {
        for x in xa..=xb {
            let d = ((x as f32 + 0.5 - c.0).powi(2) + (y as f32 + 0.5 - c.1).powi(2)).sqrt();
            img.blend(x, y, rgb, (r + 0.5 - d).clamp(0.0, 1.0));
        }
    }
}

/// An anti-aliased line `width` pixels thick (distance-to-segment coverage).
fn line(img: &mut Image, a: (f32, f32), b: (f32, f32), rgb: [u8; 3], width: f32) {
    let hw = 0.5 * width;
    let (xa, xb) = ((a.0.min(b.0) - hw - 1.0).floor() as i32, (a.0.max(b.0) + hw + 1.0).ceil() as i32);
    let (ya, yb) = ((a.1.min(b.1) - hw - 1.0).floor() as i32, (a.1.max(b.1) + hw + 1.0).ceil() as i32);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-9);
    for y in ya..=yb {
        for x in xa..=xb {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
            let d = ((px - a.0 - t * dx).powi(2) + (py - a.1 - t * dy).powi(2)).sqrt();
            img.blend(x, y, rgb, (hw + 0.5 - d).clamp(0.0, 1.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_land_where_people_stand() {
        let mut img = Image::filled(400, 200, [0, 0, 0]);
        let b = InsetBounds::around([[-0.3, 0.0], [0.3, 0.0]]);
        let red = [255, 0, 0];
        let green = [0, 255, 0];
        let people = [
            InsetPerson {
                position: [-0.3, 0.0, 0.0],
                facing: [0.0, 0.0, -1.0],
                gaze: [1.0, 0.0, 0.0],
                color: red,
                speaking: 1.0,
            },
            InsetPerson {
                position: [0.3, 0.0, 0.0],
                facing: [0.0, 0.0, -1.0],
                gaze: [-1.0, 0.0, 0.0],
                color: green,
                speaking: 0.0,
            },
        ];
        draw_inset(&mut img, &b, &people);
        // Panel: side 56 px at x 340..396, y 4..60; centre (368, 32); scale 56 / 1.1 px/m.
        let s = 56.0 / (2.0 * b.half);
        let ax = (368.0 - 0.3 * s) as u32;
        let bx = (368.0 + 0.3 * s) as u32;
        assert_eq!(img.pixel(ax, 32), red);
        assert_eq!(img.pixel(bx, 32), green);
        // The rest of the image is untouched.
        assert_eq!(img.pixel(10, 150), [0, 0, 0]);
    }
}
