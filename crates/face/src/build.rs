//! The generator and the secant construction of the bases (DESIGN.md §4).
//!
//! `Base::new` computes the canonical (mean, neutral) geometry once: skin from the grid rays and
//! `sculpt`, eyelid openings, mouth pocket, teeth, eyeballs and the per-vertex context the
//! fields need. `build` applies expression fields, identity fields and the eyelid opening
//! amplitudes to the canonical positions, then re-derives everything that depends on the eyes
//! (lids hugging the eyeballs, lid margins, sockets, eyeballs). Each component is
//! `build(that parameter at 1) - build(all zero)`, so non-linear parts (jaw rotation, lids on the
//! eyeball) are exact at 1.0 and linear in between.

use crate::context::{Kind, VInfo};
use crate::expression::{self, EyeAmps};
use crate::identity;
use crate::mesh::{
    self, capsule_ray, grid, Topology, BALL_RING_DEG, BALL_SEG, MOUTH_SEG, NS, NU, TEETH_ARCH,
};
use crate::sculpt::{
    cast, gauss, profile, relief, smoothstep, EYE_CENTER, EYE_R, EYE_SLIT_Y, HEAD_JOINT, LID_OPEN_DOWN,
    LID_OPEN_UP, LID_SHELL, MOUTH_CORNER_X, MOUTH_Y, V3,
};
use crate::{FaceModel, Region};

/// Canonical geometry, computed once.
pub(crate) struct Base {
    pub topo: Topology,
    pub info: Vec<VInfo>,
    /// Eyelid opening displacement at amplitude 1 (included in `info[v].q`), upper and lower.
    open_up: Vec<V3>,
    open_down: Vec<V3>,
    /// Which eye's lid zone a skin vertex is in.
    eye_of: Vec<Option<usize>>,
    /// Eyeball vertex offsets from the centre (left eye; right mirrored). `[BALL]`
    ball_offsets: Vec<V3>,
}

impl Base {
    pub(crate) fn new() -> Base {
        let topo = Topology::new();
        let n = mesh::N_VERTS;
        let mut q = vec![V3::ZERO; n];
        let mut dir = vec![V3::ZERO; n];
        let mut kind = vec![Kind::Skin; n];
        // Skin grid, poles and slit copies (copies share their twin's position).
        let skin_point = |a: f64, phi: f64| {
            let (o, d) = capsule_ray(a, phi);
            let base = o + d * cast(o, d);
            (base + d * relief(base, d), d)
        };
        for i in 0..NS {
            for j in 0..NU {
                let (p, d) = skin_point(topo.rows_a[i], topo.cols_phi[j]);
                q[grid(i, j)] = p;
                dir[grid(i, j)] = d;
            }
        }
        let (p, d) = skin_point(0.0, 0.0);
        q[mesh::POLE_BOTTOM] = p;
        dir[mesh::POLE_BOTTOM] = d;
        let (p, d) = skin_point(mesh::capsule_len(), 0.0);
        q[mesh::POLE_TOP] = p;
        dir[mesh::POLE_TOP] = d;
        // Upper copies sit in the loop between the two corners, mirrored against their twins.
        let twin = |lp: &[u32], q: &mut Vec<V3>, dir: &mut Vec<V3>| {
            let seg = lp.len() / 2;
            for k in 1..seg {
                let (up, low) = (lp[k] as usize, lp[2 * seg - k] as usize);
                q[up] = q[low];
                dir[up] = dir[low];
            }
        };
        for e in 0..2 {
            twin(&topo.eye_loops[e], &mut q, &mut dir);
        }
        twin(&topo.mouth_loop, &mut q, &mut dir);

        // Lid margins and sockets are derived from the eyes in `build`.
        for e in 0..2 {
            for &m in &topo.eye_margins[e] {
                kind[m as usize] = Kind::EyeDerived(e);
            }
            kind[topo.eye_sockets[e] as usize] = Kind::EyeDerived(e);
        }

        // Eyelid openings: pull the upper copies and the rows above up, the lower ones down.
        let corner_x = |c: usize| q[grid(topo.eye_row, c)][0];
        let (ci, co) = (corner_x(topo.eye_cols[0].0), corner_x(topo.eye_cols[0].1));
        let mid = 0.5 * (ci + co);
        let half = 0.5 * (co - ci);
        let mut open_up = vec![V3::ZERO; n];
        let mut open_down = vec![V3::ZERO; n];
        let mut eye_of = vec![None; n];
        let skin_count = topo.pocket_rings[0][0] as usize; // grid, poles, eye extras, mouth copies
        for v in 0..skin_count {
            if matches!(kind[v], Kind::EyeDerived(_)) {
                continue;
            }
            let p = q[v];
            if dir[v][2] > -0.2 {
                continue;
            }
            let e = if p[0] > 0.0 { 0 } else { 1 };
            let cx = if e == 0 { EYE_CENTER[0] } else { -EYE_CENTER[0] };
            let (dx, dy) = (p[0] - cx, p[1] - EYE_CENTER[1]);
            if dx.abs() > 0.032 || dy.abs() > 0.032 {
                continue;
            }
            eye_of[v] = Some(e);
            let xi = (p[0].abs() - mid) / half;
            let upper = match topo.slit_side[v] {
                1 => true,
                -1 => false,
                _ => p[1] > EYE_SLIT_Y,
            };
            let on_row = (p[1] - EYE_SLIT_Y).abs() < 1e-9;
            if on_row && topo.slit_side[v] == 0 {
                continue; // corners and the row outside the slit stay put
            }
            let dist = (p[1] - EYE_SLIT_Y).abs();
            // Rows away from the slit get a wider, softer profile so the corners do not shear.
            let xi = xi / (1.0 + dist / 0.005);
            if upper {
                open_up[v] = V3::new(0.0, LID_OPEN_UP * profile(xi, -0.12) * gauss(dist / 0.0075), 0.0);
            } else {
                open_down[v] = V3::new(0.0, -LID_OPEN_DOWN * profile(xi, 0.15) * gauss(dist / 0.0055), 0.0);
            }
        }
        for v in 0..skin_count {
            q[v] = q[v] + open_up[v] + open_down[v];
        }

        // Mouth pocket: rings behind the lip rims, wider inside, closed at the back.
        let seg = MOUTH_SEG;
        let rim: Vec<V3> = topo.mouth_loop.iter().map(|&v| q[v as usize]).collect();
        let mid_z = q[grid(topo.mouth_row, 0)][2];
        let side_of = |k: usize| -> f64 {
            // Loop: corner(0), upper copies (1..seg), corner(seg), lower (seg+1..2seg).
            if k == 0 || k == seg {
                0.0
            } else if k < seg {
                1.0
            } else {
                -1.0
            }
        };
        let open_prof = |x: f64| (1.0 - (x / 0.026).powi(2)).max(0.0).sqrt();
        let ring_spec: [(f64, f64, f64, f64); 3] =
            [(1.0, 0.004, 0.0025, 0.0), (1.0, 0.014, 0.017, 0.005), (1.05, 0.036, 0.013, 0.009)];
        for (r, &(sx, dz, h, h0)) in ring_spec.iter().enumerate() {
            for (k, &vid) in topo.pocket_rings[r].iter().enumerate() {
                let p = rim[k];
                let s = side_of(k);
                let y = MOUTH_Y + s * (h0 + h * open_prof(p[0]));
                let y = if s == 0.0 { MOUTH_Y } else { y };
                q[vid as usize] = V3::new(p[0] * sx, y, p[2].max(mid_z) + dz);
                kind[vid as usize] = Kind::Pocket(r + 1);
                dir[vid as usize] = V3::NEG_Z;
            }
        }
        q[topo.pocket_end as usize] = V3::new(0.0, MOUTH_Y - 0.002, mid_z + 0.048);
        kind[topo.pocket_end as usize] = Kind::Pocket(4);
        dir[topo.pocket_end as usize] = V3::NEG_Z;

        // Teeth: upper incisors just behind the upper lip, lower ones behind them (overbite).
        for (t, &t0) in topo.teeth_start.iter().enumerate() {
            for s in 0..TEETH_ARCH {
                let u = s as f64 / (TEETH_ARCH - 1) as f64 * 2.0 - 1.0;
                let x = 0.0225 * u;
                let zf = mid_z + 0.0075 + 0.026 * u * u + if t == 1 { 0.0032 } else { 0.0 };
                let (top, bottom, thick) =
                    if t == 0 { (0.010, -0.0015, 0.0028) } else { (0.0005, -0.0095, 0.0028) };
                let sec = [
                    [x, MOUTH_Y + top, zf],
                    [x, MOUTH_Y + bottom, zf],
                    [x, MOUTH_Y + bottom, zf + thick],
                    [x, MOUTH_Y + top, zf + thick],
                ];
                for (k, p) in sec.into_iter().enumerate() {
                    let v = t0 + s * 4 + k;
                    q[v] = V3::from(p);
                    kind[v] = Kind::Teeth(t);
                    dir[v] = V3::NEG_Z;
                }
            }
        }

        // Eyeballs: offsets from the centre, with a slight corneal bulge over the iris.
        let mut ball_offsets = vec![V3::new(0.0, 0.0, -EYE_R - 0.0008)];
        for &deg in BALL_RING_DEG.iter() {
            let a = deg.to_radians();
            let bulge = 0.0008 * (1.0 - (deg / 34.0).min(1.0).powi(2));
            let r = EYE_R + bulge;
            for k in 0..BALL_SEG {
                let b = k as f64 / BALL_SEG as f64 * std::f64::consts::TAU;
                ball_offsets.push(V3::new(r * a.sin() * b.cos(), r * a.sin() * b.sin(), -r * a.cos()));
            }
        }
        ball_offsets.push(V3::new(0.0, 0.0, EYE_R));
        for e in 0..2 {
            for k in 0..ball_offsets.len() {
                kind[topo.ball_start[e] + k] = Kind::Ball(e);
            }
        }

        // Per-vertex field context.
        let mouth_index: std::collections::HashMap<u32, usize> =
            topo.mouth_loop.iter().enumerate().map(|(k, &v)| (v, k)).collect();
        let info: Vec<VInfo> = (0..n)
            .map(|v| {
                let p = q[v];
                let k = kind[v];
                let (qf, att, mouth_side) = match k {
                    Kind::Pocket(r) => {
                        let idx = topo
                            .pocket_rings
                            .get(r.wrapping_sub(1))
                            .and_then(|ring| ring.iter().position(|&x| x as usize == v));
                        match idx {
                            Some(i) => (rim[i], [0.85, 0.45, 0.12][r - 1], side_of(i)),
                            None => (p, 0.0, -0.3),
                        }
                    }
                    Kind::Teeth(t) => (p, 0.0, if t == 0 { 1.0 } else { -1.0 }),
                    _ => {
                        let s = if let Some(&i) = mouth_index.get(&(v as u32)) {
                            side_of(i)
                        } else {
                            ((p[1] - MOUTH_Y) / 0.0012).clamp(-1.0, 1.0)
                        };
                        (p, 1.0, s)
                    }
                };
                let jaw = match k {
                    Kind::Teeth(t) => (t == 1) as i32 as f64,
                    Kind::Pocket(4) => 0.5,
                    Kind::Pocket(_) => lip_jaw(qf[0].abs(), mouth_side),
                    Kind::Ball(_) | Kind::EyeDerived(_) => 0.0,
                    Kind::Skin => jaw_weight(
                        p,
                        mouth_side,
                        topo.slit_side[v] != 0 && mouth_index.contains_key(&(v as u32)),
                    ),
                };
                VInfo {
                    kind: k,
                    q: p,
                    qf,
                    att,
                    dir: dir[v],
                    mouth_side,
                    jaw,
                    front: smoothstep(0.25, 0.75, -dir[v][2]),
                }
            })
            .collect();
        Base { topo, info, open_up, open_down, eye_of, ball_offsets }
    }
}

/// Lower-jaw weight of a skin vertex: 1 below the mouth slit and on the chin, 0 above; the
/// boundary runs from the mouth corners up the cheeks toward the jaw hinge, softening as it goes,
/// and fades out down the neck and toward the back.
fn jaw_weight(p: V3, side: f64, on_slit: bool) -> f64 {
    let (x, y, z) = (p[0].abs(), p[1], p[2]);
    let yb = MOUTH_Y + 0.035 * smoothstep(0.022, 0.065, x);
    let w = 0.0012 + 0.012 * smoothstep(0.02, 0.05, x);
    let ey = if on_slit { y + 0.003 * side } else { y };
    let mut j = 1.0 / (1.0 + ((ey - yb) / w * 2.5).exp());
    // Around the lips the split is graded along the mouth so an open mouth is an oval whose
    // corners stay closed.
    let near =
        gauss((y - MOUTH_Y) / 0.009) * (1.0 - smoothstep(0.9 * MOUTH_CORNER_X, 1.4 * MOUTH_CORNER_X, x));
    j = j * (1.0 - near) + lip_jaw(x, side) * near;
    j *= 1.0 - smoothstep(0.0, 0.035, z);
    j *= smoothstep(0.03, 0.075, y - 0.25 * (z + 0.05));
    j
}

/// Jaw weight along the lips: 1 (lower lip) / 0 (upper lip) in the middle, 1/2 at the corners.
fn lip_jaw(x: f64, side: f64) -> f64 {
    let m = (1.0 - (x / MOUTH_CORNER_X).powi(2)).max(0.0).sqrt();
    0.5 - 0.5 * side * m
}

/// Canonical eye centre of eye `e` (0 left at +X, 1 right).
pub(crate) fn eye_center(e: usize) -> V3 {
    let mut c = EYE_CENTER;
    if e == 1 {
        c[0] = -c[0];
    }
    c
}

/// The lid shell depth (z) at 2-D distance `rho` from the eye centre, held flat past 90% of
/// the shell radius (where the lids turn forward into the orbit rim) so the blend into the
/// face never digs a trench around the eye.
fn shell_z(cz: f64, rho: f64) -> f64 {
    let r = rho.min(0.9 * LID_SHELL);
    cz - (LID_SHELL * LID_SHELL - r * r).sqrt()
}

/// One full evaluation of the generator. Returns positions and the 4 rest joints.
pub(crate) fn build(base: &Base, id: &[f64], act: &[f64]) -> (Vec<V3>, [V3; 4]) {
    let n = base.info.len();
    let topo = &base.topo;
    let amps: [EyeAmps; 2] = expression::eye_amps(act, id);
    let mut pos: Vec<V3> = Vec::with_capacity(n);
    for (v, inf) in base.info.iter().enumerate() {
        let mut p = inf.q;
        if let Some(e) = base.eye_of[v] {
            p += base.open_up[v] * (amps[e].up - 1.0);
            p += base.open_down[v] * (amps[e].down - 1.0);
        }
        if !matches!(inf.kind, Kind::Ball(_) | Kind::EyeDerived(_)) {
            for (k, &a) in act.iter().enumerate() {
                if a != 0.0 {
                    p += expression::field(k, inf) * a;
                }
            }
            for (i, &b) in id.iter().enumerate() {
                if b != 0.0 {
                    p += identity::field(i, inf.q, inf.dir) * b;
                }
            }
        }
        pos.push(p);
    }
    let moved = |c: V3| {
        let mut m = c;
        for (i, &b) in id.iter().enumerate() {
            if b != 0.0 {
                m += identity::field(i, c, V3::NEG_Z) * b;
            }
        }
        m
    };
    let centers = [moved(eye_center(0)), moved(eye_center(1))];
    let head = moved(HEAD_JOINT);

    // Lids hug the eyeballs.
    for (p, eye) in pos.iter_mut().zip(&base.eye_of) {
        if let Some(e) = *eye {
            let c = centers[e];
            let rho = ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt();
            let w = 1.0 - smoothstep(LID_SHELL - 0.001, LID_SHELL + 0.009, rho);
            if w > 0.0 {
                p[2] += w * (shell_z(c[2], rho) - p[2]);
            }
        }
    }
    // Lid margins tuck in to just inside the eyeball; the socket closes behind it.
    for e in 0..2 {
        let c = centers[e];
        for (k, &m) in topo.eye_margins[e].iter().enumerate() {
            let rim = pos[topo.eye_loops[e][k] as usize];
            let d = rim - c;
            let l = d.length().max(1e-9);
            pos[m as usize] = c + d * ((EYE_R - 0.0005) / l);
        }
        pos[topo.eye_sockets[e] as usize] = c + V3::new(0.0, 0.0, 0.6 * EYE_R);
        // Same offsets for both eyes: mirroring them would flip the triangles' winding.
        for (k, off) in base.ball_offsets.iter().enumerate() {
            pos[topo.ball_start[e] + k] = c + *off;
        }
    }
    (pos, [V3::ZERO, head, centers[0], centers[1]])
}

fn to_f32(v: V3) -> [f32; 3] {
    v.as_vec3().to_array()
}

/// Builds the whole model (see the crate docs).
pub(crate) fn generate() -> FaceModel {
    let base = Base::new();
    let n = base.info.len();
    let zero_id = [0.0f64; identity::N];
    let zero_act = [0.0f64; expression::N];
    let (mean, joints) = build(&base, &zero_id, &zero_act);
    let template: Vec<[f32; 3]> = mean.iter().map(|&p| to_f32(p)).collect();
    let mut ident = Vec::with_capacity(identity::N * n);
    let mut joints_identity = Vec::with_capacity(identity::N);
    for i in 0..identity::N {
        let mut id = zero_id;
        id[i] = 1.0;
        let (p, j) = build(&base, &id, &zero_act);
        ident.extend(p.iter().zip(&mean).map(|(a, b)| to_f32(*a - *b)));
        joints_identity.push(std::array::from_fn(|k| to_f32(j[k] - joints[k])));
    }
    let mut expr = Vec::with_capacity(expression::N * n);
    for k in 0..expression::N {
        let mut act = zero_act;
        act[k] = 1.0;
        let (p, _) = build(&base, &zero_id, &act);
        expr.extend(p.iter().zip(&mean).map(|(a, b)| to_f32(*a - *b)));
    }
    let skin_weights = base.info.iter().map(skin_weight).collect();
    let regions = regions(&base);
    let landmarks = landmarks(&base, &mean);
    FaceModel {
        landmarks,
        template,
        triangles: base.topo.triangles.clone(),
        identity: ident,
        expression: expr,
        skin_weights,
        regions,
        joints_mean: joints.map(to_f32),
        joints_identity,
        arkit: crate::arkit::arkit_matrix(),
    }
}

/// Named vertices, found from the topology and the mean geometry.
fn landmarks(base: &Base, mean: &[V3]) -> crate::Landmarks {
    let topo = &base.topo;
    let skin = |v: usize| base.info[v].kind == Kind::Skin;
    let nose_tip =
        (0..mean.len()).filter(|&v| skin(v)).min_by(|&a, &b| mean[a][2].total_cmp(&mean[b][2])).unwrap_or(0);
    // A slit loop is [corner, upper copies, corner, lower twins]; pick the upper copy nearest x.
    let twin_pair = |lp: &[u32], x: f64| {
        let seg = lp.len() / 2;
        let k = (1..seg).min_by(|&a, &b| {
            (mean[lp[a] as usize][0] - x).abs().total_cmp(&(mean[lp[b] as usize][0] - x).abs())
        });
        let k = k.unwrap_or(1);
        (lp[k], lp[2 * seg - k])
    };
    let lids = [twin_pair(&topo.eye_loops[0], EYE_CENTER[0]), twin_pair(&topo.eye_loops[1], -EYE_CENTER[0])];
    let lips = twin_pair(&topo.mouth_loop, 0.0);
    let seg = topo.mouth_loop.len() / 2;
    let (c_a, c_b) = (topo.mouth_loop[0], topo.mouth_loop[seg]);
    let corners = if mean[c_a as usize][0] > 0.0 { [c_a, c_b] } else { [c_b, c_a] };
    let chin = (0..mean.len())
        .filter(|&v| skin(v) && mean[v][0].abs() < 0.004 && mean[v][2] < -0.06)
        .min_by(|&a, &b| mean[a][1].total_cmp(&mean[b][1]))
        .unwrap_or(0);
    crate::Landmarks {
        nose_tip: nose_tip as u32,
        upper_lid: [lids[0].0, lids[1].0],
        lower_lid: [lids[0].1, lids[1].1],
        upper_lip: lips.0,
        lower_lip: lips.1,
        mouth_corners: corners,
        chin: chin as u32,
        pupils: [topo.ball_start[0] as u32, topo.ball_start[1] as u32],
    }
}

/// Skin weights over (neck, head, left eye, right eye): eyeballs follow their eye joint, the
/// head and lids the head, and the neck blends along a plane that runs from under the chin up to
/// the skull base.
fn skin_weight(inf: &VInfo) -> [f32; 4] {
    match inf.kind {
        Kind::Ball(0) => [0.0, 0.0, 1.0, 0.0],
        Kind::Ball(_) => [0.0, 0.0, 0.0, 1.0],
        Kind::Skin => {
            let [_, y, z] = inf.q.to_array();
            let h = smoothstep(-0.022, 0.022, y - (0.075 + 0.35 * z)) as f32;
            let h = if h > 0.999 {
                1.0
            } else if h < 0.001 {
                0.0
            } else {
                h
            };
            [1.0 - h, h, 0.0, 0.0]
        }
        _ => [0.0, 1.0, 0.0, 0.0],
    }
}

/// Region labels from the canonical geometry.
fn regions(base: &Base) -> Vec<Region> {
    base.info
        .iter()
        .enumerate()
        .map(|(v, inf)| match inf.kind {
            Kind::Ball(e) => {
                let k = v - base.topo.ball_start[e];
                let ring = if k == 0 { 0 } else { (k - 1) / BALL_SEG + 1 };
                // Ring 0 is the front pole, ring r + 1 is BALL_RING_DEG[r].
                match ring {
                    0..=2 => Region::Pupil,
                    3..=6 => Region::Iris,
                    _ => Region::Sclera,
                }
            }
            Kind::Teeth(_) => Region::Teeth,
            Kind::Pocket(_) => Region::MouthInterior,
            Kind::EyeDerived(_) => Region::Skin,
            Kind::Skin => {
                let [x, y, _] = inf.q.to_array();
                let ax = x.abs();
                let front = inf.front > 0.5;
                let corner = 0.0245;
                let t = (ax / corner).min(1.0);
                let up = 0.0078 * (1.0 - t * t).sqrt() + 0.0012 * gauss((ax - 0.005) / 0.004);
                let down = 0.0095 * (1.0 - t * t).powf(0.6);
                let d = y - MOUTH_Y;
                let lips = front
                    && ax < corner
                    && ((inf.mouth_side > 0.0 && d < up && d >= -1e-9)
                        || (inf.mouth_side < 0.0 && -d < down && d <= 1e-9)
                        || (inf.mouth_side == 0.0 && d.abs() < 1e-9));
                // Eyebrows: an arc above each eye, thinning laterally.
                let bx = ax - EYE_CENTER[0];
                let brow_y = EYE_CENTER[1] + 0.0165 + 0.0035 * (1.0 - (bx / 0.024).powi(2));
                let thick = 0.0035 * (1.0 - smoothstep(-0.01, 0.026, bx) * 0.6);
                let brow = front && bx > -0.021 && bx < 0.027 && (y - brow_y).abs() < thick;
                if lips {
                    Region::Lips
                } else if brow {
                    Region::Brow
                } else {
                    Region::Skin
                }
            }
        })
        .collect()
}
