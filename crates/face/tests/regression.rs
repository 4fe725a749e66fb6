//! Guards the generated model against accidental change: a fingerprint of the template and
//! bases. If you change the geometry on purpose, update the numbers (and say so in the commit);
//! every consumer of the face model (fitting, training data, exports) depends on them.

use duologue_face::FaceModel;

/// (sum of coordinates, sum of squared coordinates) over a buffer of points, in f64.
fn moments(points: &[[f32; 3]]) -> (f64, f64) {
    points.iter().flatten().fold((0.0, 0.0), |(s, q), &x| (s + x as f64, q + (x as f64) * (x as f64)))
}

#[test]
fn model_fingerprint_is_unchanged() {
    let m = FaceModel::shared();
    let t = moments(&m.template);
    let i = moments(&m.identity);
    let e = moments(&m.expression);
    let tri: u64 = m.triangles.iter().flatten().map(|&v| v as u64).sum();
    let got = [t.0, t.1, i.0, i.1, e.0, e.1];
    eprintln!("fingerprint: {got:?} triangles {} index sum {tri}", m.triangles.len());
    let want = FINGERPRINT;
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        // Loose enough for libm differences across platforms, tight enough for any real edit.
        assert!((g - w).abs() <= 1e-5 * w.abs().max(1e-3), "fingerprint[{k}] {g} != {w}");
    }
    assert_eq!((m.triangles.len(), tri), TRIANGLES);
}

/// Sums and squared sums of template, identity and expression coordinates.
const FINGERPRINT: [f64; 6] = [
    947.2978049249948,
    244.99374469266039,
    -17.845070901145167,
    0.22811861945787504,
    1.2677569970708433,
    0.5246672157416131,
];
/// Triangle count and the sum of all triangle indices.
const TRIANGLES: (usize, u64) = (13512, 137412748);
