//! The bridge between the data crate's shards (DESIGN §6) and the model's trainer (paper §3.4,
//! §4.1): each clip is cut into model windows, its audio turned into the front-end's features,
//! and the windows offered to the trainer as its random-access in-memory source.
//!
//! Windows: a clip of F frames gives windows of L frames starting every `L / 2` frames (plus one
//! ending at the last frame), so every frame is trained on and no window is padded unless the
//! clip itself is shorter than L; a shorter clip is padded by repeating its last frame with the
//! masks at zero. Each window re-references translation to its own first frame (DESIGN §3:
//! `t0` absorbs `dt` at the window start). Features are computed once on the whole clip and
//! sliced, so a window's first frames see the same audio context as in the full clip.
//!
//! Memory is bounded by `max_windows` (error beyond it, never silent truncation); each window
//! costs `L * (2*78 + 2 + D)` floats (about 240 KB for L = 250, D = 80).
#![deny(missing_docs)]

use duologue_audio::FeatureExtractor;
use duologue_data::{Clip as DataClip, Dataset, OnError, StreamConfig};
use duologue_model::data::{Clip, VecSource};
use duologue_params::X_DIM;
use std::path::{Path, PathBuf};

/// Errors assembling training data.
#[derive(Debug, thiserror::Error)]
pub enum TrainDataError {
    /// A dataset could not be opened or read.
    #[error("{dir}")]
    Data {
        /// Dataset folder.
        dir: PathBuf,
        /// Underlying error.
        source: duologue_data::DataError,
    },
    /// Feature extraction failed for a clip.
    #[error("{dir}: clip {key}: audio features")]
    Features {
        /// Dataset folder.
        dir: PathBuf,
        /// Clip key.
        key: String,
        /// Underlying error.
        source: duologue_audio::AudioError,
    },
    /// The datasets hold more windows than the memory bound allows.
    #[error("{dir}: more than {max} training windows (raise --max-windows or use fewer clips)")]
    TooMany {
        /// Dataset folder where the bound was reached.
        dir: PathBuf,
        /// The bound.
        max: usize,
    },
    /// A dataset has no clips in the requested split.
    #[error("{dir}: no clips in split '{split}'")]
    Empty {
        /// Dataset folder.
        dir: PathBuf,
        /// Split name.
        split: String,
    },
}

/// Window start frames for a clip of `frames` frames and windows of `window` frames.
pub fn window_starts(frames: usize, window: usize) -> Vec<usize> {
    if frames <= window {
        return vec![0];
    }
    let hop = (window / 2).max(1);
    let mut starts: Vec<usize> = (0..=frames - window).step_by(hop).collect();
    if *starts.last().expect("non-empty") != frames - window {
        starts.push(frames - window);
    }
    starts
}

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

/// One dataset folder and its mixing ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Dataset folder (manifest + shards).
    pub dir: PathBuf,
    /// Relative sampling ratio.
    pub ratio: f64,
}

impl Source {
    /// Parse `DIR` or `DIR:RATIO`.
    pub fn parse(text: &str) -> Result<Source, String> {
        match text.rsplit_once(':') {
            Some((dir, r)) if !dir.is_empty() && r.parse::<f64>().is_ok() => {
                let ratio: f64 = r.parse().expect("checked");
                if !(ratio.is_finite() && ratio > 0.0) {
                    return Err(format!("ratio in '{text}' must be positive"));
                }
                Ok(Source { dir: dir.into(), ratio })
            }
            _ => Ok(Source { dir: text.into(), ratio: 1.0 }),
        }
    }
}

/// Training windows of several datasets, held in memory, plus validation windows: the model's
/// in-memory [`VecSource`] (one source per dataset) and a count of skipped clips.
#[derive(Debug, Clone, Default)]
pub struct ShardSource {
    /// The windows, ready for `duologue_model::train::train`.
    pub source: VecSource,
    /// Clips skipped as unreadable (only with `skip_bad`).
    pub skipped: usize,
}

/// How to load datasets.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Window length in frames (the model config's `frames`).
    pub frames: usize,
    /// Split trained on.
    pub train_split: String,
    /// Split used for the validation loss (missing split: no validation).
    pub val_split: String,
    /// At most this many validation windows per dataset.
    pub max_val_windows: usize,
    /// Memory bound: at most this many training windows in all.
    pub max_windows: usize,
    /// Skip unreadable clips/shards (counted) instead of failing.
    pub skip_bad: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            frames: duologue_params::WINDOW,
            train_split: "train".into(),
            val_split: "val".into(),
            max_val_windows: 64,
            max_windows: 20_000,
            skip_bad: false,
        }
    }
}

impl ShardSource {
    /// Read every dataset's training and validation splits into windows with `features`.
    /// `progress(dataset_index, clips_done)` is called after each clip.
    pub fn load(
        sources: &[Source],
        features: &dyn FeatureExtractor,
        opts: &LoadOptions,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Self, TrainDataError> {
        let mut out = ShardSource::default();
        let mut total = 0usize;
        for (i, src) in sources.iter().enumerate() {
            let dir = &src.dir;
            let ds = Dataset::open(dir).map_err(|e| TrainDataError::Data { dir: dir.clone(), source: e })?;
            let mut train = Vec::new();
            let mut done = 0usize;
            out.skipped += read_split(&ds, &opts.train_split, opts, |clip| {
                for w in clip_windows(dir, &clip, features, opts.frames)? {
                    if total >= opts.max_windows {
                        return Err(TrainDataError::TooMany { dir: dir.clone(), max: opts.max_windows });
                    }
                    total += 1;
                    train.push(w);
                }
                done += 1;
                progress(i, done);
                Ok(true)
            })?;
            if train.is_empty() {
                return Err(TrainDataError::Empty { dir: dir.clone(), split: opts.train_split.clone() });
            }
            out.source.sources.push(train);
            let has_val = ds.manifest.split(&opts.val_split).iter().any(|s| s.clips > 0);
            if has_val && opts.max_val_windows > 0 {
                let mut val = Vec::new();
                out.skipped += read_split(&ds, &opts.val_split, opts, |clip| {
                    val.extend(clip_windows(dir, &clip, features, opts.frames)?);
                    Ok(val.len() < opts.max_val_windows)
                })?;
                val.truncate(opts.max_val_windows);
                out.source.validation.extend(val);
            }
        }
        Ok(out)
    }

    /// Training windows per dataset.
    pub fn windows(&self) -> Vec<usize> {
        self.source.sources.iter().map(Vec::len).collect()
    }

    /// Validation windows.
    pub fn validation_windows(&self) -> usize {
        self.source.validation.len()
    }
}

/// Stream `split` of `ds` in file order into `each` until it returns `Ok(false)`; returns the
/// number of skipped clips.
fn read_split(
    ds: &Dataset,
    split: &str,
    opts: &LoadOptions,
    mut each: impl FnMut(DataClip) -> Result<bool, TrainDataError>,
) -> Result<usize, TrainDataError> {
    let dir = ds.dir().to_path_buf();
    let cfg = StreamConfig {
        shuffle: false,
        buffer: 1,
        on_error: if opts.skip_bad { OnError::Skip } else { OnError::Fail },
        ..StreamConfig::train(split, 0)
    };
    let mut stream = ds.stream(cfg).map_err(|e| TrainDataError::Data { dir: dir.clone(), source: e })?;
    for clip in stream.by_ref() {
        let clip = clip.map_err(|e| TrainDataError::Data { dir: dir.clone(), source: e })?;
        if !each(clip)? {
            break;
        }
    }
    Ok(stream.skipped())
}

fn clip_windows(
    dir: &Path,
    clip: &DataClip,
    features: &dyn FeatureExtractor,
    frames: usize,
) -> Result<Vec<Clip>, TrainDataError> {
    let f = features.features(&clip.audio).map_err(|e| TrainDataError::Features {
        dir: dir.to_path_buf(),
        key: clip.key.clone(),
        source: e,
    })?;
    // Features cover ceil(samples / 640) frames; motion covers clip.frames(). Use the motion's
    // frame count and repeat the last feature row if audio is a frame short.
    let n = clip.frames();
    let mut data = f.data;
    data.resize(n.max(f.frames) * f.dim, 0.0);
    for k in f.frames..n {
        let (head, tail) = data.split_at_mut(k * f.dim);
        tail[..f.dim].copy_from_slice(&head[(k - 1) * f.dim..k * f.dim]);
    }
    Ok(window_starts(n, frames).into_iter().map(|s| window(clip, &data, f.dim, s, frames)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_every_frame() {
        assert_eq!(window_starts(100, 250), vec![0]);
        assert_eq!(window_starts(250, 250), vec![0]);
        assert_eq!(window_starts(400, 250), vec![0, 125, 150]);
        assert_eq!(window_starts(500, 250), vec![0, 125, 250]);
    }

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

    #[test]
    fn sources_parse_ratios() {
        assert_eq!(Source::parse("data/sim:3").unwrap(), Source { dir: "data/sim".into(), ratio: 3.0 });
        assert_eq!(Source::parse("data/sim").unwrap().ratio, 1.0);
        assert_eq!(Source::parse("c:/x").unwrap().dir, PathBuf::from("c:/x"));
        assert!(Source::parse("d:0").is_err());
    }
}
