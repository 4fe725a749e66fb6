//! Known-answer tests of every metric, and the typed errors on bad input.

use duologue_eval::*;
use duologue_face::FaceModel;
use duologue_params::{Duo, Person, X_DIM};

fn duo(frames: usize) -> Duo {
    Duo {
        a: Person::neutral(frames, [-0.4, 0.0, 0.0]),
        b: Person::neutral(frames, [0.4, 0.0, 0.0]),
        fps: 25.0,
    }
}

/// Deterministic pseudo-random values in [-0.5, 0.5).
fn noise(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

#[test]
fn mse_of_identical_results_is_zero() {
    let mut gt = duo(6);
    gt.a.x.as_mut_slice().iter_mut().zip(noise(6 * X_DIM, 1)).for_each(|(x, n)| *x = n as f32);
    gt.a.mask = vec![1.0, 1.0, 0.0, 0.0, 0.7, 0.2];
    let m = param_mse(&gt, &gt).unwrap();
    assert_eq!(m.all, GroupMse::default());
    assert_eq!((m.speaker_frames, m.listener_frames), (3, 9));
}

#[test]
fn mse_of_a_known_offset_is_offset_squared_per_group_and_role() {
    let gt = {
        let mut d = duo(4);
        d.a.mask = vec![1.0, 1.0, 0.0, 0.0];
        d
    };
    let mut pred = gt.clone();
    // Offset 0.1 on the lip group of A's speaking frames only, 0.2 on B's eye joints,
    // 0.3 on A's x translation (all frames), and a 0.5 m layout shift of B in z.
    for k in 0..2 {
        pred.a.x.frame_mut(k)[0..20].iter_mut().for_each(|v| *v += 0.1);
    }
    for k in 0..4 {
        pred.b.x.frame_mut(k)[69..75].iter_mut().for_each(|v| *v += 0.2);
        pred.a.x.frame_mut(k)[75] += 0.3;
    }
    pred.b.t0[2] += 0.5;
    let m = param_mse(&pred, &gt).unwrap();
    let near = |a: f64, b: f64| (a - b).abs() < 1e-7 * b.abs().max(1e-3);
    let spk = m.speaker.unwrap();
    let lis = m.listener.unwrap();
    assert_eq!((m.speaker_frames, m.listener_frames), (2, 6));
    // Speaker frames: A's frames 0 and 1 only.
    assert!(near(spk.lip, 0.01), "{spk:?}");
    assert!(near(spk.exp, 0.01 * 20.0 / 63.0));
    assert!(near(spk.transl, 0.09 / 3.0));
    assert_eq!(spk.eye, 0.0);
    // Listener frames: A's 2, 3 and B's 0..4.
    assert_eq!(lis.lip, 0.0);
    assert!(near(lis.eye, 0.04 * 4.0 / 6.0), "{lis:?}");
    assert!(near(lis.rot, 0.04 * 6.0 * 4.0 / (12.0 * 6.0)));
    assert!(near(lis.transl, (0.09 * 2.0 + 0.25 * 4.0) / (3.0 * 6.0)));
    // FULL over everything: raw x only (the layout shift is not in x).
    let full = (0.01 * 20.0 * 2.0 + 0.04 * 6.0 * 4.0 + 0.09 * 4.0) / (78.0 * 8.0);
    assert!(near(m.all.full, full), "{} vs {full}", m.all.full);
}

#[test]
fn mismatched_inputs_are_typed_errors_not_truncated_scores() {
    let gt = duo(5);
    assert_eq!(param_mse(&duo(4), &gt), Err(EvalError::FrameMismatch { what: "result", pred: 4, gt: 5 }));
    let mut pred = gt.clone();
    pred.fps = 30.0;
    assert_eq!(param_mse(&pred, &gt), Err(EvalError::FpsMismatch { pred: 30.0, gt: 25.0 }));
    let mut pred = gt.clone();
    pred.b.x = duologue_params::Motion::zeros(3);
    assert!(matches!(param_mse(&pred, &gt), Err(EvalError::FrameMismatch { .. })));
    let mut pred = gt.clone();
    pred.a.mask.pop();
    assert!(matches!(param_mse(&pred, &gt), Err(EvalError::Shape { what: "prediction mask", .. })));
    let mut pred = gt.clone();
    pred.a.x.frame_mut(2)[7] = f32::NAN;
    assert_eq!(
        param_mse(&pred, &gt),
        Err(EvalError::NonFinite { what: "prediction x", index: 2 * X_DIM + 7 })
    );
    assert!(matches!(fd(&[0.0; 5], &[0.0; 10], 5), Err(EvalError::TooFew { .. })));
    assert!(matches!(fd(&[0.0; 9], &[0.0; 10], 5), Err(EvalError::Shape { .. })));
    let (a, b) = (Gaussian::fit(&noise(20, 1), 2).unwrap(), Gaussian::fit(&noise(30, 2), 3).unwrap());
    assert_eq!(frechet_distance(&a, &b), Err(EvalError::DimMismatch { a: 2, b: 3 }));
    assert!(matches!(sid(&noise(20, 3), 2, &SidConfig::default()), Err(EvalError::TooFew { .. })));
}

#[test]
fn fd_of_a_set_with_itself_is_zero() {
    let x = noise(200 * 8, 7);
    let v = fd(&x, &x, 8).unwrap();
    assert!(v.abs() < 1e-10, "{v}");
}

/// Samples of N(mu, diag(var)) by Box-Muller from a fixed stream.
fn gaussian(n: usize, mu: &[f64], var: &[f64], seed: u64) -> Vec<f64> {
    let u = noise(2 * n * mu.len(), seed);
    let mut out = Vec::with_capacity(n * mu.len());
    for i in 0..n {
        for (j, (m, v)) in mu.iter().zip(var).enumerate() {
            let (u1, u2) = (u[2 * (i * mu.len() + j)] + 0.5, u[2 * (i * mu.len() + j) + 1] + 0.5);
            let z = (-2.0 * (u1.max(1e-300)).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            out.push(m + v.sqrt() * z);
        }
    }
    out
}

#[test]
fn fd_of_known_gaussians_matches_closed_form() {
    // Exact statistics: the closed form for commuting (diagonal) covariances is
    // |mu1 - mu2|^2 + sum (sqrt(s1_i) - sqrt(s2_i))^2.
    let a = Gaussian { dim: 2, mean: vec![0.0, 1.0], cov: vec![4.0, 0.0, 0.0, 1.0] };
    let b = Gaussian { dim: 2, mean: vec![3.0, 1.0], cov: vec![1.0, 0.0, 0.0, 9.0] };
    let v = frechet_distance(&a, &b).unwrap();
    assert!((v - (9.0 + 1.0 + 4.0)).abs() < 1e-12, "{v}");
    // A full (non-diagonal) covariance: FD(N(0, S), N(0, c^2 S)) = (1 - c)^2 Tr S for any S;
    // here c = 3 and Tr S = 3.5.
    let s = vec![2.0, 0.6, 0.3, 0.6, 1.0, -0.2, 0.3, -0.2, 0.5];
    let a = Gaussian { dim: 3, mean: vec![0.0; 3], cov: s.clone() };
    let b = Gaussian { dim: 3, mean: vec![0.0; 3], cov: s.iter().map(|x| 9.0 * x).collect() };
    let v = frechet_distance(&a, &b).unwrap();
    assert!((v - 4.0 * 3.5).abs() < 1e-10, "{v}");
    // From samples: 20k draws approach the closed form.
    let x = gaussian(20_000, &[0.0, 0.0], &[1.0, 4.0], 11);
    let y = gaussian(20_000, &[1.0, 0.0], &[4.0, 1.0], 12);
    let v = fd(&x, &y, 2).unwrap();
    assert!((v - 3.0).abs() < 0.15, "{v} vs 3");
}

#[test]
fn sid_of_a_uniform_assignment_is_log2_k() {
    let k = 40;
    let uniform: Vec<usize> = (0..400).map(|i| i % k).collect();
    assert!((assignment_entropy(&uniform, k).unwrap() - (k as f64).log2()).abs() < 1e-12);
    assert_eq!(assignment_entropy(&[3; 10], k).unwrap(), 0.0);
    assert!(matches!(assignment_entropy(&[40], k), Err(EvalError::InvalidArgument(_))));
}

#[test]
fn kmeans_finds_separated_clusters_deterministically() {
    // Four tight, equally sized blobs: SID = log2(4) = 2 bits.
    let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]];
    let jitter = noise(400 * 2, 5);
    let feats: Vec<f64> =
        (0..400).flat_map(|i| [0, 1].map(|j| centres[i % 4][j] + 0.1 * jitter[2 * i + j])).collect();
    let cfg = SidConfig { k: 4, seed: 3, max_iters: 50 };
    let s = sid(&feats, 2, &cfg).unwrap();
    assert!((s - 2.0).abs() < 1e-12, "{s}");
    assert_eq!(KMeans::fit(&feats, 2, &cfg).unwrap(), KMeans::fit(&feats, 2, &cfg).unwrap());
    // The default k=40 on 400 diverse points stays below log2(40) and well above 0.
    let s40 = sid(&noise(400 * 3, 9), 3, &SidConfig::default()).unwrap();
    assert!(s40 > 4.0 && s40 <= 40f64.log2() + 1e-12, "{s40}");
}

#[test]
fn pfd_features_concatenate_both_people_per_frame() {
    let mut d = duo(3);
    d.a.x.frame_mut(1)[0] = 1.0;
    d.b.x.frame_mut(1)[0] = 2.0;
    let f = paired_features(&d).unwrap();
    assert_eq!(f.len(), 3 * 2 * X_DIM);
    assert_eq!((f[2 * X_DIM], f[3 * X_DIM]), (1.0, 2.0));
    assert_eq!(param_features(&d.b).len(), 3 * X_DIM);
    let (spk, lis) = split_by_role(&d.a, &[0.9, 0.1, 0.5]).unwrap();
    assert_eq!((spk.len(), lis.len()), (2 * X_DIM, X_DIM));
    assert_eq!(lis[0], 1.0);
    assert!(matches!(split_by_role(&d.a, &[1.0]), Err(EvalError::Shape { what: "mask", .. })));
}

#[test]
fn vertex_errors_of_a_rigid_offset() {
    let model = FaceModel::shared();
    let gt = duo(2);
    assert_eq!(vertex_metrics(&gt, &gt, model).unwrap(), VertexMetrics { vmse: 0.0, lip_max_sq: 0.0 });
    // Every vertex of A moves by 3 cm in y; B is exact: both metrics = 0.03^2 / 2.
    let mut pred = gt.clone();
    pred.a.t0[1] += 0.03;
    let m = vertex_metrics(&pred, &gt, model).unwrap();
    assert!((m.vmse - 0.0009 / 2.0).abs() < 1e-8, "{m:?}");
    assert!((m.lip_max_sq - 0.0009 / 2.0).abs() < 1e-8, "{m:?}");
    // Opening the jaw moves lips more than the average vertex.
    let mut pred = gt.clone();
    pred.a.x.frame_mut(0)[0] = 1.0;
    let m = vertex_metrics(&pred, &gt, model).unwrap();
    assert!(m.lip_max_sq > m.vmse && m.vmse > 0.0, "{m:?}");
}

#[test]
fn face_to_face_is_mutual_gaze_and_back_to_back_is_not() {
    let model = FaceModel::shared();
    // A at the origin looks along -Z (at rest) toward B, 1 m in front of A.
    let mut d =
        Duo { a: Person::neutral(2, [0.0, 0.0, 0.0]), b: Person::neutral(2, [0.0, 0.0, -1.0]), fps: 25.0 };
    let g = gaze_metrics(&d, model, MUTUAL_GAZE_DEG).unwrap();
    assert!(g.angle_a_deg < 1e-3, "{g:?}");
    assert!(g.angle_b_deg > 179.0, "{g:?}");
    assert_eq!(g.mutual_rate, 0.0);
    // Turn B's neck by pi about Y: the two face each other.
    for k in 0..2 {
        d.b.x.frame_mut(k)[64] = std::f32::consts::PI;
    }
    let g = gaze_metrics(&d, model, MUTUAL_GAZE_DEG).unwrap();
    assert!(g.angle_a_deg < 1.0 && g.angle_b_deg < 1.0, "{g:?}");
    assert_eq!(g.mutual_rate, 1.0);
    assert!(matches!(gaze_metrics(&d, model, 0.0), Err(EvalError::InvalidArgument(_))));
}

#[test]
fn fd_at_pfd_size_with_rank_deficient_covariance_matches_closed_form() {
    // P-FD's 156 dimensions from only 100 frames: singular covariances. With b = 2a + c
    // exactly, S_b = 4 S_a and mu_b = 2 mu_a + c, so FD = |mu_a + c|^2 + Tr S_a.
    let dim = 156;
    let a = noise(100 * dim, 21);
    let c: Vec<f64> = (0..dim).map(|j| 0.01 * j as f64).collect();
    let b: Vec<f64> = a.iter().enumerate().map(|(i, v)| 2.0 * v + c[i % dim]).collect();
    let ga = Gaussian::fit(&a, dim).unwrap();
    let expected: f64 = ga.mean.iter().zip(&c).map(|(m, c)| (m + c).powi(2)).sum::<f64>()
        + (0..dim).map(|i| ga.cov[i * dim + i]).sum::<f64>();
    let v = fd(&a, &b, dim).unwrap();
    assert!((v - expected).abs() < 1e-8 * expected, "{v} vs {expected}");
}
