//! Audio file(s) -> soft speaker masks m_A, m_B at 25 fps (paper §3.3, DESIGN.md §5).
//!
//! With two tracks (two files, or `--stereo`) each person's mask is their own track's voice
//! activity. With one mixed track the activity is split between two people by
//! [`crate::diarize`]; then A is whoever speaks first. Everything streams: audio is decoded,
//! resampled and consumed chunk by chunk, and only per-frame values are kept, so an hour-long
//! file costs a few MB.

use crate::decode::{AudioStream, ChannelMode, SourceInfo, Warning};
use crate::diarize::{split_activity, DiarizeConfig, SpeakerEmbedder, SpectralStats, WindowEmbeddings};
use crate::error::{AudioError, Result};
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
    #[default]
    WebRtc,
    /// Silero VAD (neural, embedded weights), 32 ms probabilities.
    Silero,
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
    /// Exchange A and B at the end.
    pub swap: bool,
}

impl Default for MaskOptions {
    fn default() -> Self {
        Self {
            vad: VadKind::WebRtc,
            aggressiveness: 2,
            smooth: SmoothConfig::default(),
            diarize: DiarizeConfig::default(),
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
    /// How the masks were derived ("tracks", "stereo", "mixed:spectral").
    pub method: String,
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
            TrackVad::Silero(s) => s.finish(),
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
    let silero = match opts.vad {
        VadKind::Silero => Some(SileroVad::embedded()?),
        VadKind::WebRtc => None,
    };
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

/// Computes the masks of `source` with the weight-free spectral embedder for mixed input.
pub fn speaker_masks(source: &Source, opts: &MaskOptions, progress: Progress<'_>) -> Result<Masks> {
    speaker_masks_with(source, opts, SpectralStats::default(), "spectral", progress)
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
    let (mut m_a, mut m_b, info, warnings, method, path) = match source {
        Source::Mixed(p) => {
            let mut emb = WindowEmbeddings::new(embedder, opts.diarize);
            let (raw, info, w) = stream_file(p, ChannelMode::Mix, opts, Some(&mut emb), progress)?;
            let vad = &raw[0];
            let post = emb.finish(vad);
            let (ra, rb) = split_activity(vad, &post);
            let (mut a, mut b) = (soft_mask(&ra, &opts.smooth), soft_mask(&rb, &opts.smooth));
            if first_speaker_is_b(&a, &b) {
                std::mem::swap(&mut a, &mut b);
            }
            (a, b, info, tag(p, w), format!("mixed:{name}"), p)
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
    Ok(Masks { m_a, m_b, summary, method, info, warnings })
}

fn tag(p: &Path, w: Vec<Warning>) -> Vec<(PathBuf, Warning)> {
    w.into_iter().map(|w| (p.to_path_buf(), w)).collect()
}

/// True when B's mask reaches 0.5 before A's (then the two are exchanged so A speaks first).
pub fn first_speaker_is_b(a: &[f32], b: &[f32]) -> bool {
    let first = |m: &[f32]| m.iter().position(|&v| v >= 0.5).unwrap_or(usize::MAX);
    first(b) < first(a)
}

/// Masks from audio already in memory (16 kHz; one mixed track or two tracks), as the
/// generate pipeline has it after decoding; a mixed track is split with [`SpectralStats`].
pub fn masks_from_audio(tracks: &[Vec<f32>], opts: &MaskOptions) -> Result<(Vec<f32>, Vec<f32>)> {
    masks_from_audio_with(tracks, opts, SpectralStats::default())
}

/// [`masks_from_audio`] with a chosen speaker embedder (e.g. [`crate::ge2e::Ge2e`]).
pub fn masks_from_audio_with<E: SpeakerEmbedder>(
    tracks: &[Vec<f32>],
    opts: &MaskOptions,
    embedder: E,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let silero = match opts.vad {
        VadKind::Silero => Some(SileroVad::embedded()?),
        VadKind::WebRtc => None,
    };
    let raw = |x: &[f32]| -> Result<Vec<f32>> {
        match &silero {
            Some(s) => s.frame_probs(x),
            None => Ok(crate::vad::webrtc_probs(x, opts.aggressiveness)),
        }
    };
    let (mut a, mut b) = match tracks {
        [mix] => {
            let vad = raw(mix)?;
            let mut emb = WindowEmbeddings::new(embedder, opts.diarize);
            emb.push(mix);
            let (ra, rb) = split_activity(&vad, &emb.finish(&vad));
            let (a, b) = (soft_mask(&ra, &opts.smooth), soft_mask(&rb, &opts.smooth));
            if first_speaker_is_b(&a, &b) {
                (b, a)
            } else {
                (a, b)
            }
        }
        [ta, tb] => (soft_mask(&raw(ta)?, &opts.smooth), soft_mask(&raw(tb)?, &opts.smooth)),
        _ => return Err(AudioError::Config(format!("expected 1 or 2 tracks, got {}", tracks.len()))),
    };
    if opts.swap {
        std::mem::swap(&mut a, &mut b);
    }
    Ok((a, b))
}
