//! `duologue export RESULT.npz --format ... --out DIR`: the exports of DESIGN §6 (animated .glb,
//! ARKit curves as Live Link Face CSV / JSON, preview MP4 with the input audio, PNG stills).

use anyhow::{bail, Context, Result};
use duologue_export::{arkit_curves, write_arkit_json, write_glb, write_live_link_csv};
use duologue_face::FaceModel;
use duologue_params::{Duo, Who};
use duologue_render::{render_video, RenderOptions, Scene, VideoOptions, VideoOutput, VideoSink};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// glTF binary: both heads, skinned, 63 morph targets, one animation.
    Glb,
    /// ARKit curves per person, Live Link Face CSV layout.
    ArkitCsv,
    /// ARKit curves per person, JSON.
    ArkitJson,
    /// Preview video (H.264), with --audio muxed in; PNG frames if ffmpeg is missing.
    Mp4,
    /// Preview stills: first, middle and last frame, or every Nth with --png-every.
    Png,
}

/// Arguments of `duologue export`.
#[derive(clap::Args)]
pub struct Args {
    /// Result file written by `duologue generate` (.npz with x_A, x_B, beta_*, t0_*, m_*).
    pub result: PathBuf,
    /// Output format; repeat or separate with commas for several.
    #[arg(long = "format", short = 'f', value_enum, value_delimiter = ',', required = true)]
    pub formats: Vec<Format>,
    /// Folder for the exports (created if missing). Files are named after the result file.
    #[arg(long)]
    pub out: PathBuf,
    /// Audio to mux into the MP4 (any format ffmpeg reads), e.g. the conversation recording.
    #[arg(long)]
    pub audio: Option<PathBuf>,
    /// Draw the top-down layout inset in the MP4 / PNG previews.
    #[arg(long)]
    pub inset: bool,
    /// Preview width in pixels (even, for H.264).
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    /// Preview height in pixels (even, for H.264).
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    /// Anti-aliasing: samples per pixel along each axis (1..=4; 2 looks smoother, ~4x slower).
    #[arg(long, default_value_t = 1)]
    pub supersample: u32,
    /// For --format png: write every Nth frame instead of first/middle/last.
    #[arg(long)]
    pub png_every: Option<usize>,
    /// The ffmpeg program to use.
    #[arg(long, default_value = "ffmpeg")]
    pub ffmpeg: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let duo = Duo::read(&args.result)?;
    if let Some(audio) = &args.audio {
        if !audio.is_file() {
            bail!("{}: audio file not found", audio.display());
        }
    }
    if args.png_every == Some(0) {
        bail!("--png-every must be at least 1");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output folder {}", args.out.display()))?;
    let stem =
        args.result.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "result".into());
    let settings = Settings {
        audio: args.audio.clone(),
        inset: args.inset,
        width: args.width,
        height: args.height,
        supersample: args.supersample,
        png_every: args.png_every,
        ffmpeg: args.ffmpeg.clone(),
    };
    for w in write_exports(&duo, &stem, &args.out, &args.formats, &settings)? {
        println!("{}: {}{}", w.kind, w.path.display(), w.note);
    }
    Ok(())
}

/// How exports are drawn (shared by `export` and `generate`).
pub(crate) struct Settings {
    /// Audio muxed into the MP4.
    pub audio: Option<PathBuf>,
    /// Top-down layout inset in previews.
    pub inset: bool,
    /// Preview width.
    pub width: u32,
    /// Preview height.
    pub height: u32,
    /// Samples per pixel along each axis.
    pub supersample: u32,
    /// PNG every Nth frame instead of first/middle/last.
    pub png_every: Option<usize>,
    /// The ffmpeg program.
    pub ffmpeg: PathBuf,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            audio: None,
            inset: false,
            width: 1280,
            height: 720,
            supersample: 1,
            png_every: None,
            ffmpeg: "ffmpeg".into(),
        }
    }
}

/// One file (or folder) an export wrote.
pub(crate) struct Written {
    /// What it is ("glb", "arkit A", "mp4", "png", ...).
    pub kind: String,
    /// Where.
    pub path: PathBuf,
    /// Extra words for the human summary (starts with a space, or empty).
    pub note: String,
}

/// Writes `duo` in each of `formats` (duplicates once) into `out`, files named after `stem`.
pub(crate) fn write_exports(
    duo: &Duo,
    stem: &str,
    out: &Path,
    formats: &[Format],
    settings: &Settings,
) -> Result<Vec<Written>> {
    let face = FaceModel::shared();
    let mut unique: Vec<Format> = Vec::new();
    for f in formats {
        if !unique.contains(f) {
            unique.push(*f);
        }
    }
    let people = [("A", &duo.a), ("B", &duo.b)];
    let opts = RenderOptions {
        width: settings.width,
        height: settings.height,
        supersample: settings.supersample,
        inset: settings.inset,
        ..RenderOptions::default()
    };
    let mut written = Vec::new();
    let mut put = |kind: String, path: PathBuf, note: String| written.push(Written { kind, path, note });
    for format in unique {
        match format {
            Format::Glb => {
                let path = out.join(format!("{stem}.glb"));
                let s = write_glb(&path, face, &people, duo.fps)?;
                put("glb".into(), path, format!(" ({} frames, {:.1} MB)", s.frames, s.bytes as f64 / 1e6));
            }
            Format::ArkitCsv | Format::ArkitJson => {
                for who in Who::BOTH {
                    let curves = arkit_curves(face, duo.person(who), duo.fps);
                    let path = if format == Format::ArkitCsv {
                        let p = out.join(format!("{stem}_{}.csv", who.letter()));
                        write_live_link_csv(&p, &curves)?;
                        p
                    } else {
                        let p = out.join(format!("{stem}_{}.arkit.json", who.letter()));
                        write_arkit_json(&p, &curves, who.letter())?;
                        p
                    };
                    put(format!("arkit {}", who.letter()), path, String::new());
                }
            }
            Format::Mp4 => {
                let scene = Scene::for_duo(face, duo, opts.clone())?;
                let path = out.join(format!("{stem}.mp4"));
                let vopts = VideoOptions {
                    fps: duo.fps.round().max(1.0) as u32,
                    audio: settings.audio.clone(),
                    ffmpeg: settings.ffmpeg.clone(),
                    ..VideoOptions::default()
                };
                match encode(&scene, &path, &vopts)? {
                    VideoOutput::Mp4 { path, frames } => {
                        put("mp4".into(), path, format!(" ({frames} frames)"))
                    }
                    VideoOutput::Frames { dir, frames, .. } => {
                        put("png frames (no ffmpeg)".into(), dir, format!(" ({frames} frames)"))
                    }
                }
            }
            Format::Png => {
                let scene = Scene::for_duo(face, duo, opts.clone())?;
                let n = scene.frames();
                let picks: Vec<usize> = match settings.png_every {
                    Some(every) => (0..n).step_by(every).collect(),
                    None => {
                        let mut v = vec![0, n / 2, n - 1];
                        v.dedup();
                        v
                    }
                };
                let bar = bar(picks.len(), "stills");
                for &k in &picks {
                    let path = out.join(format!("{stem}_frame_{k:06}.png"));
                    scene.render_frame(k).save_png(&path)?;
                    bar.inc(1);
                    put("png".into(), path, String::new());
                }
                bar.finish_and_clear();
            }
        }
    }
    Ok(written)
}

/// A progress bar for `total` items.
pub(crate) fn bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} ({eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}

/// Render every frame of `scene` to an MP4 at `path` (or PNG frames without ffmpeg), with a bar.
pub(crate) fn encode(scene: &Scene, path: &Path, vopts: &VideoOptions) -> Result<VideoOutput> {
    let (w, h) = scene.size();
    let sink = VideoSink::create(path, w, h, vopts)?;
    if let Some(reason) = sink.fallback_reason() {
        eprintln!("warning: {reason}");
    }
    let bar = bar(scene.frames(), "rendering");
    let out = render_video(scene, sink, &mut |done, _| bar.set_position(done as u64));
    bar.finish_and_clear();
    Ok(out?)
}

pub(crate) fn report_video(out: VideoOutput) {
    match out {
        VideoOutput::Mp4 { path, frames } => println!("mp4: {} ({frames} frames)", path.display()),
        VideoOutput::Frames { dir, frames, .. } => {
            println!("png frames (no ffmpeg): {} ({frames} frames)", dir.display())
        }
    }
}
