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
mod error;
pub mod image;
pub mod inset;
pub mod math;
pub mod raster;
pub mod scene;
pub mod tour;
pub mod video;

pub use camera::{Camera, Sphere};
pub use error::RenderError;
pub use image::Image;
pub use raster::{Background, Canvas, Mesh};
pub use scene::{region_material, render_video, RenderOptions, Scene, PERSON_COLORS};
pub use video::{VideoOptions, VideoOutput, VideoSink};
