//! The rasteriser: perspective-correct triangles into a z-buffer, shaded per pixel (Lambert key
//! and fill lights, hemisphere ambient, Blinn specular, coloured rim light), in linear light with
//! optional supersampling, rows split into bands that rayon shades in parallel.

use crate::camera::Camera;
use crate::image::Image;
use crate::math::Vec3;
use glam::Vec3 as V;
use rayon::prelude::*;
use std::sync::OnceLock;

/// Rows per parallel band (in supersampled pixels): small enough to balance 2..16 threads, large
/// enough that binning triangles into bands costs little.
const BAND_ROWS: usize = 16;
/// Barycentric slack of the inside test: neighbours evaluate their shared edge in opposite
/// directions, and rounding can leave a one-pixel crack between them without it (overdraw is
/// harmless under the z-buffer).
const INSIDE_EPS: f32 = 1e-5;
/// Points nearer the camera than this (metres) are not drawn; heads are framed far beyond it.
const NEAR: f32 = 0.01;

/// A triangle mesh to draw, borrowed from its owner. Every per-vertex slice has one entry per
/// position (a mesh whose slices disagree is not drawn); triangles whose indices fall outside
/// are skipped.
#[derive(Debug, Clone, Copy)]
pub struct Mesh<'a> {
    /// Vertex positions, world metres, `[V]`.
    pub positions: &'a [Vec3],
    /// Unit vertex normals pointing out of the surface, `[V]`.
    pub normals: &'a [Vec3],
    /// Albedo per vertex, linear RGB in [0, 1], `[V]`.
    pub colors: &'a [Vec3],
    /// Specular strength per vertex (0 = matte, ~0.6 = wet eye), `[V]`.
    pub specular: &'a [f32],
    /// Triangles `[a, b, c]` with `(b-a)x(c-a)` pointing outwards (FACE_API winding), `[F]`.
    pub triangles: &'a [[u32; 3]],
    /// Colour of the rim light on this mesh, linear RGB (tells the two people apart).
    pub rim: Vec3,
}

/// A vertical background gradient, sRGB colours at the top and bottom rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Background {
    /// Colour of the top row.
    pub top: [u8; 3],
    /// Colour of the bottom row.
    pub bottom: [u8; 3],
}

impl Default for Background {
    fn default() -> Self {
        Self { top: [58, 66, 82], bottom: [18, 20, 26] }
    }
}

/// A colour buffer (linear light) and z-buffer (inverse depth, 0 = empty) at `supersample` times
/// the output size in each direction.
#[derive(Debug, Clone)]
pub struct Canvas {
    width: u32,
    height: u32,
    supersample: u32,
    color: Vec<Vec3>,
    inv_depth: Vec<f32>,
    /// Whether triangles facing away from the camera are skipped (true for closed meshes).
    pub cull_backfaces: bool,
}

/// One triangle after projection, ready to scan.
struct Setup {
    tri: [u32; 3],
    x: [f32; 3],
    y: [f32; 3],
    /// 1 / depth at each corner: affine in screen space, so it interpolates linearly.
    iz: [f32; 3],
    inv_area: f32,
    /// Pixel bounding box (inclusive), clamped to the canvas.
    x0: i32,
    x1: i32,
    y0: i32,
    y1: i32,
}

/// Camera-relative lights, so every framing is lit the same way.
struct Lights {
    key: V,
    fill: V,
    eye: V,
}

const KEY_COLOR: V = V::new(0.95, 0.92, 0.88);
const FILL_COLOR: V = V::new(0.25, 0.28, 0.34);
const SKY: V = V::new(0.20, 0.22, 0.26);
const GROUND: V = V::new(0.07, 0.06, 0.06);

/// sRGB byte to linear light.
pub fn srgb_to_linear(c: [u8; 3]) -> Vec3 {
    c.map(|v| (v as f32 / 255.0).powf(2.2))
}

/// Linear light to sRGB bytes through a 4096-entry table (the per-pixel powf would dominate).
fn linear_to_srgb(c: Vec3) -> [u8; 3] {
    static LUT: OnceLock<Vec<u8>> = OnceLock::new();
    let lut = LUT.get_or_init(|| {
        (0..4096).map(|i| ((i as f32 / 4095.0).powf(1.0 / 2.2) * 255.0).round() as u8).collect()
    });
    c.map(|v| lut[(v.clamp(0.0, 1.0) * 4095.0) as usize])
}

impl Canvas {
    /// A canvas for a `width` x `height` image rendered at `supersample` x `supersample` samples
    /// per pixel (1 = no anti-aliasing), cleared to `background`.
    pub fn new(width: u32, height: u32, supersample: u32, background: Background) -> Self {
        let ss = supersample.max(1);
        let n = (width * ss) as usize * (height * ss) as usize;
        let mut c = Self {
            width,
            height,
            supersample: ss,
            color: vec![[0.0; 3]; n],
            inv_depth: vec![0.0; n],
            cull_backfaces: true,
        };
        c.clear(background);
        c
    }

    /// Inner (supersampled) width and height in samples.
    pub fn inner_size(&self) -> (u32, u32) {
        (self.width * self.supersample, self.height * self.supersample)
    }

    /// Output width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Fill with the background gradient and empty the z-buffer.
    pub fn clear(&mut self, background: Background) {
        let (w, h) = self.inner_size();
        let (top, bottom) = (srgb_to_linear(background.top), srgb_to_linear(background.bottom));
        for (y, row) in self.color.chunks_exact_mut(w as usize).enumerate() {
            let t = y as f32 / (h.max(2) - 1) as f32;
            let c = (V::from(top) * (1.0 - t) + V::from(bottom) * t).to_array();
            row.fill(c);
        }
        self.inv_depth.fill(0.0);
    }

    /// Inverse depth (1 / metres along the view) stored at sample (`x`, `y`); 0 where empty.
    pub fn inv_depth_at(&self, x: u32, y: u32) -> f32 {
        let (w, _) = self.inner_size();
        self.inv_depth[(y * w + x) as usize]
    }

    /// Draw `mesh` as seen by `camera`, depth-tested against everything drawn before.
    pub fn draw(&mut self, camera: &Camera, mesh: &Mesh) {
        let (w, h) = self.inner_size();
        let nv = mesh.positions.len();
        if mesh.normals.len() != nv || mesh.colors.len() != nv || mesh.specular.len() != nv {
            return;
        }
        let projected = project_all(camera, mesh.positions, w, h);
        let setups = triangle_setups(&projected, mesh.triangles, w, h, self.cull_backfaces);
        // Bin triangles into bands of rows.
        let nbands = (h as usize).div_ceil(BAND_ROWS);
        let mut bins: Vec<Vec<u32>> = vec![Vec::new(); nbands];
        for (i, s) in setups.iter().enumerate() {
            for bin in &mut bins[s.y0 as usize / BAND_ROWS..=s.y1 as usize / BAND_ROWS] {
                bin.push(i as u32);
            }
        }
        let (right, up, forward) = (V::from(camera.right), V::from(camera.up), V::from(camera.forward));
        let lights = Lights {
            key: (right * -0.5 + up * 0.6 + forward * -0.65).normalize_or(V::Y),
            fill: (right * 0.6 + up * 0.1 + forward * -0.6).normalize_or(V::Y),
            eye: V::from(camera.eye),
        };
        let band_len = BAND_ROWS * w as usize;
        self.color
            .par_chunks_mut(band_len)
            .zip(self.inv_depth.par_chunks_mut(band_len))
            .zip(bins.par_iter())
            .enumerate()
            .for_each(|(band, ((color, depth), bin))| {
                let row0 = (band * BAND_ROWS) as i32;
                let row1 = row0 + (color.len() / w as usize) as i32 - 1;
                for &ti in bin {
                    raster_triangle(
                        &setups[ti as usize],
                        mesh,
                        &lights,
                        color,
                        depth,
                        w as usize,
                        row0,
                        row1,
                    );
                }
            });
    }

    /// How many samples of `triangles` (indices into `positions`, as drawn earlier with the same
    /// camera) are what the z-buffer holds now, i.e. visible in the finished image: e.g. the lip
    /// pixels of a head after the whole scene is drawn. Divide by `supersample`² for pixels.
    pub fn visible_samples(&self, camera: &Camera, positions: &[Vec3], triangles: &[[u32; 3]]) -> usize {
        let (w, h) = self.inner_size();
        let projected = project_all(camera, positions, w, h);
        let setups = triangle_setups(&projected, triangles, w, h, self.cull_backfaces);
        let mut n = 0;
        for s in &setups {
            scan(s, s.y0, s.y1, |py, px, _, iz| {
                // The same arithmetic as when the triangle was drawn, so its own samples match to
                // rounding; a nearer surface drawn over them does not.
                let stored = self.inv_depth[py as usize * w as usize + px as usize];
                if (stored - iz).abs() <= 1e-6 * iz {
                    n += 1;
                }
            });
        }
        n
    }

    /// The finished image: supersamples averaged in linear light, then encoded as sRGB.
    pub fn to_image(&self) -> Image {
        let ss = self.supersample as usize;
        let (iw, _) = self.inner_size();
        let (w, h) = (self.width as usize, self.height as usize);
        let mut data = vec![0u8; w * h * 3];
        let norm = 1.0 / (ss * ss) as f32;
        data.par_chunks_mut(w * 3).enumerate().for_each(|(y, row)| {
            for x in 0..w {
                let mut acc = V::ZERO;
                for sy in 0..ss {
                    let base = (y * ss + sy) * iw as usize + x * ss;
                    for c in &self.color[base..base + ss] {
                        acc += V::from(*c);
                    }
                }
                row[x * 3..x * 3 + 3].copy_from_slice(&linear_to_srgb((acc * norm).to_array()));
            }
        });
        Image { width: self.width, height: self.height, data }
    }
}

/// Scan one triangle inside rows `row0..=row1` of a band whose buffers start at `row0`.
#[allow(clippy::too_many_arguments)]
fn raster_triangle(
    s: &Setup,
    mesh: &Mesh,
    lights: &Lights,
    color: &mut [Vec3],
    depth: &mut [f32],
    width: usize,
    row0: i32,
    row1: i32,
) {
    let [i0, i1, i2] = s.tri.map(|i| i as usize);
    scan(s, row0, row1, |py, px, w, iz| {
        let idx = (py - row0) as usize * width + px as usize;
        if iz > depth[idx] {
            depth[idx] = iz;
            // Perspective-correct weights.
            let inv = 1.0 / iz;
            let p = [w[0] * s.iz[0] * inv, w[1] * s.iz[1] * inv, w[2] * s.iz[2] * inv];
            let lerp3 = |v: &[Vec3]| V::from(v[i0]) * p[0] + V::from(v[i1]) * p[1] + V::from(v[i2]) * p[2];
            let pos = lerp3(mesh.positions);
            let n = lerp3(mesh.normals);
            let albedo = lerp3(mesh.colors);
            let spec = mesh.specular[i0] * p[0] + mesh.specular[i1] * p[1] + mesh.specular[i2] * p[2];
            color[idx] = shade(pos, n, albedo, spec, V::from(mesh.rim), lights);
        }
    });
}

/// Visit every sample of triangle `s` inside rows `row0..=row1`: `visit(row, column, barycentric
/// weights, inverse depth)`. Drawing and visibility counting share it, so both see the same
/// samples with the same rounding.
#[inline]
fn scan(s: &Setup, row0: i32, row1: i32, mut visit: impl FnMut(i32, i32, [f32; 3], f32)) {
    let (ya, yb) = (s.y0.max(row0), s.y1.min(row1));
    if ya > yb {
        return;
    }
    let (x, y) = (s.x, s.y);
    // Edge function of the edge opposite corner k, evaluated at (px, py): a_k*px + b_k*py + c_k,
    // scaled by 1/area so it is corner k's barycentric weight.
    let edge = |a: usize, b: usize| {
        let ea = -(y[b] - y[a]) * s.inv_area;
        let eb = (x[b] - x[a]) * s.inv_area;
        let ec = ((y[b] - y[a]) * x[a] - (x[b] - x[a]) * y[a]) * s.inv_area;
        (ea, eb, ec)
    };
    let e = [edge(1, 2), edge(2, 0), edge(0, 1)];
    for py in ya..=yb {
        let fy = py as f32 + 0.5;
        let fx0 = s.x0 as f32 + 0.5;
        let mut w = e.map(|(a, b, c)| a * fx0 + b * fy + c);
        for px in s.x0..=s.x1 {
            if w[0] >= -INSIDE_EPS && w[1] >= -INSIDE_EPS && w[2] >= -INSIDE_EPS {
                let iz = w[0] * s.iz[0] + w[1] * s.iz[1] + w[2] * s.iz[2];
                visit(py, px, w, iz);
            }
            w[0] += e[0].0;
            w[1] += e[1].0;
            w[2] += e[2].0;
        }
    }
}

/// `[V]` screen position and depth of each vertex on a `w` x `h` sample grid.
fn project_all(camera: &Camera, positions: &[Vec3], w: u32, h: u32) -> Vec<(f32, f32, f32)> {
    positions
        .par_iter()
        .map(|&p| {
            let q = camera.project(p, w, h);
            (q.x, q.y, q.depth)
        })
        .collect()
}

/// The triangles worth scanning: inside the vertex range, in front of the near plane, not
/// degenerate, facing the camera when `cull`, and overlapping the `w` x `h` grid.
fn triangle_setups(
    projected: &[(f32, f32, f32)],
    triangles: &[[u32; 3]],
    w: u32,
    h: u32,
    cull: bool,
) -> Vec<Setup> {
    let nv = projected.len();
    triangles
        .par_iter()
        .filter_map(|&tri| {
            let idx = tri.map(|i| i as usize);
            if idx.iter().any(|&i| i >= nv) {
                return None;
            }
            let p = idx.map(|i| projected[i]);
            if p.iter().any(|q| q.2 < NEAR || !q.0.is_finite() || !q.1.is_finite()) {
                return None;
            }
            let (x, y) = ([p[0].0, p[1].0, p[2].0], [p[0].1, p[1].1, p[2].1]);
            // Twice the signed area; > 0 when the outward normal faces the camera (screen y
            // points down, which flips the usual counter-clockwise rule).
            let area = (x[1] - x[0]) * (y[2] - y[0]) - (y[1] - y[0]) * (x[2] - x[0]);
            if area.abs() < 1e-12 || (cull && area <= 0.0) {
                return None;
            }
            let x0 = (x[0].min(x[1]).min(x[2]).floor() as i32).max(0);
            let x1 = (x[0].max(x[1]).max(x[2]).ceil() as i32).min(w as i32 - 1);
            let y0 = (y[0].min(y[1]).min(y[2]).floor() as i32).max(0);
            let y1 = (y[0].max(y[1]).max(y[2]).ceil() as i32).min(h as i32 - 1);
            if x0 > x1 || y0 > y1 {
                return None;
            }
            let iz = [1.0 / p[0].2, 1.0 / p[1].2, 1.0 / p[2].2];
            Some(Setup { tri, x, y, iz, inv_area: 1.0 / area, x0, x1, y0, y1 })
        })
        .collect()
}

/// Lighting of one surface point.
#[inline]
fn shade(pos: V, n: V, albedo: V, spec: f32, rim: V, l: &Lights) -> Vec3 {
    let v = (l.eye - pos).normalize_or(V::NEG_Z);
    let mut n = n.normalize_or(v);
    let mut ndv = n.dot(v);
    if ndv < 0.0 {
        // Silhouette pixels of interpolated normals can face away; light them as seen.
        n = -n;
        ndv = -ndv;
    }
    let hemi = 0.5 + 0.5 * n.y;
    let ambient = SKY * hemi + GROUND * (1.0 - hemi);
    let kd = n.dot(l.key).max(0.0);
    let fd = n.dot(l.fill).max(0.0);
    let light = ambient + KEY_COLOR * kd + FILL_COLOR * fd;
    let mut c = albedo * light;
    if spec > 0.0 && kd > 0.0 {
        let hv = (l.key + v).normalize_or(n);
        let x = n.dot(hv).max(0.0);
        let x2 = x * x;
        let x8 = x2 * x2 * x2 * x2;
        let x32 = x8 * x8 * x8 * x8;
        c += KEY_COLOR * (spec * x32 * x8); // Blinn exponent 40
    }
    // Rim light, stronger on upward-facing silhouettes as a back light above the heads would be.
    let fres = 1.0 - ndv;
    (c + rim * (fres * fres * fres * (0.5 + 0.5 * hemi * hemi))).to_array()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srgb_round_trip_is_close() {
        for v in [0u8, 20, 128, 200, 255] {
            let back = linear_to_srgb(srgb_to_linear([v, v, v]));
            assert!((back[0] as i32 - v as i32).abs() <= 2, "{v} -> {back:?}");
        }
    }
}
