//! Test helpers: write WAV files of any rate/channels/format into a temp folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Fixture path.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fresh temp dir for one test.
pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("duologue-audio-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes interleaved f32 samples as 32-bit float WAV (format 3).
pub fn write_wav_f32(path: &Path, rate: u32, channels: u16, interleaved: &[f32]) {
    let data: Vec<u8> = interleaved.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_wav(path, rate, channels, 3, 32, &data);
}

/// Writes interleaved samples as 16-bit PCM WAV (clamped).
pub fn write_wav_i16(path: &Path, rate: u32, channels: u16, interleaved: &[f32]) {
    let data: Vec<u8> = interleaved
        .iter()
        .flat_map(|v| ((v.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes())
        .collect();
    write_wav(path, rate, channels, 1, 16, &data);
}

fn write_wav(path: &Path, rate: u32, channels: u16, fmt: u16, bits: u16, data: &[u8]) {
    let block = channels * bits / 8;
    let mut b = Vec::new();
    b.extend(b"RIFF");
    b.extend((36 + data.len() as u32).to_le_bytes());
    b.extend(b"WAVEfmt ");
    b.extend(16u32.to_le_bytes());
    b.extend(fmt.to_le_bytes());
    b.extend(channels.to_le_bytes());
    b.extend(rate.to_le_bytes());
    b.extend((rate * block as u32).to_le_bytes());
    b.extend(block.to_le_bytes());
    b.extend(bits.to_le_bytes());
    b.extend(b"data");
    b.extend((data.len() as u32).to_le_bytes());
    b.extend(data);
    std::fs::write(path, b).unwrap();
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
