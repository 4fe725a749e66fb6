//! Video output through ffmpeg (checked with ffprobe) and the PNG fallback without it.
//! Needs `ffmpeg` and `ffprobe` on PATH: scripts/setup.sh installs them.

use duologue_render::math::{uv_sphere, vertex_normals};
use duologue_render::raster::srgb_to_linear;
use duologue_render::{Background, Camera, Canvas, Image, Mesh, VideoOptions, VideoOutput, VideoSink};
use std::path::Path;
use std::process::Command;

const W: u32 = 96;
const H: u32 = 64;

/// `n` frames of a sphere moving left to right.
fn frames(n: usize) -> impl Iterator<Item = Image> {
    let cam = Camera::look_at([0.0, 0.0, -1.0], [0.0; 3], 40f32.to_radians());
    (0..n).map(move |k| {
        let x = -0.2 + 0.4 * k as f32 / n as f32;
        let (pos, tris) = uv_sphere([x, 0.0, 0.0], 0.1, 12, 16);
        let nrm = vertex_normals(&pos, &tris);
        let col = vec![srgb_to_linear([200, 170, 150]); pos.len()];
        let spec = vec![0.1; pos.len()];
        let mut c = Canvas::new(W, H, 1, Background::default());
        c.draw(
            &cam,
            &Mesh {
                positions: &pos,
                normals: &nrm,
                colors: &col,
                specular: &spec,
                triangles: &tris,
                rim: [0.1; 3],
            },
        );
        c.to_image()
    })
}

/// A mono 16-bit PCM WAV of a 440 Hz tone.
fn write_wav(path: &Path, seconds: f32, rate: u32) {
    let n = (seconds * rate as f32) as u32;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..n {
        let s = (i as f32 / rate as f32 * 440.0 * std::f32::consts::TAU).sin() * 0.3;
        w.write_sample((s * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn require(tool: &str) {
    let ok = Command::new(tool).arg("-version").output().map(|o| o.status.success()).unwrap_or(false);
    assert!(ok, "`{tool}` is not installed: run scripts/setup.sh (or apt-get install ffmpeg)");
}

#[test]
fn mp4_has_h264_video_and_aac_audio_of_the_right_length() {
    require("ffmpeg");
    require("ffprobe");
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_wav(&wav, 3.0, 16_000); // longer than the video: -shortest cuts it
    let out = dir.path().join("clip.mp4");
    let opts = VideoOptions { audio: Some(wav), ..VideoOptions::default() };
    let mut sink = VideoSink::create(&out, W, H, &opts).unwrap();
    assert!(sink.fallback_reason().is_none());
    for img in frames(30) {
        sink.push(&img).unwrap();
    }
    assert_eq!(sink.finish().unwrap(), VideoOutput::Mp4 { path: out.clone(), frames: 30 });
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name,pix_fmt,width,height:format=duration",
        ])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&probe.stdout);
    assert!(probe.status.success(), "{text}");
    assert!(text.contains("codec_name=h264") && text.contains("codec_type=video"), "{text}");
    assert!(text.contains("codec_name=aac") && text.contains("codec_type=audio"), "{text}");
    assert!(
        text.contains("pix_fmt=yuv420p") && text.contains("width=96") && text.contains("height=64"),
        "{text}"
    );
    let duration: f32 = text.lines().find_map(|l| l.strip_prefix("duration=")).unwrap().parse().unwrap();
    assert!((duration - 30.0 / 25.0).abs() < 0.15, "duration {duration} s, expected 1.2 s\n{text}");
    // Nothing half-written is left behind.
    assert!(!out.with_extension("mp4.partial").exists());
}

#[test]
fn without_ffmpeg_frames_become_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clip.mp4");
    let opts = VideoOptions { ffmpeg: "/nonexistent/bin/ffmpeg".into(), ..VideoOptions::default() };
    let mut sink = VideoSink::create(&out, W, H, &opts).unwrap();
    let reason = sink.fallback_reason().unwrap().to_string();
    assert!(reason.contains("scripts/setup.sh"), "{reason}");
    let imgs: Vec<Image> = frames(4).collect();
    for img in &imgs {
        sink.push(img).unwrap();
    }
    match sink.finish().unwrap() {
        VideoOutput::Frames { dir: frames_dir, frames: 4, .. } => {
            assert_eq!(frames_dir, dir.path().join("clip_frames"));
            for (k, img) in imgs.iter().enumerate() {
                let back = Image::load_png(&frames_dir.join(format!("frame_{k:06}.png"))).unwrap();
                assert_eq!(&back, img);
            }
        }
        other => panic!("expected PNG frames, got {other:?}"),
    }
    assert!(!out.exists());
}

#[test]
fn ffmpeg_errors_are_reported_not_panicked() {
    require("ffmpeg");
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("not_audio.wav");
    std::fs::write(&bogus, "this is not a sound file").unwrap();
    let out = dir.path().join("clip.mp4");
    let opts = VideoOptions { audio: Some(bogus), ..VideoOptions::default() };
    let result = VideoSink::create(&out, W, H, &opts).and_then(|mut sink| {
        for img in frames(50) {
            sink.push(&img)?;
        }
        sink.finish()
    });
    let err = result.expect_err("a non-audio file must fail").to_string();
    assert!(err.contains("ffmpeg failed"), "{err}");
    assert!(!out.exists() && !out.with_extension("mp4.partial").exists());
    // Odd sizes and missing audio are refused up front.
    assert!(VideoSink::create(&out, 95, 64, &VideoOptions::default()).is_err());
    let missing = VideoOptions { audio: Some(dir.path().join("nope.wav")), ..VideoOptions::default() };
    assert!(VideoSink::create(&out, W, H, &missing).is_err());
}
