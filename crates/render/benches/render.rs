//! Preview rendering speed: frames per second at 1280x720 with two animated heads (not a test;
//! run with `cargo bench -p duologue-render`). Prints one line per configuration.

use duologue_face::FaceModel;
use duologue_params::{Duo, Joint, Person, FPS};
use duologue_render::{RenderOptions, Scene};
use std::time::Instant;

fn duo(frames: usize) -> Duo {
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
    Duo { a, b, fps: FPS as f32 }
}

fn main() {
    let face = FaceModel::shared();
    let frames = 50;
    let d = duo(frames);
    for (inset, supersample) in [(false, 1), (true, 1), (false, 2)] {
        let opts = RenderOptions { width: 1280, height: 720, inset, supersample, ..RenderOptions::default() };
        let scene = Scene::for_duo(face, &d, opts).expect("scene");
        let mut bufs = scene.buffers();
        scene.render_into(0, &mut bufs); // warm-up
        let start = Instant::now();
        for k in 0..frames {
            std::hint::black_box(scene.render_into(k, &mut bufs));
        }
        let s = start.elapsed().as_secs_f64();
        println!(
            "render 1280x720, two heads, inset={inset}, supersample={supersample}: {:.1} frames/s ({:.1} ms/frame, {} threads)",
            frames as f64 / s,
            1e3 * s / frames as f64,
            rayon::current_num_threads()
        );
    }
}
