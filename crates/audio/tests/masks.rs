//! Speaker masks from real (espeak-ng) speech: stereo, two tracks, one mixed track, silence.

mod common;
use common::*;
use duologue_audio::{
    decode_file, masks_from_audio, speaker_masks, ChannelMode, MaskOptions, Source, VadKind, Warning,
};

/// dialog_stereo.ogg: A (left) speaks 0-1.5 s and 3.4-3.9 s; B (right) 1.4-2.7 s.
fn truth(k: usize) -> (bool, bool) {
    let t = k as f32 / 25.0;
    ((0.1..1.4).contains(&t) || (3.5..3.8).contains(&t), (1.6..2.6).contains(&t))
}

fn check(m_a: &[f32], m_b: &[f32], min_agree: f32) {
    assert!(m_a.iter().chain(m_b).all(|v| (0.0..=1.0).contains(v)));
    let n = m_a.len();
    let mut agree = 0;
    let mut judged = 0;
    for k in 0..n {
        let (a, b) = truth(k);
        let t = k as f32 / 25.0;
        // Skip 0.2 s around every boundary: masks ramp there by design.
        let near = [0.0, 1.4, 1.5, 2.7, 3.4, 3.9].iter().any(|e| (t - e).abs() < 0.2);
        if near {
            continue;
        }
        judged += 1;
        agree += ((m_a[k] >= 0.5) == a && (m_b[k] >= 0.5) == b) as usize;
    }
    let frac = agree as f32 / judged as f32;
    assert!(frac >= min_agree, "{agree}/{judged} frames right");
}

#[test]
fn stereo_channels_give_each_person_their_own_mask() {
    let mut noop = |_: f64| {};
    let m = speaker_masks(&Source::Stereo(fixture("dialog_stereo.ogg")), &MaskOptions::default(), &mut noop)
        .unwrap();
    assert_eq!(m.m_a.len(), 113); // 4.5 s at 25 fps, rounded up
    assert_eq!(m.method, "stereo");
    check(&m.m_a, &m.m_b, 0.95);
    assert_eq!(m.summary.turns, 3);
    let opts = MaskOptions { vad: VadKind::Silero, ..MaskOptions::default() };
    let s = speaker_masks(&Source::Stereo(fixture("dialog_stereo.ogg")), &opts, &mut noop).unwrap();
    check(&s.m_a, &s.m_b, 0.9);
    assert!(m.summary.speaking_a > 1.3 && m.summary.speaking_b > 0.9, "{:?}", m.summary);
}

#[test]
fn two_files_equal_stereo_and_swap_exchanges() {
    let d = decode_file(&fixture("dialog_stereo.ogg"), ChannelMode::Stereo).unwrap();
    let dir = tmpdir("tracks");
    let (pa, pb) = (dir.join("a.wav"), dir.join("b.wav"));
    write_wav_f32(&pa, 16000, 1, &d.tracks[0]);
    write_wav_f32(&pb, 16000, 1, &d.tracks[1]);
    let mut noop = |_: f64| {};
    let opts = MaskOptions { swap: true, ..MaskOptions::default() };
    let m = speaker_masks(&Source::Tracks(pa, pb), &opts, &mut noop).unwrap();
    check(&m.m_b, &m.m_a, 0.95);
    let (a, b) = masks_from_audio(&d.tracks, &MaskOptions::default()).unwrap();
    check(&a, &b, 0.95);
}

#[test]
fn one_mixed_track_is_split_into_two_people_a_first() {
    let mut noop = |_: f64| {};
    let m = speaker_masks(&Source::Mixed(fixture("dialog_stereo.ogg")), &MaskOptions::default(), &mut noop)
        .unwrap();
    assert_eq!(m.method, "mixed:spectral");
    check(&m.m_a, &m.m_b, 0.8);
    let mix = decode_file(&fixture("dialog_stereo.ogg"), ChannelMode::Mix).unwrap();
    let (a, b) = masks_from_audio(&mix.tracks, &MaskOptions::default()).unwrap();
    check(&a, &b, 0.8);
}

#[test]
fn silence_gives_zero_masks_and_a_warning_naming_the_file() {
    let dir = tmpdir("silence");
    let p = dir.join("quiet.wav");
    write_wav_i16(&p, 44100, 2, &vec![0.0; 44100 * 2 * 3]);
    let mut noop = |_: f64| {};
    let m = speaker_masks(&Source::Mixed(p.clone()), &MaskOptions::default(), &mut noop).unwrap();
    assert_eq!(m.m_a.len(), 75);
    assert!(m.m_a.iter().chain(&m.m_b).all(|&v| v == 0.0));
    assert!(m.warnings.iter().any(|(f, w)| f == &p && *w == Warning::Silence));
}

#[test]
fn single_speaker_mono_goes_to_a() {
    let mut noop = |_: f64| {};
    let m = speaker_masks(&Source::Mixed(fixture("hello.mp3")), &MaskOptions::default(), &mut noop).unwrap();
    assert!(m.summary.speaking_a > 0.6, "{:?}", m.summary);
    assert!(m.summary.speaking_b < 0.3 * m.summary.speaking_a, "{:?}", m.summary);
}

#[test]
fn ge2e_splits_the_mixed_dialog_too() {
    let w = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/ge2e_resemblyzer.safetensors");
    let enc = duologue_audio::ge2e::Ge2e::open(&w).unwrap();
    // Turns here last 1.3 s: windows shorter than GE2E's 1.6 s partials (1 s every 0.2 s).
    let diarize = duologue_audio::diarize::DiarizeConfig { window: 25, hop: 5, ..Default::default() };
    let opts = MaskOptions { diarize, ..MaskOptions::default() };
    let mut noop = |_: f64| {};
    let src = Source::Mixed(fixture("dialog_stereo.ogg"));
    let m = duologue_audio::speaker_masks_with(&src, &opts, enc, "ge2e", &mut noop).unwrap();
    assert_eq!(m.method, "mixed:ge2e");
    check(&m.m_a, &m.m_b, 0.8);
}
