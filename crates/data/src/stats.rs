//! `duologue data stats DIR`: what a dataset holds (DESIGN.md §6, datasets; paper §3.6).
//!
//! Definitions (per frame, masks thresholded at 0.5):
//! - speaking ratio: frames where anyone speaks / all frames (also per person);
//! - overlap ratio: frames where both speak / frames where anyone speaks;
//! - mask agreement: frames where "anyone speaks" equals "the mixed audio is active" / all
//!   frames, audio activity being a frame level within 30 dB of the clip's 95th-percentile
//!   frame level. It checks that labels and audio line up; noise and reverb tails lower it.

use crate::clip::Clip;
use crate::mix::frame_db;
use crate::shard::{read_shard, Dataset, OnError};
use crate::DataError;
use serde::Serialize;
use std::collections::BTreeMap;

/// Accumulated statistics.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Clips.
    pub clips: usize,
    /// Hours of audio.
    pub hours: f64,
    /// Clips per split.
    pub clips_per_split: BTreeMap<String, usize>,
    /// Hours per split.
    pub hours_per_split: BTreeMap<String, f64>,
    /// Anyone speaking / all frames.
    pub speaking_ratio: f64,
    /// Person A speaking / all frames.
    pub speaking_ratio_a: f64,
    /// Person B speaking / all frames.
    pub speaking_ratio_b: f64,
    /// Both speaking / anyone speaking.
    pub overlap_ratio: f64,
    /// Mask-vs-audio agreement.
    pub mask_agreement: f64,
    /// Bytes on disk (shards).
    pub bytes: u64,
    /// Bytes per hour of data.
    pub bytes_per_hour: f64,
    /// Clips or shards skipped as bad (with `--skip-bad`).
    pub skipped: usize,
    #[serde(skip)]
    frames: u64,
    #[serde(skip)]
    any: u64,
    #[serde(skip)]
    a: u64,
    #[serde(skip)]
    b: u64,
    #[serde(skip)]
    both: u64,
    #[serde(skip)]
    agree: u64,
}

impl Stats {
    /// Add one clip.
    pub fn add(&mut self, clip: &Clip) {
        let l = clip.frames();
        let db = frame_db(&clip.audio, l);
        let mut sorted = db.clone();
        sorted.sort_by(f32::total_cmp);
        let p95 = sorted.get((0.95 * (l.saturating_sub(1)) as f32) as usize).copied().unwrap_or(-100.0);
        for (k, &d) in db.iter().enumerate() {
            let sa = clip.duo.a.mask[k] > 0.5;
            let sb = clip.duo.b.mask[k] > 0.5;
            let active = d > p95 - 30.0 && d > -70.0;
            self.a += sa as u64;
            self.b += sb as u64;
            self.any += (sa || sb) as u64;
            self.both += (sa && sb) as u64;
            self.agree += ((sa || sb) == active) as u64;
        }
        self.frames += l as u64;
        self.clips += 1;
        let h = l as f64 / duologue_params::FPS as f64 / 3600.0;
        self.hours += h;
        *self.clips_per_split.entry(clip.meta.split.clone()).or_default() += 1;
        *self.hours_per_split.entry(clip.meta.split.clone()).or_default() += h;
        self.finish();
    }

    fn finish(&mut self) {
        let f = self.frames.max(1) as f64;
        self.speaking_ratio = self.any as f64 / f;
        self.speaking_ratio_a = self.a as f64 / f;
        self.speaking_ratio_b = self.b as f64 / f;
        self.overlap_ratio = self.both as f64 / self.any.max(1) as f64;
        self.mask_agreement = self.agree as f64 / f;
        self.bytes_per_hour = if self.hours > 0.0 { self.bytes as f64 / self.hours } else { 0.0 };
    }

    /// Read every shard of a dataset (verifying checksums) and summarise it.
    pub fn of_dataset(
        ds: &Dataset,
        on_error: OnError,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Stats, DataError> {
        let mut s = Stats::default();
        let n = ds.manifest.shards.len();
        for (i, entry) in ds.manifest.shards.iter().enumerate() {
            match read_shard(ds.dir(), entry, on_error) {
                Ok((clips, skipped)) => {
                    // Size counts only shards that were read, so bytes per hour stays honest.
                    s.bytes += entry.bytes;
                    s.skipped += skipped;
                    for c in &clips {
                        s.add(c);
                    }
                }
                Err(e) if on_error == OnError::Skip => {
                    let _ = e;
                    s.skipped += entry.clips.max(1);
                }
                Err(e) => return Err(e),
            }
            progress(i + 1, n);
        }
        s.finish();
        Ok(s)
    }
}

impl Stats {
    /// The statistics for people: a first line naming `what`, then one line per split and one
    /// per ratio.
    pub fn to_text(&self, what: &str) -> String {
        let mut t = format!("{what}: {} clips, {:.3} hours\n", self.clips, self.hours);
        for (split, n) in &self.clips_per_split {
            let hours = self.hours_per_split.get(split).copied().unwrap_or(0.0);
            t.push_str(&format!("  {split:<5} {n} clips, {hours:.3} h\n"));
        }
        t.push_str(&format!(
            "  speaking ratio  {:.3} (A {:.3}, B {:.3})\n  overlap ratio   {:.3} of speech frames\n  \
             mask agreement  {:.3} (masks vs. audio activity)\n  size            {:.1} MB, {:.1} MB per hour\n",
            self.speaking_ratio,
            self.speaking_ratio_a,
            self.speaking_ratio_b,
            self.overlap_ratio,
            self.mask_agreement,
            self.bytes as f64 / 1e6,
            self.bytes_per_hour / 1e6
        ));
        if self.skipped > 0 {
            t.push_str(&format!("  skipped         {} bad clips\n", self.skipped));
        }
        t
    }
}
