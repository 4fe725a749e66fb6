//! Test helpers: write WAV files of any rate/channels/format (hound) into a temp folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Fixture path.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fresh temporary folder for one test, removed when dropped; derefs to its path.
pub struct TmpDir(tempfile::TempDir);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

/// A fresh temp dir for one test.
pub fn tmpdir(name: &str) -> TmpDir {
    TmpDir(tempfile::Builder::new().prefix(&format!("duologue-audio-{name}-")).tempdir().unwrap())
}

/// Writes interleaved f32 samples as 32-bit float WAV.
pub fn write_wav_f32(path: &Path, rate: u32, channels: u16, interleaved: &[f32]) {
    write_wav(path, rate, channels, hound::SampleFormat::Float, 32, interleaved.iter().copied());
}

/// Writes interleaved samples as 16-bit PCM WAV (clamped, scaled by 32767).
pub fn write_wav_i16(path: &Path, rate: u32, channels: u16, interleaved: &[f32]) {
    let pcm = interleaved.iter().map(|v| (v.clamp(-1.0, 1.0) * 32767.0).round() as i16);
    write_wav(path, rate, channels, hound::SampleFormat::Int, 16, pcm);
}

fn write_wav<S: hound::Sample>(
    path: &Path,
    rate: u32,
    channels: u16,
    sample_format: hound::SampleFormat,
    bits_per_sample: u16,
    samples: impl Iterator<Item = S>,
) {
    let spec = hound::WavSpec { channels, sample_rate: rate, bits_per_sample, sample_format };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

/// A sine of `hz` at `amp`, `secs` long at `rate`.
pub fn sine(hz: f32, amp: f32, secs: f32, rate: u32) -> Vec<f32> {
    let n = (secs * rate as f32) as usize;
    (0..n).map(|i| amp * (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin()).collect()
}

/// Root mean square.
pub fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}
