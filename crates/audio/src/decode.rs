//! Any audio file -> 16 kHz mono (or two tracks) f32 in [-1, 1] (DESIGN.md §1).
//!
//! Decoding is symphonia (wav, flac, mp3, ogg/vorbis, aac/m4a, mkv/webm, aiff); resampling is
//! rubato's synchronous FFT resampler ([`crate::resample`]), which is band-limited (anti-aliasing
//! filter), so 44.1 or 96 kHz input does not fold energy above 8 kHz back into the speech band.
//! Both run in chunks: [`AudioStream`] holds one packet plus one resampler chunk at a time, so an
//! hour-long file never sits in memory at its source rate. Bad samples (NaN/inf) become silence
//! and clipping is counted; both end up as [`Warning`]s rather than errors, since the rest of the
//! file is usable.

use crate::error::{AudioError, Result};
use crate::resample::ChunkResampler;
use duologue_params::SAMPLE_RATE;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// A sample at or above this magnitude counts as clipped.
const CLIP_LEVEL: f32 = 0.999;
/// Warn about clipping when more than this fraction of samples is clipped.
const CLIP_WARN_FRACTION: f64 = 1e-3;

/// How a file's channels become the tracks the pipeline sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelMode {
    /// Average all channels into one mono track (the mixed conversation).
    #[default]
    Mix,
    /// Keep the first two channels as two tracks (one person per channel); a mono file is an
    /// error, channels past the second are ignored with a warning.
    Stereo,
}

/// Something odd about the input that does not stop the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// Non-finite samples were replaced by zeros.
    NonFinite {
        /// How many samples.
        count: u64,
    },
    /// Many samples sit at full scale: the recording is clipped.
    Clipping {
        /// Fraction of all source samples that are clipped.
        fraction: f64,
    },
    /// The source rate is below 16 kHz (e.g. 8 kHz telephone audio): there is no content above
    /// half the source rate, which VAD and features can only partly make up for.
    NarrowBand {
        /// Source sample rate in Hz.
        rate: u32,
    },
    /// The stream ended early or had undecodable packets; what decoded is used.
    Truncated {
        /// What the decoder said.
        msg: String,
    },
    /// More channels than needed were present and some were ignored.
    ChannelsDropped {
        /// Channels in the file.
        channels: usize,
    },
    /// Two separate tracks differ in length; the shorter one was padded with silence.
    LengthMismatch {
        /// Seconds of the first track.
        a: f32,
        /// Seconds of the second track.
        b: f32,
    },
    /// No voice activity was found anywhere: all masks are zero.
    Silence,
    /// A mixed recording sounded like one voice, so all its speech went to A.
    OneVoice {
        /// What the speaker embeddings showed.
        why: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NonFinite { count } => write!(f, "{count} NaN/inf samples replaced by silence"),
            Warning::Clipping { fraction } => {
                write!(f, "clipped audio ({:.2}% of samples at full scale)", fraction * 100.0)
            }
            Warning::NarrowBand { rate } => {
                write!(f, "{rate} Hz audio (narrow-band, nothing above {} Hz)", rate / 2)
            }
            Warning::Truncated { msg } => {
                write!(f, "stream truncated or damaged ({msg}); using what decoded")
            }
            Warning::ChannelsDropped { channels } => {
                write!(f, "{channels} channels, only the first two are used")
            }
            Warning::LengthMismatch { a, b } => {
                write!(f, "tracks differ in length ({a:.2} s vs {b:.2} s); the shorter is padded")
            }
            Warning::Silence => write!(f, "no speech detected: masks are all zero"),
            Warning::OneVoice { why } => write!(
                f,
                "this sounds like one voice ({why}), so all speech goes to A; if two people talk, \
                 give their separate recordings with --tracks A B, or --stereo when each has a \
                 channel of one file"
            ),
        }
    }
}

/// What the file said about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// The file.
    pub path: PathBuf,
    /// Source sample rate (Hz).
    pub sample_rate: u32,
    /// Source channel count.
    pub channels: usize,
    /// Source frames, when the container states them (for progress bars).
    pub frames: Option<u64>,
}

impl SourceInfo {
    /// Duration in seconds, when the container states the length.
    pub fn seconds(&self) -> Option<f64> {
        self.frames.map(|n| n as f64 / self.sample_rate.max(1) as f64)
    }
}

/// Streaming decoder + resampler: call [`AudioStream::next_chunk`] until it returns `None`.
pub struct AudioStream {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    mode: ChannelMode,
    info: SourceInfo,
    /// Output tracks (1 for Mix, 2 for Stereo).
    tracks: usize,
    /// Decoded, mixed, interleaved-by-track samples at the source rate, not yet resampled.
    pending: Vec<f32>,
    /// Scratch for one decoded packet, interleaved by source channel.
    scratch: Vec<f32>,
    resampler: Option<ChunkResampler>,
    frames_in: u64,
    decoding_done: bool,
    finished: bool,
    nonfinite: u64,
    clipped: u64,
    samples_seen: u64,
    warnings: Vec<Warning>,
}

impl fmt::Debug for AudioStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioStream").field("info", &self.info).field("mode", &self.mode).finish()
    }
}

/// Sample rates decoded (telephone 4 kHz to studio 384 kHz); others are refused.
pub const RATES: std::ops::RangeInclusive<u32> = 4_000..=384_000;

fn decode_err(path: &Path, e: impl fmt::Display) -> AudioError {
    AudioError::Decode { path: path.to_path_buf(), msg: e.to_string() }
}

/// Runs a call into the container or codec parsers, turning a panic inside them (damaged or
/// forged input can reach arithmetic that overflows, e.g. symphonia 0.6.1's WAV fmt chunk with
/// 65535 channels) into a decode error naming the file: decoding never panics.
fn guarded<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        decode_err(path, format!("damaged data stopped the decoder ({what})"))
    })
}

impl AudioStream {
    /// Opens `path`, probes its format and prepares decoding to 16 kHz.
    pub fn open(path: &Path, mode: ChannelMode) -> Result<Self> {
        let file = File::open(path).map_err(|source| AudioError::Io { path: path.to_path_buf(), source })?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len == 0 {
            return Err(AudioError::Empty { path: path.to_path_buf() });
        }
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format = guarded(path, || {
            symphonia::default::get_probe().probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
        })?
        .map_err(|e| decode_err(path, e))?;
        let track =
            format.default_track(TrackType::Audio).ok_or_else(|| decode_err(path, "no audio track"))?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| decode_err(path, "no audio codec parameters"))?;
        let decoder = guarded(path, || {
            symphonia::default::get_codecs().make_audio_decoder(params, &AudioDecoderOptions::default())
        })?
        .map_err(|e| decode_err(path, e))?;
        let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
        let info = SourceInfo {
            path: path.to_path_buf(),
            sample_rate: params.sample_rate.unwrap_or(0),
            channels,
            frames: track.num_frames,
        };
        let track_id = track.id;
        if mode == ChannelMode::Stereo && channels == 1 {
            return Err(AudioError::NotStereo { path: path.to_path_buf(), channels });
        }
        Ok(Self {
            path: path.to_path_buf(),
            format,
            decoder,
            track_id,
            mode,
            info,
            tracks: if mode == ChannelMode::Stereo { 2 } else { 1 },
            pending: Vec::new(),
            scratch: Vec::new(),
            resampler: None,
            frames_in: 0,
            decoding_done: false,
            finished: false,
            nonfinite: 0,
            clipped: 0,
            samples_seen: 0,
            warnings: Vec::new(),
        })
    }

    /// What the file says about itself (rate and channels are filled in from the first packet
    /// when the container does not state them).
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Output tracks per chunk: 1 for [`ChannelMode::Mix`], 2 for [`ChannelMode::Stereo`].
    pub fn tracks(&self) -> usize {
        self.tracks
    }

    /// Source frames decoded so far (for progress reporting).
    pub fn frames_decoded(&self) -> u64 {
        self.frames_in
    }

    /// Warnings gathered so far; complete once `next_chunk` has returned `None`.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut w = self.warnings.clone();
        if self.nonfinite > 0 {
            w.push(Warning::NonFinite { count: self.nonfinite });
        }
        if self.samples_seen > 0 {
            let fraction = self.clipped as f64 / self.samples_seen as f64;
            if fraction > CLIP_WARN_FRACTION {
                w.push(Warning::Clipping { fraction });
            }
        }
        if self.info.sample_rate > 0 && self.info.sample_rate < SAMPLE_RATE {
            w.push(Warning::NarrowBand { rate: self.info.sample_rate });
        }
        w
    }

    /// The next piece of 16 kHz audio, one `Vec` per track, or `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<Vec<f32>>>> {
        loop {
            if self.finished {
                return Ok(None);
            }
            if self.resampler.is_none() && self.info.sample_rate == SAMPLE_RATE && !self.pending.is_empty() {
                // Already 16 kHz: pass decoded audio straight through.
                let out = std::mem::take(&mut self.pending);
                return Ok(Some(self.deinterleave(&out)));
            }
            if let Some(rs) = self.resampler.as_mut() {
                if self.pending.len() >= rs.chunk_frames() * self.tracks {
                    let out = rs.process(&mut self.pending, None)?;
                    if !out.is_empty() {
                        return Ok(Some(self.deinterleave(&out)));
                    }
                    continue;
                }
            }
            if self.decoding_done {
                let out = self.flush()?;
                self.finished = true;
                if self.frames_in == 0 {
                    return Err(AudioError::Empty { path: self.path.clone() });
                }
                if out.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.deinterleave(&out)));
            }
            self.decode_packet()?;
        }
    }

    /// Reads and decodes one packet into `pending`; sets `decoding_done` at the end.
    fn decode_packet(&mut self) -> Result<()> {
        let path = self.path.clone();
        let next = guarded(&path, || self.format.next_packet());
        let next = next.inspect_err(|_| self.decoding_done = true)?;
        let packet = match next {
            Ok(Some(p)) => p,
            Ok(None) => {
                self.decoding_done = true;
                return Ok(());
            }
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                if self.frames_in > 0 {
                    self.warnings.push(Warning::Truncated { msg: e.to_string() });
                }
                self.decoding_done = true;
                return Ok(());
            }
            Err(e) => {
                if self.frames_in == 0 {
                    return Err(decode_err(&self.path, e));
                }
                self.warnings.push(Warning::Truncated { msg: e.to_string() });
                self.decoding_done = true;
                return Ok(());
            }
        };
        if packet.track_id != self.track_id {
            return Ok(());
        }
        let decoded = guarded(&path, || self.decoder.decode(&packet));
        let buf = match decoded.inspect_err(|_| self.decoding_done = true)? {
            Ok(b) => b,
            Err(SymError::DecodeError(msg)) => {
                // One bad packet (damaged mp3 frame): skip it, keep the rest.
                if !self.warnings.iter().any(|w| matches!(w, Warning::Truncated { .. })) {
                    self.warnings.push(Warning::Truncated { msg: msg.to_string() });
                }
                return Ok(());
            }
            Err(e) => return Err(decode_err(&self.path, e)),
        };
        let rate = buf.spec().rate();
        let channels = buf.spec().channels().count().max(buf.num_planes());
        let frames = buf.frames();
        if frames == 0 || channels == 0 {
            return Ok(());
        }
        self.scratch.resize(frames * channels, 0.0);
        buf.copy_to_slice_interleaved(&mut self.scratch);
        if self.frames_in == 0 {
            self.start(rate, channels)?;
        }
        self.frames_in += frames as u64;
        let tracks = self.tracks;
        for frame in self.scratch.chunks_exact(channels) {
            match self.mode {
                ChannelMode::Mix => {
                    let mut s = 0.0f32;
                    for &x in frame {
                        s += clean(x, &mut self.nonfinite, &mut self.clipped);
                    }
                    self.pending.push(s / channels as f32);
                }
                ChannelMode::Stereo => {
                    for &x in &frame[..tracks] {
                        let v = clean(x, &mut self.nonfinite, &mut self.clipped);
                        self.pending.push(v);
                    }
                }
            }
        }
        self.samples_seen += (frames * channels) as u64;
        Ok(())
    }

    /// First packet: fix the real rate/channels and build the resampler.
    fn start(&mut self, rate: u32, channels: usize) -> Result<()> {
        if !RATES.contains(&rate) {
            // A forged header's 2^31 Hz would make the resampler's work per output sample
            // unbounded (the HTTP fuzz harness found an upload that never finished).
            return Err(decode_err(
                &self.path,
                format!("sample rate {rate} Hz is outside {} to {} Hz", RATES.start(), RATES.end()),
            ));
        }
        self.info.sample_rate = rate;
        self.info.channels = channels;
        if self.mode == ChannelMode::Stereo {
            if channels < 2 {
                return Err(AudioError::NotStereo { path: self.path.clone(), channels });
            }
            if channels > 2 {
                self.warnings.push(Warning::ChannelsDropped { channels });
            }
        }
        if rate != SAMPLE_RATE {
            self.resampler = Some(ChunkResampler::new(rate, self.tracks)?);
        }
        Ok(())
    }

    /// End of input: what the resampler still holds, or the last decoded audio as it is.
    fn flush(&mut self) -> Result<Vec<f32>> {
        match self.resampler.as_mut() {
            Some(rs) => rs.finish(&mut self.pending, self.frames_in),
            None => Ok(std::mem::take(&mut self.pending)),
        }
    }

    fn deinterleave(&self, x: &[f32]) -> Vec<Vec<f32>> {
        if self.tracks == 1 {
            return vec![x.to_vec()];
        }
        (0..self.tracks).map(|t| x.iter().skip(t).step_by(self.tracks).copied().collect()).collect()
    }
}

/// NaN/inf -> 0 (counted); |x| >= CLIP_LEVEL counted as clipped; result limited to [-1, 1].
fn clean(x: f32, nonfinite: &mut u64, clipped: &mut u64) -> f32 {
    if !x.is_finite() {
        *nonfinite += 1;
        return 0.0;
    }
    if x.abs() >= CLIP_LEVEL {
        *clipped += 1;
    }
    x.clamp(-1.0, 1.0)
}

/// A whole file decoded to 16 kHz.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// One 16 kHz track (Mix) or two (Stereo, or two files).
    pub tracks: Vec<Vec<f32>>,
    /// Source description (of the first file when two were given).
    pub info: SourceInfo,
    /// Everything odd that was noticed.
    pub warnings: Vec<Warning>,
}

impl Decoded {
    /// Length in 16 kHz samples (all tracks have the same length).
    pub fn len(&self) -> usize {
        self.tracks.first().map_or(0, Vec::len)
    }

    /// True when no samples decoded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The mono mix of all tracks (the conversation as one signal).
    pub fn mix(&self) -> Vec<f32> {
        mix_tracks(&self.tracks)
    }
}

/// Sample-wise mean of equally long tracks.
pub fn mix_tracks(tracks: &[Vec<f32>]) -> Vec<f32> {
    match tracks {
        [] => Vec::new(),
        [one] => one.clone(),
        many => {
            let n = many.iter().map(Vec::len).min().unwrap_or(0);
            (0..n).map(|i| many.iter().map(|t| t[i]).sum::<f32>() / many.len() as f32).collect()
        }
    }
}

/// Decodes a whole file to 16 kHz in memory (for clips; long files should stream).
pub fn decode_file(path: &Path, mode: ChannelMode) -> Result<Decoded> {
    let mut stream = AudioStream::open(path, mode)?;
    let mut tracks = vec![Vec::new(); stream.tracks()];
    while let Some(chunk) = stream.next_chunk()? {
        for (t, c) in tracks.iter_mut().zip(chunk) {
            t.extend(c);
        }
    }
    if tracks[0].is_empty() {
        return Err(AudioError::Empty { path: path.to_path_buf() });
    }
    Ok(Decoded { tracks, warnings: stream.warnings(), info: stream.info().clone() })
}

/// Decodes two files (one person each) to two equally long 16 kHz tracks: the shorter is
/// padded with silence, with a warning when they differ by more than half a second.
pub fn decode_pair(a: &Path, b: &Path) -> Result<Decoded> {
    let da = decode_file(a, ChannelMode::Mix)?;
    let db = decode_file(b, ChannelMode::Mix)?;
    let mut warnings = da.warnings.clone();
    warnings.extend(db.warnings.iter().cloned());
    let (mut ta, mut tb) =
        (da.tracks.into_iter().next().unwrap_or_default(), db.tracks.into_iter().next().unwrap_or_default());
    let (la, lb) = (ta.len() as f32 / SAMPLE_RATE as f32, tb.len() as f32 / SAMPLE_RATE as f32);
    if (la - lb).abs() > 0.5 {
        warnings.push(Warning::LengthMismatch { a: la, b: lb });
    }
    let n = ta.len().max(tb.len());
    ta.resize(n, 0.0);
    tb.resize(n, 0.0);
    Ok(Decoded { tracks: vec![ta, tb], info: da.info, warnings })
}
