//! What happens to a conversation between the room and the file (issue 15's augmentation): the
//! microphone's colour, the transmission (full band, a telephone line, a lossy codec) and the
//! recording level. Applied to the mix after [`crate::mix::mix`]'s room and noise; the ground
//! truth (motion, masks, events) never changes, so the model learns to hear through them.
//!
//! - colour: a low shelf at 200 Hz, a peak (Q 1) at 500–4000 Hz and a high shelf at 4 kHz,
//!   each within ±6 dB (RBJ cookbook biquads), as microphones and rooms tilt a voice;
//! - telephone: 300–3400 Hz (4th-order high- and low-pass), down to 8 kHz, G.711 mu-law at 8
//!   bits, back up to 16 kHz;
//! - codec: MP3 (LAME, 24–64 kbit/s) or Opus (12–32 kbit/s) encoded and decoded by `ffmpeg`,
//!   trimmed back to the original samples (both containers carry their encoder delay, which
//!   ffmpeg removes; a test checks the alignment);
//! - level: the result's peak at -30..-1 dBFS instead of one fixed level.

use crate::mix::{self, Acoustics};
use crate::rng::Rng;
use crate::DataError;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

const SR: f32 = duologue_params::SAMPLE_RATE as f32;

/// A microphone's colouring: three gains in dB.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Colour {
    /// Low shelf at 200 Hz.
    pub low_db: f32,
    /// Peak frequency, Hz.
    pub peak_hz: f32,
    /// Peak gain.
    pub peak_db: f32,
    /// High shelf at 4 kHz.
    pub high_db: f32,
}

/// How the conversation reached the file.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Transmission {
    /// Full band, 16 kHz PCM.
    Full,
    /// A telephone line: 300–3400 Hz, 8 kHz G.711 mu-law.
    Telephone,
    /// MP3 at `kbps`.
    Mp3 {
        /// Bit rate, kbit/s.
        kbps: u32,
    },
    /// Opus at `kbps`.
    Opus {
        /// Bit rate, kbit/s.
        kbps: u32,
    },
}

/// One clip's channel.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Channel {
    /// Microphone colouring, if any.
    pub colour: Option<Colour>,
    /// Transmission.
    pub transmission: Transmission,
    /// Peak level of the result, dBFS.
    pub peak_dbfs: f32,
}

/// How often each stage is drawn (simulate's `--p-colour`, `--p-telephone`, `--p-codec`,
/// `--level-dbfs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelOdds {
    /// Probability of a microphone colouring.
    pub p_colour: f32,
    /// Probability of a telephone line.
    pub p_telephone: f32,
    /// Probability of a lossy codec (when not a telephone line).
    pub p_codec: f32,
    /// Range of the peak level, dBFS (equal ends: a fixed level).
    pub level_dbfs: (f32, f32),
}

impl Default for ChannelOdds {
    fn default() -> Self {
        Self { p_colour: 0.5, p_telephone: 0.1, p_codec: 0.15, level_dbfs: (-30.0, -1.0) }
    }
}

impl ChannelOdds {
    /// No colouring, full band, peak at 0.9 (-0.9 dBFS): the simulator before augmentation.
    pub fn clean() -> Self {
        let peak = 20.0 * 0.9f32.log10();
        Self { p_colour: 0.0, p_telephone: 0.0, p_codec: 0.0, level_dbfs: (peak, peak) }
    }

    /// Checks probabilities and levels.
    pub fn validate(&self) -> Result<(), DataError> {
        let p = [self.p_colour, self.p_telephone, self.p_codec];
        if p.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(DataError::Config {
                reason: format!("channel probabilities {p:?} must be in [0, 1]"),
            });
        }
        let (lo, hi) = self.level_dbfs;
        if !(lo.is_finite() && hi.is_finite() && lo <= hi && hi <= 0.0 && lo >= -60.0) {
            return Err(DataError::Config {
                reason: format!("peak level range {lo}..{hi} dBFS must lie in -60..0 with low <= high"),
            });
        }
        Ok(())
    }
}

impl Channel {
    /// Draws one clip's channel.
    pub fn sample(rng: &mut Rng, odds: &ChannelOdds) -> Self {
        let colour = rng.chance(odds.p_colour).then(|| Colour {
            low_db: rng.range(-6.0, 6.0),
            peak_hz: 500.0 * 8f32.powf(rng.f32()),
            peak_db: rng.range(-6.0, 6.0),
            high_db: rng.range(-6.0, 6.0),
        });
        let transmission = if rng.chance(odds.p_telephone) {
            Transmission::Telephone
        } else if rng.chance(odds.p_codec) {
            if rng.chance(0.5) {
                Transmission::Mp3 { kbps: [24, 32, 48, 64][rng.below(4)] }
            } else {
                Transmission::Opus { kbps: [12, 16, 24, 32][rng.below(4)] }
            }
        } else {
            Transmission::Full
        };
        let (lo, hi) = odds.level_dbfs;
        let peak_dbfs = if hi > lo { rng.range(lo, hi) } else { lo };
        Self { colour, transmission, peak_dbfs }
    }

    /// The channel applied to `x` (16 kHz): same length, peak at `peak_dbfs` (silence stays
    /// silence).
    pub fn apply(&self, x: &[f32]) -> Result<Vec<f32>, DataError> {
        let mut y = x.to_vec();
        if let Some(c) = self.colour {
            Biquad::low_shelf(200.0, c.low_db).run(&mut y);
            Biquad::peak(c.peak_hz, c.peak_db, 1.0).run(&mut y);
            Biquad::high_shelf(4000.0, c.high_db).run(&mut y);
        }
        normalise(&mut y, 0.9);
        y = match self.transmission {
            Transmission::Full => y,
            Transmission::Telephone => telephone(&y),
            Transmission::Mp3 { kbps } => codec_roundtrip(&y, "libmp3lame", "mp3", kbps)?,
            Transmission::Opus { kbps } => codec_roundtrip(&y, "libopus", "opus", kbps)?,
        };
        normalise(&mut y, 10f32.powf(self.peak_dbfs / 20.0));
        Ok(y)
    }
}

/// Errors when `odds` are out of range, or ask for codecs that this machine's ffmpeg lacks.
pub fn check(odds: &ChannelOdds) -> Result<(), DataError> {
    odds.validate()?;
    if odds.p_codec > 0.0 && !(ffmpeg_has("libmp3lame") && ffmpeg_has("libopus")) {
        return Err(DataError::Config {
            reason: "codec augmentation needs ffmpeg with libmp3lame and libopus (scripts/setup.sh \
                     installs it); or pass --p-codec 0"
                .into(),
        });
    }
    Ok(())
}

/// A room (probability `p_reverb`), noise (`p_noise`) and a [`Channel`] drawn from `rng` and
/// applied to `audio` that has none yet (a dubbed clip): the result and what was drawn, for the
/// clip's metadata.
pub fn augment(
    audio: &[f32],
    rng: &mut Rng,
    (p_reverb, p_noise): (f32, f32),
    odds: &ChannelOdds,
) -> Result<(Vec<f32>, serde_json::Value), DataError> {
    let acoustics = Acoustics::sample(rng, p_reverb, p_noise);
    let roomed = mix::mix(&[audio.to_vec()], acoustics, rng);
    let channel = Channel::sample(rng, odds);
    let out = channel.apply(&roomed)?;
    let snr = acoustics.snr_db.is_finite().then_some(acoustics.snr_db);
    Ok((
        out,
        serde_json::json!({ "acoustics": { "rt60": acoustics.rt60, "snr_db": snr }, "channel": channel }),
    ))
}

/// Scales `y` to a peak of `peak` (leaves silence alone).
fn normalise(y: &mut [f32], peak: f32) {
    let m = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if m > 1e-6 {
        let g = peak / m;
        y.iter_mut().for_each(|v| *v *= g);
    }
}

/// A second-order IIR section (RBJ audio-EQ cookbook), direct form I.
#[derive(Debug, Clone, Copy)]
pub struct Biquad {
    b: [f32; 3],
    a: [f32; 2],
}

impl Biquad {
    fn new(b: [f64; 3], a: [f64; 3]) -> Self {
        Self {
            b: [(b[0] / a[0]) as f32, (b[1] / a[0]) as f32, (b[2] / a[0]) as f32],
            a: [(a[1] / a[0]) as f32, (a[2] / a[0]) as f32],
        }
    }

    fn w0(f: f32) -> (f64, f64) {
        let w = 2.0 * std::f64::consts::PI * f as f64 / SR as f64;
        (w.cos(), w.sin())
    }

    /// Butterworth-Q (0.7071) high-pass at `f`.
    pub fn high_pass(f: f32) -> Self {
        let (c, s) = Self::w0(f);
        let al = s / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
        Self::new([(1.0 + c) / 2.0, -(1.0 + c), (1.0 + c) / 2.0], [1.0 + al, -2.0 * c, 1.0 - al])
    }

    /// Butterworth-Q low-pass at `f`.
    pub fn low_pass(f: f32) -> Self {
        let (c, s) = Self::w0(f);
        let al = s / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
        Self::new([(1.0 - c) / 2.0, 1.0 - c, (1.0 - c) / 2.0], [1.0 + al, -2.0 * c, 1.0 - al])
    }

    /// Peaking EQ: `db` at `f`, bandwidth set by `q`.
    pub fn peak(f: f32, db: f32, q: f32) -> Self {
        let (c, s) = Self::w0(f);
        let a = 10f64.powf(db as f64 / 40.0);
        let al = s / (2.0 * q as f64);
        Self::new([1.0 + al * a, -2.0 * c, 1.0 - al * a], [1.0 + al / a, -2.0 * c, 1.0 - al / a])
    }

    fn shelf(f: f32, db: f32, high: bool) -> Self {
        let (c, s) = Self::w0(f);
        let a = 10f64.powf(db as f64 / 40.0);
        let al = s / 2.0 * std::f64::consts::SQRT_2; // shelf slope 1
        let sq = 2.0 * a.sqrt() * al;
        let sg = if high { -1.0 } else { 1.0 };
        Self::new(
            [
                a * ((a + 1.0) - sg * (a - 1.0) * c + sq),
                sg * 2.0 * a * ((a - 1.0) - sg * (a + 1.0) * c),
                a * ((a + 1.0) - sg * (a - 1.0) * c - sq),
            ],
            [
                (a + 1.0) + sg * (a - 1.0) * c + sq,
                -sg * 2.0 * ((a - 1.0) + sg * (a + 1.0) * c),
                (a + 1.0) + sg * (a - 1.0) * c - sq,
            ],
        )
    }

    /// Low shelf: `db` below `f`.
    pub fn low_shelf(f: f32, db: f32) -> Self {
        Self::shelf(f, db, false)
    }

    /// High shelf: `db` above `f`.
    pub fn high_shelf(f: f32, db: f32) -> Self {
        Self::shelf(f, db, true)
    }

    /// Filters `x` in place (zero initial state).
    pub fn run(&self, x: &mut [f32]) {
        let (mut x1, mut x2, mut y1, mut y2) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for v in x.iter_mut() {
            let y = self.b[0] * *v + self.b[1] * x1 + self.b[2] * x2 - self.a[0] * y1 - self.a[1] * y2;
            (x2, x1, y2, y1) = (x1, *v, y1, y);
            *v = y;
        }
    }
}

/// G.711 mu-law, 8 bits: compress, quantise to 256 levels, expand.
fn mu_law(v: f32) -> f32 {
    const MU: f32 = 255.0;
    let c = v.signum() * (1.0 + MU * v.abs().min(1.0)).ln() / (1.0 + MU).ln();
    let q = (c * 127.0).round() / 127.0;
    q.signum() * ((1.0 + MU).powf(q.abs()) - 1.0) / MU
}

/// A telephone line: band-limit to 300–3400 Hz, decimate to 8 kHz, mu-law, back to 16 kHz.
fn telephone(x: &[f32]) -> Vec<f32> {
    let mut y = x.to_vec();
    for f in [
        Biquad::high_pass(300.0),
        Biquad::high_pass(300.0),
        Biquad::low_pass(3400.0),
        Biquad::low_pass(3400.0),
    ] {
        f.run(&mut y);
    }
    // 8 kHz samples (the band is below 4 kHz), mu-law, zero-stuffed back to 16 kHz and
    // low-passed (gain 2 for the stuffed zeros).
    let mut up: Vec<f32> =
        y.iter().enumerate().map(|(i, &v)| if i % 2 == 0 { 2.0 * mu_law(v) } else { 0.0 }).collect();
    for f in [Biquad::low_pass(3600.0), Biquad::low_pass(3600.0)] {
        f.run(&mut up);
    }
    up
}

/// Whether `ffmpeg` can encode with `encoder`.
pub fn ffmpeg_has(encoder: &str) -> bool {
    Command::new("ffmpeg")
        .args(["-hide_banner", "-encoders"])
        .stderr(Stdio::null())
        .output()
        .map(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).split_whitespace().any(|w| w == encoder)
        })
        .unwrap_or(false)
}

/// Runs `ffmpeg args`, feeding `input` to its stdin from a thread, returning its stdout.
fn ffmpeg(args: &[&str], input: Vec<u8>) -> Result<Vec<u8>, DataError> {
    let fail =
        |reason: String| DataError::Config { reason: format!("ffmpeg (codec augmentation): {reason}") };
    let mut child = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("{e} (install ffmpeg, e.g. scripts/setup.sh, or pass --p-codec 0)")))?;
    let mut stdin = child.stdin.take().ok_or_else(|| fail("no stdin".into()))?;
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut out = Vec::new();
    if let Some(mut so) = child.stdout.take() {
        so.read_to_end(&mut out).map_err(|e| fail(e.to_string()))?;
    }
    let done = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    let written = writer.join().map_err(|_| fail("writer thread panicked".into()))?;
    if !done.status.success() {
        return Err(fail(String::from_utf8_lossy(&done.stderr).trim().to_string()));
    }
    written.map_err(|e| fail(e.to_string()))?;
    Ok(out)
}

/// `x` encoded with `encoder` into `format` at `kbps` and decoded again, by ffmpeg, cut or
/// padded to `x.len()`. The coded stream goes through a temporary file: an MP3 written to a
/// pipe lacks the LAME header that tells the decoder the encoder's delay (the audio would come
/// back ~19 ms late).
fn codec_roundtrip(x: &[f32], encoder: &str, format: &str, kbps: u32) -> Result<Vec<f32>, DataError> {
    let tmp = tempfile::Builder::new()
        .prefix("duologue-codec-")
        .suffix(&format!(".{format}"))
        .tempfile()
        .map_err(|e| DataError::Config { reason: format!("codec augmentation: temporary file: {e}") })?;
    let file = tmp.path().to_string_lossy().to_string();
    let raw: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    let rate = (SR as u32).to_string();
    let bitrate = format!("{kbps}k");
    let enc = ffmpeg(
        &[
            "-f", "f32le", "-ar", &rate, "-ac", "1", "-i", "pipe:0", "-c:a", encoder, "-b:a", &bitrate, "-y",
            &file,
        ],
        raw,
    );
    let back = enc
        .and_then(|_| ffmpeg(&["-i", &file, "-f", "f32le", "-ar", &rate, "-ac", "1", "pipe:1"], Vec::new()));
    let mut y: Vec<f32> =
        back?.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    y.resize(x.len(), 0.0);
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f: f32, n: usize) -> Vec<f32> {
        (0..n).map(|i| 0.5 * (2.0 * std::f32::consts::PI * f * i as f32 / SR).sin()).collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
    }

    /// Gain in dB of `filter` at `f`, measured on a steady tone.
    fn gain_db(run: impl Fn(&mut [f32]), f: f32) -> f32 {
        let x = tone(f, 16_000);
        let mut y = x.clone();
        run(&mut y);
        20.0 * (rms(&y[8000..]) / rms(&x[8000..])).log10()
    }

    #[test]
    fn filters_have_their_gains() {
        let g = |b: Biquad, f| gain_db(|y| b.run(y), f);
        assert!((g(Biquad::low_shelf(200.0, 6.0), 50.0) - 6.0).abs() < 0.5);
        assert!(g(Biquad::low_shelf(200.0, 6.0), 3000.0).abs() < 0.5);
        assert!((g(Biquad::high_shelf(4000.0, -6.0), 7500.0) + 6.0).abs() < 0.7);
        assert!(g(Biquad::high_shelf(4000.0, -6.0), 300.0).abs() < 0.5);
        assert!((g(Biquad::peak(1000.0, 6.0, 1.0), 1000.0) - 6.0).abs() < 0.3);
        assert!((g(Biquad::high_pass(300.0), 300.0) + 3.0).abs() < 0.3);
        assert!((g(Biquad::low_pass(3400.0), 3400.0) + 3.0).abs() < 0.3);
    }

    #[test]
    fn a_telephone_line_keeps_the_voice_band_only() {
        let pass = |f: f32| {
            let x = tone(f, 16_000);
            let y = telephone(&x);
            20.0 * (rms(&y[8000..]) / rms(&x[8000..])).log10()
        };
        assert!(pass(1000.0).abs() < 1.0, "1 kHz: {} dB", pass(1000.0));
        assert!(pass(100.0) < -15.0, "100 Hz: {} dB", pass(100.0));
        assert!(pass(6000.0) < -20.0, "6 kHz: {} dB", pass(6000.0));
        // mu-law: small values keep their relative precision.
        for v in [0.001f32, 0.01, 0.3, -0.7] {
            assert!((mu_law(v) - v).abs() < 0.04 * v.abs() + 1e-4, "{v} -> {}", mu_law(v));
        }
    }

    #[test]
    fn codecs_keep_length_and_alignment() {
        // A click train: the decoded audio must put its energy where the input had it.
        let n = 32_000;
        let mut x = vec![0.0f32; n];
        for (k, at) in [4000usize, 12_000, 20_000, 28_000].iter().enumerate() {
            for i in 0..400 {
                x[at + i] =
                    0.6 * (2.0 * std::f32::consts::PI * (500.0 + 300.0 * k as f32) * i as f32 / SR).sin();
            }
        }
        for t in [Transmission::Mp3 { kbps: 32 }, Transmission::Opus { kbps: 16 }] {
            let ch = Channel { colour: None, transmission: t, peak_dbfs: -6.0 };
            let y = ch.apply(&x).unwrap();
            assert_eq!(y.len(), n);
            let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!((20.0 * peak.log10() + 6.0).abs() < 0.01);
            // Best lag of the cross-correlation within +-20 ms.
            let xc = |lag: isize| -> f32 {
                (0..n as isize)
                    .filter_map(|i| {
                        let j = i + lag;
                        (j >= 0 && (j as usize) < n).then(|| x[i as usize] * y[j as usize])
                    })
                    .sum()
            };
            let best = (-320..=320).max_by(|&a, &b| xc(a).total_cmp(&xc(b))).unwrap();
            assert!(best.abs() <= 16, "{t:?}: decoded audio shifted by {best} samples");
        }
    }

    #[test]
    fn draws_follow_the_odds_and_clean_is_clean() {
        let mut rng = Rng::new(3);
        let odds = ChannelOdds::default();
        let draws: Vec<Channel> = (0..2000).map(|_| Channel::sample(&mut rng, &odds)).collect();
        let share = |f: &dyn Fn(&Channel) -> bool| draws.iter().filter(|c| f(c)).count() as f32 / 2000.0;
        assert!((share(&|c| c.colour.is_some()) - 0.5).abs() < 0.05);
        assert!((share(&|c| c.transmission == Transmission::Telephone) - 0.1).abs() < 0.03);
        assert!(
            (share(&|c| matches!(c.transmission, Transmission::Mp3 { .. } | Transmission::Opus { .. }))
                - 0.135)
                .abs()
                < 0.03
        );
        assert!(draws.iter().all(|c| (-30.0..=-1.0).contains(&c.peak_dbfs)));
        let clean = Channel::sample(&mut rng, &ChannelOdds::clean());
        assert_eq!((clean.colour, clean.transmission), (None, Transmission::Full));
        let x = tone(440.0, 1000);
        let y = clean.apply(&x).unwrap();
        assert!(x.iter().zip(&y).all(|(a, b)| (a / 0.5 * 0.9 - b).abs() < 1e-5));
        assert!(ChannelOdds { p_codec: 1.5, ..odds }.validate().is_err());
        assert!(ChannelOdds { level_dbfs: (-1.0, -30.0), ..odds }.validate().is_err());
    }
}
