//! Video output: raw RGB frames piped to an `ffmpeg` subprocess that writes H.264 MP4 (with the
//! input audio muxed in when given), or numbered PNG frames when ffmpeg is not installed.
//! Frames are streamed one at a time, so memory stays bounded whatever the clip length.

use crate::image::Image;
use crate::RenderError;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread::JoinHandle;

/// How to encode a video.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoOptions {
    /// Frames per second (25 throughout duologue, DESIGN §1).
    pub fps: u32,
    /// The ffmpeg program: a name looked up on PATH, or a path.
    pub ffmpeg: PathBuf,
    /// Audio to mux in (any format ffmpeg reads), cut to the video's length.
    pub audio: Option<PathBuf>,
    /// x264 constant rate factor (lower = better; 18..23 is visually lossless to good).
    pub crf: u8,
}

impl Default for VideoOptions {
    fn default() -> Self {
        Self { fps: duologue_params::FPS, ffmpeg: PathBuf::from("ffmpeg"), audio: None, crf: 20 }
    }
}

/// What a finished video became.
#[derive(Debug, Clone, PartialEq)]
pub enum VideoOutput {
    /// An MP4 file.
    Mp4 {
        /// The file written.
        path: PathBuf,
        /// Frames encoded.
        frames: usize,
    },
    /// Numbered PNG frames (`frame_000000.png`, ...) because ffmpeg could not be run.
    Frames {
        /// Folder holding the frames.
        dir: PathBuf,
        /// Frames written.
        frames: usize,
        /// Why there is no MP4 (says how to install ffmpeg).
        reason: String,
    },
}

/// A destination for frames, opened by [`VideoSink::create`].
pub struct VideoSink {
    width: u32,
    height: u32,
    frames: usize,
    kind: SinkKind,
}

enum SinkKind {
    Ffmpeg {
        child: Child,
        stdin: Option<ChildStdin>,
        stderr: Option<JoinHandle<String>>,
        partial: PathBuf,
        path: PathBuf,
    },
    Frames {
        dir: PathBuf,
        reason: String,
    },
}

impl VideoSink {
    /// Start writing a `width` x `height` video to `path` (an .mp4). If the ffmpeg program
    /// cannot be started, falls back to PNG frames in `<path without extension>_frames/` and
    /// says why in [`VideoSink::fallback_reason`]. Width and height must be even (yuv420p).
    pub fn create(path: &Path, width: u32, height: u32, opts: &VideoOptions) -> Result<Self, RenderError> {
        if width == 0 || height == 0 || width % 2 == 1 || height % 2 == 1 {
            return Err(RenderError::Size {
                width,
                height,
                reason: "H.264 (yuv420p) needs even, non-zero sizes",
            });
        }
        if let Some(audio) = &opts.audio {
            if !audio.is_file() {
                return Err(RenderError::Io {
                    path: audio.clone(),
                    err: std::io::Error::new(std::io::ErrorKind::NotFound, "audio file not found"),
                });
            }
        }
        let partial = path.with_extension("mp4.partial");
        let mut cmd = Command::new(&opts.ffmpeg);
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"]);
        cmd.args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", &format!("{width}x{height}")]);
        cmd.args(["-framerate", &opts.fps.to_string(), "-i", "pipe:0"]);
        if let Some(audio) = &opts.audio {
            cmd.arg("-i").arg(audio);
            cmd.args(["-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "160k", "-shortest"]);
        }
        cmd.args(["-c:v", "libx264", "-preset", "veryfast", "-crf", &opts.crf.to_string()]);
        cmd.args(["-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4"]);
        cmd.arg(&partial);
        cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
        let kind = match cmd.spawn() {
            Ok(mut child) => {
                let stdin = child.stdin.take();
                // Drain stderr on a thread so a chatty ffmpeg can never block on a full pipe.
                let stderr = child.stderr.take().map(|mut e| {
                    std::thread::spawn(move || {
                        let mut s = String::new();
                        let _ = e.read_to_string(&mut s);
                        s
                    })
                });
                SinkKind::Ffmpeg { child, stdin, stderr, partial, path: path.to_path_buf() }
            }
            Err(e) => {
                let reason = format!(
                    "could not run '{}' ({e}); install ffmpeg (run scripts/setup.sh, or apt-get install ffmpeg) \
                     for MP4 output — writing PNG frames instead",
                    opts.ffmpeg.display()
                );
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "video".into());
                let dir = path.with_file_name(format!("{stem}_frames"));
                std::fs::create_dir_all(&dir).map_err(|err| RenderError::Io { path: dir.clone(), err })?;
                SinkKind::Frames { dir, reason }
            }
        };
        Ok(Self { width, height, frames: 0, kind })
    }

    /// Why frames go to PNG files instead of an MP4, if they do.
    pub fn fallback_reason(&self) -> Option<&str> {
        match &self.kind {
            SinkKind::Frames { reason, .. } => Some(reason),
            SinkKind::Ffmpeg { .. } => None,
        }
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Append one frame (must have the size given to [`VideoSink::create`]).
    pub fn push(&mut self, img: &Image) -> Result<(), RenderError> {
        if img.width != self.width || img.height != self.height {
            return Err(RenderError::Size {
                width: img.width,
                height: img.height,
                reason: "frame size differs from the video's",
            });
        }
        match &mut self.kind {
            SinkKind::Ffmpeg { stdin, .. } => {
                let written = match stdin.as_mut() {
                    Some(pipe) => pipe.write_all(&img.data).is_ok(),
                    None => false, // an earlier push failed and closed the pipe
                };
                if !written {
                    // ffmpeg has exited (bad audio file, disk full...): report its own words.
                    return Err(self.fail());
                }
            }
            SinkKind::Frames { dir, .. } => {
                img.save_png(&dir.join(format!("frame_{:06}.png", self.frames)))?;
            }
        }
        self.frames += 1;
        Ok(())
    }

    /// Close the stream and wait for the encoder; the MP4 appears at its path only on success.
    pub fn finish(mut self) -> Result<VideoOutput, RenderError> {
        let frames = self.frames;
        match &mut self.kind {
            SinkKind::Ffmpeg { child, stdin, stderr, partial, path } => {
                drop(stdin.take());
                let status = child.wait().map_err(|err| RenderError::Io { path: path.clone(), err })?;
                let log = stderr.take().and_then(|h| h.join().ok()).unwrap_or_default();
                if !status.success() {
                    let _ = std::fs::remove_file(&*partial);
                    return Err(RenderError::Ffmpeg { path: path.clone(), log: tail(&log) });
                }
                std::fs::rename(&*partial, &*path)
                    .map_err(|err| RenderError::Io { path: path.clone(), err })?;
                Ok(VideoOutput::Mp4 { path: path.clone(), frames })
            }
            SinkKind::Frames { dir, reason } => {
                Ok(VideoOutput::Frames { dir: dir.clone(), frames, reason: reason.clone() })
            }
        }
    }

    /// Stop a failed ffmpeg and turn its log into an error.
    fn fail(&mut self) -> RenderError {
        match &mut self.kind {
            SinkKind::Ffmpeg { child, stdin, stderr, partial, path } => {
                drop(stdin.take());
                let _ = child.wait();
                let log = stderr.take().and_then(|h| h.join().ok()).unwrap_or_default();
                let _ = std::fs::remove_file(&*partial);
                RenderError::Ffmpeg { path: path.clone(), log: tail(&log) }
            }
            SinkKind::Frames { dir, .. } => RenderError::Ffmpeg { path: dir.clone(), log: String::new() },
        }
    }
}

impl Drop for VideoSink {
    fn drop(&mut self) {
        // An abandoned sink (error elsewhere) must not leave ffmpeg waiting on its input.
        if let SinkKind::Ffmpeg { child, stdin, partial, .. } = &mut self.kind {
            if stdin.take().is_some() {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_file(&*partial);
            }
        }
    }
}

/// The last few lines of ffmpeg's log, on one line for an error message.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(3);
    let t = lines[start..].join(" | ");
    if t.is_empty() {
        "ffmpeg exited with an error and printed nothing".into()
    } else {
        t
    }
}
