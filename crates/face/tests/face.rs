//! Behaviour of the generated head, its bases and its rig (notes/FACE_API.md, DESIGN.md §2–4).

use duologue_face::{FaceModel, Region, ARKIT_NAMES, EXPRESSION_NAMES, IDENTITY_NAMES, N_VERTS};
use std::collections::HashMap;

fn model() -> &'static FaceModel {
    FaceModel::shared()
}

fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn norm(a: [f32; 3]) -> f32 {
    dot(a, a).sqrt()
}
fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}
fn psi_with(pairs: &[(&str, f32)]) -> Vec<f32> {
    let mut psi = vec![0.0; 63];
    for (name, w) in pairs {
        psi[EXPRESSION_NAMES.iter().position(|n| n == name).expect("name")] = *w;
    }
    psi
}
fn angle(a: [f32; 3], b: [f32; 3]) -> f32 {
    (dot(a, b) / (norm(a) * norm(b))).clamp(-1.0, 1.0).acos()
}

#[test]
fn generation_is_deterministic_and_sized() {
    let a = FaceModel::generate();
    let b = FaceModel::generate();
    assert_eq!(a.template, b.template);
    assert_eq!(a.identity, b.identity);
    assert_eq!(a.expression, b.expression);
    assert_eq!(a.triangles, b.triangles);
    let v = a.vertex_count();
    assert_eq!(v, N_VERTS);
    assert!((3000..=8000).contains(&v), "{v} vertices");
    assert_eq!(a.identity.len(), 50 * v);
    assert_eq!(a.expression.len(), 63 * v);
    assert_eq!(a.skin_weights.len(), v);
    assert_eq!(a.regions.len(), v);
    for w in &a.skin_weights {
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5 && w.iter().all(|x| *x >= 0.0), "{w:?}");
    }
}

#[test]
fn names_are_unique_and_complete() {
    for names in [&EXPRESSION_NAMES[..], &IDENTITY_NAMES[..], &ARKIT_NAMES[..]] {
        let mut seen = std::collections::HashSet::new();
        for n in names {
            assert!(!n.is_empty() && seen.insert(*n), "duplicate or empty name {n}");
        }
    }
    assert_eq!(ARKIT_NAMES[0], "eyeBlinkLeft");
    assert_eq!(ARKIT_NAMES[17], "jawOpen");
    assert_eq!(ARKIT_NAMES[51], "tongueOut");
    assert_eq!(EXPRESSION_NAMES[0], "jaw_open");
}

#[test]
fn rest_head_faces_minus_z_with_the_nose_in_front() {
    let m = model();
    let lm = m.landmarks();
    let tip = m.template[lm.nose_tip as usize];
    assert!(tip[0].abs() < 0.003, "nose tip off the midline: {tip:?}");
    for (p, r) in m.template.iter().zip(&m.regions) {
        if matches!(r, Region::Skin | Region::Lips | Region::Brow) {
            assert!(p[2] >= tip[2] - 1e-6);
        }
    }
    // Nose tip above the mouth, below the eyes, in front of the chin.
    let [l, r] = m.joints(&[])[2..4].try_into().unwrap_or([[0.0; 3]; 2]);
    assert!(tip[1] < l[1] && tip[1] > m.template[lm.upper_lip as usize][1]);
    assert!(l[0] > 0.0 && r[0] < 0.0, "left eye must be at +X");
    let g = m.gaze(&[0.0; 12]);
    assert!((g[0]).abs() < 1e-6 && (g[1]).abs() < 1e-6 && (g[2] + 1.0).abs() < 1e-6, "{g:?}");
}

#[test]
fn proportions_are_adult_and_interocular_is_63mm() {
    let m = model();
    let j = m.joints(&[0.0; 50]);
    let iod = norm(sub(j[2], j[3]));
    assert!((iod - 0.063).abs() < 0.0005, "inter-ocular {iod}");
    let ys = m.template.iter().map(|p| p[1]);
    let top = ys.clone().fold(f32::MIN, f32::max);
    let chin = m.template[m.landmarks().chin as usize][1];
    assert!((0.21..0.25).contains(&(top - chin)), "chin to crown {}", top - chin);
    let width = m.template.iter().filter(|p| p[1] > 0.15).map(|p| p[0].abs()).fold(0.0f32, f32::max) * 2.0;
    assert!((0.13..0.18).contains(&width), "head width {width}");
    // Neck base at the origin; head joint above it, behind the face.
    assert_eq!(j[0], [0.0; 3]);
    assert!((0.07..0.11).contains(&j[1][1]) && j[1][2] > 0.0, "{:?}", j[1]);
    // Eyeballs are centred on their joints.
    let lm = m.landmarks();
    for e in 0..2 {
        let d = norm(sub(m.template[lm.pupils[e] as usize], j[2 + e]));
        assert!((0.011..0.014).contains(&d), "pupil {d} from eye centre");
    }
}

#[test]
fn zero_parameters_give_the_template() {
    let m = model();
    assert_eq!(m.shaped(&[0.0; 50], &[0.0; 63]), m.template);
    assert_eq!(m.shaped(&[], &[]), m.template);
    let p = m.pose(&[0.0; 50], &[0.0; 63], &[0.0; 12], [0.0; 3]);
    for (a, b) in p.vertices.iter().zip(&m.template) {
        assert!(norm(sub(*a, *b)) < 1e-6);
    }
}

#[test]
fn root_translation_moves_every_vertex_by_t() {
    let m = model();
    let beta: Vec<f32> = (0..50).map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0).collect();
    let psi = psi_with(&[("jaw_open", 0.5), ("smile_left", 0.7)]);
    let theta = [0.05, 0.1, 0.0, -0.1, 0.2, 0.05, 0.1, 0.1, 0.0, 0.1, 0.1, 0.0];
    let t = [0.3, -0.2, 0.5];
    let a = m.pose(&beta, &psi, &theta, [0.0; 3]);
    let b = m.pose(&beta, &psi, &theta, t);
    for (p, q) in a.vertices.iter().zip(&b.vertices) {
        let d = sub(*q, *p);
        assert!(norm(sub(d, t)) < 1e-5, "{d:?}");
    }
    assert!(norm(sub(sub(b.eye_centers[0], a.eye_centers[0]), t)) < 1e-5);
}

#[test]
fn eye_rotation_turns_the_gaze_and_head_rotation_composes() {
    let m = model();
    let rest = m.gaze(&[0.0; 12]);
    let mut th = [0.0f32; 12];
    th[7] = 0.2; // left eye yaw
    th[10] = 0.2; // right eye yaw
    let g = m.gaze(&th);
    assert!((angle(rest, g) - 0.2).abs() < 1e-4, "{}", angle(rest, g));
    // Positive yaw about +Y turns -Z toward -X.
    assert!(g[0] < 0.0);
    th[4] = 0.3; // head yaw
    assert!((angle(rest, m.gaze(&th)) - 0.5).abs() < 1e-4);
    th[1] = -0.1; // neck yaw
    assert!((angle(rest, m.gaze(&th)) - 0.4).abs() < 1e-4);
    // The posed gaze matches, and the eyeballs' pupils point along it.
    let p = m.pose(&[0.0; 50], &[0.0; 63], &th, [0.0; 3]);
    assert!(angle(p.gaze, m.gaze(&th)) < 1e-5);
    let lm = m.landmarks();
    for e in 0..2 {
        let d = sub(p.vertices[lm.pupils[e] as usize], p.eye_centers[e]);
        assert!(angle(d, p.gaze) < 0.02, "pupil direction vs gaze");
    }
}

#[test]
fn head_rotation_moves_the_head_but_not_the_neck_base() {
    let m = model();
    let mut th = [0.0f32; 12];
    th[3] = 0.4; // head pitch
    let p = m.pose(&[0.0; 50], &[0.0; 63], &th, [0.0; 3]);
    let tip = m.landmarks().nose_tip as usize;
    assert!(norm(sub(p.vertices[tip], m.template[tip])) > 0.02);
    for (v, q) in m.template.iter().enumerate() {
        if q[1] < 0.005 {
            assert!(norm(sub(p.vertices[v], *q)) < 1e-5, "neck base moved");
        }
    }
}

#[test]
fn lip_jaw_group_moves_the_lower_face() {
    let m = model();
    let v = m.vertex_count();
    for (k, name) in EXPRESSION_NAMES.iter().enumerate().take(20) {
        let comp = &m.expression[k * v..(k + 1) * v];
        let total: f32 = comp.iter().map(|d| dot(*d, *d)).sum();
        let low: f32 =
            comp.iter().zip(&m.template).filter(|(_, p)| p[1] < 0.15).map(|(d, _)| dot(*d, *d)).sum();
        assert!(total > 1e-8, "{name} moves nothing");
        assert!(low / total > 0.8, "{name}: only {:.2} of its energy in the lower face", low / total);
    }
}

#[test]
fn every_expression_moves_something_distinct() {
    let m = model();
    let v = m.vertex_count();
    let comps: Vec<&[[f32; 3]]> = (0..63).map(|k| &m.expression[k * v..(k + 1) * v]).collect();
    for (k, c) in comps.iter().enumerate() {
        let max = c.iter().map(|d| norm(*d)).fold(0.0f32, f32::max);
        assert!(max > 0.0015, "{} moves at most {max} m", EXPRESSION_NAMES[k]);
    }
    for a in 0..63 {
        for b in a + 1..63 {
            let ab: f32 = comps[a].iter().zip(comps[b]).map(|(x, y)| dot(*x, *y)).sum();
            let aa: f32 = comps[a].iter().map(|x| dot(*x, *x)).sum();
            let bb: f32 = comps[b].iter().map(|x| dot(*x, *x)).sum();
            let c = ab / (aa * bb).sqrt();
            assert!(
                c.abs() < 0.97,
                "{} and {} nearly identical ({c})",
                EXPRESSION_NAMES[a],
                EXPRESSION_NAMES[b]
            );
        }
    }
}

#[test]
fn jaw_open_separates_the_lips() {
    let m = model();
    let lm = m.landmarks();
    let gap = |psi: &[f32]| {
        let s = m.shaped(&[], psi);
        norm(sub(s[lm.upper_lip as usize], s[lm.lower_lip as usize]))
    };
    assert!(gap(&[]) < 0.001, "lips closed at rest");
    let open = gap(&psi_with(&[("jaw_open", 1.0)]));
    assert!((0.012..0.025).contains(&open), "jaw_open lip gap {open}");
    // mouthClose semantics: equal lips_close over an open jaw brings the lips back together.
    for a in [0.4, 1.0] {
        let closed = gap(&psi_with(&[("jaw_open", a), ("lips_close", a)]));
        assert!(closed < 0.002, "lips_close {a} over jaw_open {a}: lips {closed} m apart");
    }
}

#[test]
fn jaw_open_gives_a_natural_incisal_gap() {
    let m = model();
    let v = m.vertex_count();
    let k = EXPRESSION_NAMES.iter().position(|n| *n == "jaw_open").unwrap_or(0);
    let open = m.shaped(&[], &psi_with(&[("jaw_open", 1.0)]));
    // Front teeth near the midline; the lower ones are those the jaw moves.
    let front: Vec<usize> =
        (0..v).filter(|&i| m.regions[i] == Region::Teeth && m.template[i][0].abs() < 0.004).collect();
    let moves = |i: usize| norm(m.expression[k * v + i]) > 0.005;
    let upper_edge = front.iter().filter(|&&i| !moves(i)).map(|&i| open[i][1]).fold(f32::MAX, f32::min);
    let lower_edge = front.iter().filter(|&&i| moves(i)).map(|&i| open[i][1]).fold(f32::MIN, f32::max);
    let gap = upper_edge - lower_edge;
    assert!((0.014..0.022).contains(&gap), "incisal gap {gap} m at jaw_open = 1");
    // At rest the lower incisors sit behind and above the upper edges (overbite), not apart.
    let rest_upper = front.iter().filter(|&&i| !moves(i)).map(|&i| m.template[i][1]).fold(f32::MAX, f32::min);
    let rest_lower = front.iter().filter(|&&i| moves(i)).map(|&i| m.template[i][1]).fold(f32::MIN, f32::max);
    assert!(rest_lower > rest_upper, "overbite at rest");
}

#[test]
fn blinks_close_the_lids() {
    let m = model();
    let lm = m.landmarks();
    let gap = |psi: &[f32], e: usize| {
        let s = m.shaped(&[], psi);
        norm(sub(s[lm.upper_lid[e] as usize], s[lm.lower_lid[e] as usize]))
    };
    for (e, name) in [(0, "blink_left"), (1, "blink_right")] {
        assert!(gap(&[], e) > 0.005, "eye {e} open at rest: {}", gap(&[], e));
        let closed = gap(&psi_with(&[(name, 1.0)]), e);
        assert!(closed < 0.001, "{name}: gap {closed}");
        // The other eye stays open.
        assert!(gap(&psi_with(&[(name, 1.0)]), 1 - e) > 0.005);
    }
    // Closed lids stay in front of the eyeball (no eyeball poking through).
    let s = m.shaped(&[], &psi_with(&[("blink_left", 1.0)]));
    let c = m.joints(&[])[2];
    let lid = s[lm.upper_lid[0] as usize];
    assert!(norm(sub(lid, c)) > 0.012, "closed lid inside the eyeball");
}

#[test]
fn arkit_of_a_pure_jaw_open_is_jaw_open() {
    let m = model();
    let w = m.arkit(&psi_with(&[("jaw_open", 0.7)]), &[0.0; 12]);
    for (k, name) in ARKIT_NAMES.iter().enumerate() {
        if *name == "jawOpen" {
            assert!((w[k] - 0.7).abs() < 1e-6);
        } else {
            assert!(w[k].abs() < 1e-6, "{name} = {}", w[k]);
        }
    }
    let w = m.arkit(&psi_with(&[("jaw_open", 3.0), ("jaw_sideways", -0.5)]), &[0.0; 12]);
    let at = |n: &str| w[ARKIT_NAMES.iter().position(|x| *x == n).unwrap_or(0)];
    assert_eq!(at("jawOpen"), 1.0);
    assert!((at("jawRight") - 0.5).abs() < 1e-6 && at("jawLeft") == 0.0);
    // Left eye turned toward +X (negative yaw) by 30 degrees looks out fully; the right eye in.
    let mut th = [0.0f32; 12];
    th[7] = -std::f32::consts::PI / 6.0;
    th[10] = -std::f32::consts::PI / 6.0;
    let w = m.arkit(&[], &th);
    let at = |n: &str| w[ARKIT_NAMES.iter().position(|x| *x == n).unwrap_or(0)];
    assert!((at("eyeLookOutLeft") - 1.0).abs() < 1e-5 && at("eyeLookInLeft") == 0.0);
    assert!((at("eyeLookInRight") - 1.0).abs() < 1e-5 && at("eyeLookOutRight") == 0.0);
    let g = m.gaze(&th);
    assert!(g[0] > 0.0, "negative yaw looks toward +X");
}

#[test]
fn identity_components_are_distinct_and_move_joints_consistently() {
    let m = model();
    let v = m.vertex_count();
    let comps: Vec<&[[f32; 3]]> = (0..50).map(|k| &m.identity[k * v..(k + 1) * v]).collect();
    for (k, c) in comps.iter().enumerate() {
        let max = c.iter().map(|d| norm(*d)).fold(0.0f32, f32::max);
        assert!((0.0005..0.02).contains(&max), "{} moves at most {max} m", IDENTITY_NAMES[k]);
    }
    for a in 0..50 {
        for b in a + 1..50 {
            let ab: f32 = comps[a].iter().zip(comps[b]).map(|(x, y)| dot(*x, *y)).sum();
            let aa: f32 = comps[a].iter().map(|x| dot(*x, *x)).sum();
            let bb: f32 = comps[b].iter().map(|x| dot(*x, *x)).sum();
            let c = ab / (aa * bb).sqrt();
            assert!(c.abs() < 0.9, "{} and {} correlate ({c})", IDENTITY_NAMES[a], IDENTITY_NAMES[b]);
        }
    }
    // Eyeballs stay centred on the eye joints for any identity.
    let beta: Vec<f32> = (0..50).map(|i| ((i * 13 % 17) as f32 - 8.0) / 4.0).collect();
    let s = m.shaped(&beta, &[]);
    let j = m.joints(&beta);
    let lm = m.landmarks();
    for e in 0..2 {
        let d = norm(sub(s[lm.pupils[e] as usize], j[2 + e]));
        assert!((0.011..0.014).contains(&d), "eye {e}: pupil {d} from its joint");
    }
    let k = IDENTITY_NAMES.iter().position(|n| *n == "eye_spacing").unwrap_or(0);
    let mut b = vec![0.0f32; 50];
    b[k] = 1.0;
    let j1 = m.joints(&b);
    let iod = norm(sub(j1[2], j1[3]));
    assert!(iod > 0.0632 && iod < 0.067, "eye_spacing moves the eye joints: {iod}");
}

/// Every edge of the head surface is shared by exactly two triangles with opposite directions
/// (closed, consistently oriented), triangles are not degenerate, and each closed part encloses a
/// positive volume (normals point out).
#[test]
fn mesh_is_closed_oriented_and_outward() {
    let m = model();
    let p = &m.template;
    let mut edges: HashMap<(u32, u32), i32> = HashMap::new();
    for t in &m.triangles {
        let area = 0.5
            * norm(cross(sub(p[t[1] as usize], p[t[0] as usize]), sub(p[t[2] as usize], p[t[0] as usize])));
        assert!(area > 1e-10, "degenerate triangle {t:?}");
        for k in 0..3 {
            *edges.entry((t[k], t[(k + 1) % 3])).or_default() += 1;
        }
    }
    for (&(a, b), &n) in &edges {
        assert_eq!(n, 1, "edge {a}->{b} used {n} times in one direction");
        assert_eq!(edges.get(&(b, a)), Some(&1), "edge {a}->{b} has no opposite twin");
    }
    // Signed volume of the whole (closed) mesh: positive when normals point out.
    let vol: f32 = m
        .triangles
        .iter()
        .map(|t| dot(p[t[0] as usize], cross(p[t[1] as usize], p[t[2] as usize])) / 6.0)
        .sum();
    assert!((0.002..0.006).contains(&vol), "enclosed volume {vol} m^3");
    // Most skin triangles face away from the head centre.
    let centre = [0.0, 0.16, 0.01];
    let (mut out, mut all) = (0, 0);
    for t in &m.triangles {
        if m.regions[t[0] as usize] != Region::Skin {
            continue;
        }
        let (a, b, c) = (p[t[0] as usize], p[t[1] as usize], p[t[2] as usize]);
        let n = cross(sub(b, a), sub(c, a));
        let mid = [(a[0] + b[0] + c[0]) / 3.0, (a[1] + b[1] + c[1]) / 3.0, (a[2] + b[2] + c[2]) / 3.0];
        all += 1;
        out += (dot(n, sub(mid, centre)) > 0.0) as usize;
    }
    assert!(out as f32 > 0.9 * all as f32, "{out} of {all} skin triangles face out");
}

#[test]
fn short_or_bad_inputs_do_not_panic() {
    let m = model();
    let p = m.pose(&[1.0], &[f32::NAN, 1.0], &[0.1], [0.0; 3]);
    assert_eq!(p.vertices.len(), m.vertex_count());
    assert!(p.vertices.iter().all(|v| v.iter().all(|x| x.is_finite())));
    let w = m.arkit(&[f32::INFINITY], &[]);
    assert!(w.iter().all(|x| (0.0..=1.0).contains(x)));
}
