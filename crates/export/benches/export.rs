//! Export speed for a 10-minute conversation (15,000 frames x 2 people): .glb bytes and the
//! ARKit CSVs (not a test; run with `cargo bench -p duologue-export`).

use duologue_export::{arkit::live_link_csv, arkit_curves, glb_bytes};
use duologue_face::FaceModel;
use duologue_params::{Duo, Joint, Person, FPS};
use std::time::Instant;

fn main() {
    let frames = 15_000;
    let mut a = Person::neutral(frames, [-0.3, -0.2, 0.0]);
    let mut b = Person::neutral(frames, [0.3, -0.2, 0.0]);
    for (pi, p) in [&mut a, &mut b].into_iter().enumerate() {
        for k in 0..frames {
            let t = k as f32 / FPS as f32 + pi as f32;
            let f = p.x.frame_mut(k);
            for (c, v) in f[..63].iter_mut().enumerate() {
                *v = 0.3 + 0.3 * (t * 2.0 + c as f32).sin();
            }
            f[Joint::Head.range().start + 1] = 0.3 * t.sin();
        }
    }
    let duo = Duo { a, b, fps: FPS as f32 };
    let face = FaceModel::shared();
    let start = Instant::now();
    let (bytes, s) =
        glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, duologue_export::Morphs::Split)
            .expect("glb");
    let glb_s = start.elapsed().as_secs_f64();
    println!(
        "glb export, {} frames x {} people (10 min): {:.2} s, {:.1} MB",
        s.frames,
        s.people,
        glb_s,
        bytes.len() as f64 / 1e6
    );
    let start = Instant::now();
    let mut csv_bytes = 0;
    for p in [&duo.a, &duo.b] {
        csv_bytes += live_link_csv(&arkit_curves(face, p, duo.fps)).expect("csv").len();
    }
    println!(
        "arkit csv export, both people: {:.2} s, {:.1} MB",
        start.elapsed().as_secs_f64(),
        csv_bytes as f64 / 1e6
    );
}
