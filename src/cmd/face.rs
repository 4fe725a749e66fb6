//! `duologue face`: look at the face model (DESIGN §4) — list its expression components, write
//! the mean head as OBJ, or render a scripted tour of every component, the eyes and the head.

use crate::ui::Progress;
use anyhow::{bail, Result};
use duologue_export::{describe_video, encode_video};
use duologue_face::{write_obj, FaceModel, EXPRESSION_NAMES};
use duologue_params::{Person, N_ID};
use duologue_render::tour::face_tour;
use duologue_render::{RenderOptions, Scene, VideoOptions};
use std::path::PathBuf;

/// Arguments of `duologue face`.
#[derive(clap::Args)]
pub struct Args {
    /// Render the scripted preview (every expression group, eye rotations, head turns) to
    /// DIR/face_preview.mp4 (PNG frames if ffmpeg is missing).
    #[arg(long)]
    pub preview: bool,
    /// Folder for --preview output (created if missing).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Write the mean head (neutral, rest pose, DESIGN §2 coordinates) as a Wavefront OBJ.
    #[arg(long, value_name = "FILE")]
    pub obj: Option<PathBuf>,
    /// Print the 63 expression component names in psi order.
    #[arg(long)]
    pub list: bool,
    /// Preview width in pixels (even).
    #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(2..=8192))]
    pub width: u32,
    /// Preview height in pixels (even).
    #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(2..=8192))]
    pub height: u32,
    /// The ffmpeg program to use.
    #[arg(long, default_value = "ffmpeg")]
    pub ffmpeg: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if !(args.preview || args.list || args.obj.is_some()) {
        bail!("nothing to do: give --list, --obj FILE and/or --preview");
    }
    if args.list {
        for (k, name) in EXPRESSION_NAMES.iter().enumerate() {
            println!("{k:2} {name}");
        }
    }
    let face = FaceModel::shared();
    if let Some(path) = &args.obj {
        write_obj(path, &face.shaped(&[0.0; N_ID], &[]), &face.triangles)?;
        println!(
            "obj: {} ({} vertices, {} triangles)",
            path.display(),
            face.vertex_count(),
            face.triangles.len()
        );
    }
    if args.preview {
        std::fs::create_dir_all(&args.out)
            .map_err(|e| anyhow::anyhow!("cannot create output folder {}: {e}", args.out.display()))?;
        let tour = face_tour();
        let frames = tour.motion.frames();
        let person = Person { x: tour.motion, beta: vec![0.0; N_ID], t0: [0.0; 3], mask: vec![0.0; frames] };
        let opts = RenderOptions { width: args.width, height: args.height, ..RenderOptions::default() };
        let scene = Scene::new(face, &[&person], opts)?;
        for s in &tour.segments {
            let t = |f: usize| f as f32 / duologue_params::FPS as f32;
            println!("{:6.2}-{:6.2} s  {}", t(s.start), t(s.end), s.label);
        }
        let vopts = VideoOptions { ffmpeg: args.ffmpeg.clone(), ..VideoOptions::default() };
        let mut progress = Progress::default();
        let path = args.out.join("face_preview.mp4");
        let out = encode_video(&scene, &path, &vopts, &mut |e| progress.show(e))?;
        progress.finish();
        let (kind, path, frames) = describe_video(out);
        println!("{kind}: {} ({frames} frames)", path.display());
    }
    Ok(())
}
