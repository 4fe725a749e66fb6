//! Dumps the mean head and a few expressions and identities as OBJ files (plus a region label
//! file) for looking at the model in any viewer:
//! `cargo run -p duologue-face --example face_obj -- /tmp/face`
use duologue_face::{write_obj, FaceModel, EXPRESSION_NAMES, IDENTITY_NAMES};
use std::io::Write;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "/tmp/face".into()));
    std::fs::create_dir_all(&dir)?;
    let t0 = std::time::Instant::now();
    let m = FaceModel::generate();
    eprintln!(
        "generate: {:.3} s, {} vertices, {} triangles",
        t0.elapsed().as_secs_f64(),
        m.vertex_count(),
        m.triangles.len()
    );
    let psi_of = |pairs: &[(&str, f32)]| {
        let mut psi = vec![0.0f32; 63];
        for (name, w) in pairs {
            let k = EXPRESSION_NAMES.iter().position(|n| n == name).expect("expression name");
            psi[k] = *w;
        }
        psi
    };
    let beta0 = vec![0.0f32; 50];
    let mut shapes: Vec<(String, Vec<f32>, Vec<f32>)> = vec![
        ("mean".into(), beta0.clone(), psi_of(&[])),
        ("jaw_open".into(), beta0.clone(), psi_of(&[("jaw_open", 1.0)])),
        ("smile".into(), beta0.clone(), psi_of(&[("smile_left", 1.0), ("smile_right", 1.0)])),
        ("blink".into(), beta0.clone(), psi_of(&[("blink_left", 1.0), ("blink_right", 1.0)])),
        ("pucker".into(), beta0.clone(), psi_of(&[("lip_pucker", 1.0)])),
        ("talk_a".into(), beta0.clone(), psi_of(&[("jaw_open", 0.6), ("lips_part", 0.5)])),
        ("brows".into(), beta0.clone(), psi_of(&[("brow_inner_up", 1.0), ("forehead_raise", 0.6)])),
        // Visemes: combinations a speech model will produce.
        (
            "vis_m".into(),
            beta0.clone(),
            psi_of(&[("jaw_open", 0.6), ("lips_close", 0.6), ("lip_press", 0.5)]),
        ),
        (
            "vis_oh".into(),
            beta0.clone(),
            psi_of(&[("jaw_open", 0.5), ("lip_funnel", 0.8), ("lip_pucker", 0.3)]),
        ),
        ("vis_oo".into(), beta0.clone(), psi_of(&[("jaw_open", 0.15), ("lip_pucker", 1.0)])),
        (
            "vis_ee".into(),
            beta0.clone(),
            psi_of(&[("jaw_open", 0.2), ("mouth_wide", 1.0), ("lips_part", 0.6)]),
        ),
        ("vis_f".into(), beta0.clone(), psi_of(&[("jaw_open", 0.15), ("lower_lip_bite", 1.0)])),
        ("vis_aa".into(), beta0.clone(), psi_of(&[("jaw_open", 1.2), ("upper_lip_raise", 0.4)])),
    ];
    for (k, name) in EXPRESSION_NAMES.iter().enumerate() {
        let mut psi = vec![0.0f32; 63];
        psi[k] = 1.0;
        shapes.push((format!("expr_{k:02}_{name}"), beta0.clone(), psi));
    }
    // Each identity component at +3 standard deviations (an extreme but possible adult).
    for (i, name) in IDENTITY_NAMES.iter().enumerate() {
        let mut beta = vec![0.0f32; 50];
        beta[i] = 3.0;
        shapes.push((format!("id_{i:02}_{name}"), beta, psi_of(&[])));
    }
    // A few pseudo-random identities (fixed LCG so the files reproduce).
    let mut s: u64 = 12345;
    for p in 0..4 {
        let beta: Vec<f32> = (0..50)
            .map(|_| {
                // Sum of uniforms ~ normal.
                let mut acc = 0.0f32;
                for _ in 0..12 {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    acc += (s >> 40) as f32 / (1u64 << 24) as f32;
                }
                acc - 6.0
            })
            .collect();
        shapes.push((format!("person{p}"), beta, psi_of(&[])));
    }
    let lm = m.landmarks();
    for (name, beta, psi) in &shapes {
        if name.starts_with("vis_") || name == "jaw_open" || name == "mean" {
            let v = m.shaped(beta, psi);
            let (u, l) = (v[lm.upper_lip as usize], v[lm.lower_lip as usize]);
            eprintln!(
                "{name}: lip rims upper-lower = {:+.1} mm (y), {:+.1} mm (z)",
                (u[1] - l[1]) * 1e3,
                (u[2] - l[2]) * 1e3
            );
        }
        write_obj(&dir.join(format!("{name}.obj")), &m.shaped(beta, psi), &m.triangles)?;
    }
    // Posed: head turned and nodding, neck tilted, eyes looking to the person's left.
    let theta = [0.15, 0.0, 0.1, 0.25, 0.5, 0.0, 0.0, -0.35, 0.0, 0.0, -0.35, 0.0];
    let posed = m.pose(&beta0, &psi_of(&[("smile_left", 0.6)]), &theta, [0.0; 3]);
    write_obj(&dir.join("posed.obj"), &posed.vertices, &m.triangles)?;
    eprintln!("posed gaze {:?}", posed.gaze);
    let mut f = std::fs::File::create(dir.join("regions.txt"))?;
    for r in &m.regions {
        writeln!(f, "{r:?}")?;
    }
    eprintln!("wrote {} meshes to {}", shapes.len(), dir.display());
    Ok(())
}
