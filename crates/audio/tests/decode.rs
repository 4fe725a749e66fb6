//! Decoding real files of every supported kind, and every kind of bad input, to 16 kHz.

mod common;
use common::*;
use duologue_audio::{decode_file, AudioError, AudioStream, ChannelMode, LogMel, LogMelConfig, Warning};

/// Per-frame log energy (25 fps) of a 16 kHz signal.
fn envelope(x: &[f32]) -> Vec<f32> {
    x.chunks(640).map(|c| (rms(c) + 1e-4).ln()).collect()
}

/// Best correlation of two envelopes over lags of up to `max_lag` frames.
fn best_corr(a: &[f32], b: &[f32], max_lag: usize) -> f32 {
    let mut best = -1.0f32;
    for lag in 0..=2 * max_lag {
        let (mut xa, mut xb) = (Vec::new(), Vec::new());
        for (i, &ai) in a.iter().enumerate() {
            let j = i as isize + lag as isize - max_lag as isize;
            if j >= 0 && (j as usize) < b.len() {
                xa.push(ai);
                xb.push(b[j as usize]);
            }
        }
        let n = xa.len() as f32;
        let (ma, mb) = (xa.iter().sum::<f32>() / n, xb.iter().sum::<f32>() / n);
        let cov: f32 = xa.iter().zip(&xb).map(|(p, q)| (p - ma) * (q - mb)).sum();
        let va: f32 = xa.iter().map(|p| (p - ma).powi(2)).sum();
        let vb: f32 = xb.iter().map(|q| (q - mb).powi(2)).sum();
        best = best.max(cov / (va * vb).sqrt());
    }
    best
}

#[test]
fn every_codec_decodes_to_the_same_speech_at_16k() {
    let reference = decode_file(&fixture("hello.wav"), ChannelMode::Mix).unwrap();
    assert_eq!(reference.info.sample_rate, 16000);
    let env_ref = envelope(&reference.tracks[0]);
    for (name, rate, ch) in [
        ("hello.mp3", 44100, 1),
        ("hello.ogg", 48000, 2),
        ("hello.flac", 22050, 1),
        ("hello.m4a", 44100, 1),
        ("hello_8k_mulaw.wav", 8000, 1),
    ] {
        let d = decode_file(&fixture(name), ChannelMode::Mix).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((d.info.sample_rate, d.info.channels), (rate, ch), "{name}");
        assert_eq!(d.tracks.len(), 1);
        let secs = d.len() as f32 / 16000.0;
        assert!((secs - 1.5).abs() < 0.12, "{name}: {secs} s");
        assert!(d.tracks[0].iter().all(|v| v.is_finite() && v.abs() <= 1.0));
        let c = best_corr(&env_ref, &envelope(&d.tracks[0]), 3);
        assert!(c > 0.9, "{name}: envelope correlation with the wav {c}");
        // Same log-mel content too (codecs are lossy: compare loosely).
        let lm = LogMel::new(LogMelConfig::default());
        assert_eq!(lm.compute(&d.tracks[0]).len(), d.len().div_ceil(640) * 80);
    }
    let narrow = decode_file(&fixture("hello_8k_mulaw.wav"), ChannelMode::Mix).unwrap();
    assert!(narrow.warnings.contains(&Warning::NarrowBand { rate: 8000 }));
}

/// Amplitude of frequency `hz` in `x` (16 kHz) by correlation with a complex tone.
fn tone_amp(x: &[f32], hz: f32) -> f32 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (i, v) in x.iter().enumerate() {
        let ph = 2.0 * std::f64::consts::PI * hz as f64 * i as f64 / 16000.0;
        re += *v as f64 * ph.cos();
        im += *v as f64 * ph.sin();
    }
    (2.0 * (re * re + im * im).sqrt() / x.len() as f64) as f32
}

#[test]
fn resampling_96k_is_band_limited_and_keeps_length() {
    let dir = tmpdir("96k");
    // 1 kHz (kept) + 20 kHz (must be filtered; a naive decimator folds it to 4 kHz).
    let x: Vec<f32> = sine(1000.0, 0.3, 2.0, 96000)
        .iter()
        .zip(sine(20000.0, 0.3, 2.0, 96000))
        .map(|(a, b)| a + b)
        .collect();
    let p = dir.join("tones96k.wav");
    write_wav_i16(&p, 96000, 1, &x);
    let d = decode_file(&p, ChannelMode::Mix).unwrap();
    assert_eq!(d.len(), 32000);
    let mid = &d.tracks[0][4000..28000];
    assert!((tone_amp(mid, 1000.0) - 0.3).abs() < 0.01, "{}", tone_amp(mid, 1000.0));
    assert!(tone_amp(mid, 4000.0) < 1e-3, "aliasing: {}", tone_amp(mid, 4000.0));
    // The tone starts at sample 0 in the output: start-up delay removed.
    assert!(rms(&d.tracks[0][..160]) > 0.1);
}

#[test]
fn six_channels_mix_down_or_give_two_tracks() {
    let dir = tmpdir("6ch");
    let n = 48000;
    let mut x = vec![0.0f32; n * 6];
    for i in 0..n {
        x[i * 6] = 0.6 * (i as f32 * 0.05).sin();
        x[i * 6 + 1] = 0.3 * (i as f32 * 0.11).sin();
    }
    let p = dir.join("six.wav");
    write_wav_f32(&p, 48000, 6, &x);
    let mono = decode_file(&p, ChannelMode::Mix).unwrap();
    assert_eq!((mono.info.channels, mono.tracks.len(), mono.len()), (6, 1, 16000));
    let st = decode_file(&p, ChannelMode::Stereo).unwrap();
    assert_eq!(st.tracks.len(), 2);
    assert!(st.warnings.contains(&Warning::ChannelsDropped { channels: 6 }));
    let (a, b) = (rms(&st.tracks[0][1000..15000]), rms(&st.tracks[1][1000..15000]));
    assert!((a / b - 2.0).abs() < 0.1, "channel levels kept apart: {a} {b}");
}

#[test]
fn stereo_of_a_mono_file_is_an_error() {
    let e = decode_file(&fixture("hello.wav"), ChannelMode::Stereo).unwrap_err();
    assert!(matches!(e, AudioError::NotStereo { channels: 1, .. }), "{e}");
    assert!(e.to_string().contains("hello.wav"));
}

#[test]
fn nan_inf_and_clipping_become_warnings() {
    let dir = tmpdir("nan");
    let mut x = sine(300.0, 1.2, 1.0, 16000); // clipped sine
    x[100] = f32::NAN;
    x[200] = f32::INFINITY;
    x[300] = f32::NEG_INFINITY;
    let p = dir.join("nan.wav");
    write_wav_f32(&p, 16000, 1, &x);
    let d = decode_file(&p, ChannelMode::Mix).unwrap();
    assert!(d.tracks[0].iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    assert_eq!(d.tracks[0][100], 0.0);
    assert!(d.warnings.contains(&Warning::NonFinite { count: 3 }));
    assert!(d.warnings.iter().any(|w| matches!(w, Warning::Clipping { fraction } if *fraction > 0.05)));
}

#[test]
fn empty_zero_sample_and_garbage_files_are_one_line_errors() {
    let dir = tmpdir("bad");
    let empty = dir.join("empty.mp3");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(decode_file(&empty, ChannelMode::Mix), Err(AudioError::Empty { .. })));
    let zero = dir.join("zero.wav");
    write_wav_i16(&zero, 16000, 1, &[]);
    let e = decode_file(&zero, ChannelMode::Mix).unwrap_err();
    assert!(matches!(e, AudioError::Empty { .. } | AudioError::Decode { .. }), "{e}");
    let junk = dir.join("junk.wav");
    std::fs::write(&junk, (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>()).unwrap();
    let e = decode_file(&junk, ChannelMode::Mix).unwrap_err();
    assert!(matches!(e, AudioError::Decode { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("junk.wav") && !msg.contains('\n'), "{msg}");
    let missing = dir.join("missing.flac");
    assert!(matches!(decode_file(&missing, ChannelMode::Mix), Err(AudioError::Io { .. })));
}

#[test]
fn truncated_files_decode_what_is_there() {
    let dir = tmpdir("trunc");
    for name in ["hello.mp3", "hello.ogg", "hello.flac", "hello.wav", "hello.m4a"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let p = dir.join(format!("cut_{name}"));
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        match decode_file(&p, ChannelMode::Mix) {
            Ok(d) => {
                let secs = d.len() as f32 / 16000.0;
                assert!(secs < 1.5 && d.tracks[0].iter().all(|v| v.is_finite()), "{name}: {secs}");
            }
            // m4a keeps its index at the end: half a file may have no usable track.
            Err(e) => {
                assert!(matches!(e, AudioError::Decode { .. } | AudioError::Empty { .. }), "{name}: {e}")
            }
        }
    }
}

#[test]
fn streaming_chunks_are_small_and_add_up_to_the_whole() {
    let dir = tmpdir("stream");
    let x = sine(440.0, 0.5, 20.0, 44100);
    let p = dir.join("long.wav");
    write_wav_i16(&p, 44100, 1, &x);
    let mut s = AudioStream::open(&p, ChannelMode::Mix).unwrap();
    let (mut total, mut biggest) = (0usize, 0usize);
    while let Some(c) = s.next_chunk().unwrap() {
        total += c[0].len();
        biggest = biggest.max(c[0].len());
    }
    assert_eq!(total, 320000);
    assert!(biggest < 4000, "chunks stay small: {biggest}");
    assert_eq!(decode_file(&p, ChannelMode::Mix).unwrap().len(), total);
}
