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
