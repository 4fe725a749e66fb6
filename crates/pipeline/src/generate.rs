//! Sampling a whole recording window by window (paper §3.3; windows as in
//! [`duologue_params::window`]): each window's `t0` is the stitched absolute position at its
//! first frame, overlaps are cross-faded, and translations go back to the recording's frame 0.

use crate::{Conditioning, PipelineError, Result};
use duologue_model::data::{unwrap_near, NECK_YAW};
use duologue_model::{Generator, SampleInput};
use duologue_params::window::{self, Stitcher};
use duologue_params::{Duo, Motion, Person, DT, X_DIM};

/// Sampling settings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GenerateOptions {
    /// DDIM steps (None: the checkpoint config's).
    pub steps: Option<usize>,
    /// Guidance weight (None: the checkpoint config's).
    pub guidance: Option<f32>,
    /// Seed of the initial noise (window w uses a seed derived from it).
    pub seed: u64,
    /// Frames shared by consecutive windows (None: L / 5).
    pub overlap: Option<usize>,
}

/// Generates both people's motion for the whole recording; `progress(done, total)` counts DDIM
/// steps over all windows.
pub fn generate(
    generator: &Generator,
    cond: &Conditioning,
    opts: &GenerateOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Duo> {
    generate_until(generator, cond, opts, progress, &|| false)
}

/// [`generate`] that gives up with [`PipelineError::Cancelled`] before the next window once
/// `stop()` says so.
pub fn generate_until(
    generator: &Generator,
    cond: &Conditioning,
    opts: &GenerateOptions,
    progress: &mut dyn FnMut(usize, usize),
    stop: &dyn Fn() -> bool,
) -> Result<Duo> {
    let cfg = generator.config();
    if cfg.model.audio_dim != cond.dim || cfg.model.features != cond.feature_name {
        return Err(PipelineError::FeatureDim {
            model_name: cfg.model.features.clone(),
            model: cfg.model.audio_dim,
            ours_name: cond.feature_name.clone(),
            ours: cond.dim,
        });
    }
    let l = cfg.model.frames;
    let opts = GenerateOptions {
        steps: Some(opts.steps.unwrap_or(cfg.sample.steps)),
        guidance: Some(opts.guidance.unwrap_or(cfg.sample.guidance)),
        ..*opts
    };
    let steps = opts.steps.unwrap_or(1);
    let total = window_starts(cond, l, opts.overlap.unwrap_or(l / 5)).len() * steps;
    generate_with(cond, l, &opts, &mut |w, input| {
        if stop() {
            return Err(PipelineError::Cancelled);
        }
        generator
            .sample_with_progress(input, |i, _| progress(w * steps + i, total))
            .map_err(PipelineError::Sample)
    })
}

/// The windows [`generate_with`] samples for `cond`, as first frames of the lead-in timeline
/// (frame `cond.lead` is the recording's first): hop `l - overlap` over the lead-in, the
/// recording and as long a tail, the last window ending on the tail's last frame.
pub fn window_starts(cond: &Conditioning, l: usize, overlap: usize) -> Vec<usize> {
    timeline_starts(cond.frames, cond.lead, l, overlap)
}

/// [`window_starts`] for a recording of `frames` frames with a lead-in (and tail) of `lead`
/// frames, before any conditioning is built (the benchmark plans its cases with it).
pub fn timeline_starts(frames: usize, lead: usize, l: usize, overlap: usize) -> Vec<usize> {
    window::starts(frames + 2 * lead, l, window::generate_hop(l, overlap))
}

/// A per-window sampler: `(window index, its inputs) -> (x_a, x_b)`, each `[L, 78]`.
pub type WindowSampler<'s> = dyn FnMut(usize, &SampleInput<'_>) -> Result<(Motion, Motion)> + 's;

/// The windowing and stitching of [`generate`] around any per-window sampler `sample(w, input)`
/// (window index, its inputs) returning `(x_a, x_b)` `[window, 78]`; steps and guidance not
/// given in `opts` are the paper's 8 and 2.5.
pub fn generate_with(
    cond: &Conditioning,
    l: usize,
    opts: &GenerateOptions,
    sample: &mut WindowSampler<'_>,
) -> Result<Duo> {
    let n = cond.frames;
    // The timeline sampled: the lead-in, the recording and a tail as long as the lead-in.
    let (lead, nv) = (cond.lead, cond.frames + 2 * cond.lead);
    if n == 0 || cond.features.len() < nv.max(l) * cond.dim {
        return Err(PipelineError::Input(format!(
            "features cover {} frames, need {}",
            cond.features.len() / cond.dim.max(1),
            nv.max(l)
        )));
    }
    if cond.m_a.len() != n || cond.m_b.len() != n {
        return Err(PipelineError::Input(format!(
            "masks have {} and {} frames, audio {n}",
            cond.m_a.len(),
            cond.m_b.len()
        )));
    }
    let overlap = opts.overlap.unwrap_or(l / 5);
    if overlap >= l {
        return Err(PipelineError::Input(format!("overlap {overlap} must be below the window {l}")));
    }
    let steps = opts.steps.unwrap_or(8);
    let guidance = opts.guidance.unwrap_or(2.5);
    let starts = window_starts(cond, l, overlap);
    // Stitched on absolute translations (dt columns hold t0 + dt), frames [max(nv, l), 78].
    let padded = nv.max(l);
    let mut st = [Stitcher::new(padded, X_DIM), Stitcher::new(padded, X_DIM)];
    let t0 = [cond.t0_a, cond.t0_b];
    // Masks on the timeline: zero in the lead-in and past the recording.
    let pad_mask = |m: &[f32], s: usize| -> Vec<f32> {
        (s..s + l).map(|k| k.checked_sub(lead).and_then(|k| m.get(k)).copied().unwrap_or(0.0)).collect()
    };
    for (w, &s) in starts.iter().enumerate() {
        // This window's t0: the layout for the first, else the stitched position at frame s.
        let t0w: [[f32; 3]; 2] = if w == 0 {
            t0
        } else {
            [0, 1].map(|p| {
                let r = &st[p].row(s)[DT];
                [r[0], r[1], r[2]]
            })
        };
        let (m_a, m_b) = (pad_mask(&cond.m_a, s), pad_mask(&cond.m_b, s));
        let input = SampleInput {
            audio: &cond.features[s * cond.dim..(s + l) * cond.dim],
            m_a: &m_a,
            m_b: &m_b,
            t0_a: t0w[0],
            t0_b: t0w[1],
            beta_a: &cond.beta_a,
            beta_b: &cond.beta_b,
            seed: opts.seed.wrapping_add((w as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            steps,
            guidance,
        };
        let (xa, xb) = sample(w, &input)?;
        if xa.frames() != l || xb.frames() != l {
            return Err(PipelineError::Input(format!(
                "the sampler gave {} and {} frames, not {l}",
                xa.frames(),
                xb.frames()
            )));
        }
        for (p, x) in [xa, xb].into_iter().enumerate() {
            let mut x = x.into_vec();
            // Rotations are axis-angles: a yaw of pi and one of -pi are the same turn. A window
            // that came out on the other branch than what is stitched so far is moved by whole
            // turns before the cross-fade, which would otherwise sweep through a full turn.
            let turn = if w == 0 {
                0.0
            } else {
                let have = st[p].row(s)[NECK_YAW];
                unwrap_near(x[NECK_YAW], have) - x[NECK_YAW]
            };
            for row in x.chunks_exact_mut(X_DIM) {
                row[NECK_YAW] += turn;
                for (v, o) in row[DT].iter_mut().zip(t0w[p]) {
                    *v += o;
                }
            }
            st[p].add(s, &x)?;
        }
    }
    let [sa, sb] = st;
    let people = [(sa, cond.t0_a, &cond.beta_a, &cond.m_a), (sb, cond.t0_b, &cond.beta_b, &cond.m_b)].map(
        |(s, t0, beta, mask)| {
            // The recording's frames, back to translations relative to its first frame: the
            // layout's t0 without a lead-in, else wherever the head was at that frame.
            let origin = if lead == 0 {
                t0
            } else {
                let r = &s.row(lead)[DT];
                [r[0], r[1], r[2]]
            };
            let mut x = s.into_vec();
            x.drain(..lead * X_DIM);
            x.truncate(n * X_DIM);
            for row in x.chunks_exact_mut(X_DIM) {
                for (v, o) in row[DT].iter_mut().zip(origin) {
                    *v -= o;
                }
            }
            Person {
                x: Motion::from_vec(x).unwrap_or_else(|| Motion::zeros(n)),
                beta: beta.clone(),
                t0,
                mask: mask.clone(),
            }
        },
    );
    let [a, b] = people;
    Ok(Duo { a, b, fps: duologue_params::FPS as f32 })
}
