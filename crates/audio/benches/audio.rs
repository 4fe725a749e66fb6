//! Audio front-end benchmarks (harness = false): `cargo bench -p duologue-audio`.
//!
//! 1. decode + resample + log-mel on 10 minutes of 44.1 kHz stereo (WAV, and MP3 when ffmpeg
//!    is installed), in x real time;
//! 2. WebRTC VAD, Silero VAD, GE2E (diarisation windows), Whisper tiny's encoder speed;
//! 3. diarisation error rate on simulated two-voice conversations (espeak-ng) at several
//!    overlap ratios: the fraction of 25 fps frames whose (A speaks, B speaks) pair differs
//!    from the reference after the better of the two A/B assignments. The reference is the
//!    masks each voice's own clean track gives (the two-track path).

use duologue_audio::diarize::DiarizeConfig;
use duologue_audio::ge2e::Ge2e;
use duologue_audio::silero::SileroVad;
use duologue_audio::vad::webrtc_probs;
use duologue_audio::whisper::Whisper;
use duologue_audio::FeatureExtractor;
use duologue_audio::{
    decode_file, masks_from_audio, masks_from_audio_with, ChannelMode, LogMel, LogMelConfig, MaskOptions,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn write_wav_i16(path: &Path, rate: u32, channels: u16, x: &[f32]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for v in x {
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16).expect("write wav");
    }
    w.finalize().expect("write wav");
}

fn have(tool: &str, flag: &str) -> bool {
    Command::new(tool).arg(flag).output().map(|o| o.status.success()).unwrap_or(false)
}

/// One utterance of `voice` from espeak-ng at 16 kHz.
fn speak(dir: &Path, voice: &str, pitch: u32, text: &str, n: usize) -> Vec<f32> {
    let p = dir.join(format!("utt{n}.wav"));
    let st = Command::new("espeak-ng")
        .args(["-v", voice, "-p", &pitch.to_string(), "-s", "165", "-w"])
        .arg(&p)
        .arg(text)
        .status()
        .expect("espeak-ng");
    assert!(st.success());
    decode_file(&p, ChannelMode::Mix).expect("decode espeak").tracks.remove(0)
}

const LINES: [&str; 8] = [
    "I went down to the market this morning to buy some bread.",
    "Really? What did you find there?",
    "Mostly vegetables, and a very old book about sailing ships.",
    "That sounds wonderful, I would love to read it some day.",
    "You can borrow it after I finish the second chapter.",
    "Thank you, that is very kind of you.",
    "Do you think the weather will hold until the weekend?",
    "I hope so, we planned a long walk along the river.",
];

/// A conversation: alternating turns, each next turn starting `overlap` x (previous turn length)
/// before the previous one ends. Returns (mix, track A, track B).
fn conversation(dir: &Path, voices: [(&str, u32); 2], overlap: f32) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (mut a, mut b) = (Vec::<f32>::new(), Vec::<f32>::new());
    let mut cursor = 0usize;
    for (i, line) in LINES.iter().enumerate() {
        let (voice, pitch) = voices[i % 2];
        let mut u = speak(dir, voice, pitch, line, i);
        // Trim espeak's trailing silence so "overlap" means overlapping speech.
        while u.last().is_some_and(|v| v.abs() < 1e-3) {
            u.pop();
        }
        let len = u.len();
        let start = if i == 0 {
            0
        } else {
            cursor.saturating_sub((overlap * len as f32) as usize) + if overlap == 0.0 { 4800 } else { 0 }
        };
        let track = if i % 2 == 0 { &mut a } else { &mut b };
        if track.len() < start + len {
            track.resize(start + len, 0.0);
        }
        track[start..start + len].iter_mut().zip(&u).for_each(|(t, v)| *t += 0.5 * v);
        cursor = start + len;
    }
    let n = a.len().max(b.len());
    a.resize(n, 0.0);
    b.resize(n, 0.0);
    let mix = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    (mix, a, b)
}

fn error_rate(ma: &[f32], mb: &[f32], ra: &[f32], rb: &[f32]) -> f32 {
    let n = ma.len().min(ra.len());
    let wrong = |x: &[f32], y: &[f32]| {
        (0..n).filter(|&k| (x[k] >= 0.5, y[k] >= 0.5) != (ra[k] >= 0.5, rb[k] >= 0.5)).count()
    };
    wrong(ma, mb).min(wrong(mb, ma)) as f32 / n as f32
}

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().to_path_buf();
    let secs = 600.0f32;

    // 1. Decode + resample + log-mel, 10 minutes of 44.1 kHz stereo.
    let n = (secs * 44100.0) as usize;
    let mut x = Vec::with_capacity(2 * n);
    let mut seed = 12345u32;
    for i in 0..n {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let noise = (seed >> 16) as f32 / 65536.0 - 0.5;
        let t = i as f32 / 44100.0;
        let voice = 0.3 * (2.0 * std::f32::consts::PI * 150.0 * t).sin() * (0.5 + 0.5 * (3.0 * t).sin());
        x.push(voice + 0.05 * noise);
        x.push(0.8 * voice - 0.05 * noise);
    }
    let wav = dir.join("ten_minutes.wav");
    write_wav_i16(&wav, 44100, 2, &x);
    drop(x);
    let mut files: Vec<(String, PathBuf)> = vec![("wav 44.1k stereo".into(), wav.clone())];
    if have("ffmpeg", "-version") {
        let mp3 = dir.join("ten_minutes.mp3");
        let ok = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-i"])
            .arg(&wav)
            .args(["-b:a", "128k"])
            .arg(&mp3)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            files.push(("mp3 44.1k stereo 128k".into(), mp3));
        }
    }
    let lm = LogMel::new(LogMelConfig::default());
    let mut mono = Vec::new();
    for (name, path) in &files {
        let t0 = Instant::now();
        let d = decode_file(path, ChannelMode::Mix).expect("decode");
        let t1 = t0.elapsed().as_secs_f32();
        let f = lm.compute(&d.tracks[0]);
        let t2 = t0.elapsed().as_secs_f32();
        println!(
            "decode+resample {name}: {:.1} s -> {:.0}x real time; + log-mel ({} frames): {:.0}x real time",
            t1,
            secs / t1,
            f.len() / 80,
            secs / t2
        );
        mono = d.tracks.into_iter().next().unwrap_or_default();
    }

    // 2. VAD and encoder speed on the same 10 minutes (16 kHz mono).
    let t0 = Instant::now();
    let p = webrtc_probs(&mono, 2);
    let t = t0.elapsed().as_secs_f32();
    println!("WebRTC VAD: {} frames, {:.0}x real time", p.len(), secs / t);
    let silero = SileroVad::embedded().expect("silero");
    let t0 = Instant::now();
    let p = silero.probs(&mono[..(120.0 * 16000.0) as usize]).expect("silero run");
    let t = t0.elapsed().as_secs_f32();
    println!("Silero VAD (burn flex CPU): {} chunks of 32 ms, {:.0}x real time", p.len(), 120.0 / t);
    match Whisper::find() {
        Ok(w) => {
            for len in [10.0f32, 120.0] {
                let t0 = Instant::now();
                let f = w.features(&mono[..(len * 16000.0) as usize]).expect("whisper");
                let t = t0.elapsed().as_secs_f32();
                println!(
                    "Whisper tiny encoder features (burn flex CPU), {len:.0} s: {} frames x {} in {t:.2} s = {:.3}x real time",
                    f.frames,
                    f.dim,
                    t / len
                );
            }
        }
        Err(e) => println!("Whisper tiny: not measured ({e})"),
    }
    let ge2e_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/ge2e_resemblyzer.safetensors");
    let ge2e = Ge2e::open(&ge2e_path).ok();
    if let Some(enc) = &ge2e {
        let t0 = Instant::now();
        let (_, partials) = enc.embed_utterance(&mono[..(30.0 * 16000.0) as usize]).expect("ge2e");
        let t = t0.elapsed().as_secs_f32();
        println!(
            "GE2E (burn flex CPU): {} partials of 1.6 s in {:.2} s ({:.1}x real time on 30 s)",
            partials.len() / 256,
            t,
            30.0 / t
        );
    }

    // 3. Diarisation error on simulated conversations.
    if !have("espeak-ng", "--version") {
        println!("DER: skipped (needs espeak-ng, scripts/setup.sh)");
        return;
    }
    let opts = MaskOptions::default();
    for voices in
        [[("en+m3", 40), ("en+f4", 70)], [("en+m1", 35), ("en+m7", 60)], [("en+m3", 40), ("en+m3", 40)]]
    {
        for overlap in [0.0f32, 0.1, 0.2, 0.3] {
            let (mix, a, b) = conversation(&dir, voices, overlap);
            let seconds = mix.len() as f32 / 16000.0;
            let (ra, rb) = masks_from_audio(&[a, b], &opts).expect("reference");
            let t0 = Instant::now();
            let (ma, mb) = masks_from_audio(std::slice::from_ref(&mix), &opts).expect("spectral");
            let ts = t0.elapsed().as_secs_f32();
            let control =
                if voices[0] == voices[1] { " [control: one voice plays both, ~50% = chance]" } else { "" };
            let mut line = format!(
                "DER {}/{} overlap {:>3.0}% ({:.0} s): spectral {:.1}% ({:.0}x RT)",
                voices[0].0,
                voices[1].0,
                overlap * 100.0,
                seconds,
                100.0 * error_rate(&ma, &mb, &ra, &rb),
                seconds / ts
            );
            if let Ok(enc) = Ge2e::open(&ge2e_path) {
                let o = MaskOptions {
                    diarize: DiarizeConfig { window: 40, ..DiarizeConfig::default() },
                    ..MaskOptions::default()
                };
                let t0 = Instant::now();
                let (ga, gb) = masks_from_audio_with(std::slice::from_ref(&mix), &o, enc).expect("ge2e");
                let tg = t0.elapsed().as_secs_f32();
                line += &format!(
                    ", ge2e {:.1}% ({:.0}x RT)",
                    100.0 * error_rate(&ga, &gb, &ra, &rb),
                    seconds / tg
                );
            }
            println!("{line}{control}");
        }
    }
}
