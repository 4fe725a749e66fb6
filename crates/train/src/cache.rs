//! A disk cache of expensive audio features (Whisper's encoder costs ~0.8 s a clip on two cores,
//! log-mel ~5 ms): a run that resumes, or a second run on the same data, reads them back instead
//! of recomputing.
//!
//! Content-addressed: a clip's file is named by the sha256 of its audio samples, under the
//! extractor's name, so a changed clip or another extractor never hits a stale entry. Files
//! hold `DUOF`, format version, frames, width (u32 each) and the f32 values, little-endian:
//! what the extractor computed, bit for bit, so training on cached features is the same as
//! training on fresh ones. About 38 KB per second of audio for `whisper-tiny`.
//!
//! Where: `$DUOLOGUE_FEATURE_CACHE` (`off` disables it), else
//! `$XDG_CACHE_HOME/duologue/features`, else `$HOME/.cache/duologue/features`. Writing is
//! best effort (a full disk only costs the recomputation); files are written under a
//! temporary name and renamed, so a killed run never leaves a half file under a final name.

use duologue_audio::{FeatureExtractor, Features};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"DUOF";
const VERSION: u32 = 1;

/// A feature cache for one extractor.
#[derive(Debug, Clone)]
pub struct FeatureCache {
    dir: PathBuf,
}

impl FeatureCache {
    /// The cache for `extractor` in the default location, or None when disabled or there is no
    /// home to put it in. Log-mel is cheaper to compute than to read: never cached.
    pub fn for_extractor(extractor: &dyn FeatureExtractor) -> Option<Self> {
        if extractor.name() == "logmel" {
            return None;
        }
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let root = match env("DUOLOGUE_FEATURE_CACHE") {
            Some(p) if p.as_os_str() == "off" => return None,
            Some(p) => p,
            None => env("XDG_CACHE_HOME")
                .map(|d| d.join("duologue"))
                .or_else(|| env("HOME").map(|h| h.join(".cache").join("duologue")))?
                .join("features"),
        };
        Some(Self::at(&root, extractor.name()))
    }

    /// The cache of extractor `name` under `root`.
    pub fn at(root: &Path, name: &str) -> Self {
        Self { dir: root.join(name) }
    }

    fn path(&self, audio: &[f32]) -> PathBuf {
        let mut h = Sha256::new();
        for v in audio {
            h.update(v.to_le_bytes());
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(&hex[..2]).join(format!("{}.f32", &hex[2..]))
    }

    /// The cached features of `audio`, if present, whole and `dim` wide with `frames` rows.
    pub fn get(&self, audio: &[f32], frames: usize, dim: usize) -> Option<Features> {
        let bytes = std::fs::read(self.path(audio)).ok()?;
        let word =
            |i: usize| bytes.get(4 + 4 * i..8 + 4 * i).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if bytes.get(..4)? != MAGIC || word(0)? != VERSION {
            return None;
        }
        let (f, d) = (word(1)? as usize, word(2)? as usize);
        if (f, d) != (frames, dim) || bytes.len() != 16 + 4 * f * d {
            return None;
        }
        let data =
            bytes[16..].chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        Some(Features { data, frames, dim })
    }

    /// Stores `f` as the features of `audio` (best effort).
    pub fn put(&self, audio: &[f32], f: &Features) {
        let path = self.path(audio);
        let Some(parent) = path.parent() else { return };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let mut bytes = Vec::with_capacity(16 + 4 * f.data.len());
        bytes.extend_from_slice(MAGIC);
        for w in [VERSION, f.frames as u32, f.dim as u32] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        f.data.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    /// `extractor`'s features of `audio`, from the cache when there, else computed and stored.
    pub fn features(
        cache: Option<&Self>,
        extractor: &dyn FeatureExtractor,
        audio: &[f32],
    ) -> duologue_audio::Result<Features> {
        let frames = audio.len().div_ceil(duologue_params::HOP);
        if let Some(f) = cache.and_then(|c| c.get(audio, frames, extractor.dim())) {
            return Ok(f);
        }
        let f = extractor.features(audio)?;
        if let Some(c) = cache {
            c.put(audio, &f);
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duologue_audio::Result;
    use std::cell::Cell;

    /// An extractor that counts its calls: frame k of a signal is (k, sum of its samples).
    struct Counting(Cell<usize>);

    impl FeatureExtractor for Counting {
        fn name(&self) -> &str {
            "counting"
        }
        fn dim(&self) -> usize {
            2
        }
        fn features(&self, audio: &[f32]) -> Result<Features> {
            self.0.set(self.0.get() + 1);
            let frames = audio.len().div_ceil(640);
            let data = (0..frames)
                .flat_map(|k| [k as f32, audio[k * 640..((k + 1) * 640).min(audio.len())].iter().sum()])
                .collect();
            Ok(Features { data, frames, dim: 2 })
        }
    }

    #[test]
    fn second_reads_hit_and_bit_for_bit() {
        let root = tempfile::tempdir().unwrap();
        let cache = FeatureCache::at(root.path(), "counting");
        let ex = Counting(Cell::new(0));
        let audio: Vec<f32> = (0..3000).map(|i| (i as f32 * 0.37).sin()).collect();
        let a = FeatureCache::features(Some(&cache), &ex, &audio).unwrap();
        let b = FeatureCache::features(Some(&cache), &ex, &audio).unwrap();
        assert_eq!(ex.0.get(), 1, "the second call reads the cache");
        assert_eq!(a, b);
        // Other audio, other entry.
        let mut other = audio.clone();
        other[5] += 1e-3;
        let c = FeatureCache::features(Some(&cache), &ex, &other).unwrap();
        assert_eq!(ex.0.get(), 2);
        assert_ne!(a, c);
        // A damaged file is recomputed and replaced, never returned.
        let p = cache.path(&audio);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(bytes.len() - 4);
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(FeatureCache::features(Some(&cache), &ex, &audio).unwrap(), a);
        assert_eq!(ex.0.get(), 3);
        assert_eq!(FeatureCache::features(Some(&cache), &ex, &audio).unwrap(), a);
        assert_eq!(ex.0.get(), 3);
        // No cache: always computed.
        FeatureCache::features(None, &ex, &audio).unwrap();
        assert_eq!(ex.0.get(), 4);
    }
}
