//! Synthetic dubbing (paper §3.6.2): pseudo-conversations assembled from
//! single-speaker clips by random cuts, alternation, muting and deliberate overlaps.
//!
//! Each output clip takes two single-speaker sources of different voices and identities from the
//! same split, cuts a window at a random point of each (each person's motion stays continuous),
//! and lays out alternating speaking stretches: a person is audible only inside their
//! stretches and muted elsewhere, with some stretches overlapping on purpose. Masks are the
//! source's own speech activity restricted to the audible stretches, so they are exact. While
//! muted, a person's lip/jaw group is relaxed toward neutral (their source video was talking;
//! a muted listener should not appear to), and both are turned to face each other as the
//! drawn layout implies. Source eyes looked at a camera, not at the partner, so dubbed clips
//! are flagged gaze-unreliable; lips are reliable.

use crate::behavior::{rot, smooth};
use crate::channel::ChannelOdds;
use crate::clip::{Clip, ClipMeta};
use crate::mix::{frame_db, mask_from_spans};
use crate::rng::Rng;
use crate::shard::{Dataset, OnError, StreamConfig};
use crate::simulate::SPLITS;
use crate::DataError;
use duologue_layout::facing::facing_toward;
use duologue_layout::Library;
use duologue_params::{Duo, Joint, Motion, Person, FPS, HOP, LIP, N_ID, SAMPLE_RATE, X_DIM};
use std::path::Path;

/// One single-speaker recording with its motion.
#[derive(Debug, Clone)]
pub struct Source {
    /// Name (clip key or file stem).
    pub name: String,
    /// 16 kHz mono audio, `[L * 640]`.
    pub audio: Vec<f32>,
    /// Motion `[L, 78]`.
    pub x: Motion,
    /// Identity.
    pub beta: Vec<f32>,
    /// Speech activity `[L]`.
    pub mask: Vec<f32>,
    /// Voice unit (splits never share one).
    pub voice: String,
    /// Identity id (splits never share one).
    pub identity: String,
    /// Split.
    pub split: String,
}

/// Single-speaker sources from a dataset of monologues (`duologue simulate --single`): person A
/// of every clip of every split.
pub fn sources_from_dataset(ds: &Dataset, on_error: OnError) -> Result<(Vec<Source>, usize), DataError> {
    let mut out = Vec::new();
    let mut skipped = 0;
    for split in SPLITS {
        if ds.manifest.split(split).is_empty() {
            continue;
        }
        let mut cfg = StreamConfig::train(split, 0);
        cfg.shuffle = false;
        cfg.on_error = on_error;
        let mut stream = ds.stream(cfg)?;
        for c in stream.by_ref() {
            let c = c?;
            out.push(Source {
                name: c.key.clone(),
                audio: c.audio,
                x: c.duo.a.x,
                beta: c.duo.a.beta,
                mask: c.duo.a.mask,
                voice: c.meta.voice_units[0].clone(),
                identity: c.meta.identities[0].clone(),
                split: c.meta.split,
            });
        }
        skipped += stream.skipped();
    }
    Ok((out, skipped))
}

/// Single-speaker sources from a directory of `NAME.wav` (16 kHz mono) + `NAME.npz` (`x`
/// `[L, 78]`, `beta` `[50]`, optional `m` `[L]`) pairs, e.g. fits of single-person videos.
/// Voice and identity are the file stem unless `NAME.json` gives `{"voice": .., "identity": ..}`;
/// the split is drawn per voice with `assign(voice)`.
/// With [`OnError::Skip`] an unreadable or malformed pair is skipped and counted (the second
/// value) instead of failing the whole folder.
pub fn sources_from_dir(
    dir: &Path,
    assign: &dyn Fn(&str) -> String,
    policy: OnError,
) -> Result<(Vec<Source>, usize), DataError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| DataError::Io { path: p.clone(), source }
    };
    let mut stems: Vec<String> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            (p.extension().and_then(|x| x.to_str()) == Some("npz"))
                .then(|| p.file_stem()?.to_str().map(String::from))
                .flatten()
        })
        .collect();
    stems.sort();
    let (mut out, mut skipped) = (Vec::new(), 0);
    for stem in stems {
        match source_from_files(dir, &stem, assign) {
            Ok(source) => out.push(source),
            Err(_) if policy == OnError::Skip => skipped += 1,
            Err(e) => return Err(e),
        }
    }
    Ok((out, skipped))
}

/// One source of [`sources_from_dir`]: `STEM.npz`, `STEM.wav` and the optional `STEM.json`.
fn source_from_files(dir: &Path, stem: &str, assign: &dyn Fn(&str) -> String) -> Result<Source, DataError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| DataError::Io { path: p.clone(), source }
    };
    let bad = |reason: String| DataError::BadClip {
        shard: dir.display().to_string(),
        key: stem.to_string(),
        reason,
    };
    let npz = duologue_params::read_npz(&dir.join(format!("{stem}.npz"))).map_err(|e| bad(e.to_string()))?;
    let x = npz.get("x").ok_or_else(|| bad("npz has no array 'x' [L, 78]".into()))?;
    if x.shape.len() != 2 || x.shape[1] != X_DIM || x.shape[0] == 0 {
        return Err(bad(format!("x has shape {:?}, expected [L, 78]", x.shape)));
    }
    let l = x.shape[0];
    let beta = npz.get("beta").map(|b| b.data.clone()).unwrap_or_else(|| vec![0.0; N_ID]);
    if beta.len() != N_ID {
        return Err(bad(format!("beta has {} values, expected 50", beta.len())));
    }
    let wav_path = dir.join(format!("{stem}.wav"));
    let bytes = std::fs::read(&wav_path).map_err(io(&wav_path))?;
    let (mut audio, rate) = crate::wav::decode(&bytes).map_err(|e| bad(format!("{stem}.wav: {e}")))?;
    if rate != SAMPLE_RATE {
        return Err(bad(format!("{stem}.wav is {rate} Hz; dubbing sources must be 16 kHz mono")));
    }
    audio.resize(l * HOP, 0.0);
    let mask = match npz.get("m") {
        Some(m) if m.data.len() == l => m.data.clone(),
        Some(m) => return Err(bad(format!("m has {} values, expected {l}", m.data.len()))),
        None => energy_mask(&audio, l),
    };
    let meta: serde_json::Value = std::fs::read(dir.join(format!("{stem}.json")))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let voice = meta["voice"].as_str().unwrap_or(stem).to_string();
    let identity = meta["identity"].as_str().unwrap_or(stem).to_string();
    let split = assign(&voice);
    let x = Motion::from_vec(x.data.clone()).ok_or_else(|| bad("x length".into()))?;
    Ok(Source { name: stem.to_string(), audio, x, beta, mask, voice, identity, split })
}

/// Speech activity from the level of a clean single-speaker track.
pub fn energy_mask(audio: &[f32], frames: usize) -> Vec<f32> {
    let db = frame_db(audio, frames);
    let mut s = db.clone();
    s.sort_by(f32::total_cmp);
    let p95 = s.get((0.95 * frames.saturating_sub(1) as f32) as usize).copied().unwrap_or(-100.0);
    db.iter().map(|&d| if d > p95 - 30.0 && d > -60.0 { 1.0 } else { 0.0 }).collect()
}

/// Dubbing settings.
#[derive(Debug, Clone, Copy)]
pub struct DubConfig {
    /// Output clip length in frames.
    pub frames: usize,
    /// Probability that the next stretch deliberately overlaps the previous one.
    pub overlap: f32,
    /// Audible stretch length range, seconds.
    pub stretch: (f32, f32),
    /// Probabilities of a room and of noise per clip (as simulate's).
    pub room: (f32, f32),
    /// Microphone, transmission and level per clip ([`crate::channel`]).
    pub channel: ChannelOdds,
}

impl Default for DubConfig {
    fn default() -> Self {
        Self {
            frames: duologue_params::WINDOW,
            overlap: 0.3,
            stretch: (1.0, 4.0),
            room: (0.5, 0.5),
            channel: ChannelOdds::default(),
        }
    }
}

/// Audible stretches of A and B over `seconds`: alternation with gaps and deliberate overlaps.
pub fn stretches(rng: &mut Rng, seconds: f32, cfg: &DubConfig) -> [Vec<(f32, f32)>; 2] {
    let mut out: [Vec<(f32, f32)>; 2] = Default::default();
    let mut t = -rng.range(0.0, 1.0);
    let mut who = rng.below(2);
    while t < seconds {
        let len = rng.range(cfg.stretch.0, cfg.stretch.1);
        out[who].push((t.max(0.0), (t + len).min(seconds)));
        let next = if rng.chance(cfg.overlap) {
            t + len - rng.range(0.2, 1.0).min(0.8 * len)
        } else {
            t + len + rng.range(0.05, 0.6)
        };
        t = next;
        who = 1 - who;
    }
    out
}

/// Build dubbed clip `index` from `sources` (only pairs within one split, different voices and
/// identities). `None` if no usable pair exists in the drawn split.
pub fn dub_clip(
    rng: &mut Rng,
    sources: &[Source],
    layouts: &Library,
    cfg: &DubConfig,
    key: String,
) -> Option<Clip> {
    let l = cfg.frames;
    let usable: Vec<&Source> = sources.iter().filter(|s| s.x.frames() >= l).collect();
    let a = *rng.pick(&usable);
    let partners: Vec<&&Source> = usable
        .iter()
        .filter(|s| s.split == a.split && s.voice != a.voice && s.identity != a.identity)
        .collect();
    if partners.is_empty() {
        return None;
    }
    let b = **rng.pick(&partners);
    let seconds = l as f32 / FPS as f32;
    let spans = stretches(rng, seconds, cfg);
    let pool: Vec<_> = layouts.entries().iter().collect();
    let layout = *rng.pick(&pool);
    let t0s = [layout.a, layout.b];
    let mut people = Vec::new();
    let mut audio = vec![0.0f32; l * HOP];
    for (i, src) in [a, b].into_iter().enumerate() {
        // Random cut: a window at a random point of the source.
        let start = rng.below(src.x.frames() - l + 1);
        let audible = mask_from_spans(&spans[i], l);
        // Sample-level gain with 20 ms ramps, so muting does not click.
        let ramp = (0.02 * SAMPLE_RATE as f32) as usize;
        let mut gain = vec![0.0f32; l * HOP];
        for &(s0, s1) in &spans[i] {
            let (a0, a1) =
                ((s0 * SAMPLE_RATE as f32) as usize, ((s1 * SAMPLE_RATE as f32) as usize).min(l * HOP));
            for (j, g) in gain.iter_mut().enumerate().take(a1).skip(a0) {
                let edge = (j - a0).min(a1 - 1 - j) as f32 / ramp as f32;
                *g = g.max(edge.min(1.0));
            }
        }
        for (j, (o, g)) in audio.iter_mut().zip(&gain).enumerate() {
            *o += g * src.audio.get(start * HOP + j).copied().unwrap_or(0.0);
        }
        let mask: Vec<f32> = (0..l).map(|k| src.mask[start + k].min(audible[k])).collect();
        // Relax the lips while muted (smoothed over ~100 ms so the mouth settles, not snaps).
        let keep = smooth(&audible, 0.08);
        let face = facing_toward(t0s[i], t0s[1 - i]);
        let turn = rot::from_aa([0.0, face.yaw, 0.0]);
        let d0 = src.x.dt(start);
        let mut x = Motion::zeros(l);
        for (k, &kp) in keep.iter().enumerate() {
            let f = x.frame_mut(k);
            f.copy_from_slice(src.x.frame(start + k));
            for v in &mut f[LIP] {
                *v *= kp;
            }
            // Turn the body toward the partner: world yaw applied before the source neck.
            let neck = rot::to_aa(&rot::mul(&turn, &rot::from_aa(src.x.theta(start + k, Joint::Neck))));
            f[Joint::Neck.range()].copy_from_slice(&neck);
            // dt relative to the window's first frame, rotated with the body.
            let d = [f[75] - d0[0], f[76] - d0[1], f[77] - d0[2]];
            let d = rot::apply(&turn, d);
            f[75..78].copy_from_slice(&d);
        }
        people.push(Person { x, beta: src.beta.clone(), t0: t0s[i], mask });
    }
    let peak = audio.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if peak > 0.99 {
        for v in audio.iter_mut() {
            *v *= 0.99 / peak;
        }
    }
    let pb = people.pop()?;
    let pa = people.pop()?;
    let meta = ClipMeta {
        source: "dubbed".into(),
        split: a.split.clone(),
        lip_reliable: true,
        gaze_reliable: false,
        layout_text: layout.text.clone(),
        layout_id: Some(layout.id.clone()),
        voices: [a.voice.clone(), b.voice.clone()],
        voice_units: [a.voice.clone(), b.voice.clone()],
        identities: [a.identity.clone(), b.identity.clone()],
        seconds,
        extra: serde_json::json!({ "sources": [a.name, b.name], "stretches": spans }),
    };
    Some(Clip { key, audio, duo: Duo { a: pa, b: pb, fps: FPS as f32 }, meta })
}
