//! Top-down picture of a layout: the ground plane seen from above, +X to the right, +Z (away
//! from the viewer) up the page, the viewer at the bottom. Each head is a disc with a wedge
//! pointing along its facing direction; labels give each head's height. SVG needs no
//! dependency; PNG is rasterised here from the same primitives (labels are SVG-only).

use crate::error::{LayoutError, Result};
use crate::facing::Facing;
use crate::Layout;
use std::path::Path;

/// Head disc radius (metres): a head is about 0.16 m wide.
const HEAD_R: f32 = 0.09;
const COLOURS: [[u8; 3]; 2] = [[31, 119, 180], [255, 127, 14]];

/// Maps world X/Z to picture pixels.
struct View {
    size: f32,
    cx: f32,
    cz: f32,
    scale: f32,
}

impl View {
    fn new(l: &Layout, size: u32) -> View {
        let half =
            [l.a[0].abs(), l.b[0].abs(), l.a[2].abs(), l.b[2].abs(), 0.6].into_iter().fold(0.0f32, f32::max)
                + 0.5;
        View { size: size as f32, cx: 0.0, cz: 0.0, scale: size as f32 / (2.0 * half) }
    }
    fn px(&self, x: f32, z: f32) -> (f32, f32) {
        (self.size / 2.0 + (x - self.cx) * self.scale, self.size / 2.0 - (z - self.cz) * self.scale)
    }
    fn grid_step(&self) -> f32 {
        let span = self.size / self.scale;
        [0.25, 0.5, 1.0, 2.0].into_iter().find(|s| span / s <= 16.0).unwrap_or(2.0)
    }
}

/// A point in picture pixels.
type Px = (f32, f32);

/// Head centre and facing wedge (tip, then the two base corners) for both people, in pixels.
fn heads(l: &Layout, f: &[Facing; 2], v: &View) -> [(Px, [Px; 3]); 2] {
    [(l.a, f[0]), (l.b, f[1])].map(|(p, f)| {
        let (hx, hz) = (f.forward[0], f.forward[2]);
        let hn = (hx * hx + hz * hz).sqrt();
        // Facing straight up/down: no horizontal direction; point the wedge at the viewer.
        let (dx, dz) = if hn > 1e-6 { (hx / hn, hz / hn) } else { (0.0, -1.0) };
        let tip = v.px(p[0] + dx * HEAD_R * 2.0, p[2] + dz * HEAD_R * 2.0);
        let (sx, sz) = (-dz * HEAD_R * 0.6, dx * HEAD_R * 0.6);
        let b1 = v.px(p[0] + dx * HEAD_R * 0.8 + sx, p[2] + dz * HEAD_R * 0.8 + sz);
        let b2 = v.px(p[0] + dx * HEAD_R * 0.8 - sx, p[2] + dz * HEAD_R * 0.8 - sz);
        (v.px(p[0], p[2]), [tip, b1, b2])
    })
}

/// The picture as SVG text, the two looking at each other.
pub fn svg(l: &Layout, title: &str, size: u32) -> String {
    svg_facing(l, &l.facing(), title, size)
}

/// The picture as SVG text with the given orientations (e.g. [`crate::facing_for`]).
pub fn svg_facing(l: &Layout, f: &[Facing; 2], title: &str, size: u32) -> String {
    let v = View::new(l, size);
    let s = size as f32;
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {size} {size}\" \
font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let step = v.grid_step();
    let n = (s / v.scale / step / 2.0).ceil() as i32 + 1;
    for i in -n..=n {
        let w = i as f32 * step;
        let (x, _) = v.px(w, 0.0);
        let (_, y) = v.px(0.0, w);
        let c = if i == 0 { "#999" } else { "#e4e4e4" };
        o += &format!("<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{s}\" stroke=\"{c}\"/>\n");
        o += &format!("<line x1=\"0\" y1=\"{y:.1}\" x2=\"{s}\" y2=\"{y:.1}\" stroke=\"{c}\"/>\n");
    }
    let hs = heads(l, f, &v);
    let (pa, pb) = (hs[0].0, hs[1].0);
    o += &format!(
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#777\" stroke-dasharray=\"4 3\"/>\n",
        pa.0, pa.1, pb.0, pb.1
    );
    o += &format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#555\" text-anchor=\"middle\">{:.2} m</text>\n",
        (pa.0 + pb.0) / 2.0,
        (pa.1 + pb.1) / 2.0 - 6.0,
        l.distance()
    );
    for (k, ((c, w), (name, p))) in hs.iter().zip([("A", l.a), ("B", l.b)]).enumerate() {
        let [r, g, b] = COLOURS[k];
        let col = format!("rgb({r},{g},{b})");
        o += &format!(
            "<polygon points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"{col}\"/>\n",
            w[0].0, w[0].1, w[1].0, w[1].1, w[2].0, w[2].1
        );
        o += &format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.1}\" fill=\"{col}\" fill-opacity=\"0.85\" stroke=\"#333\"/>\n",
            c.0,
            c.1,
            HEAD_R * v.scale
        );
        o += &format!(
            // Beside the head, clear of the facing wedge whichever way it points.
            "<text x=\"{:.1}\" y=\"{:.1}\">{name}  y={:+.2} m</text>\n",
            c.0 + HEAD_R * v.scale + 6.0,
            c.1 + HEAD_R * v.scale + 12.0,
            p[1]
        );
    }
    o += &format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">viewer (-Z) \u{2193}   grid {step} m   +X \u{2192}</text>\n",
        s / 2.0,
        s - 8.0
    );
    o += &format!("<text x=\"8\" y=\"18\">{}</text>\n</svg>\n", xml_escape(title));
    o
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The picture as RGB pixels, `size × size × 3`, the two looking at each other.
pub fn raster(l: &Layout, size: u32) -> Vec<u8> {
    raster_facing(l, &l.facing(), size)
}

/// The picture as RGB pixels with the given orientations.
pub fn raster_facing(l: &Layout, f: &[Facing; 2], size: u32) -> Vec<u8> {
    let v = View::new(l, size);
    let n = size as usize;
    let mut img = vec![255u8; n * n * 3];
    let mut put = |x: i64, y: i64, c: [u8; 3]| {
        if x >= 0 && y >= 0 && (x as usize) < n && (y as usize) < n {
            let i = (y as usize * n + x as usize) * 3;
            img[i..i + 3].copy_from_slice(&c);
        }
    };
    let step = v.grid_step();
    let m = (n as f32 / v.scale / step / 2.0).ceil() as i32 + 1;
    for i in -m..=m {
        let (x, _) = v.px(i as f32 * step, 0.0);
        let (_, y) = v.px(0.0, i as f32 * step);
        let c = if i == 0 { [153; 3] } else { [228; 3] };
        for t in 0..n as i64 {
            put(x.round() as i64, t, c);
            put(t, y.round() as i64, c);
        }
    }
    let hs = heads(l, f, &v);
    let (pa, pb) = (hs[0].0, hs[1].0);
    let len = ((pb.0 - pa.0).hypot(pb.1 - pa.1)).ceil() as i64;
    for t in 0..=len.max(1) {
        // Dashed line between the heads.
        if (t / 5) % 2 == 0 {
            let f = t as f32 / len.max(1) as f32;
            put((pa.0 + (pb.0 - pa.0) * f) as i64, (pa.1 + (pb.1 - pa.1) * f) as i64, [119; 3]);
        }
    }
    let r = HEAD_R * v.scale;
    for (k, (c, w)) in hs.iter().enumerate() {
        let col = COLOURS[k];
        let (x0, x1) = (c.0 - 2.5 * r, c.0 + 2.5 * r);
        let (y0, y1) = (c.1 - 2.5 * r, c.1 + 2.5 * r);
        for y in y0.floor() as i64..=y1.ceil() as i64 {
            for x in x0.floor() as i64..=x1.ceil() as i64 {
                let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
                let d = (fx - c.0).hypot(fy - c.1);
                if d <= r {
                    put(x, y, if d > r - 1.5 { [51; 3] } else { col });
                } else if in_triangle((fx, fy), w) {
                    put(x, y, col);
                }
            }
        }
    }
    img
}

fn in_triangle(p: Px, t: &[Px; 3]) -> bool {
    let s = |a: Px, b: Px| (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
    let (d1, d2, d3) = (s(t[0], t[1]), s(t[1], t[2]), s(t[2], t[0]));
    !((d1 < 0.0 || d2 < 0.0 || d3 < 0.0) && (d1 > 0.0 || d2 > 0.0 || d3 > 0.0))
}

/// Writes the picture, the two looking at each other; the format follows the extension
/// (`.svg` or `.png`).
pub fn write(l: &Layout, title: &str, path: &Path, size: u32) -> Result<()> {
    write_facing(l, &l.facing(), title, path, size)
}

/// Writes the picture with the given orientations.
pub fn write_facing(l: &Layout, f: &[Facing; 2], title: &str, path: &Path, size: u32) -> Result<()> {
    let err = |msg: String| LayoutError::Draw { path: path.display().to_string(), msg };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "svg" => std::fs::write(path, svg_facing(l, f, title, size)).map_err(|e| err(e.to_string())),
        "png" => {
            let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
            let mut enc = png::Encoder::new(std::io::BufWriter::new(file), size, size);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().map_err(|e| err(e.to_string()))?;
            w.write_image_data(&raster_facing(l, f, size)).map_err(|e| err(e.to_string()))?;
            w.finish().map_err(|e| err(e.to_string()))
        }
        _ => Err(err("use a .svg or .png file name".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_both_heads_and_facing_wedges() {
        let s = svg(&Layout::face_to_face(), "face <to> face", 400);
        assert_eq!(s.matches("<circle").count(), 2);
        assert_eq!(s.matches("<polygon").count(), 2);
        assert!(s.contains("1.00 m") && s.contains("face &lt;to&gt; face"));
    }

    #[test]
    fn raster_wedges_point_at_the_partner() {
        // Face to face along Z: A (bottom, blue) looks up the page, B (top, orange) looks down.
        let l = Layout::face_to_face();
        let n = 200usize;
        let img = raster(&l, n as u32);
        let v = View::new(&l, n as u32);
        let at = |x: f32, z: f32| {
            let (px, py) = v.px(x, z);
            let i = (py as usize * n + px as usize) * 3;
            [img[i], img[i + 1], img[i + 2]]
        };
        // Just beyond A's disc toward B is A's colour; just behind A is background.
        assert_eq!(at(0.0, -0.5 + HEAD_R * 1.4), COLOURS[0]);
        assert_ne!(at(0.0, -0.5 - HEAD_R * 1.4), COLOURS[0]);
        assert_eq!(at(0.0, 0.5 - HEAD_R * 1.4), COLOURS[1]);
        assert_ne!(at(0.0, 0.5 + HEAD_R * 1.4), COLOURS[1]);
    }
}
