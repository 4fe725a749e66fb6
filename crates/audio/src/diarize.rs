//! Two people from one mono mix (paper §3.3: "we predict two speaking probability masks" from
//! the mixed waveform; the paper separates sources with Looking-to-Listen, which needs video;
//! we deviate: voice activity + speaker embeddings + clustering into two people).
//!
//! Overlapping windows (1.2 s long, every 0.4 s) are embedded by a [`SpeakerEmbedder`]: the
//! weight-free [`SpectralStats`] (mean MFCCs + median pitch) or the GE2E encoder. Embeddings of
//! voiced windows are standardised and split into two clusters (spherical 2-means from the
//! farthest pair). A window's soft posterior p_A comes from its cosine margin between the two
//! centroids; a frame averages the windows covering it. Overlap: where the posterior is
//! ambiguous (both voices in the window pull it to the middle) both people get activity,
//! see [`split_activity`].

use crate::mel::{LogMel, LogMelConfig};
use crate::reseg::{mel_frames, resegment, MelPower, ResegConfig};
use duologue_params::{HOP, SAMPLE_RATE};

/// Segment audio (16 kHz) -> fixed-size speaker embedding.
pub trait SpeakerEmbedder {
    /// Embedding size.
    fn dim(&self) -> usize;
    /// Embeds one segment; any length (zero-length gives zeros).
    fn embed(&self, audio: &[f32]) -> Vec<f32>;
    /// Per-dimension weights applied after standardising embeddings across windows (None: all
    /// dimensions weigh the same).
    fn weights(&self) -> Option<Vec<f32>> {
        None
    }
    /// Two clusters are accepted only when they explain at least this fraction of the
    /// standardised embeddings' spread (and the smaller holds two windows); otherwise the
    /// recording is taken to hold one voice. Depends on the embedding's dimension.
    fn min_split(&self) -> f32 {
        0.25
    }
    /// Embeds several segments at once (networks batch them); by default one by one.
    fn embed_batch(&self, segments: &[Vec<f32>]) -> Vec<Vec<f32>> {
        segments.iter().map(|s| self.embed(s)).collect()
    }
    /// Two clusters whose mean raw embeddings are more similar than this (cosine) hold one
    /// voice ([`Diarization::similarity`]); None: only [`SpeakerEmbedder::min_split`] decides.
    fn max_similarity(&self) -> Option<f32> {
        None
    }
    /// The window length (frames) this embedder works best with, used when
    /// [`DiarizeConfig::window`] is 0.
    fn window(&self) -> usize {
        30
    }
}

impl<E: SpeakerEmbedder + ?Sized> SpeakerEmbedder for Box<E> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn embed(&self, audio: &[f32]) -> Vec<f32> {
        (**self).embed(audio)
    }
    fn weights(&self) -> Option<Vec<f32>> {
        (**self).weights()
    }
    fn min_split(&self) -> f32 {
        (**self).min_split()
    }
    fn embed_batch(&self, segments: &[Vec<f32>]) -> Vec<Vec<f32>> {
        (**self).embed_batch(segments)
    }
    fn max_similarity(&self) -> Option<f32> {
        (**self).max_similarity()
    }
    fn window(&self) -> usize {
        (**self).window()
    }
}

/// Windows embedded per batch.
const BATCH: usize = 96;

/// Weight-free embedding: mean of MFCC 1..=19 over the segment's louder half of frames, plus
/// the median log-pitch (scaled so pitch weighs about as much as the MFCC block together).
#[derive(Debug, Clone)]
pub struct SpectralStats {
    mel: LogMel,
}

/// MFCCs kept (c1..c19; c0 is loudness, which says more about distance to the mic).
const N_MFCC: usize = 19;

impl Default for SpectralStats {
    fn default() -> Self {
        Self { mel: LogMel::new(LogMelConfig { n_mels: 40, ..LogMelConfig::default() }) }
    }
}

/// DCT-II of `x`, coefficients `1..=n` (orthonormal scaling).
pub fn dct_coeffs(x: &[f32], n: usize) -> Vec<f32> {
    let m = x.len() as f32;
    (1..=n)
        .map(|k| {
            let s: f32 = x
                .iter()
                .enumerate()
                .map(|(i, v)| v * (std::f32::consts::PI * k as f32 * (i as f32 + 0.5) / m).cos())
                .sum();
            s * (2.0 / m).sqrt()
        })
        .collect()
}

/// Fundamental frequency of one frame by normalised autocorrelation over 60..400 Hz, or `None`
/// when the best peak is weak (unvoiced or silent).
pub fn pitch_hz(frame: &[f32]) -> Option<f32> {
    let (lo, hi) = ((SAMPLE_RATE / 400) as usize, (SAMPLE_RATE / 60) as usize);
    if frame.len() < 2 * hi {
        return None;
    }
    let e0: f32 = frame.iter().map(|v| v * v).sum();
    if e0 < 1e-6 {
        return None;
    }
    let n = frame.len() - hi;
    let mut best = (0.0f32, 0usize);
    for lag in lo..=hi {
        let (mut num, mut ea, mut eb) = (0.0f32, 0.0f32, 0.0f32);
        for i in 0..n {
            num += frame[i] * frame[i + lag];
            ea += frame[i] * frame[i];
            eb += frame[i + lag] * frame[i + lag];
        }
        let r = num / (ea * eb).sqrt().max(1e-12);
        if r > best.0 {
            best = (r, lag);
        }
    }
    (best.0 > 0.6).then(|| SAMPLE_RATE as f32 / best.1 as f32)
}

impl SpeakerEmbedder for SpectralStats {
    fn dim(&self) -> usize {
        N_MFCC + 1
    }

    fn embed(&self, audio: &[f32]) -> Vec<f32> {
        let d = self.mel.dim();
        let mel = self.mel.compute(audio);
        let frames: Vec<&[f32]> = mel.chunks_exact(d).collect();
        let mut out = vec![0.0; N_MFCC + 1];
        if frames.is_empty() {
            return out;
        }
        let mut loud: Vec<(f32, usize)> =
            frames.iter().enumerate().map(|(i, f)| (f.iter().sum::<f32>(), i)).collect();
        loud.sort_by(|a, b| b.0.total_cmp(&a.0));
        let keep = loud.len().div_ceil(2);
        for &(_, i) in &loud[..keep] {
            for (o, c) in out.iter_mut().zip(dct_coeffs(frames[i], N_MFCC)) {
                *o += c / keep as f32;
            }
        }
        // Pitch on 80 ms pieces (two periods of 60 Hz fit); median over voiced ones.
        let mut f0: Vec<f32> = audio.chunks_exact(2 * HOP).filter_map(pitch_hz).map(f32::ln).collect();
        f0.sort_by(f32::total_cmp);
        out[N_MFCC] = if f0.is_empty() { f32::NAN } else { f0[f0.len() / 2] };
        out
    }

    /// Pitch is one number against 19 MFCCs: give it the weight of a third of them together
    /// so that a low and a high voice separate on it.
    fn weights(&self) -> Option<Vec<f32>> {
        let mut w = vec![1.0; N_MFCC + 1];
        w[N_MFCC] = (N_MFCC as f32 / 3.0).sqrt();
        Some(w)
    }
}

/// Diarisation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiarizeConfig {
    /// Window length in frames (30 = 1.2 s); 0 = the embedder's own
    /// ([`SpeakerEmbedder::window`]: 1.2 s for spectral statistics, 1.6 s for GE2E).
    pub window: usize,
    /// Window hop in frames (10 = 0.4 s).
    pub hop: usize,
    /// A window is clustered when at least this fraction of its frames is voiced.
    pub min_voiced: f32,
    /// Temperature of the posterior: p_A = sigmoid(margin / temperature).
    pub temperature: f32,
    /// Frame-level re-segmentation after clustering ([`crate::reseg`]); None keeps the
    /// window posteriors.
    pub reseg: Option<ResegConfig>,
    /// Shorter windows at a shorter hop for short recordings (when `window` is 0); None:
    /// always the embedder's window.
    pub short: Option<ShortClip>,
}

/// Windows for recordings of at most `max_frames` frames: a half-minute clip holds few
/// 1.6 s windows, and with fast turn-taking each straddles a turn; shorter windows at a
/// shorter hop tell its voices apart better (the 4.5 s test dialog: 0.72 of frames right
/// with 1.6 s windows every 0.4 s, >= 0.8 with 1 s every 0.2 s) and cost little on so
/// little audio. On the 40 s mixes of benches/masks.rs the two score alike (0.880 against
/// 0.893 of frames right, seed 18), at 1.25x the time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShortClip {
    /// Longest recording (frames) that counts as short.
    pub max_frames: usize,
    /// Window length (frames).
    pub window: usize,
    /// Window hop (frames).
    pub hop: usize,
}

impl Default for ShortClip {
    fn default() -> Self {
        Self { max_frames: 500, window: 30, hop: 5 }
    }
}

impl Default for DiarizeConfig {
    fn default() -> Self {
        Self {
            window: 0,
            hop: 10,
            min_voiced: 0.4,
            temperature: 0.1,
            reseg: Some(ResegConfig::default()),
            short: Some(ShortClip::default()),
        }
    }
}

/// Streaming window embedder: push 16 kHz audio, then [`WindowEmbeddings::finish`] with the
/// raw per-frame voice activity to get per-frame posteriors. Holds one window of audio, and
/// the first [`ShortClip::max_frames`] frames until it knows the recording is not short.
#[derive(Debug)]
pub struct WindowEmbeddings<E: SpeakerEmbedder> {
    embedder: E,
    cfg: DiarizeConfig,
    buf: Vec<f32>,
    next_start: usize,
    /// (first frame, embedding) per window.
    windows: Vec<(usize, Vec<f32>)>,
    /// Windows cut but not embedded yet: (first frame, audio).
    pending: Vec<(usize, Vec<f32>)>,
    /// 10 ms mel power frames of the audio consumed so far, for re-segmentation (160 bytes
    /// per 10 ms: 58 MB an hour).
    mels: Vec<MelPower>,
    /// The recording so far while it may still be short ([`DiarizeConfig::short`]).
    head: Option<(Vec<f32>, ShortClip)>,
}

impl<E: SpeakerEmbedder> WindowEmbeddings<E> {
    /// Starts an empty stream.
    pub fn new(embedder: E, mut cfg: DiarizeConfig) -> Self {
        let head = (cfg.window == 0).then_some(cfg.short).flatten().map(|s| (Vec::new(), s));
        if cfg.window == 0 {
            cfg.window = embedder.window();
        }
        Self {
            head,
            embedder,
            cfg,
            buf: Vec::new(),
            next_start: 0,
            windows: Vec::new(),
            pending: Vec::new(),
            mels: Vec::new(),
        }
    }

    fn flush(&mut self) {
        let audio: Vec<Vec<f32>> = self.pending.iter().map(|(_, a)| a.clone()).collect();
        let embs = self.embedder.embed_batch(&audio);
        self.windows.extend(self.pending.drain(..).map(|(s, _)| s).zip(embs));
    }

    /// Feeds audio; embeds every window it completes.
    pub fn push(&mut self, audio: &[f32]) {
        if let Some((head, short)) = self.head.as_mut() {
            head.extend_from_slice(audio);
            if head.len() > short.max_frames * HOP {
                // Not short: the embedder's own windows, from the start.
                let (head, _) = self.head.take().unwrap_or_default();
                self.consume(&head);
            }
            return;
        }
        self.consume(audio);
    }

    fn consume(&mut self, audio: &[f32]) {
        self.buf.extend_from_slice(audio);
        let (w, h) = (self.cfg.window * HOP, self.cfg.hop * HOP);
        while self.buf.len() >= w {
            self.pending.push((self.next_start, self.buf[..w].to_vec()));
            if self.pending.len() >= BATCH {
                self.flush();
            }
            self.next_start += self.cfg.hop;
            if self.cfg.reseg.is_some() {
                self.mels.extend(mel_frames(&self.buf, h / 160));
            }
            self.buf.drain(..h);
        }
    }

    /// Ends the stream: the last partial window is embedded when it holds at least one hop,
    /// or when there was no full window at all.
    pub fn finish(mut self, vad_raw: &[f32]) -> Diarization {
        if let Some((head, short)) = self.head.take() {
            self.cfg.window = short.window;
            self.cfg.hop = short.hop;
            self.consume(&head);
        }
        self.flush();
        if self.buf.len() >= self.cfg.hop * HOP || (self.windows.is_empty() && !self.buf.is_empty()) {
            let e = self.embedder.embed(&self.buf);
            self.windows.push((self.next_start, e));
        }
        let e = &self.embedder;
        let mut d = posteriors(
            &self.windows,
            vad_raw,
            &self.cfg,
            e.weights().as_deref(),
            e.min_split(),
            e.max_similarity(),
        );
        if let (Some(r), 2) = (self.cfg.reseg, d.speakers) {
            self.mels.extend(mel_frames(&self.buf, self.buf.len().div_ceil(160)));
            d.p_first = resegment(&self.mels, vad_raw, &d.p_first, &r);
        }
        d
    }
}

/// z-score each dimension over the rows (NaN entries -> 0 after scoring), scale by `weights`,
/// then L2-normalise rows.
fn standardize(rows: &mut [Vec<f32>], weights: Option<&[f32]>) {
    let Some(d) = rows.first().map(Vec::len) else { return };
    for j in 0..d {
        let vals: Vec<f32> = rows.iter().map(|r| r[j]).filter(|v| v.is_finite()).collect();
        let n = vals.len().max(1) as f32;
        let mean = vals.iter().sum::<f32>() / n;
        let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt().max(1e-6);
        for r in rows.iter_mut() {
            r[j] = if r[j].is_finite() { (r[j] - mean) / sd } else { 0.0 };
        }
    }
    if let Some(w) = weights {
        rows.iter_mut().for_each(|r| r.iter_mut().zip(w).for_each(|(v, w)| *v *= w));
    }
    rows.iter_mut().for_each(|r| normalize(r));
}

fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 1e-9 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Spherical 2-means on unit rows, started from the two least similar rows. Returns the two
/// centroids, or `None` with fewer than two rows.
pub fn two_means(rows: &[Vec<f32>]) -> Option<[Vec<f32>; 2]> {
    if rows.len() < 2 {
        return None;
    }
    let (mut i0, mut i1, mut worst) = (0, 1, f32::MAX);
    // Farthest pair from a sample of rows (all rows when few), O(n * s).
    let step = (rows.len() / 200).max(1);
    for i in (0..rows.len()).step_by(step) {
        for j in 0..rows.len() {
            let s = dot(&rows[i], &rows[j]);
            if s < worst {
                (i0, i1, worst) = (i, j, s);
            }
        }
    }
    let mut c = [rows[i0].clone(), rows[i1].clone()];
    for _ in 0..20 {
        let mut sums = [vec![0.0; c[0].len()], vec![0.0; c[0].len()]];
        for r in rows {
            let k = usize::from(dot(r, &c[1]) > dot(r, &c[0]));
            sums[k].iter_mut().zip(r).for_each(|(s, v)| *s += v);
        }
        for (ck, mut s) in c.iter_mut().zip(sums) {
            if s.iter().any(|v| *v != 0.0) {
                normalize(&mut s);
                *ck = s;
            }
        }
    }
    Some(c)
}

/// Fraction of the rows' spread around their mean that the split into the nearer of the two
/// centroids explains (1 - within / total), in [0, 1].
pub fn explained(rows: &[Vec<f32>], c: &[Vec<f32>; 2]) -> f32 {
    let d = c[0].len();
    let n = rows.len().max(1) as f32;
    let mean: Vec<f32> = (0..d).map(|j| rows.iter().map(|r| r[j]).sum::<f32>() / n).collect();
    let mut members: [Vec<&Vec<f32>>; 2] = [Vec::new(), Vec::new()];
    for r in rows {
        members[usize::from(dot(r, &c[1]) > dot(r, &c[0]))].push(r);
    }
    let ss = |rs: &[&Vec<f32>]| -> f32 {
        let m = rs.len().max(1) as f32;
        let mu: Vec<f32> = (0..d).map(|j| rs.iter().map(|r| r[j]).sum::<f32>() / m).collect();
        rs.iter().map(|r| r.iter().zip(&mu).map(|(a, b)| (a - b).powi(2)).sum::<f32>()).sum()
    };
    let total: f32 =
        rows.iter().map(|r| r.iter().zip(&mean).map(|(a, b)| (a - b).powi(2)).sum::<f32>()).sum();
    let within = ss(&members[0]) + ss(&members[1]);
    if total <= 1e-12 {
        return 0.0;
    }
    (1.0 - within / total).clamp(0.0, 1.0)
}

/// What clustering a mix found.
#[derive(Debug, Clone, PartialEq)]
pub struct Diarization {
    /// Per-frame p(the first cluster speaks | someone speaks).
    pub p_first: Vec<f32>,
    /// Voices found: 2, or 1 when two clusters do not explain the embeddings well enough or
    /// sound alike (then `p_first` is all 1), 0 when no window was voiced.
    pub speakers: usize,
    /// Fraction of the embeddings' spread the two clusters explain ([`explained`]).
    pub separation: f32,
    /// The embedder's threshold on `separation` for two voices.
    pub min_split: f32,
    /// Voiced windows that were clustered.
    pub windows: usize,
    /// Cosine similarity of the two clusters' mean raw (unstandardised) embeddings: near 1
    /// when both clusters hold one voice.
    pub similarity: f32,
    /// Why the mix was taken as one voice (None for two voices).
    pub one_voice: Option<String>,
}

/// Per-frame p(speaker 0) from window embeddings: only windows with enough voiced frames are
/// clustered; frames covered by no such window get the nearest one's value (0.5 if none).
/// `weights`, `min_split`, `max_similarity`: see [`SpeakerEmbedder::weights`],
/// [`SpeakerEmbedder::min_split`], [`SpeakerEmbedder::max_similarity`].
pub fn posteriors(
    windows: &[(usize, Vec<f32>)],
    vad_raw: &[f32],
    cfg: &DiarizeConfig,
    weights: Option<&[f32]>,
    min_split: f32,
    max_similarity: Option<f32>,
) -> Diarization {
    let n = vad_raw.len();
    let voiced = |s: usize| {
        let e = (s + cfg.window).min(n);
        if e <= s {
            return false;
        }
        let v = vad_raw[s..e].iter().filter(|&&p| p >= 0.5).count();
        v as f32 >= cfg.min_voiced * (e - s) as f32
    };
    let kept: Vec<&(usize, Vec<f32>)> = windows.iter().filter(|(s, _)| voiced(*s)).collect();
    let raw: Vec<Vec<f32>> = kept.iter().map(|(_, e)| e.clone()).collect();
    let mut rows = raw.clone();
    standardize(&mut rows, weights);
    let windows = rows.len();
    let one = |speakers: usize, separation: f32| Diarization {
        p_first: vec![if speakers == 0 { 0.5 } else { 1.0 }; n],
        speakers,
        separation,
        min_split,
        windows,
        similarity: 1.0,
        one_voice: (speakers == 1).then(|| "too few voiced windows to compare two voices".to_string()),
    };
    let Some(c) = two_means(&rows) else { return one(usize::from(!kept.is_empty()), 0.0) };
    let smaller = rows.iter().filter(|r| dot(r, &c[1]) > dot(r, &c[0])).count().min(rows.len() / 2);
    let separation = explained(&rows, &c);
    let similarity = {
        let d = raw.first().map_or(0, Vec::len);
        let mut m = [vec![0.0f32; d], vec![0.0f32; d]];
        for (r, e) in rows.iter().zip(&raw) {
            let k = usize::from(dot(r, &c[1]) > dot(r, &c[0]));
            let mut e = e.clone();
            normalize(&mut e);
            m[k].iter_mut().zip(&e).for_each(|(a, v)| *a += v);
        }
        m.iter_mut().for_each(|v| normalize(v));
        dot(&m[0], &m[1])
    };
    if smaller < 2 || separation < min_split {
        let why = if smaller < 2 {
            format!("only {smaller} of {windows} voiced windows differ from the rest")
        } else {
            format!(
                "two voice clusters explain {:.0}% of the voice windows' spread, two people need {:.0}%",
                100.0 * separation,
                100.0 * min_split
            )
        };
        return Diarization { similarity, one_voice: Some(why), ..one(1, separation) };
    }
    if let Some(max) = max_similarity.filter(|&m| similarity > m) {
        let why = format!(
            "the two most different groups of voice windows sound alike (cosine similarity {similarity:.2}, \
             two people are told apart below {max:.2})"
        );
        return Diarization { similarity, one_voice: Some(why), ..one(1, separation) };
    }
    let (mut acc, mut cnt) = (vec![0.0f32; n], vec![0u32; n]);
    for ((s, _), r) in kept.iter().zip(&rows) {
        let margin = dot(r, &c[0]) - dot(r, &c[1]);
        let p = 1.0 / (1.0 + (-margin / cfg.temperature).exp());
        for k in *s..(*s + cfg.window).min(n) {
            acc[k] += p;
            cnt[k] += 1;
        }
    }
    let mut out: Vec<f32> =
        acc.iter().zip(&cnt).map(|(a, &c)| if c > 0 { a / c as f32 } else { f32::NAN }).collect();
    fill_gaps(&mut out);
    Diarization { p_first: out, speakers: 2, separation, min_split, windows, similarity, one_voice: None }
}

/// NaN runs take the previous defined value (the next one at the start; 0.5 if none).
fn fill_gaps(x: &mut [f32]) {
    let mut last = f32::NAN;
    let mut left = vec![f32::NAN; x.len()];
    for (i, v) in x.iter().enumerate() {
        if v.is_finite() {
            last = *v;
        }
        left[i] = last;
    }
    let mut next = f32::NAN;
    for i in (0..x.len()).rev() {
        if x[i].is_finite() {
            next = x[i];
            continue;
        }
        x[i] = match (left[i].is_finite(), next.is_finite()) {
            (true, _) => left[i],
            (false, true) => next,
            _ => 0.5,
        };
    }
}

/// Splits voice activity between two people by the posterior p(first): each gets
/// `vad * ramp(p)`, with `ramp` rising from 0 at p = 0.2 to 1 at p = 0.5. A confident frame
/// goes to one person; an ambiguous one (both voices in the window) counts for both -- the
/// overlap handling.
pub fn split_activity(vad: &[f32], p_first: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let ramp = |p: f32| ((p - 0.2) / 0.3).clamp(0.0, 1.0);
    vad.iter().zip(p_first).map(|(&v, &p)| (v * ramp(p), v * ramp(1.0 - p))).unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(f0: f32, formant: f32, secs: f32) -> Vec<f32> {
        // Pulse-train source through a crude resonance: enough to look like two voices.
        let n = (secs * SAMPLE_RATE as f32) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / SAMPLE_RATE as f32;
                (1..30)
                    .map(|h| {
                        let f = f0 * h as f32;
                        let g = (-((f - formant) / 600.0).powi(2)).exp() + 0.1 / h as f32;
                        g * (2.0 * std::f32::consts::PI * f * t).sin()
                    })
                    .sum::<f32>()
                    * 0.05
            })
            .collect()
    }

    #[test]
    fn pitch_is_found_for_a_voice_and_not_for_silence() {
        let v = voice(120.0, 700.0, 0.2);
        let f = pitch_hz(&v[..1280]).unwrap_or(0.0);
        assert!((f - 120.0).abs() < 5.0, "{f}");
        assert_eq!(pitch_hz(&[0.0; 1280]), None);
    }

    #[test]
    fn two_synthetic_voices_are_told_apart() {
        // A (low, dark) 3 s, B (high, bright) 3 s, A 3 s.
        let mut x = voice(110.0, 600.0, 3.0);
        x.extend(voice(220.0, 1400.0, 3.0));
        x.extend(voice(110.0, 600.0, 3.0));
        let n = crate::mel::frames_for(x.len());
        let vad = vec![1.0; n];
        let mut w = WindowEmbeddings::new(SpectralStats::default(), DiarizeConfig::default());
        for c in x.chunks(5000) {
            w.push(c);
        }
        let d = w.finish(&vad);
        assert_eq!(d.speakers, 2);
        let p = d.p_first;
        assert_eq!(p.len(), n);
        let a_side = p[10] > 0.5;
        let wrong = (0..n)
            .filter(|&k| {
                let truth_a = !(75..150).contains(&k);
                (p[k] > 0.5) != (truth_a == a_side)
            })
            .count();
        assert!(wrong <= 20, "{wrong} of {n} frames on the wrong side");
    }

    #[test]
    fn split_gives_overlap_to_both_and_confident_frames_to_one() {
        let (a, b) = split_activity(&[1.0, 1.0, 1.0, 0.0], &[0.95, 0.5, 0.05, 0.9]);
        assert_eq!((a[0], b[0]), (1.0, 0.0));
        assert_eq!((a[1], b[1]), (1.0, 1.0));
        assert_eq!((a[2], b[2]), (0.0, 1.0));
        assert_eq!((a[3], b[3]), (0.0, 0.0));
    }

    #[test]
    fn gaps_take_nearest_values() {
        let mut x = [f32::NAN, 0.2, f32::NAN, f32::NAN, 0.9, f32::NAN];
        fill_gaps(&mut x);
        assert_eq!(x, [0.2, 0.2, 0.2, 0.2, 0.9, 0.9]);
    }
}
