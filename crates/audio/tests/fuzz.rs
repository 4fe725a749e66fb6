//! Fuzz harness of the audio decoding path (issue 21; README "Reliability"): damaged and
//! forged WAV (PCM and mu-law), FLAC, MP3, M4A and Ogg files decoded to 16 kHz, mixed and as
//! two tracks. Zero panics; every error names the file; what decodes is finite audio.
//! Cases: `DUOLOGUE_FUZZ_CASES` (CI: the default, 200).

use duologue_audio::{decode_file, ChannelMode};
use duologue_params::fuzz::run;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

#[test]
fn damaged_recordings_never_panic_and_errors_name_the_file() {
    let names = ["hello.wav", "hello_8k_mulaw.wav", "hello.flac", "hello.mp3", "hello.m4a", "hello.ogg"];
    let valid: Vec<(&str, Vec<u8>)> =
        names.iter().map(|n| (*n, std::fs::read(format!("{FIXTURES}/{n}")).unwrap())).collect();
    let dir = tempfile::tempdir().unwrap();
    let pick = std::cell::Cell::new(0);
    run(
        "audio",
        21,
        |m| {
            pick.set(m.below(valid.len()));
            m.mutate(&valid[pick.get()].1)
        },
        |bytes| {
            // The damaged file keeps its extension: the decoder is chosen by content and hint.
            let path = dir.path().join(format!("damaged-{}", valid[pick.get()].0));
            std::fs::write(&path, bytes).unwrap();
            let mode = if bytes.len() % 2 == 0 { ChannelMode::Mix } else { ChannelMode::Stereo };
            match decode_file(&path, mode) {
                Ok(d) => {
                    if d.tracks.iter().flatten().any(|v| !v.is_finite()) {
                        return Err("decoded samples are not finite".into());
                    }
                    Ok(true)
                }
                Err(e) => {
                    let msg = e.to_string();
                    if !msg.contains("damaged-") {
                        return Err(format!("error does not name the file: {msg}"));
                    }
                    Ok(false)
                }
            }
        },
    );
}

#[test]
fn a_wav_of_65535_channels_is_an_error_not_a_panic() {
    // Found by the HTTP fuzz harness: symphonia 0.6.1 multiplies the fmt chunk's channel count
    // by the sample size in 16 bits, which overflows (a panic where overflow is checked).
    let mut bytes = std::fs::read(format!("{FIXTURES}/hello.wav")).unwrap();
    bytes[22..24].copy_from_slice(&u16::MAX.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("channels.wav");
    std::fs::write(&path, bytes).unwrap();
    let err = decode_file(&path, ChannelMode::Mix).expect_err("refused").to_string();
    assert!(err.contains("channels.wav") && err.contains("damaged data stopped the decoder"), "{err}");
}

#[test]
fn a_wav_of_two_billion_samples_a_second_is_refused_at_once() {
    // Found by the HTTP fuzz harness: a header stating 2^31 - 1 Hz set the resampler a task
    // that did not end within a minute.
    let mut bytes = std::fs::read(format!("{FIXTURES}/hello.wav")).unwrap();
    bytes[24..28].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rate.wav");
    std::fs::write(&path, bytes).unwrap();
    let err = decode_file(&path, ChannelMode::Mix).expect_err("refused").to_string();
    assert!(err.contains("rate.wav") && err.contains("sample rate 2147483647 Hz is outside"), "{err}");
}
