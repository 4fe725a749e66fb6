//! Shared by the export tests: a short, varied two-person result.

use duologue_params::{Duo, Joint, Person, DT, FPS, N_EXPR, N_ID};

/// `frames` frames: A and B side by side, every expression component moving, heads nodding and
/// turning, eyes looking around, B stepping forward.
pub fn duo(frames: usize) -> Duo {
    let mut a = Person::neutral(frames, [-0.3, -0.2, 0.0]);
    let mut b = Person::neutral(frames, [0.3, -0.2, 0.1]);
    for i in 0..N_ID {
        a.beta[i] = 0.5 * ((i as f32) * 0.7).sin();
        b.beta[i] = 0.5 * ((i as f32) * 1.3).cos();
    }
    for (pi, p) in [&mut a, &mut b].into_iter().enumerate() {
        for k in 0..frames {
            let t = k as f32 / FPS as f32;
            let f = p.x.frame_mut(k);
            for (c, v) in f[..N_EXPR].iter_mut().enumerate() {
                *v = (0.5 + 0.5 * (t * 3.0 + c as f32 * 0.37 + pi as f32).sin()) * 0.6;
            }
            f[Joint::Neck.range().start + 1] = 0.2 * (t * 0.8).sin();
            f[Joint::Head.range().start] = 0.15 * (t * 1.7).sin();
            f[Joint::Head.range().start + 2] = 0.1 * (t * 1.1).cos();
            for eye in [Joint::LeftEye, Joint::RightEye] {
                f[eye.range().start] = 0.1 * (t * 2.0).sin();
                f[eye.range().start + 1] = 0.3 * (t * 1.3).cos();
            }
            if pi == 1 {
                f[DT.start + 2] = -0.05 * t;
            }
        }
        p.mask = (0..frames).map(|k| if (k / 10) % 2 == pi { 1.0 } else { 0.0 }).collect();
    }
    Duo { a, b, fps: FPS as f32 }
}
