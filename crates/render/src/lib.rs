//! Preview rendering for duologue: a small CPU software rasteriser that draws both heads of a
//! result (DESIGN §2 world frame, §3 parameters, §4 face model) so a user can look at what the
//! model produced without a 3D package — the "preview MP4 with the input audio" of DESIGN §6.
//!
//! - [`camera`]: perspective camera; [`Camera::two_shot`] stands beside a pair as film frames a
//!   conversation, [`Camera::close_up`] in front of one face, [`Camera::framing`] on the default
//!   viewer's -Z side (swinging round the group only when one head would hide the other).
//! - [`shot`]: which of those cameras a preview uses and where each picture goes (`--camera`:
//!   auto picks the two-shot when both mouths get enough pixels, else split-screen close-ups).
//! - [`raster`]: z-buffered, perspective-correct triangles shaded per pixel (Lambert key and fill,
//!   hemisphere ambient, Blinn specular, a rim light tinted per person), rows in parallel bands.
//! - [`scene`]: poses people with the face model, colours regions, draws each view, the top-down
//!   [`inset`] and the [`caption`] strip of who is speaking.
//! - [`video`]: raw frames streamed to `ffmpeg` (H.264 MP4, audio muxed), PNG frames without it.
#![deny(missing_docs)]

pub mod camera;
pub mod caption;
mod error;
pub mod image;
pub mod inset;
pub mod math;
pub mod raster;
pub mod scene;
pub mod shot;
pub mod tour;
pub mod video;

pub use camera::{Camera, Sphere};
pub use error::RenderError;
pub use image::Image;
pub use raster::{Background, Canvas, Mesh};
pub use scene::{region_material, render_video, Buffers, LipCoverage, RenderOptions, Scene, PERSON_COLORS};
pub use shot::{Shot, View, MIN_LIP_PIXELS};
pub use video::{VideoOptions, VideoOutput, VideoSink};
