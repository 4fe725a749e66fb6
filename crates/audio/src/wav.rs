//! 16-bit PCM WAV output through hound: the project's one WAV writer and its one float-to-integer
//! convention, used for dataset shards and dubbing sources (duologue-data) and for the preview
//! soundtrack (duologue-pipeline).

use crate::error::{AudioError, Result};
use std::io::{Seek, Write};
use std::path::Path;

/// The one float -> 16-bit convention: `x` in [-1, 1] times 32768, rounded, +1.0 saturating at
/// 32767. 32768 is the inverse of what readers do (`i16 / 32768`, symphonia and ours), so a
/// write-read round trip is exact on the 16-bit grid.
pub fn to_pcm16(x: f32) -> i16 {
    (x.clamp(-1.0, 1.0) * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

fn spec(rate: u32) -> hound::WavSpec {
    hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    }
}

/// The most samples a 16-bit mono WAV can hold: its RIFF size field (data + 36) is 32 bits
/// (about 37 hours at 16 kHz).
pub const MAX_SAMPLES: usize = (u32::MAX as usize - 36) / 2;

/// Writes mono `samples` at `rate` Hz as a 16-bit PCM WAV (the canonical 44-byte header) to any
/// seekable writer; hound fills in the lengths when it finishes. More than [`MAX_SAMPLES`] is
/// refused (hound itself would overflow the header's 32-bit sizes).
pub fn write_pcm16<W: Write + Seek>(
    out: W,
    samples: impl IntoIterator<Item = f32>,
    rate: u32,
) -> std::result::Result<(), hound::Error> {
    let mut w = hound::WavWriter::new(out, spec(rate))?;
    for (i, s) in samples.into_iter().enumerate() {
        if i == MAX_SAMPLES {
            let msg = "too long for a WAV file (4 GB)";
            return Err(hound::Error::IoError(std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)));
        }
        w.write_sample(to_pcm16(s))?;
    }
    w.finalize()
}

/// Mono `samples` at `rate` Hz as the bytes of a 16-bit PCM WAV file; samples past
/// [`MAX_SAMPLES`] are left out.
pub fn encode_pcm16(samples: &[f32], rate: u32) -> Vec<u8> {
    let samples = &samples[..samples.len().min(MAX_SAMPLES)];
    let mut bytes = Vec::with_capacity(44 + 2 * samples.len());
    let written = write_pcm16(std::io::Cursor::new(&mut bytes), samples.iter().copied(), rate);
    // Writing into memory cannot fail and the length was cut to fit, so this holds; a library
    // keeps the bytes rather than panicking if hound ever disagreed.
    debug_assert!(written.is_ok(), "{written:?}");
    bytes
}

/// Streams mono `samples` at `rate` Hz to the 16-bit PCM WAV file `path` (the samples are not
/// collected first, so an hour-long soundtrack needs no extra memory).
pub fn save_pcm16(path: &Path, samples: impl IntoIterator<Item = f32>, rate: u32) -> Result<()> {
    let io = |source| AudioError::Io { path: path.to_path_buf(), source };
    let file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    write_pcm16(file, samples, rate).map_err(|e| match e {
        hound::Error::IoError(source) => io(source),
        other => io(std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_scale_and_the_canonical_header() {
        assert_eq!(
            [to_pcm16(-1.0), to_pcm16(0.5), to_pcm16(1.0), to_pcm16(2.0)],
            [-32768, 16384, 32767, 32767]
        );
        let b = encode_pcm16(&[0.0, 0.5, -1.0], 16_000);
        assert_eq!(b.len(), 44 + 6);
        assert_eq!((&b[0..4], &b[8..16], &b[36..40]), (&b"RIFF"[..], &b"WAVEfmt "[..], &b"data"[..]));
        assert_eq!(u32::from_le_bytes([b[40], b[41], b[42], b[43]]), 6);
        assert_eq!(&b[44..], &[0, 0, 0, 0x40, 0, 0x80]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        save_pcm16(&path, [0.0, 0.5, -1.0], 16_000).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b);
    }
}
