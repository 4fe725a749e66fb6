//! Speed of the per-frame paths (the renderer and exporters call these for every frame of both
//! people): `cargo bench -p duologue-face`. Prints milliseconds per call; no assertions.
use duologue_face::{FaceModel, Posed};
use std::hint::black_box;
use std::time::Instant;

fn per_call(n: usize, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_secs_f64() * 1e3 / n as f64
}

fn main() {
    let t = Instant::now();
    let m = FaceModel::generate();
    println!(
        "generate            {:8.2} ms ({} vertices)",
        t.elapsed().as_secs_f64() * 1e3,
        m.vertex_count()
    );
    let beta: Vec<f32> = (0..50).map(|i| (i as f32 * 0.37).sin()).collect();
    let psi: Vec<f32> = (0..63).map(|i| (i as f32 * 0.61).cos() * 0.5).collect();
    let sparse_psi: Vec<f32> = (0..63).map(|i| if i < 20 { 0.3 } else { 0.0 }).collect();
    let theta = [0.05, 0.1, 0.0, -0.1, 0.2, 0.05, 0.1, 0.1, 0.0, 0.1, 0.1, 0.0];
    let mut buf = Vec::new();
    let ms = per_call(500, || {
        m.shaped_into(black_box(&beta), black_box(&psi), &mut buf);
        black_box(&buf);
    });
    println!("shaped_into (dense) {ms:8.3} ms");
    let mut posed = Posed::default();
    let ms = per_call(500, || {
        m.pose_into(black_box(&beta), black_box(&psi), black_box(&theta), [0.1, 0.0, 0.5], &mut posed);
        black_box(&posed);
    });
    println!("pose_into (dense)   {ms:8.3} ms");
    let ms = per_call(500, || {
        m.pose_into(black_box(&beta), black_box(&sparse_psi), black_box(&theta), [0.1, 0.0, 0.5], &mut posed);
        black_box(&posed);
    });
    println!("pose_into (20 psi)  {ms:8.3} ms");
    let ms = per_call(100_000, || {
        black_box(m.arkit(black_box(&psi), black_box(&theta)));
    });
    println!("arkit               {ms:8.5} ms");
}
