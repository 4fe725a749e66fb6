//! WebDataset-style shards, the manifest, and a streaming reader (DESIGN §6).
//!
//! A dataset directory holds `SPLIT-NNNNN.tar` shards, each a plain tar whose members share a
//! key per clip (`KEY.x_A.npy` ... `KEY.m_B.npy`, `KEY.audio.wav`, `KEY.json`), and
//! `manifest.jsonl`: a header line with the split plan (which voices and identities belong to
//! which split) and one line per shard with its split, clip count, duration, size and sha256.
//! Readers verify each shard's checksum before yielding any of its clips, so corruption is an
//! error naming the shard (and clip), or, on request, skipped and counted — never garbage.

use crate::clip::Clip;
use crate::simulate::SplitPlan;
use crate::DataError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Manifest file name inside a dataset directory.
pub const MANIFEST: &str = "manifest.jsonl";

/// Header line of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetHeader {
    /// Always "dataset".
    pub kind: String,
    /// Format version (1).
    pub version: u32,
    /// Frames per second of the motion.
    pub fps: u32,
    /// Audio sample rate.
    pub sample_rate: u32,
    /// How the clips were made ("simulated", "dubbed", ...).
    pub source: String,
    /// Which voices and identities are in which split.
    pub splits: SplitPlan,
    /// Free-form provenance (command line, corpus, seeds).
    #[serde(default)]
    pub extra: serde_json::Value,
}

impl DatasetHeader {
    /// A version-1 header at DESIGN §1's rates.
    pub fn new(source: &str, splits: SplitPlan, extra: serde_json::Value) -> Self {
        Self {
            kind: "dataset".into(),
            version: 1,
            fps: duologue_params::FPS,
            sample_rate: duologue_params::SAMPLE_RATE,
            source: source.into(),
            splits,
            extra,
        }
    }
}

/// One shard's line in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardEntry {
    /// Always "shard".
    pub kind: String,
    /// File name relative to the dataset directory.
    pub file: String,
    /// Split of every clip inside.
    pub split: String,
    /// Number of clips.
    pub clips: usize,
    /// Total duration, seconds.
    pub seconds: f64,
    /// File size, bytes.
    pub bytes: u64,
    /// Lower-case hex sha256 of the file.
    pub sha256: String,
}

/// A dataset's manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Header.
    pub header: DatasetHeader,
    /// Shards in file order.
    pub shards: Vec<ShardEntry>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io { path: path.to_path_buf(), source }
}

impl Manifest {
    /// Read `DIR/manifest.jsonl`.
    pub fn read(dir: &Path) -> Result<Manifest, DataError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty()).enumerate();
        let what = |n: usize| format!("{}:{}", path.display(), n + 1);
        let (n0, first) =
            lines.next().ok_or_else(|| DataError::Json { what: what(0), reason: "empty manifest".into() })?;
        let header: DatasetHeader = serde_json::from_str(first)
            .map_err(|e| DataError::Json { what: what(n0), reason: e.to_string() })?;
        let mut shards = Vec::new();
        for (n, l) in lines {
            let e: ShardEntry = serde_json::from_str(l)
                .map_err(|e| DataError::Json { what: what(n), reason: e.to_string() })?;
            shards.push(e);
        }
        Ok(Manifest { header, shards })
    }

    /// Write `DIR/manifest.jsonl` atomically.
    pub fn write(&self, dir: &Path) -> Result<(), DataError> {
        let mut s = String::new();
        let enc = |v: &dyn erased::Ser| {
            v.json().map_err(|e| DataError::Json { what: MANIFEST.into(), reason: e.to_string() })
        };
        s.push_str(&enc(&self.header)?);
        s.push('\n');
        for e in &self.shards {
            s.push_str(&enc(e)?);
            s.push('\n');
        }
        let path = dir.join(MANIFEST);
        let mut tmp = duologue_params::atomic::temp_beside(&path).map_err(io_err(&path))?;
        std::io::Write::write_all(&mut tmp, s.as_bytes()).map_err(io_err(&path))?;
        tmp.persist(&path).map_err(|e| io_err(&path)(e.error))?;
        Ok(())
    }

    /// Shards of one split.
    pub fn split(&self, split: &str) -> Vec<&ShardEntry> {
        self.shards.iter().filter(|s| s.split == split).collect()
    }
}

mod erased {
    /// Object-safe JSON serialisation for the two line types.
    pub trait Ser {
        fn json(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> serde_json::Result<String> {
            serde_json::to_string(self)
        }
    }
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex sha256 and length of a file, read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> Result<(String, u64), DataError> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        len += n as u64;
    }
    Ok((h.finalize().iter().map(|b| format!("{b:02x}")).collect(), len))
}

/// Writes clips into per-split shards of at most `clips_per_shard` clips and keeps the
/// manifest up to date (rewritten after every finished shard, so an interrupted run leaves a
/// readable dataset of the shards it finished).
pub struct ShardWriter {
    dir: PathBuf,
    clips_per_shard: usize,
    manifest: Manifest,
    open: HashMap<String, OpenShard>,
    counters: HashMap<String, usize>,
    /// Whether `create` made `dir` (removed again by a run that fails before its first shard).
    created_dir: bool,
    finished: bool,
}

struct OpenShard {
    file: String,
    /// The shard's temporary file (removed if the writer is dropped before the shard closes).
    tmp: tempfile::TempPath,
    builder: tar::Builder<std::io::BufWriter<std::fs::File>>,
    clips: usize,
    seconds: f64,
}

impl ShardWriter {
    /// Start a dataset in `dir` (created if missing). Refuses a directory that already has a
    /// manifest, so nothing is overwritten by accident.
    pub fn create(dir: &Path, header: DatasetHeader, clips_per_shard: usize) -> Result<Self, DataError> {
        let created_dir = !dir.exists();
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        if dir.join(MANIFEST).exists() {
            return Err(DataError::Config {
                reason: format!("{} already holds a dataset ({MANIFEST}); choose a new --out", dir.display()),
            });
        }
        let manifest = Manifest { header, shards: Vec::new() };
        if let Err(e) = manifest.write(dir) {
            if created_dir {
                let _ = std::fs::remove_dir(dir);
            }
            return Err(e);
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            clips_per_shard: clips_per_shard.max(1),
            manifest,
            open: HashMap::new(),
            counters: HashMap::new(),
            created_dir,
            finished: false,
        })
    }

    /// Add a clip to its split's current shard.
    pub fn add(&mut self, clip: &Clip) -> Result<(), DataError> {
        let split = clip.meta.split.clone();
        clip.validate(&format!("(writing {split})"))?;
        if !self.open.contains_key(&split) {
            let n = self.counters.entry(split.clone()).or_insert(0);
            let file = format!("{split}-{n:05}.tar");
            *n += 1;
            // Shards stream to a hidden temporary file and are renamed when complete, so a
            // reader never sees a half-written shard and memory stays flat.
            let path = self.dir.join(&file);
            let (f, tmp) = duologue_params::atomic::temp_beside(&path).map_err(io_err(&path))?.into_parts();
            let builder = tar::Builder::new(std::io::BufWriter::new(f));
            self.open.insert(split.clone(), OpenShard { file, tmp, builder, clips: 0, seconds: 0.0 });
        }
        let shard = self.open.get_mut(&split).expect("inserted above");
        for (suffix, bytes) in clip.to_members()? {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(0); // reproducible shards: same clips, same bytes, same sha256
            h.set_cksum();
            let name = format!("{}.{suffix}", clip.key);
            shard
                .builder
                .append_data(&mut h, &name, bytes.as_slice())
                .map_err(|e| DataError::BadShard { shard: shard.file.clone(), reason: e.to_string() })?;
        }
        shard.clips += 1;
        shard.seconds += clip.frames() as f64 / duologue_params::FPS as f64;
        if shard.clips >= self.clips_per_shard {
            self.close(&split)?;
        }
        Ok(())
    }

    fn close(&mut self, split: &str) -> Result<(), DataError> {
        let Some(shard) = self.open.remove(split) else { return Ok(()) };
        let fail =
            |e: std::io::Error| DataError::BadShard { shard: shard.file.clone(), reason: e.to_string() };
        let mut w = shard.builder.into_inner().map_err(fail)?;
        std::io::Write::flush(&mut w).map_err(fail)?;
        drop(w);
        let path = self.dir.join(&shard.file);
        // Hash what is on disk, not what we meant to write.
        let (sha256, len) = sha256_file(&shard.tmp)?;
        shard.tmp.persist(&path).map_err(|e| io_err(&path)(e.error))?;
        self.manifest.shards.push(ShardEntry {
            kind: "shard".into(),
            file: shard.file,
            split: split.into(),
            clips: shard.clips,
            seconds: shard.seconds,
            bytes: len,
            sha256,
        });
        self.manifest.write(&self.dir)
    }

    /// Close every open shard and write the final manifest.
    pub fn finish(mut self) -> Result<Manifest, DataError> {
        let mut splits: Vec<String> = self.open.keys().cloned().collect();
        splits.sort();
        for s in splits {
            self.close(&s)?;
        }
        self.manifest.shards.sort_by(|a, b| a.file.cmp(&b.file));
        self.manifest.write(&self.dir)?;
        self.finished = true;
        Ok(self.manifest.clone())
    }
}

impl Drop for ShardWriter {
    /// A run that fails before it finished any shard leaves nothing: not a manifest of no
    /// shards, nor the folder if it made it (open shards' temporaries go with their
    /// [`tempfile::TempPath`]). Finished shards stay, with the manifest that lists them: the
    /// readable part of a long run.
    fn drop(&mut self) {
        if self.finished || !self.manifest.shards.is_empty() {
            return;
        }
        self.open.clear();
        let _ = std::fs::remove_file(self.dir.join(MANIFEST));
        if self.created_dir {
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// Read and verify a whole shard; returns its clips in file order. `on_error` decides whether a
/// bad clip fails the shard or is skipped (and counted in the returned number).
pub fn read_shard(dir: &Path, entry: &ShardEntry, policy: OnError) -> Result<(Vec<Clip>, usize), DataError> {
    let path = dir.join(&entry.file);
    let bad = |reason: String| DataError::BadShard { shard: entry.file.clone(), reason };
    // The size on disk is checked before anything is read: a listing cannot make the reader
    // take in more than the manifest says, nor a grown file more than it lists.
    let on_disk =
        std::fs::metadata(&path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?.len();
    if on_disk != entry.bytes {
        return Err(bad(format!("size {on_disk} bytes, manifest says {} (truncated?)", entry.bytes)));
    }
    let bytes = std::fs::read(&path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
    if bytes.len() as u64 != entry.bytes {
        return Err(bad(format!("size {} bytes, manifest says {} (truncated?)", bytes.len(), entry.bytes)));
    }
    let sum = sha256_hex(&bytes);
    if sum != entry.sha256 {
        return Err(bad(format!("sha256 {sum} does not match the manifest's {}", entry.sha256)));
    }
    let mut archive = tar::Archive::new(bytes.as_slice());
    // Members grouped by key, in order of first appearance.
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, HashMap<String, Vec<u8>>> = HashMap::new();
    let entries = archive.entries().map_err(|e| bad(format!("not a tar archive: {e}")))?;
    for item in entries {
        let mut item = item.map_err(|e| bad(format!("corrupt tar entry: {e}")))?;
        let name =
            item.path().map_err(|e| bad(format!("bad member name: {e}")))?.to_string_lossy().into_owned();
        let Some((key, suffix)) = name.split_once('.') else {
            return Err(bad(format!("member {name:?} has no KEY.suffix form")));
        };
        let mut data = Vec::with_capacity(item.size() as usize);
        item.read_to_end(&mut data).map_err(|e| bad(format!("member {name}: {e}")))?;
        if !groups.contains_key(key) {
            order.push(key.to_string());
        }
        groups.entry(key.to_string()).or_default().insert(suffix.to_string(), data);
    }
    let mut clips = Vec::with_capacity(order.len());
    let mut skipped = 0;
    for key in order {
        match Clip::from_members(&entry.file, &key, &groups[&key]) {
            Ok(c) => clips.push(c),
            Err(e) => match policy {
                OnError::Fail => return Err(e),
                OnError::Skip => skipped += 1,
            },
        }
    }
    if policy == OnError::Fail && clips.len() != entry.clips {
        return Err(bad(format!("holds {} clips, manifest says {}", clips.len(), entry.clips)));
    }
    Ok((clips, skipped))
}

/// What to do with a bad shard or clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Stop with an error naming the shard and clip.
    Fail,
    /// Skip it and count it ([`ClipStream::skipped`]).
    Skip,
}

/// How to stream a split.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Split name ("train", "val", "test").
    pub split: String,
    /// Shuffle seed; combined with `epoch` so every epoch has its own order.
    pub seed: u64,
    /// Epoch number.
    pub epoch: u64,
    /// Shuffle buffer size in clips (1 = no clip shuffling; shard order is still shuffled
    /// unless `shuffle` is false).
    pub buffer: usize,
    /// Shuffle at all (false: file order, for evaluation).
    pub shuffle: bool,
    /// This process's data-parallel rank.
    pub rank: usize,
    /// Number of data-parallel ranks.
    pub world: usize,
    /// Bad shard or clip policy.
    pub on_error: OnError,
}

impl StreamConfig {
    /// Shuffled training stream of `split` for a single process.
    pub fn train(split: &str, seed: u64) -> Self {
        Self {
            split: split.into(),
            seed,
            epoch: 0,
            buffer: 256,
            shuffle: true,
            rank: 0,
            world: 1,
            on_error: OnError::Fail,
        }
    }
}

/// An opened dataset directory.
#[derive(Debug, Clone)]
pub struct Dataset {
    dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl Dataset {
    /// Open `dir` (reads the manifest; shards are verified as they are read).
    pub fn open(dir: &Path) -> Result<Self, DataError> {
        Ok(Self { dir: dir.to_path_buf(), manifest: Manifest::read(dir)? })
    }

    /// Directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stream the clips of one split for one rank.
    ///
    /// Shards are shuffled with `(seed, epoch)` and dealt round-robin to ranks when there are at
    /// least as many shards as ranks; otherwise every rank reads every shard and keeps clips
    /// `i % world == rank`. Either way each clip goes to exactly one rank per epoch.
    pub fn stream(&self, cfg: StreamConfig) -> Result<ClipStream, DataError> {
        if cfg.world == 0 || cfg.rank >= cfg.world {
            return Err(DataError::Config { reason: format!("rank {} of world {}", cfg.rank, cfg.world) });
        }
        let mut shards: Vec<ShardEntry> = self.manifest.split(&cfg.split).into_iter().cloned().collect();
        if shards.is_empty() {
            return Err(DataError::Config {
                reason: format!("{} has no shards for split '{}'", self.dir.display(), cfg.split),
            });
        }
        let mut rng = crate::rng::Rng::derive(cfg.seed, cfg.epoch);
        if cfg.shuffle {
            rng.shuffle(&mut shards);
        }
        let by_shard = shards.len() >= cfg.world;
        if by_shard {
            shards = shards
                .into_iter()
                .enumerate()
                .filter(|(i, _)| i % cfg.world == cfg.rank)
                .map(|(_, s)| s)
                .collect();
        }
        Ok(ClipStream {
            dir: self.dir.clone(),
            shards: shards.into(),
            pending: VecDeque::new(),
            buffer: Vec::new(),
            rng,
            cfg,
            by_shard,
            clip_counter: 0,
            skipped: 0,
            done: false,
        })
    }
}

/// Iterator over clips with a seeded shuffle buffer (WebDataset-style): clips fill a buffer of
/// `buffer` clips and a random one is emitted each step.
pub struct ClipStream {
    dir: PathBuf,
    shards: VecDeque<ShardEntry>,
    pending: VecDeque<Clip>,
    buffer: Vec<Clip>,
    rng: crate::rng::Rng,
    cfg: StreamConfig,
    by_shard: bool,
    clip_counter: usize,
    skipped: usize,
    done: bool,
}

impl ClipStream {
    /// Clips (or whole shards' worth of clips) skipped under [`OnError::Skip`].
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    fn refill(&mut self) -> Result<bool, DataError> {
        while self.pending.is_empty() {
            let Some(entry) = self.shards.pop_front() else { return Ok(false) };
            match read_shard(&self.dir, &entry, self.cfg.on_error) {
                Ok((clips, skipped)) => {
                    self.skipped += skipped;
                    for c in clips {
                        let mine = self.by_shard || self.clip_counter % self.cfg.world == self.cfg.rank;
                        self.clip_counter += 1;
                        if mine {
                            self.pending.push_back(c);
                        }
                    }
                }
                Err(e) => match self.cfg.on_error {
                    OnError::Fail => return Err(e),
                    OnError::Skip => self.skipped += entry.clips.max(1),
                },
            }
        }
        Ok(true)
    }
}

impl Iterator for ClipStream {
    type Item = Result<Clip, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let cap = if self.cfg.shuffle { self.cfg.buffer.max(1) } else { 1 };
        while self.buffer.len() < cap {
            if self.pending.is_empty() {
                match self.refill() {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            match self.pending.pop_front() {
                Some(c) => self.buffer.push(c),
                None => break,
            }
        }
        if self.buffer.is_empty() {
            self.done = true;
            return None;
        }
        let i = if self.cfg.shuffle { self.rng.below(self.buffer.len()) } else { 0 };
        Some(Ok(if self.cfg.shuffle { self.buffer.swap_remove(i) } else { self.buffer.remove(i) }))
    }
}
