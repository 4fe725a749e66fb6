//! The `duologue generate` pipeline (DESIGN.md §1–3, §6): decoded audio -> log-mel features and
//! speaker masks -> layout t0 (paper §3.5) and identities -> the diffusion model window by
//! window -> one [`Duo`].
//!
//! Windowing (DESIGN.md §1): the model sees windows of `L = config.model.frames` frames. A
//! recording of any length is covered by windows with hop `L - overlap`, the last one aligned to
//! end on the last frame (no padding there); a recording shorter than one window is padded with
//! silence and the result cut back. Overlapping frames are cross-faded linearly so joins carry
//! no jump. Translations (DESIGN.md §3) are relative to each window's first frame: windows are
//! generated in order, each one's t0 being the stitched absolute translation at its first frame,
//! and the stitching works on absolute translations t0 + dt, converted back at the end.

//!
//! [`assets`] holds what the binary embeds (the default model, the demo clip); [`input`] reads
//! the recording(s) with a length cap.

#![deny(missing_docs)]

pub mod assets;
pub mod input;

pub use assets::{
    default_generator, generator_from_bytes, DEFAULT_MODEL_LABEL, DEMO_CLIP, DEMO_CLIP_NAME, DEMO_LAYOUT,
};
pub use input::{read_audio, write_mix_wav, AudioInput, DEFAULT_MAX_MINUTES};

use burn::prelude::Device;
use duologue_audio::{mel::frames_for, LogMel, LogMelConfig, MaskOptions};
use duologue_layout::{parse_positions, validate, Bounds, Layout, Layouter, LlmClient, Policy};
use duologue_model::{Generator, ModelError, Rng, SampleInput};
use duologue_params::{Duo, Motion, Person, DT, HOP, N_ID, X_DIM};
use std::path::{Path, PathBuf};

/// Errors of the generate pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The model checkpoint could not be read.
    #[error("cannot load model {path}")]
    Model {
        /// The checkpoint.
        path: PathBuf,
        /// Why.
        source: ModelError,
    },
    /// An audio file could not be opened or decoded.
    #[error("cannot read audio {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: duologue_audio::AudioError,
    },
    /// An audio file is longer than the cap (refused before its samples are kept).
    #[error("{path}: {} of audio is longer than the cap of {}", duration(*seconds), duration(*max_seconds))]
    TooLong {
        /// The file.
        path: PathBuf,
        /// Its length (stated by the container, or decoded so far).
        seconds: f64,
        /// The cap.
        max_seconds: f64,
    },
    /// A file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The audio is shorter than one 25 fps frame (640 samples at 16 kHz).
    #[error("audio is too short: {samples} samples at 16 kHz, at least one frame ({HOP}) is needed")]
    TooShort {
        /// Samples in the input.
        samples: usize,
    },
    /// The model expects other audio features than the pipeline computes.
    #[error("the model expects {model}-dim audio features, the pipeline computes {ours}-dim log-mel")]
    FeatureDim {
        /// The checkpoint's `model.audio_dim`.
        model: usize,
        /// What the pipeline computes.
        ours: usize,
    },
    /// Inputs that do not fit together (track count, lengths, identity size, overlap).
    #[error("{0}")]
    Input(String),
    /// Computing speaker masks failed.
    #[error("speaker masks")]
    Audio(#[from] duologue_audio::AudioError),
    /// Sampling failed.
    #[error("sampling: {0}")]
    Sample(ModelError),
}

/// A length for messages: seconds below two minutes, else minutes.
fn duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.1} s")
    } else {
        format!("{:.1} minutes", seconds / 60.0)
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, PipelineError>;

/// Loads a checkpoint for generation on the CPU (`flex` backend); errors name the file.
pub fn load_generator(path: &Path) -> Result<Generator> {
    Generator::load(path, &Device::flex())
        .map_err(|source| PipelineError::Model { path: path.to_path_buf(), source })
}

/// Where the two heads stand (paper §3.5).
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutSpec {
    /// Face to face, 1 m apart.
    Default,
    /// A scene description, resolved by the offline kNN or the LLM when one is configured.
    Text(String),
    /// Explicit positions "A=x,y,z;B=x,y,z" (metres).
    Positions(String),
    /// A named preset of the built-in library.
    Preset(String),
}

/// Resolves `spec` to a layout. Anything the parser or layouter rejects falls back to face to
/// face; the reasons come back as warnings, as do the layouter's own notes.
pub fn resolve_layout(spec: &LayoutSpec, llm: Option<LlmClient>) -> (Layout, Vec<String>) {
    let fallback =
        |what: String| (Layout::face_to_face(), vec![format!("{what}; using face to face, 1 m apart")]);
    match spec {
        LayoutSpec::Default => (Layout::face_to_face(), Vec::new()),
        LayoutSpec::Positions(p) => {
            match parse_positions(p).and_then(|l| validate(&l, &Bounds::default(), Policy::Clamp)) {
                Ok(c) => (c.layout, c.notes),
                Err(e) => fallback(format!("positions {p:?} rejected ({e})")),
            }
        }
        LayoutSpec::Preset(name) => {
            let lib = duologue_layout::Library::builtin();
            match lib.preset(name) {
                Ok(e) => (e.layout(), Vec::new()),
                Err(e) => fallback(format!("preset {name:?} rejected ({e})")),
            }
        }
        LayoutSpec::Text(text) => {
            let out = Layouter::offline(llm).and_then(|l| {
                let m = l.default_method();
                l.layout(text, m)
            });
            match out {
                Ok(o) => (o.layout, o.notes),
                Err(e) => fallback(format!("layout of {text:?} failed ({e})")),
            }
        }
    }
}

/// Random identities for A and B: N(0, 1) * 0.7 per coefficient, from `seed`.
pub fn random_betas(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed ^ 0xB37A_1D00);
    let mut normal = || {
        // Box-Muller on two uniforms in (0, 1].
        let u = |r: &mut Rng| ((r.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let (u1, u2) = (u(&mut rng), u(&mut rng));
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    };
    let mut draw = || (0..N_ID).map(|_| normal() * 0.7).collect::<Vec<f32>>();
    let a = draw();
    (a, draw())
}

/// What the model is conditioned on, for the whole recording of `frames` frames.
#[derive(Debug, Clone)]
pub struct Conditioning {
    /// Recording length in 25 fps frames (N).
    pub frames: usize,
    /// Log-mel features `[N' * D]`, row-major, N' >= N (padded with silence to one window).
    pub features: Vec<f32>,
    /// Feature width D.
    pub dim: usize,
    /// A's soft speaker mask `[N]` in [0, 1].
    pub m_a: Vec<f32>,
    /// B's soft speaker mask `[N]`.
    pub m_b: Vec<f32>,
    /// A's first-frame head position (layout).
    pub t0_a: [f32; 3],
    /// B's first-frame head position.
    pub t0_b: [f32; 3],
    /// A's identity `[50]`.
    pub beta_a: Vec<f32>,
    /// B's identity `[50]`.
    pub beta_b: Vec<f32>,
}

impl Conditioning {
    /// From decoded 16 kHz audio: one mixed track (A = who speaks first) or two tracks (A, B).
    /// Features are of the mix; shorter than `min_frames` is padded with silence for them.
    pub fn from_audio(
        tracks: &[Vec<f32>],
        layout: &Layout,
        betas: (Vec<f32>, Vec<f32>),
        masks: &MaskOptions,
        min_frames: usize,
    ) -> Result<Self> {
        let samples = tracks.first().map_or(0, Vec::len);
        if tracks.is_empty() || tracks.len() > 2 || tracks.iter().any(|t| t.len() != samples) {
            return Err(PipelineError::Input("expected one track, or two tracks of equal length".into()));
        }
        if samples < HOP {
            return Err(PipelineError::TooShort { samples });
        }
        let frames = frames_for(samples);
        let (mut m_a, mut m_b) = duologue_audio::masks_from_audio(tracks, masks)?;
        m_a.resize(frames, 0.0);
        m_b.resize(frames, 0.0);
        // The conversation as one signal, padded with silence to at least one window. One track
        // long enough is used as it is: no second copy of an hours-long recording.
        let mel = LogMel::new(LogMelConfig::default());
        let padded = samples.max(min_frames * HOP);
        let features = match tracks {
            [one] if one.len() == padded => mel.compute(one),
            _ => {
                let mut mix: Vec<f32> = (0..samples)
                    .map(|i| tracks.iter().map(|t| t[i]).sum::<f32>() / tracks.len() as f32)
                    .collect();
                mix.resize(padded, 0.0);
                mel.compute(&mix)
            }
        };
        Ok(Self {
            frames,
            features,
            dim: mel.dim(),
            m_a,
            m_b,
            t0_a: layout.a,
            t0_b: layout.b,
            beta_a: betas.0,
            beta_b: betas.1,
        })
    }

    /// True when neither person speaks anywhere (masks never reach 0.5).
    pub fn silent(&self) -> bool {
        self.speaks() == [false, false]
    }

    /// Whether A and B speak somewhere (their mask reaches 0.5 in some frame).
    pub fn speaks(&self) -> [bool; 2] {
        [&self.m_a, &self.m_b].map(|m| m.iter().any(|&v| v >= 0.5))
    }
}

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

/// First frames of the windows of length `l` covering `n` frames with `overlap` shared frames:
/// hop `l - overlap`, the last window ending on frame `n - 1`; one window at 0 when `n <= l`.
pub fn window_starts(n: usize, l: usize, overlap: usize) -> Vec<usize> {
    if n <= l {
        return vec![0];
    }
    let hop = (l - overlap.min(l - 1)).max(1);
    let mut starts = vec![0];
    while starts[starts.len() - 1] + l < n {
        let next = starts[starts.len() - 1] + hop;
        starts.push(next.min(n - l));
    }
    starts
}

/// Accumulates windows into one sequence `[n, width]`, cross-fading where a new window overlaps
/// what is already there: over an overlap of `o` frames the new window's weight rises linearly
/// (1/(o+1) .. o/(o+1)), so constant windows give a straight ramp and joins are continuous.
#[derive(Debug, Clone)]
pub struct Stitcher {
    width: usize,
    data: Vec<f32>,
    filled: usize,
}

impl Stitcher {
    /// An empty sequence of `frames` rows of `width` values.
    pub fn new(frames: usize, width: usize) -> Self {
        Self { width, data: vec![0.0; frames * width], filled: 0 }
    }

    /// Frames written so far (a prefix).
    pub fn filled(&self) -> usize {
        self.filled
    }

    /// Row `k` (valid for `k < filled()`).
    pub fn row(&self, k: usize) -> &[f32] {
        &self.data[k * self.width..(k + 1) * self.width]
    }

    /// Adds `window` (`[len, width]`, rows past the end are dropped) starting at frame `start`,
    /// which must not leave a gap after the frames already written.
    pub fn add(&mut self, start: usize, window: &[f32]) -> Result<()> {
        let w = self.width;
        if start > self.filled || window.len() % w != 0 {
            return Err(PipelineError::Input(format!(
                "window at {start} leaves a gap after {} frames or is not whole rows",
                self.filled
            )));
        }
        let n = self.data.len() / w;
        let len = (window.len() / w).min(n.saturating_sub(start));
        let overlap = (self.filled - start).min(len);
        for i in 0..len {
            let k = start + i;
            let src = &window[i * w..(i + 1) * w];
            let dst = &mut self.data[k * w..(k + 1) * w];
            if i < overlap {
                let a = (i + 1) as f32 / (overlap + 1) as f32;
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = (1.0 - a) * *d + a * s;
                }
            } else {
                dst.copy_from_slice(src);
            }
        }
        self.filled = self.filled.max(start + len);
        Ok(())
    }

    /// The rows, `[n, width]`.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }
}

/// Generates both people's motion for the whole recording; `progress(done, total)` counts DDIM
/// steps over all windows.
pub fn generate(
    generator: &Generator,
    cond: &Conditioning,
    opts: &GenerateOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Duo> {
    let cfg = generator.config();
    if cfg.model.audio_dim != cond.dim {
        return Err(PipelineError::FeatureDim { model: cfg.model.audio_dim, ours: cond.dim });
    }
    let l = cfg.model.frames;
    let opts = GenerateOptions {
        steps: Some(opts.steps.unwrap_or(cfg.sample.steps)),
        guidance: Some(opts.guidance.unwrap_or(cfg.sample.guidance)),
        ..*opts
    };
    let steps = opts.steps.unwrap_or(1);
    let total = window_starts(cond.frames, l, opts.overlap.unwrap_or(l / 5)).len() * steps;
    generate_with(cond, l, &opts, &mut |w, input| {
        generator
            .sample_with_progress(input, |i, _| progress(w * steps + i, total))
            .map_err(PipelineError::Sample)
    })
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
    if n == 0 || cond.features.len() < n.max(l) * cond.dim {
        return Err(PipelineError::Input(format!(
            "features cover {} frames, need {}",
            cond.features.len() / cond.dim.max(1),
            n.max(l)
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
    let starts = window_starts(n, l, overlap);
    // Stitched on absolute translations (dt columns hold t0 + dt), frames [max(n, l), 78].
    let padded = n.max(l);
    let mut st = [Stitcher::new(padded, X_DIM), Stitcher::new(padded, X_DIM)];
    let t0 = [cond.t0_a, cond.t0_b];
    let pad_mask =
        |m: &[f32], s: usize| -> Vec<f32> { (s..s + l).map(|k| m.get(k).copied().unwrap_or(0.0)).collect() };
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
            for row in x.chunks_exact_mut(X_DIM) {
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
            let mut x = s.into_vec();
            x.truncate(n * X_DIM);
            // Back to translations relative to the recording's first frame (the layout's t0).
            for row in x.chunks_exact_mut(X_DIM) {
                for (v, o) in row[DT].iter_mut().zip(t0) {
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
