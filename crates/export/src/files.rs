//! Every export a user can ask for, written from one result into one folder (DESIGN §6): the
//! animated .glb, ARKit curves per person (Live Link Face CSV or JSON), the preview MP4 with
//! the audio muxed in (PNG frames without ffmpeg), and PNG stills. Files are named after a stem
//! (`talk.glb`, `talk_A.csv`, `talk.mp4`, ...).

use crate::{
    arkit_curves, live_link_sidecar, write_arkit_json, write_glb, write_live_link_csv, ExportError, Morphs,
};
use duologue_face::FaceModel;
use duologue_params::atomic::Staging;
use duologue_params::{Duo, Who};
use duologue_render::{render_video, RenderOptions, Scene, VideoOptions, VideoOutput, VideoSink};
use std::path::{Path, PathBuf};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// glTF binary: both heads, skinned, 63 morph targets, one animation.
    Glb,
    /// ARKit curves per person, Live Link Face CSV layout, with a JSON sidecar stating the rate.
    ArkitCsv,
    /// ARKit curves per person, JSON.
    ArkitJson,
    /// Preview video (H.264) with the sound (generate: the recording; export: --audio); PNG
    /// frames if ffmpeg is missing.
    Mp4,
    /// Preview stills: first, middle and last frame (export --png-every N: every Nth).
    Png,
}

impl Format {
    /// The command-line spelling (`arkit-csv`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Format::Glb => "glb",
            Format::ArkitCsv => "arkit-csv",
            Format::ArkitJson => "arkit-json",
            Format::Mp4 => "mp4",
            Format::Png => "png",
        }
    }
}

/// How exports are drawn.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Audio muxed into the MP4.
    pub audio: Option<PathBuf>,
    /// Preview size, anti-aliasing, shot (`auto`: both mouths readable), inset and caption (the
    /// renderer's defaults: 1280x720, one sample per pixel, auto shot, caption, no extra inset).
    pub render: RenderOptions,
    /// PNG every Nth frame instead of first/middle/last.
    pub png_every: Option<usize>,
    /// The ffmpeg program.
    pub ffmpeg: PathBuf,
    /// How the glb's morph targets carry the expression.
    pub morphs: Morphs,
    /// Frame rate of the ARKit CSV / JSON (None: the result's own, 25); other rates resample.
    pub arkit_fps: Option<f32>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            audio: None,
            render: RenderOptions::default(),
            png_every: None,
            ffmpeg: "ffmpeg".into(),
            morphs: Morphs::default(),
            arkit_fps: None,
        }
    }
}

/// One file (or folder) an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// What it is ("glb", "arkit A", "mp4", "png", ...).
    pub kind: String,
    /// Where.
    pub path: PathBuf,
    /// Extra words for the human summary (starts with a space, or empty).
    pub note: String,
}

/// What long exports report while they work.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// `done` of `total` items of `what` ("rendering", "stills").
    Progress {
        /// The work.
        what: &'a str,
        /// Items done.
        done: usize,
        /// Items in all.
        total: usize,
    },
    /// Something the user should know (e.g. no ffmpeg: PNG frames instead of an MP4).
    Warning(String),
}

/// Writes `duo` in each of `formats` (duplicates once) into `out` (created once `duo` is known to
/// be exportable), files named after `stem`. All files are written into a staging folder and
/// moved into `out` together once every format succeeded ([`Staging`]): on an error nothing of
/// this export is left, and files of the same names from before stay as they were.
pub fn write_exports(
    duo: &Duo,
    stem: &str,
    out: &Path,
    formats: &[Format],
    settings: &Settings,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Written>, ExportError> {
    // Invalid results fail before the output folder exists.
    crate::check_people(&[("A", &duo.a), ("B", &duo.b)])?;
    let io = |err| ExportError::Io { path: out.to_path_buf(), err };
    let staging = Staging::new(out).map_err(io)?;
    let written = write_exports_into(duo, stem, staging.path(), formats, settings, on)?;
    let written: Vec<Written> =
        written.into_iter().map(|w| Written { path: staging.final_path(&w.path), ..w }).collect();
    staging.commit().map_err(io)?;
    Ok(written)
}

/// [`write_exports`] straight into the existing folder `dir` (a [`Staging`] folder of a larger
/// command, such as generate's, which stages its .npz with the exports).
pub fn write_exports_into(
    duo: &Duo,
    stem: &str,
    out: &Path,
    formats: &[Format],
    settings: &Settings,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Written>, ExportError> {
    let face = FaceModel::shared();
    let mut unique: Vec<Format> = Vec::new();
    for f in formats {
        if !unique.contains(f) {
            unique.push(*f);
        }
    }
    let people = [("A", &duo.a), ("B", &duo.b)];
    crate::check_people(&people)?;
    let mut written = Vec::new();
    let mut put = |kind: String, path: PathBuf, note: String| written.push(Written { kind, path, note });
    for format in unique {
        match format {
            Format::Glb => {
                let path = out.join(format!("{stem}.glb"));
                let s = write_glb(&path, face, &people, duo.fps, settings.morphs)?;
                put(
                    "glb".into(),
                    path,
                    format!(
                        " ({} frames, {} {} morph targets, {:.1} MB)",
                        s.frames,
                        s.targets,
                        settings.morphs.name(),
                        s.bytes as f64 / 1e6
                    ),
                );
            }
            Format::ArkitCsv | Format::ArkitJson => {
                for who in Who::BOTH {
                    let mut curves = arkit_curves(face, duo.person(who), duo.fps);
                    let mut note = String::new();
                    if let Some(fps) = settings.arkit_fps {
                        curves = curves.resampled(fps);
                    }
                    let path = if format == Format::ArkitCsv {
                        let name = format!("{stem}_{}.csv", who.letter());
                        let p = out.join(&name);
                        write_live_link_csv(&p, &curves)?;
                        let side = out.join(format!("{name}.json"));
                        let text =
                            serde_json::to_vec_pretty(&live_link_sidecar(&curves, who.letter(), &name))
                                .map_err(|e| {
                                    ExportError::Input(format!("encoding {}: {e}", side.display()))
                                })?;
                        crate::write_atomic(&side, &text)?;
                        note = format!(
                            " ({} frames at {} fps; rate in {name}.json)",
                            curves.frames(),
                            curves.fps
                        );
                        p
                    } else {
                        let p = out.join(format!("{stem}_{}.arkit.json", who.letter()));
                        write_arkit_json(&p, &curves, who.letter())?;
                        p
                    };
                    put(format!("arkit {}", who.letter()), path, note);
                }
            }
            Format::Mp4 => {
                let scene = Scene::for_duo(face, duo, settings.render.clone())?;
                let path = out.join(format!("{stem}.mp4"));
                let vopts = VideoOptions {
                    fps: duo.fps.round().max(1.0) as u32,
                    audio: settings.audio.clone(),
                    ffmpeg: settings.ffmpeg.clone(),
                    ..VideoOptions::default()
                };
                let (kind, path, frames) = describe_video(encode_video(&scene, &path, &vopts, on)?);
                put(kind.into(), path, format!(" ({frames} frames)"));
            }
            Format::Png => {
                let scene = Scene::for_duo(face, duo, settings.render.clone())?;
                let n = scene.frames();
                let picks: Vec<usize> = match settings.png_every {
                    Some(every) => (0..n).step_by(every.max(1)).collect(),
                    None => {
                        let mut v = vec![0, n / 2, n - 1];
                        v.dedup();
                        v
                    }
                };
                for (i, &k) in picks.iter().enumerate() {
                    let path = out.join(format!("{stem}_frame_{k:06}.png"));
                    scene.render_frame(k).save_png(&path)?;
                    on(Event::Progress { what: "stills", done: i + 1, total: picks.len() });
                    put("png".into(), path, String::new());
                }
            }
        }
    }
    Ok(written)
}

/// What a video export produced, for a summary line: its kind ("mp4", or "png frames (no
/// ffmpeg)"), where, and how many frames.
pub fn describe_video(out: VideoOutput) -> (&'static str, PathBuf, usize) {
    match out {
        VideoOutput::Mp4 { path, frames } => ("mp4", path, frames),
        VideoOutput::Frames { dir, frames, .. } => ("png frames (no ffmpeg)", dir, frames),
    }
}

/// Renders every frame of `scene` to an MP4 at `path` (or PNG frames without ffmpeg, with a
/// warning), reporting progress as "rendering".
pub fn encode_video(
    scene: &Scene,
    path: &Path,
    vopts: &VideoOptions,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<VideoOutput, ExportError> {
    let (w, h) = scene.size();
    let sink = VideoSink::create(path, w, h, vopts)?;
    if let Some(reason) = sink.fallback_reason() {
        on(Event::Warning(reason.to_string()));
    }
    let total = scene.frames();
    let out =
        render_video(scene, sink, &mut |done, _| on(Event::Progress { what: "rendering", done, total }))?;
    Ok(out)
}
