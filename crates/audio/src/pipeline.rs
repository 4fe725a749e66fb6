//! Audio file(s) -> soft speaker masks m_A, m_B at 25 fps (paper §3.3, DESIGN.md §5).
//!
//! With two tracks (two files, or `--stereo`) each person's mask is their own track's voice
//! activity. With one mixed track the activity is split between two people by
//! [`crate::diarize`] with the built-in GE2E speaker encoder ([`EmbedderKind`]); then A is
//! whoever speaks first. Everything streams: audio is decoded,
//! resampled and consumed chunk by chunk, and only per-frame values are kept, so an hour-long
//! file costs a few MB.

use crate::decode::{AudioStream, ChannelMode, SourceInfo, Warning};
use crate::diarize::{
    split_activity, Diarization, DiarizeConfig, SpeakerEmbedder, SpectralStats, WindowEmbeddings,
};
use crate::error::{AudioError, Result};
use crate::ge2e::Ge2e;
use crate::mask::{soft_mask, summarize, SmoothConfig, Summary};
use crate::silero::{SileroStream, SileroVad};
use crate::vad::WebRtcVad;
use std::path::{Path, PathBuf};

/// Where the two people's voices come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// One file, mixed conversation (any channel count, downmixed).
    Mixed(PathBuf),
    /// One file whose first channel is A and second is B.
    Stereo(PathBuf),
    /// Two files: A's track and B's track.
    Tracks(PathBuf, PathBuf),
}

/// Which voice activity detector decides "someone speaks".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VadKind {
    /// WebRTC's GMM VAD (the paper's choice), 10 ms decisions.
    WebRtc,
    /// Silero VAD (neural, embedded weights), 32 ms probabilities: the default, as it finds
    /// turn boundaries far better (crates/audio/README.md "Speaker masks").
    #[default]
    Silero,
}

/// What tells the two voices of a mixed recording apart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EmbedderKind {
    /// The GE2E speaker encoder with its shipped weights, built into the binary (the default:
    /// frame accuracy 0.87 against 0.62 for spectral statistics on a real recorded
    /// conversation, see crates/audio/README.md "Speaker masks").
    #[default]
    Ge2e,
    /// The GE2E encoder with weights from a safetensors file (Resemblyzer's layout).
    Ge2eFile(PathBuf),
    /// Weight-free spectral statistics: mean MFCCs + median pitch.
    Spectral,
    /// The CAM++ encoder with weights from a safetensors file
    /// (`crates/audio/weights/campplus_cn_en_common.safetensors`): under evaluation in
    /// benches/masks.rs against GE2E (notes/speaker-embedders.md).
    CamppFile(PathBuf),
}

impl EmbedderKind {
    /// The name in [`Masks::method`] (`mixed:<name>`).
    pub fn name(&self) -> &'static str {
        match self {
            EmbedderKind::Ge2e | EmbedderKind::Ge2eFile(_) => "ge2e",
            EmbedderKind::Spectral => "spectral",
            EmbedderKind::CamppFile(_) => "campp",
        }
    }

    /// Builds the embedder (loads GE2E's weights).
    pub fn build(&self) -> Result<Box<dyn SpeakerEmbedder>> {
        Ok(match self {
            EmbedderKind::Ge2e => Box::new(Ge2e::embedded()?),
            EmbedderKind::Ge2eFile(p) => Box::new(Ge2e::open(p)?),
            EmbedderKind::Spectral => Box::new(SpectralStats::default()),
            EmbedderKind::CamppFile(p) => Box::new(crate::campp::CamPlus::open(p)?),
        })
    }
}

/// What splitting a mixed recording found (absent for two tracks).
#[derive(Debug, Clone, PartialEq)]
pub struct MixReport {
    /// Voices found: 2, 1 (all speech went to A), or 0 (no speech).
    pub speakers: usize,
    /// Fraction of the speaker embeddings' spread that two voices explain, in [0, 1]: how
    /// distinct the two voices sound.
    pub separation: f32,
    /// The separation two voices need with this embedder.
    pub needed: f32,
    /// Cosine similarity of the two voice clusters' mean embeddings (1 = one voice).
    pub similarity: f32,
    /// Why the mix was taken as one voice (None for two).
    pub one_voice: Option<String>,
    /// Confidence of the split in [0, 1]: the mean over voiced frames of how far the
    /// posterior of "A speaks" is from undecided (|2 p - 1|); 0 for one voice.
    pub confidence: f32,
}

impl MixReport {
    fn from(d: &Diarization, vad: &[f32]) -> Self {
        let voiced: Vec<f32> = d
            .p_first
            .iter()
            .zip(vad)
            .filter(|(_, &v)| v >= 0.5)
            .map(|(&p, _)| (2.0 * p - 1.0).abs())
            .collect();
        let confidence = if d.speakers == 2 && !voiced.is_empty() {
            voiced.iter().sum::<f32>() / voiced.len() as f32
        } else {
            0.0
        };
        Self {
            speakers: d.speakers,
            separation: d.separation,
            needed: d.min_split,
            similarity: d.similarity,
            one_voice: d.one_voice.clone(),
            confidence,
        }
    }
}

/// How the masks are computed.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskOptions {
    /// Voice activity detector.
    pub vad: VadKind,
    /// WebRTC VAD aggressiveness 0..=3.
    pub aggressiveness: u8,
    /// Smoothing of raw activity into soft masks.
    pub smooth: SmoothConfig,
    /// Diarisation settings (mixed input only).
    pub diarize: DiarizeConfig,
    /// Speaker embedder for mixed input.
    pub embedder: EmbedderKind,
    /// Exchange A and B at the end.
    pub swap: bool,
}

impl Default for MaskOptions {
    fn default() -> Self {
        Self {
            vad: VadKind::default(),
            aggressiveness: 2,
            smooth: SmoothConfig::default(),
            diarize: DiarizeConfig::default(),
            embedder: EmbedderKind::default(),
            swap: false,
        }
    }
}

/// The result: per-frame soft masks and what they add up to.
#[derive(Debug, Clone, PartialEq)]
pub struct Masks {
    /// m_A per 25 fps frame, in [0, 1].
    pub m_a: Vec<f32>,
    /// m_B per 25 fps frame, in [0, 1].
    pub m_b: Vec<f32>,
    /// Speaking time, overlap, turns.
    pub summary: Summary,
    /// How the masks were derived ("tracks", "stereo", "mixed:ge2e", "mixed:spectral").
    pub method: String,
    /// What splitting a mixed recording found (None for tracks and stereo).
    pub mix: Option<MixReport>,
    /// The (first) input's description.
    pub info: SourceInfo,
    /// Everything odd that was noticed, tagged with the file it concerns.
    pub warnings: Vec<(PathBuf, Warning)>,
}

/// Called with the fraction of input decoded so far (0..=1, when the length is known).
pub type Progress<'a> = &'a mut dyn FnMut(f64);

/// One track's streaming VAD.
enum TrackVad<'a> {
    WebRtc(WebRtcVad, Vec<f32>),
    Silero(SileroStream<'a>),
}

impl<'a> TrackVad<'a> {
    fn new(opts: &MaskOptions, silero: Option<&'a SileroVad>) -> Self {
        match silero {
            Some(s) => TrackVad::Silero(SileroStream::new(s)),
            None => TrackVad::WebRtc(WebRtcVad::new(opts.aggressiveness), Vec::new()),
        }
    }

    fn push(&mut self, x: &[f32]) -> Result<()> {
        match self {
            TrackVad::WebRtc(v, p) => p.extend(v.push(x)),
            TrackVad::Silero(s) => s.push(x)?,
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<f32>> {
        match self {
            TrackVad::WebRtc(mut v, mut p) => {
                p.extend(v.finish());
                Ok(p)
            }
            TrackVad::Silero(s) => s.finish_activity(),
        }
    }
}

/// Per-track raw voice activity of one file, streamed. With `embed`, the first track's audio
/// also feeds the window embedder (mixed input).
fn stream_file<E: SpeakerEmbedder>(
    path: &Path,
    mode: ChannelMode,
    opts: &MaskOptions,
    mut embed: Option<&mut WindowEmbeddings<E>>,
    progress: Progress<'_>,
) -> Result<(Vec<Vec<f32>>, SourceInfo, Vec<Warning>)> {
    let mut stream = AudioStream::open(path, mode)?;
    let silero = silero_for(opts)?;
    let mut vads: Vec<TrackVad<'_>> =
        (0..stream.tracks()).map(|_| TrackVad::new(opts, silero.as_ref())).collect();
    while let Some(chunk) = stream.next_chunk()? {
        for (v, c) in vads.iter_mut().zip(&chunk) {
            v.push(c)?;
        }
        if let Some(e) = embed.as_deref_mut() {
            e.push(&chunk[0]);
        }
        if let Some(total) = stream.info().frames.filter(|&t| t > 0) {
            progress((stream.frames_decoded() as f64 / total as f64).min(1.0));
        }
    }
    let raw = vads.into_iter().map(TrackVad::finish).collect::<Result<Vec<_>>>()?;
    progress(1.0);
    Ok((raw, stream.info().clone(), stream.warnings()))
}

/// Computes the masks of `source`; mixed input is split with `opts.embedder`.
pub fn speaker_masks(source: &Source, opts: &MaskOptions, progress: Progress<'_>) -> Result<Masks> {
    let embedder = match source {
        Source::Mixed(_) => opts.embedder.build()?,
        _ => Box::new(SpectralStats::default()),
    };
    speaker_masks_with(source, opts, embedder, opts.embedder.name(), progress)
}

/// Mixed-track activity + clustering -> both masks (A speaks first) and the report.
fn split_mix(vad: &[f32], d: &Diarization, smooth: &SmoothConfig) -> (Vec<f32>, Vec<f32>, MixReport) {
    let (ra, rb) = split_activity(vad, &d.p_first);
    let (a, b) = (soft_mask(&ra, smooth), soft_mask(&rb, smooth));
    let report = MixReport::from(d, vad);
    if first_speaker_is_b(&a, &b) {
        (b, a, report)
    } else {
        (a, b, report)
    }
}

/// Computes the masks of `source`; mixed input is split with `embedder` (named `name` in
/// [`Masks::method`]).
pub fn speaker_masks_with<E: SpeakerEmbedder>(
    source: &Source,
    opts: &MaskOptions,
    embedder: E,
    name: &str,
    progress: Progress<'_>,
) -> Result<Masks> {
    let mut mix = None;
    let (mut m_a, mut m_b, info, warnings, method, path) = match source {
        Source::Mixed(p) => {
            let mut emb = WindowEmbeddings::new(embedder, opts.diarize);
            let (raw, info, w) = stream_file(p, ChannelMode::Mix, opts, Some(&mut emb), progress)?;
            let vad = &raw[0];
            let d = emb.finish(vad);
            let (a, b, report) = split_mix(vad, &d, &opts.smooth);
            let mut w = tag(p, w);
            if let Some(why) = &report.one_voice {
                w.push((p.clone(), Warning::OneVoice { why: why.clone() }));
            }
            mix = Some(report);
            (a, b, info, w, format!("mixed:{name}"), p)
        }
        Source::Stereo(p) => {
            let (raw, info, w) = stream_file::<SpectralStats>(p, ChannelMode::Stereo, opts, None, progress)?;
            let a = soft_mask(&raw[0], &opts.smooth);
            let b = soft_mask(&raw[1], &opts.smooth);
            (a, b, info, tag(p, w), "stereo".to_string(), p)
        }
        Source::Tracks(pa, pb) => {
            let mut half_a = |f: f64| progress(0.5 * f);
            let (ra, info, wa) = stream_file::<SpectralStats>(pa, ChannelMode::Mix, opts, None, &mut half_a)?;
            let mut half_b = |f: f64| progress(0.5 + 0.5 * f);
            let (rb, _, wb) = stream_file::<SpectralStats>(pb, ChannelMode::Mix, opts, None, &mut half_b)?;
            let (mut a, mut b) = (soft_mask(&ra[0], &opts.smooth), soft_mask(&rb[0], &opts.smooth));
            let mut warnings = tag(pa, wa);
            warnings.extend(tag(pb, wb));
            let fps = duologue_params::FPS as f32;
            let (la, lb) = (a.len() as f32 / fps, b.len() as f32 / fps);
            if (la - lb).abs() > 0.5 {
                warnings.push((pb.clone(), Warning::LengthMismatch { a: la, b: lb }));
            }
            let n = a.len().max(b.len());
            a.resize(n, 0.0);
            b.resize(n, 0.0);
            (a, b, info, warnings, "tracks".to_string(), pa)
        }
    };
    if opts.swap {
        std::mem::swap(&mut m_a, &mut m_b);
    }
    let summary = summarize(&m_a, &m_b);
    let mut warnings = warnings;
    if summary.speaking_a == 0.0 && summary.speaking_b == 0.0 {
        warnings.push((path.clone(), Warning::Silence));
    }
    Ok(Masks { m_a, m_b, summary, method, mix, info, warnings })
}

fn tag(p: &Path, w: Vec<Warning>) -> Vec<(PathBuf, Warning)> {
    w.into_iter().map(|w| (p.to_path_buf(), w)).collect()
}

/// True when B's mask reaches 0.5 before A's (then the two are exchanged so A speaks first).
pub fn first_speaker_is_b(a: &[f32], b: &[f32]) -> bool {
    let first = |m: &[f32]| m.iter().position(|&v| v >= 0.5).unwrap_or(usize::MAX);
    first(b) < first(a)
}

/// Masks of one mixed track in memory (16 kHz), split with `opts.embedder`: both masks and
/// what the split found.
#[derive(Debug, Clone, PartialEq)]
pub struct MixMasks {
    /// m_A per frame (A speaks first).
    pub m_a: Vec<f32>,
    /// m_B per frame.
    pub m_b: Vec<f32>,
    /// Voices found, separation, confidence.
    pub report: MixReport,
}

fn raw_vad(x: &[f32], opts: &MaskOptions, silero: Option<&SileroVad>) -> Result<Vec<f32>> {
    match silero {
        Some(s) => s.frame_activity(x),
        None => Ok(crate::vad::webrtc_probs(x, opts.aggressiveness)),
    }
}

fn silero_for(opts: &MaskOptions) -> Result<Option<SileroVad>> {
    match opts.vad {
        VadKind::Silero => Ok(Some(SileroVad::embedded()?)),
        VadKind::WebRtc => Ok(None),
    }
}

/// [`MixMasks`] of one mixed track with a chosen speaker embedder.
pub fn mixed_masks_with<E: SpeakerEmbedder>(
    mix: &[f32],
    opts: &MaskOptions,
    embedder: E,
) -> Result<MixMasks> {
    let silero = silero_for(opts)?;
    let vad = raw_vad(mix, opts, silero.as_ref())?;
    let mut emb = WindowEmbeddings::new(embedder, opts.diarize);
    emb.push(mix);
    let d = emb.finish(&vad);
    let (mut m_a, mut m_b, report) = split_mix(&vad, &d, &opts.smooth);
    if opts.swap {
        std::mem::swap(&mut m_a, &mut m_b);
    }
    Ok(MixMasks { m_a, m_b, report })
}

/// [`MixMasks`] of one mixed track, split with `opts.embedder`.
pub fn mixed_masks(mix: &[f32], opts: &MaskOptions) -> Result<MixMasks> {
    mixed_masks_with(mix, opts, opts.embedder.build()?)
}

/// Masks from audio already in memory (16 kHz; one mixed track or two tracks), as the
/// generate pipeline has it after decoding; a mixed track is split with `opts.embedder`.
pub fn masks_from_audio(tracks: &[Vec<f32>], opts: &MaskOptions) -> Result<(Vec<f32>, Vec<f32>)> {
    masks_from_audio_report(tracks, opts).map(|(a, b, _)| (a, b))
}

/// [`masks_from_audio`] plus, for a mixed track, what the split found.
pub fn masks_from_audio_report(
    tracks: &[Vec<f32>],
    opts: &MaskOptions,
) -> Result<(Vec<f32>, Vec<f32>, Option<MixReport>)> {
    match tracks {
        [mix] => mixed_masks(mix, opts).map(|m| (m.m_a, m.m_b, Some(m.report))),
        _ => masks_from_audio_with(tracks, opts, SpectralStats::default()).map(|(a, b)| (a, b, None)),
    }
}

/// [`masks_from_audio`] with a chosen speaker embedder (e.g. [`crate::ge2e::Ge2e`]).
pub fn masks_from_audio_with<E: SpeakerEmbedder>(
    tracks: &[Vec<f32>],
    opts: &MaskOptions,
    embedder: E,
) -> Result<(Vec<f32>, Vec<f32>)> {
    match tracks {
        [mix] => mixed_masks_with(mix, opts, embedder).map(|m| (m.m_a, m.m_b)),
        [ta, tb] => {
            let silero = silero_for(opts)?;
            let (mut a, mut b) = (
                soft_mask(&raw_vad(ta, opts, silero.as_ref())?, &opts.smooth),
                soft_mask(&raw_vad(tb, opts, silero.as_ref())?, &opts.smooth),
            );
            if opts.swap {
                std::mem::swap(&mut a, &mut b);
            }
            Ok((a, b))
        }
        _ => Err(AudioError::Config(format!("expected 1 or 2 tracks, got {}", tracks.len()))),
    }
}
