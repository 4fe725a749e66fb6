//! Previews of people animated with the face model (DESIGN §3, §4): pose each head per frame,
//! colour it by region, frame everyone with the default camera, draw, add the top-down inset.

use crate::camera::{Camera, Sphere};
use crate::image::Image;
use crate::inset::{draw_inset, InsetBounds, InsetPerson};
use crate::math::{vertex_normals, Vec3};
use crate::raster::{srgb_to_linear, Background, Canvas, Mesh};
use crate::video::{VideoOutput, VideoSink};
use crate::RenderError;
use duologue_face::{FaceModel, Region};
use duologue_params::{Duo, Person, N_EXPR, N_ID, THETA};
use glam::Vec3 as V;

/// Accent colour of person A then B (sRGB): rim light in the view, marker in the inset.
pub const PERSON_COLORS: [[u8; 3]; 2] = [[90, 150, 255], [255, 150, 70]];

/// Albedo (sRGB) and specular strength of each face region.
pub fn region_material(region: Region) -> ([u8; 3], f32) {
    match region {
        Region::Skin => ([222, 170, 143], 0.08),
        Region::Lips => ([170, 84, 86], 0.22),
        Region::Brow => ([78, 56, 44], 0.02),
        Region::Sclera => ([236, 232, 226], 0.6),
        Region::Iris => ([78, 108, 136], 0.6),
        Region::Pupil => ([12, 12, 14], 0.7),
        Region::Teeth => ([238, 232, 212], 0.3),
        Region::MouthInterior => ([92, 34, 38], 0.05),
    }
}

/// How previews look.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Samples per pixel along each axis (1 = none; 2 = 4x anti-aliasing, ~4x slower).
    pub supersample: u32,
    /// Draw the top-down inset.
    pub inset: bool,
    /// Vertical field of view, degrees.
    pub fov_y_deg: f32,
    /// Background gradient.
    pub background: Background,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            supersample: 1,
            inset: false,
            fov_y_deg: 30.0,
            background: Background::default(),
        }
    }
}

/// Largest width or height accepted (keeps buffers within memory).
const MAX_SIDE: u32 = 8192;

/// People to draw, the face model and a camera fixed for the whole clip.
pub struct Scene<'a> {
    face: &'a FaceModel,
    people: Vec<&'a Person>,
    frames: usize,
    camera: Camera,
    opts: RenderOptions,
    /// `[V]` linear albedo and specular strength, from the regions.
    colors: Vec<Vec3>,
    specular: Vec<f32>,
    inset_bounds: InsetBounds,
}

impl<'a> Scene<'a> {
    /// Both people of a result.
    pub fn for_duo(face: &'a FaceModel, duo: &'a Duo, opts: RenderOptions) -> Result<Self, RenderError> {
        Self::new(face, &[&duo.a, &duo.b], opts)
    }

    /// Any number of people (1 for the face-model preview), all with the same frame count.
    pub fn new(face: &'a FaceModel, people: &[&'a Person], opts: RenderOptions) -> Result<Self, RenderError> {
        if opts.width == 0 || opts.height == 0 || opts.width > MAX_SIDE || opts.height > MAX_SIDE {
            return Err(RenderError::Size {
                width: opts.width,
                height: opts.height,
                reason: "width and height must be within 1..=8192",
            });
        }
        if !(1..=4).contains(&opts.supersample) {
            return Err(RenderError::Input(format!("supersample {} is outside 1..=4", opts.supersample)));
        }
        if !(5.0..=120.0).contains(&opts.fov_y_deg) {
            return Err(RenderError::Input(format!(
                "field of view {} deg is outside 5..=120",
                opts.fov_y_deg
            )));
        }
        let first = people.first().ok_or_else(|| RenderError::Input("no people to draw".into()))?;
        let frames = first.x.frames();
        for (i, p) in people.iter().enumerate() {
            if p.x.frames() != frames || p.x.frames() == 0 {
                return Err(RenderError::Input(format!(
                    "person {i} has {} frames, expected {frames} (>= 1)",
                    p.x.frames()
                )));
            }
            if p.beta.len() != N_ID {
                return Err(RenderError::Input(format!(
                    "person {i}: beta has {} values, expected {N_ID}",
                    p.beta.len()
                )));
            }
            let finite = p.x.as_slice().iter().chain(&p.beta).chain(&p.t0).all(|v| v.is_finite());
            if !finite {
                return Err(RenderError::Input(format!("person {i}: parameters hold NaN or infinity")));
            }
        }
        let (colors, specular) = face
            .regions
            .iter()
            .map(|&r| {
                let (c, s) = region_material(r);
                (srgb_to_linear(c), s)
            })
            .unzip();
        // One sphere per person enclosing the head over the whole clip: the rest head's bounding
        // sphere, grown by the spread of its root translations.
        let mut spheres = Vec::with_capacity(people.len());
        let mut ground = Vec::new();
        for p in people {
            let rest = face.shaped(&p.beta, &[0.0; N_EXPR]);
            let (lo, hi) = bounds(&rest);
            let centre = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1]), 0.5 * (lo[2] + hi[2])];
            let radius = rest.iter().map(|v| V::from(*v).distance(V::from(centre))).fold(0.0, f32::max);
            let ts: Vec<Vec3> = (0..frames).map(|k| p.translation(k)).collect();
            let (tlo, thi) = bounds(&ts);
            let tmid = [0.5 * (tlo[0] + thi[0]), 0.5 * (tlo[1] + thi[1]), 0.5 * (tlo[2] + thi[2])];
            let center = (V::from(tmid) + V::from(centre)).to_array();
            spheres.push(Sphere { center, radius: radius + 0.5 * V::from(thi).distance(V::from(tlo)) });
            ground.extend(ts.iter().map(|t| [t[0], t[2]]));
        }
        let aspect = opts.width as f32 / opts.height as f32;
        // With the inset, frame the heads in the part of the image it leaves free.
        let free = if opts.inset {
            1.0 - crate::inset::reserved_width(opts.height) as f32 / opts.width as f32
        } else {
            1.0
        };
        let camera = Camera::framing_left(&spheres, aspect, opts.fov_y_deg.to_radians(), free);
        let inset_bounds = InsetBounds::around(ground);
        Ok(Self { face, people: people.to_vec(), frames, camera, opts, colors, specular, inset_bounds })
    }

    /// Frames in the clip.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Image width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.opts.width, self.opts.height)
    }

    /// The camera used for every frame.
    pub fn camera(&self) -> &Camera {
        &self.camera
    }

    /// Replace the automatic camera (e.g. for a fixed close-up).
    pub fn set_camera(&mut self, camera: Camera) {
        self.camera = camera;
    }

    /// A new canvas of this scene's size, cleared to its background.
    pub fn canvas(&self) -> Canvas {
        Canvas::new(self.opts.width, self.opts.height, self.opts.supersample, self.opts.background)
    }

    /// Render frame `k` (clamped to the last frame).
    pub fn render_frame(&self, k: usize) -> Image {
        self.render_into(k, &mut self.canvas())
    }

    /// Render frame `k` reusing `canvas` (saves reallocating buffers per video frame).
    pub fn render_into(&self, k: usize, canvas: &mut Canvas) -> Image {
        let k = k.min(self.frames - 1);
        canvas.clear(self.opts.background);
        let mut markers = Vec::with_capacity(self.people.len());
        for (i, p) in self.people.iter().enumerate() {
            let x = p.x.frame(k);
            let (psi, theta) = (&x[..N_EXPR], &x[THETA]);
            let t = p.translation(k);
            let posed = self.face.pose(&p.beta, psi, theta, t);
            let normals = vertex_normals(&posed.vertices, &self.face.triangles);
            let accent = PERSON_COLORS[i % PERSON_COLORS.len()];
            let rim = srgb_to_linear(accent).map(|c| 0.55 * c);
            canvas.draw(
                &self.camera,
                &Mesh {
                    positions: &posed.vertices,
                    normals: &normals,
                    colors: &self.colors,
                    specular: &self.specular,
                    triangles: &self.face.triangles,
                    rim,
                },
            );
            if self.opts.inset {
                // The head faces along its joint's rotated -Z (third column of G_head, negated).
                let g = self.face.joint_transforms(&p.beta, theta, t)[1];
                let facing = [-g[0][2], -g[1][2], -g[2][2]];
                let speaking = p.mask.get(k).copied().unwrap_or(0.0);
                markers.push(InsetPerson { position: t, facing, gaze: posed.gaze, color: accent, speaking });
            }
        }
        let mut img = canvas.to_image();
        if self.opts.inset {
            draw_inset(&mut img, &self.inset_bounds, &markers);
        }
        img
    }
}

/// Render every frame of `scene` into `sink` and close it. `progress(done, total)` is called
/// after each frame.
pub fn render_video(
    scene: &Scene,
    mut sink: VideoSink,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<VideoOutput, RenderError> {
    let mut canvas = scene.canvas();
    let total = scene.frames();
    for k in 0..total {
        let img = scene.render_into(k, &mut canvas);
        sink.push(&img)?;
        progress(k + 1, total);
    }
    sink.finish()
}

/// Component-wise min and max of points (zeros for none).
fn bounds(points: &[Vec3]) -> (Vec3, Vec3) {
    if points.is_empty() {
        return ([0.0; 3], [0.0; 3]);
    }
    let mut lo = [f32::MAX; 3];
    let mut hi = [f32::MIN; 3];
    for p in points {
        for a in 0..3 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    (lo, hi)
}
