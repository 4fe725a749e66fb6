//! Fixed mesh topology: the vertex layout, the triangles and the (ring, column) grid parameters.
//!
//! The skin is a grid of `NS` rings x `NU` columns wrapped around a vertical capsule (lower
//! hemisphere cap, cylinder, upper cap) plus a pole at the bottom (neck base centre) and at the
//! crown. Column 0 looks straight ahead (-Z); columns go toward +X first. The eye and mouth
//! openings are slits along one grid ring: between two corner columns the ring's vertices are
//! duplicated, the grid copy serving the band below (lower lid / lower lip) and the duplicate the
//! band above. Each opening's boundary loop is then closed by a pocket (eye: lid margin and a
//! socket behind the eyeball; mouth: three rings and an end point), so the head surface is a
//! closed, consistently oriented manifold. Teeth are closed tubes, eyeballs closed spheres.

use crate::sculpt::{EYE_SLIT_Y, MOUTH_Y, V3};

/// Columns around the head (even, so the grid is mirror-symmetric about column 0).
pub(crate) const NU: usize = 88;
/// Rings between the two poles.
pub(crate) const NS: usize = 68;
/// Column intervals across one eye slit.
pub(crate) const EYE_SEG: usize = 9;
/// Column intervals across the mouth slit (even: symmetric about column 0).
pub(crate) const MOUTH_SEG: usize = 14;
/// Rings of the mouth pocket behind the lips.
pub(crate) const POCKET_RINGS: usize = 3;
/// Samples along each dental arch.
pub(crate) const TEETH_ARCH: usize = 12;
/// Latitude rings of an eyeball (between its front and back poles).
pub(crate) const BALL_RINGS: usize = 11;
/// Segments around an eyeball.
pub(crate) const BALL_SEG: usize = 24;

const GRID: usize = NU * NS + 2;
const EYE_EXTRA: usize = (EYE_SEG - 1) + 2 * EYE_SEG + 1;
const MOUTH_EXTRA: usize = (MOUTH_SEG - 1) + POCKET_RINGS * 2 * MOUTH_SEG + 1;
const TEETH: usize = 2 * TEETH_ARCH * 4;
const BALL: usize = 2 + BALL_RINGS * BALL_SEG;

/// Vertices of the model: skin grid, eye and mouth extras, teeth, two eyeballs.
pub const N_VERTS: usize = GRID + 2 * EYE_EXTRA + MOUTH_EXTRA + TEETH + 2 * BALL;

/// Reference radius of the capsule caps (sets how much arc the caps take in the row layout).
pub(crate) const CAP_R: f64 = 0.1;
/// Capsule axis: bottom and top cap centres (y) and depth (z) of the vertical axis.
pub(crate) const CAP_YL: f64 = 0.10;
pub(crate) const CAP_YU: f64 = 0.19;
pub(crate) const CAP_Z: f64 = 0.015;

/// Eyeball latitude rings, degrees from the forward axis. Region edges get two close rings
/// (pupil 10 | iris 11, iris 30 | sclera 31.5) so per-vertex colours give crisp circles.
pub(crate) const BALL_RING_DEG: [f64; BALL_RINGS] =
    [5.0, 10.0, 11.0, 18.0, 25.0, 30.0, 31.5, 45.0, 70.0, 105.0, 145.0];

/// Inner-corner azimuth of the left eye slit (degrees from straight ahead).
const EYE_INNER_DEG: f64 = 12.0;

/// The fixed topology and the grid's parameters.
pub(crate) struct Topology {
    /// Capsule arc parameter of each ring, bottom to top. `[NS]`
    pub rows_a: Vec<f64>,
    /// Azimuth of each column (radians, 0 = straight ahead, positive toward +X). `[NU]`
    pub cols_phi: Vec<f64>,
    /// Ring index of the eye slits and of the mouth slit.
    pub eye_row: usize,
    pub mouth_row: usize,
    /// Corner columns (first, last) of the left and right eye slits (mod NU).
    pub eye_cols: [(usize, usize); 2],
    /// Boundary loops (skin boundary direction), `2 * SEG` each, starting at the last corner.
    pub eye_loops: [Vec<u32>; 2],
    pub mouth_loop: Vec<u32>,
    /// Lid margin rings (parallel to `eye_loops`) and socket end points.
    pub eye_margins: [Vec<u32>; 2],
    pub eye_sockets: [u32; 2],
    /// Mouth pocket rings (parallel to `mouth_loop`) and end point.
    pub pocket_rings: Vec<Vec<u32>>,
    pub pocket_end: u32,
    /// First vertex of the upper and lower teeth tubes, and of the two eyeballs.
    pub teeth_start: [usize; 2],
    pub ball_start: [usize; 2],
    /// +1 for upper-lid / upper-lip slit copies, -1 for their lower twins, 0 elsewhere. `[V]`
    pub slit_side: Vec<i8>,
    /// Triangles, outward winding.
    pub triangles: Vec<[u32; 3]>,
}

/// Index of grid vertex (ring i, column j).
#[inline]
pub(crate) fn grid(i: usize, j: usize) -> usize {
    i * NU + (j % NU)
}
/// Bottom pole (centre of the neck base) and crown pole.
pub(crate) const POLE_BOTTOM: usize = NU * NS;
pub(crate) const POLE_TOP: usize = NU * NS + 1;

/// Total capsule arc: lower quarter circle, cylinder, upper quarter circle.
pub(crate) fn capsule_len() -> f64 {
    std::f64::consts::PI * CAP_R + (CAP_YU - CAP_YL)
}

/// Ray origin and unit direction of capsule parameter (arc `a`, azimuth `phi`).
pub(crate) fn capsule_ray(a: f64, phi: f64) -> (V3, V3) {
    let q = std::f64::consts::FRAC_PI_2 * CAP_R;
    let h = [phi.sin(), 0.0, -phi.cos()];
    let (y0, lambda) = if a < q {
        (CAP_YL, (a - q) / CAP_R)
    } else if a > q + (CAP_YU - CAP_YL) {
        (CAP_YU, (a - q - (CAP_YU - CAP_YL)) / CAP_R)
    } else {
        (CAP_YL + (a - q), 0.0)
    };
    let (s, c) = lambda.sin_cos();
    (V3::new(0.0, y0, CAP_Z), V3::new(c * h[0], s, c * h[2]))
}

/// Height a horizontal-ish ray of arc `a` roughly reaches at the face; used only for the row
/// density (denser rows at eyes, nose and mouth).
fn approx_face_y(a: f64) -> f64 {
    let q = std::f64::consts::FRAC_PI_2 * CAP_R;
    if a < q {
        CAP_YL + ((a - q) / CAP_R).tan().max(-3.0) * 0.1
    } else if a > q + (CAP_YU - CAP_YL) {
        CAP_YU + ((a - q - (CAP_YU - CAP_YL)) / CAP_R).min(1.3).tan() * 0.1
    } else {
        CAP_YL + (a - q)
    }
}

fn row_density(a: f64) -> f64 {
    let y = approx_face_y(a);
    let bump = |c: f64, w: f64| (-((y - c) / w).powi(2)).exp();
    1.0 + 3.2 * bump(EYE_SLIT_Y, 0.011)
        + 1.4 * bump(0.197, 0.012)
        + 3.2 * bump(MOUTH_Y, 0.012)
        + 1.3 * bump(0.147, 0.01)
        + 0.8 * bump(0.08, 0.015)
        - 0.5 * (y < 0.02) as i32 as f64
}

/// Ring parameters: equal steps of cumulative density, then the nearest rings snapped exactly
/// onto the eye and mouth slit heights.
fn ring_params() -> (Vec<f64>, usize, usize) {
    let n_fine = 4000;
    let total = capsule_len();
    let mut cum = vec![0.0f64; n_fine + 1];
    for k in 0..n_fine {
        let a = (k as f64 + 0.5) / n_fine as f64 * total;
        cum[k + 1] = cum[k] + row_density(a);
    }
    let mut rows = Vec::with_capacity(NS);
    let mut k = 0;
    for i in 0..NS {
        let target = (i + 1) as f64 / (NS + 1) as f64 * cum[n_fine];
        while cum[k + 1] < target {
            k += 1;
        }
        let f = (target - cum[k]) / (cum[k + 1] - cum[k]);
        rows.push((k as f64 + f) / n_fine as f64 * total);
    }
    let q = std::f64::consts::FRAC_PI_2 * CAP_R;
    let snap = |rows: &mut Vec<f64>, y: f64| {
        let a = q + (y - CAP_YL);
        let i = (0..NS).min_by(|&x, &z| (rows[x] - a).abs().total_cmp(&(rows[z] - a).abs())).unwrap_or(0);
        rows[i] = a;
        i
    };
    let eye = snap(&mut rows, EYE_SLIT_Y);
    let mouth = snap(&mut rows, MOUTH_Y);
    (rows, eye, mouth)
}

/// Column azimuths: denser toward the face (cubic warp of uniform steps).
fn column_params() -> Vec<f64> {
    (0..NU)
        .map(|j| {
            let jj = if j <= NU / 2 { j as f64 } else { j as f64 - NU as f64 };
            let x = 2.0 * jj / NU as f64; // [-1, 1]
            std::f64::consts::PI * (0.45 * x + 0.55 * x * x * x)
        })
        .collect()
}

/// Quad strip closing boundary loop `inner` onto the parallel ring `next` (both in the skin's
/// boundary direction), keeping the orientation consistent with the surface it continues.
fn strip(tris: &mut Vec<[u32; 3]>, ring: &[u32], next: &[u32]) {
    let n = ring.len();
    for k in 0..n {
        let (p, q) = (ring[k], ring[(k + 1) % n]);
        let (pp, qq) = (next[k], next[(k + 1) % n]);
        tris.push([q, p, pp]);
        tris.push([q, pp, qq]);
    }
}

/// Fan closing a boundary ring onto one end point.
fn fan(tris: &mut Vec<[u32; 3]>, ring: &[u32], end: u32) {
    let n = ring.len();
    for k in 0..n {
        tris.push([ring[(k + 1) % n], ring[k], end]);
    }
}

/// Duplicates the interior vertices of a slit (ring `row`, corner columns `a`, `b`) and returns
/// its boundary loop in the skin's boundary direction: last corner, upper copies right to left,
/// first corner, lower (grid) copies left to right.
fn slit(
    row: usize,
    (a, b): (usize, usize),
    upper: &mut [u32],
    side: &mut [i8],
    next: &mut usize,
) -> Vec<u32> {
    for j in a + 1..b {
        upper[grid(row, j)] = *next as u32;
        side[*next] = 1;
        side[grid(row, j)] = -1;
        *next += 1;
    }
    let mut lp = vec![grid(row, b) as u32];
    lp.extend((a + 1..b).rev().map(|j| upper[grid(row, j)]));
    lp.push(grid(row, a) as u32);
    lp.extend((a + 1..b).map(|j| grid(row, j) as u32));
    lp
}

impl Topology {
    pub(crate) fn new() -> Topology {
        let (rows_a, eye_row, mouth_row) = ring_params();
        let cols_phi = column_params();
        let inner = EYE_INNER_DEG.to_radians();
        let c0 =
            (1..NU / 2).min_by(|&a, &b| (cols_phi[a] - inner).abs().total_cmp(&(cols_phi[b] - inner).abs()));
        let c0 = c0.unwrap_or(8);
        let eye_cols = [(c0, c0 + EYE_SEG), (NU - c0 - EYE_SEG, NU - c0)];
        let mouth_cols = (NU - MOUTH_SEG / 2, NU + MOUTH_SEG / 2);

        let mut upper: Vec<u32> = (0..NU * NS).map(|v| v as u32).collect();
        let mut slit_side = vec![0i8; N_VERTS];
        let mut next = GRID;
        let mut eye_loops: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        let mut eye_margins: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        let mut eye_sockets = [0u32; 2];
        for e in 0..2 {
            eye_loops[e] = slit(eye_row, eye_cols[e], &mut upper, &mut slit_side, &mut next);
            eye_margins[e] = (next..next + 2 * EYE_SEG).map(|v| v as u32).collect();
            next += 2 * EYE_SEG;
            eye_sockets[e] = next as u32;
            next += 1;
        }
        let mouth_loop = slit(mouth_row, mouth_cols, &mut upper, &mut slit_side, &mut next);
        let mut pocket_rings = Vec::new();
        for _ in 0..POCKET_RINGS {
            pocket_rings.push((next..next + 2 * MOUTH_SEG).map(|v| v as u32).collect::<Vec<u32>>());
            next += 2 * MOUTH_SEG;
        }
        let pocket_end = next as u32;
        next += 1;
        let teeth_start = [next, next + TEETH_ARCH * 4];
        next += TEETH;
        let ball_start = [next, next + BALL];
        next += 2 * BALL;
        debug_assert_eq!(next, N_VERTS);

        let mut tris: Vec<[u32; 3]> = Vec::new();
        // Skin grid bands; bottom vertices of a band use the upper slit copies.
        for i in 0..NS - 1 {
            for j in 0..NU {
                let a = upper[grid(i, j)];
                let b = upper[grid(i, j + 1)];
                let c = grid(i + 1, j + 1) as u32;
                let d = grid(i + 1, j) as u32;
                tris.push([a, d, c]);
                tris.push([a, c, b]);
            }
        }
        for j in 0..NU {
            tris.push([POLE_BOTTOM as u32, grid(0, j) as u32, grid(0, j + 1) as u32]);
            tris.push([POLE_TOP as u32, grid(NS - 1, j + 1) as u32, grid(NS - 1, j) as u32]);
        }
        for e in 0..2 {
            strip(&mut tris, &eye_loops[e], &eye_margins[e]);
            fan(&mut tris, &eye_margins[e], eye_sockets[e]);
        }
        let mut ring = mouth_loop.clone();
        for r in &pocket_rings {
            strip(&mut tris, &ring, r);
            ring = r.clone();
        }
        fan(&mut tris, &ring, pocket_end);
        for &t0 in &teeth_start {
            let v = |s: usize, k: usize| (t0 + s * 4 + k % 4) as u32;
            for s in 0..TEETH_ARCH - 1 {
                for k in 0..4 {
                    tris.push([v(s, k), v(s + 1, k + 1), v(s, k + 1)]);
                    tris.push([v(s, k), v(s + 1, k), v(s + 1, k + 1)]);
                }
            }
            let l = TEETH_ARCH - 1;
            tris.extend([[v(0, 0), v(0, 1), v(0, 2)], [v(0, 0), v(0, 2), v(0, 3)]]);
            tris.extend([[v(l, 0), v(l, 2), v(l, 1)], [v(l, 0), v(l, 3), v(l, 2)]]);
        }
        for &b0 in &ball_start {
            let front = b0 as u32;
            let back = (b0 + 1 + BALL_RINGS * BALL_SEG) as u32;
            let v = |r: usize, k: usize| (b0 + 1 + r * BALL_SEG + k % BALL_SEG) as u32;
            for k in 0..BALL_SEG {
                tris.push([front, v(0, k + 1), v(0, k)]);
                for r in 0..BALL_RINGS - 1 {
                    tris.push([v(r, k), v(r, k + 1), v(r + 1, k)]);
                    tris.push([v(r, k + 1), v(r + 1, k + 1), v(r + 1, k)]);
                }
                tris.push([back, v(BALL_RINGS - 1, k), v(BALL_RINGS - 1, k + 1)]);
            }
        }

        Topology {
            rows_a,
            cols_phi,
            eye_row,
            mouth_row,
            eye_cols,
            eye_loops,
            mouth_loop,
            eye_margins,
            eye_sockets,
            pocket_rings,
            pocket_end,
            teeth_start,
            ball_start,
            slit_side,
            triangles: tris,
        }
    }
}
