//! Training windows (paper §4.1; cut as [`duologue_params::window`] defines, hop half a window):
//! each clip becomes windows of L frames, translation re-referenced to each window's first frame
//! (DESIGN §3: `t0` absorbs `dt` at the window start); a clip shorter than L is padded by
//! repeating its last frame with the masks at zero. Features are computed once on the whole clip
//! and sliced, so a window's first frames see the same audio context as in the full clip.

use duologue_data::Clip as DataClip;
use duologue_model::data::Clip;
use duologue_params::X_DIM;

/// Cut one window out of a clip whose features are `feats` (`[frames, dim]`), re-referencing
/// translations to the window's first frame and padding short clips.
pub fn window(clip: &DataClip, feats: &[f32], dim: usize, start: usize, len: usize) -> Clip {
    let frames = clip.frames();
    let duo = &clip.duo;
    let src = |k: usize| (start + k).min(frames - 1);
    let real = |k: usize| start + k < frames;
    let motion = |p: &duologue_params::Person| {
        let base = p.x.dt(start);
        let mut x = Vec::with_capacity(len * X_DIM);
        for k in 0..len {
            let f = p.x.frame(src(k));
            x.extend_from_slice(&f[..duologue_params::DT.start]);
            let d = p.x.dt(src(k));
            x.extend((0..3).map(|i| d[i] - base[i]));
        }
        let t0 = [p.t0[0] + base[0], p.t0[1] + base[1], p.t0[2] + base[2]];
        let m = (0..len).map(|k| if real(k) { p.mask[start + k] } else { 0.0 }).collect();
        (x, t0, m)
    };
    let (x_a, t0_a, m_a) = motion(&duo.a);
    let (x_b, t0_b, m_b) = motion(&duo.b);
    let audio = (0..len)
        .flat_map(|k| {
            let row = &feats[src(k) * dim..(src(k) + 1) * dim];
            row.iter().map(move |&v| if real(k) { v } else { 0.0 })
        })
        .collect();
    Clip {
        x_a,
        x_b,
        beta_a: duo.a.beta.clone(),
        beta_b: duo.b.beta.clone(),
        t0_a,
        t0_b,
        m_a,
        m_b,
        audio,
        lip_reliable: lip_only_in_stage_two(&clip.meta),
        gaze_reliable: clip.meta.gaze_reliable,
    }
}

/// Whether stage 2 trains this clip on the speaker's lips alone (the model's
/// `Clip::lip_reliable`). Paper §3.4 fine-tunes on (1) single-speaker data, lip/jaw loss only,
/// every other term zero, and (2) conversation clips with reliable landmarks under the usual
/// losses. Our single-speaker-derived sources are the dubbed pseudo-conversations and the
/// monologues; simulated conversations (exact ground truth everywhere) are case (2), so they
/// keep all terms and stage 2 does not let their head motion and gaze drift.
pub fn lip_only_in_stage_two(meta: &duologue_data::ClipMeta) -> bool {
    meta.lip_reliable && matches!(meta.source.as_str(), "dubbed" | "monologue")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(frames: usize) -> DataClip {
        use duologue_params::{Duo, Motion, Person};
        let person = |z: f32| {
            let mut x = Motion::zeros(frames);
            for k in 0..frames {
                x.frame_mut(k)[0] = k as f32; // psi[0] = frame index
                x.frame_mut(k)[duologue_params::DT.start] = 0.01 * k as f32; // drifting in x
            }
            Person { x, beta: vec![0.5; 50], t0: [0.0, 0.0, z], mask: vec![1.0; frames] }
        };
        DataClip {
            key: "k".into(),
            audio: vec![0.0; frames * duologue_params::HOP],
            duo: Duo { a: person(-0.5), b: person(0.5), fps: 25.0 },
            meta: duologue_data::ClipMeta {
                source: "simulated".into(),
                split: "train".into(),
                lip_reliable: true,
                gaze_reliable: false,
                layout_text: String::new(),
                layout_id: None,
                voices: Default::default(),
                voice_units: Default::default(),
                identities: Default::default(),
                seconds: frames as f32 / 25.0,
                extra: serde_json::Value::Null,
            },
        }
    }

    #[test]
    fn windows_rereference_translation_and_pad_short_clips() {
        let c = clip(300);
        let dim = 2;
        let feats: Vec<f32> = (0..300 * dim).map(|i| i as f32).collect();
        let w = window(&c, &feats, dim, 125, 100);
        assert_eq!(w.x_a[0], 125.0);
        assert!((w.t0_a[0] - 1.25).abs() < 1e-6 && w.t0_a[2] == -0.5);
        assert_eq!(w.x_a[duologue_params::DT.start], 0.0);
        assert!((w.x_a[99 * X_DIM + duologue_params::DT.start] - 0.99).abs() < 1e-5);
        assert_eq!(&w.audio[..2], &[250.0, 251.0]);
        // A simulated conversation keeps every loss term in stage 2; a dubbed clip trains lips only.
        assert!(!w.lip_reliable && !w.gaze_reliable);
        let mut dubbed = c.clone();
        dubbed.meta.source = "dubbed".into();
        assert!(window(&dubbed, &feats, dim, 125, 100).lip_reliable);

        let short = clip(40);
        let feats = vec![1.0; 40 * dim];
        let w = window(&short, &feats, dim, 0, 50);
        assert_eq!(w.x_a.len(), 50 * X_DIM);
        assert_eq!(w.x_a[45 * X_DIM], 39.0, "padding repeats the last frame");
        assert_eq!(w.m_a[39], 1.0);
        assert_eq!(w.m_a[40], 0.0, "padding is silent");
        assert_eq!(w.audio[45 * dim], 0.0);
    }
}
