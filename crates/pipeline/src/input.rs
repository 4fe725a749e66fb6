//! Reading the recording(s) for generation (DESIGN.md §1, §5) with a length cap.
//!
//! Decoding streams ([`AudioStream`] holds one packet and one resampler chunk at a time), so what
//! stays in memory is the 16 kHz mono (or two-track) signal: 3.84 MB per minute per track, about
//! 0.7 GB for the default cap of 180 minutes. Longer inputs are refused before their samples are
//! kept: from the container's stated length when it has one (a WAV header claiming days of
//! audio costs nothing), else as soon as decoding passes the cap.

use crate::{PipelineError, Result};
use duologue_audio::{AudioStream, ChannelMode, Decoded, Warning};
use duologue_params::SAMPLE_RATE;
use std::path::{Path, PathBuf};

/// The default cap on input length, in minutes (`duologue generate --max-minutes`).
pub const DEFAULT_MAX_MINUTES: f64 = 180.0;

/// Where the two people's voices come from (DESIGN.md §5).
#[derive(Debug, Clone, PartialEq)]
pub enum AudioInput {
    /// One file, the mixed conversation (channels are averaged); A is who speaks first.
    Mixed(PathBuf),
    /// One file whose first channel is A and second is B.
    Stereo(PathBuf),
    /// Two files, A's track and B's track.
    Tracks(PathBuf, PathBuf),
}

impl AudioInput {
    /// The file results are named after: the recording, or A's track.
    pub fn main_path(&self) -> &Path {
        match self {
            AudioInput::Mixed(p) | AudioInput::Stereo(p) | AudioInput::Tracks(p, _) => p,
        }
    }
}

/// The fewest bytes a second of real audio takes in any container this reads (1 kbit/s, below
/// the lowest Opus or Vorbis rates).
const MIN_BYTES_PER_SECOND: f64 = 125.0;

/// Decodes `path` to 16 kHz, refusing more than `max_seconds` of audio.
fn read_capped(path: &Path, mode: ChannelMode, max_seconds: f64) -> Result<Decoded> {
    let read = |source| PipelineError::Read { path: path.to_path_buf(), source };
    let too_long = |seconds: f64, stated: bool| PipelineError::TooLong {
        path: path.to_path_buf(),
        stated,
        seconds,
        max_seconds,
    };
    let mut stream = AudioStream::open(path, mode).map_err(read)?;
    // A stated length is believed only when the file could hold it at MIN_BYTES_PER_SECOND; a
    // header that claims more (a forged or broken one) is checked as the file decodes instead.
    let bytes = std::fs::metadata(path).map(|m| m.len() as f64).unwrap_or(f64::INFINITY);
    if let Some(s) = stream.info().seconds().filter(|&s| s > max_seconds && s * MIN_BYTES_PER_SECOND <= bytes)
    {
        return Err(too_long(s, true));
    }
    // The cap in 16 kHz samples; a stream without a stated length is checked as it decodes.
    let cap = (max_seconds * SAMPLE_RATE as f64).ceil() as usize;
    let mut tracks = vec![Vec::new(); stream.tracks()];
    while let Some(chunk) = stream.next_chunk().map_err(read)? {
        for (t, c) in tracks.iter_mut().zip(chunk) {
            t.extend(c);
        }
        if tracks[0].len() > cap {
            return Err(too_long(tracks[0].len() as f64 / SAMPLE_RATE as f64, false));
        }
    }
    Ok(Decoded { tracks, info: stream.info().clone(), warnings: stream.warnings() })
}

/// Decodes the input to one track (mixed) or two (stereo, tracks) at 16 kHz mono each, of equal
/// length (a shorter separate track is padded with silence, with a warning past 0.5 s).
/// `max_seconds` caps each file's length ([`DEFAULT_MAX_MINUTES`] by default in the CLI).
pub fn read_audio(input: &AudioInput, max_seconds: f64) -> Result<Decoded> {
    match input {
        AudioInput::Mixed(p) => read_capped(p, ChannelMode::Mix, max_seconds),
        AudioInput::Stereo(p) => read_capped(p, ChannelMode::Stereo, max_seconds),
        AudioInput::Tracks(a, b) => {
            let da = read_capped(a, ChannelMode::Mix, max_seconds)?;
            let db = read_capped(b, ChannelMode::Mix, max_seconds)?;
            let one = |t: Vec<Vec<f32>>| t.into_iter().next().unwrap_or_default();
            let (mut ta, mut tb) = (one(da.tracks), one(db.tracks));
            let mut warnings = da.warnings;
            warnings.extend(db.warnings);
            let secs = |t: &[f32]| t.len() as f32 / SAMPLE_RATE as f32;
            if (secs(&ta) - secs(&tb)).abs() > 0.5 {
                warnings.push(Warning::LengthMismatch { a: secs(&ta), b: secs(&tb) });
            }
            let n = ta.len().max(tb.len());
            ta.resize(n, 0.0);
            tb.resize(n, 0.0);
            Ok(Decoded { tracks: vec![ta, tb], info: da.info, warnings })
        }
    }
}

/// Writes the sum of `tracks` (16 kHz) as a 16-bit mono WAV, scaled down only if the sum would
/// clip: the preview soundtrack when each person has their own track. Streams to the file.
pub fn write_mix_wav(path: &Path, tracks: &[Vec<f32>]) -> Result<()> {
    let n = tracks.iter().map(Vec::len).min().unwrap_or(0);
    let sum = |i: usize| tracks.iter().map(|t| t[i]).sum::<f32>();
    let peak = (0..n).map(|i| sum(i).abs()).fold(0.0f32, f32::max);
    let gain = if peak > 1.0 { 1.0 / peak } else { 1.0 };
    duologue_audio::wav::save_pcm16(path, (0..n).map(|i| sum(i) * gain), SAMPLE_RATE).map_err(|e| match e {
        duologue_audio::AudioError::Io { path, source } => PipelineError::Write { path, source },
        other => PipelineError::Audio(other),
    })
}
