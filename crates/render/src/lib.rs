//! Preview rendering for duologue: a small CPU software rasteriser that draws both heads of a
//! result (DESIGN §2 world frame, §3 parameters, §4 face model) so a user can look at what the
//! model produced without a 3D package — the "preview MP4 with the input audio" of DESIGN §6.
//!
//! - [`camera`]: perspective camera; [`Camera::framing`] places the default viewer on the -Z side
//!   looking along +Z and frames every head whatever the layout (swinging round the group only
//!   when one head would hide the other).
//! - [`raster`]: z-buffered, perspective-correct triangles shaded per pixel (Lambert key and fill,
//!   hemisphere ambient, Blinn specular, a rim light tinted per person), rows in parallel bands.
//! - [`scene`]: poses people with the face model, colours regions, optional top-down [`inset`].
//! - [`video`]: raw frames streamed to `ffmpeg` (H.264 MP4, audio muxed), PNG frames without it.
#![deny(missing_docs)]

pub mod camera;
pub mod image;
pub mod inset;
pub mod math;
pub mod raster;
pub mod scene;
pub mod tour;
pub mod video;

pub use camera::{Camera, Sphere};
pub use image::Image;
pub use raster::{Background, Canvas, Mesh};
pub use scene::{region_material, render_video, RenderOptions, Scene, PERSON_COLORS};
pub use video::{VideoOptions, VideoOutput, VideoSink};

use std::path::PathBuf;

/// Errors rendering or writing previews.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file or folder could not be read or written.
    // Not named `source`: the message already carries it, and anyhow's `{:#}` would print it twice.
    #[error("{path}: {err}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        err: std::io::Error,
    },
    /// PNG encoding or decoding failed.
    #[error("{path}: PNG error: {reason}")]
    Png {
        /// File concerned.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An image size is unusable.
    #[error("image size {width}x{height}: {reason}")]
    Size {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
        /// Why it is refused.
        reason: &'static str,
    },
    /// ffmpeg ran but failed; `log` is the end of what it printed.
    #[error("{path}: ffmpeg failed: {log}")]
    Ffmpeg {
        /// Output being written.
        path: PathBuf,
        /// Last lines of ffmpeg's error output.
        log: String,
    },
    /// The people or options given cannot be drawn.
    #[error("{0}")]
    Input(String),
}
