//! The trainer's in-memory clip source (DESIGN §6): every dataset's training and validation
//! splits read in file order, cut into windows ([`crate::window`]) with one feature extractor
//! (expensive ones through the disk cache of [`crate::cache`]).
//!
//! Memory is bounded by `max_windows` (error beyond it, never silent truncation); each window
//! costs `L * (2*78 + 2 + D)` floats (about 240 KB for L = 250, D = 80).

use crate::cache::FeatureCache;
use crate::window::window;
use crate::TrainDataError;
use duologue_audio::FeatureExtractor;
use duologue_data::{Clip as DataClip, Dataset, OnError, StreamConfig};
use duologue_model::data::{Clip, VecSource};
use duologue_params::window::{starts, train_hop};
use std::path::{Path, PathBuf};

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
        let cache = FeatureCache::for_extractor(features);
        let cache = cache.as_ref();
        for (i, src) in sources.iter().enumerate() {
            let dir = &src.dir;
            let ds = Dataset::open(dir).map_err(|e| TrainDataError::Data { dir: dir.clone(), source: e })?;
            let mut train = Vec::new();
            let mut done = 0usize;
            out.skipped += read_split(&ds, &opts.train_split, opts, |clip| {
                for w in clip_windows(dir, &clip, features, cache, opts.frames)? {
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
                    val.extend(clip_windows(dir, &clip, features, cache, opts.frames)?);
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
    cache: Option<&FeatureCache>,
    frames: usize,
) -> Result<Vec<Clip>, TrainDataError> {
    let f = FeatureCache::features(cache, features, &clip.audio).map_err(|e| TrainDataError::Features {
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
    Ok(starts(n, frames, train_hop(frames))
        .into_iter()
        .map(|s| window(clip, &data, f.dim, s, frames))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_ratios() {
        assert_eq!(Source::parse("data/sim:3").unwrap(), Source { dir: "data/sim".into(), ratio: 3.0 });
        assert_eq!(Source::parse("data/sim").unwrap().ratio, 1.0);
        assert_eq!(Source::parse("c:/x").unwrap().dir, PathBuf::from("c:/x"));
        assert!(Source::parse("d:0").is_err());
    }
}
