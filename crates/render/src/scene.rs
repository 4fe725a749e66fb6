//! Previews of people animated with the face model (DESIGN §3, §4): pose each head per frame,
//! colour it by region, draw it in each view of the shot (a two-shot, split-screen close-ups, or
//! the front view), add the top-down inset and the caption strip of who is speaking.

use crate::camera::Sphere;
use crate::caption::{draw_caption, CaptionRow};
use crate::image::Image;
use crate::inset::{draw_inset_at, InsetBounds, InsetPerson};
use crate::math::{vertex_normals, Vec3};
use crate::raster::{srgb_to_linear, Background, Canvas, Mesh};
use crate::shot::{InsetPlace, Rect, Shot, View};
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
    /// Draw the top-down inset (split-screen always has it).
    pub inset: bool,
    /// Vertical field of view, degrees.
    pub fov_y_deg: f32,
    /// Background gradient.
    pub background: Background,
    /// How the people are framed.
    pub shot: Shot,
    /// With two people, a strip along the bottom shows who speaks (their masks).
    pub caption: bool,
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
            shot: Shot::Auto,
            caption: true,
        }
    }
}

/// Largest width or height accepted (keeps buffers within memory).
const MAX_SIDE: u32 = 8192;

/// Most supersamples per view (colour and depth take 16 bytes each: 1 GiB): 8192 x 8192 at
/// supersample 1, 4096 x 4096 at 2, 2048 x 2048 at 4. Keeps memory bounded for any options.
pub const MAX_SAMPLES: u64 = 1 << 26;
/// Frames [`Shot::Auto`] looks at to judge the two-shot.
const AUTO_SAMPLES: usize = 8;
/// How much more than [`crate::shot::MIN_LIP_PIXELS`] [`Shot::Auto`] asks of the two-shot.
const AUTO_MARGIN: f32 = 1.2;

/// People to draw, the face model, and the cameras fixed for the whole clip.
pub struct Scene<'a> {
    face: &'a FaceModel,
    people: Vec<&'a Person>,
    frames: usize,
    fps: f32,
    opts: RenderOptions,
    /// `[V]` linear albedo and specular strength, from the regions.
    colors: Vec<Vec3>,
    specular: Vec<f32>,
    /// Triangles with at least two lip vertices (what [`Scene::lip_pixels`] counts).
    lip_triangles: Vec<[u32; 3]>,
    shot: Shot,
    views: Vec<View>,
    inset: Option<InsetPlace>,
    inset_bounds: InsetBounds,
    /// Height of the caption strip (0: none).
    caption: u32,
}

/// One canvas per view of a [`Scene`], reused from frame to frame.
pub struct Buffers(Vec<Canvas>);

/// Lip pixels over a clip, from [`Scene::lip_coverage`].
#[derive(Debug, Clone, PartialEq)]
pub struct LipCoverage {
    /// Frames measured.
    pub frames: usize,
    /// Frames in which every mouth has at least `target` lip pixels.
    pub legible: usize,
    /// The target for this image size.
    pub target: f32,
    /// Fewest lip pixels per person over the frames.
    pub min: Vec<f32>,
    /// Median lip pixels per person.
    pub median: Vec<f32>,
}

impl LipCoverage {
    /// Share of the measured frames with every mouth legible, 0..1.
    pub fn fraction(&self) -> f32 {
        self.legible as f32 / self.frames.max(1) as f32
    }
}

impl<'a> Scene<'a> {
    /// Both people of a result.
    pub fn for_duo(face: &'a FaceModel, duo: &'a Duo, opts: RenderOptions) -> Result<Self, RenderError> {
        let mut scene = Self::new(face, &[&duo.a, &duo.b], opts)?;
        if duo.fps.is_finite() && duo.fps > 0.0 {
            scene.fps = duo.fps;
        }
        Ok(scene)
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
        let ss = opts.supersample as u64;
        if opts.width as u64 * ss * opts.height as u64 * ss > MAX_SAMPLES {
            return Err(RenderError::Size {
                width: opts.width,
                height: opts.height,
                reason: "width x height x supersample^2 must be at most 8192 x 8192 samples \
                         (1 GiB of buffers): lower --supersample or the size",
            });
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
        let lip_triangles = face
            .triangles
            .iter()
            .filter(|t| t.iter().filter(|&&v| face.regions[v as usize] == Region::Lips).count() >= 2)
            .copied()
            .collect();
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
        // Where each head points on average (horizontal): which side of the face to film.
        let facings: Vec<Vec3> = people
            .iter()
            .map(|p| {
                let yaw = duologue_face::rest_yaw(p);
                [-yaw.sin(), 0.0, -yaw.cos()]
            })
            .collect();
        let caption =
            if opts.caption && people.len() >= 2 { crate::caption::strip_height(opts.height) } else { 0 };
        let area = Rect { x: 0, y: 0, width: opts.width, height: opts.height - caption };
        let fov = opts.fov_y_deg.to_radians();
        let inset = opts.inset;
        let plan = |shot| crate::shot::plan(shot, &spheres, &facings, area, fov, inset);
        // What to try, in order; the front view always works. (A two-shot of heads one above the
        // other cannot be taken: split-screen instead. One person: the front view.)
        let candidates: &[Shot] = match (opts.shot, people.len()) {
            (Shot::Auto, 2) | (Shot::TwoShot, _) => &[Shot::TwoShot, Shot::Split],
            (Shot::Split, _) => &[Shot::Split],
            (Shot::Auto | Shot::Front, _) => &[],
        };
        let (shot, (views, inset)) = candidates
            .iter()
            .find_map(|&shot| plan(shot).map(|p| (shot, p)))
            .or_else(|| plan(Shot::Front).map(|p| (Shot::Front, p)))
            .ok_or_else(|| RenderError::Input("no view frames these people".into()))?;
        let mut scene = Self {
            face,
            people: people.to_vec(),
            frames,
            fps: duologue_params::FPS as f32,
            opts,
            colors,
            specular,
            lip_triangles,
            shot,
            views,
            inset,
            inset_bounds: InsetBounds::around(ground),
            caption,
        };
        if scene.opts.shot == Shot::Auto && shot == Shot::TwoShot && !scene.mouths_readable(AUTO_MARGIN) {
            if let Some((views, inset)) = plan(Shot::Split) {
                (scene.shot, scene.views, scene.inset) = (Shot::Split, views, inset);
            }
        }
        Ok(scene)
    }

    /// Whether every mouth gets `margin` x the lip-pixel target in each of [`AUTO_SAMPLES`]
    /// frames spread over the clip.
    fn mouths_readable(&self, margin: f32) -> bool {
        let target = margin * crate::shot::lip_pixel_target(self.opts.width, self.opts.height);
        let mut bufs = self.buffers();
        let n = AUTO_SAMPLES.min(self.frames);
        (0..n).all(|i| {
            let k = if n > 1 { i * (self.frames - 1) / (n - 1) } else { 0 };
            self.render_measured(k, &mut bufs, true).1.iter().all(|&px| px >= target)
        })
    }

    /// Frames in the clip.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Image width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.opts.width, self.opts.height)
    }

    /// The shot taken ([`Shot::Auto`] resolved to what it chose).
    pub fn shot(&self) -> Shot {
        self.shot
    }

    /// The cameras and where their pictures go.
    pub fn views(&self) -> &[View] {
        &self.views
    }

    /// Canvases for [`Scene::render_into`], one per view.
    pub fn buffers(&self) -> Buffers {
        Buffers(
            self.views
                .iter()
                .map(|v| {
                    Canvas::new(v.rect.width, v.rect.height, self.opts.supersample, self.opts.background)
                })
                .collect(),
        )
    }

    /// Render frame `k` (clamped to the last frame).
    pub fn render_frame(&self, k: usize) -> Image {
        self.render_into(k, &mut self.buffers())
    }

    /// Render frame `k` reusing `bufs` (saves reallocating buffers per video frame).
    pub fn render_into(&self, k: usize, bufs: &mut Buffers) -> Image {
        self.render_measured(k, bufs, false).0
    }

    /// Frame `k` and how many pixels of each person's lips it shows (after every head is drawn,
    /// so a nearer head hiding a mouth counts against it).
    pub fn lip_pixels(&self, k: usize, bufs: &mut Buffers) -> (Image, Vec<f32>) {
        self.render_measured(k, bufs, true)
    }

    /// How readable both mouths are over the clip: lip pixels of every `every`th frame against
    /// [`lip_pixel_target`](crate::shot::lip_pixel_target) for this image size.
    pub fn lip_coverage(&self, every: usize) -> LipCoverage {
        let (w, h) = self.size();
        let target = crate::shot::lip_pixel_target(w, h);
        let mut bufs = self.buffers();
        let mut per_person = vec![Vec::new(); self.people.len()];
        let mut legible = 0;
        for k in (0..self.frames).step_by(every.max(1)) {
            let (_, lips) = self.render_measured(k, &mut bufs, true);
            legible += lips.iter().all(|&px| px >= target) as usize;
            for (all, px) in per_person.iter_mut().zip(lips) {
                all.push(px);
            }
        }
        let frames = per_person.first().map_or(0, Vec::len);
        let stat = |q: f32| {
            per_person
                .iter()
                .map(|v| {
                    let mut v = v.clone();
                    v.sort_by(f32::total_cmp);
                    v.get(((v.len().saturating_sub(1)) as f32 * q).round() as usize).copied().unwrap_or(0.0)
                })
                .collect()
        };
        LipCoverage { frames, legible, target, min: stat(0.0), median: stat(0.5) }
    }

    fn render_measured(&self, k: usize, bufs: &mut Buffers, measure: bool) -> (Image, Vec<f32>) {
        let k = k.min(self.frames - 1);
        let (w, h) = self.size();
        let posed: Vec<_> = self
            .people
            .iter()
            .map(|p| {
                let x = p.x.frame(k);
                let posed = self.face.pose(&p.beta, &x[..N_EXPR], &x[THETA], p.translation(k));
                let normals = vertex_normals(&posed.vertices, &self.face.triangles);
                (posed, normals)
            })
            .collect();
        let mut img = Image::filled(w, h, self.opts.background.bottom);
        let mut lips = vec![0.0; self.people.len()];
        let per_sample = 1.0 / (self.opts.supersample * self.opts.supersample) as f32;
        if bufs.0.len() != self.views.len() {
            *bufs = self.buffers();
        }
        for (view, canvas) in self.views.iter().zip(&mut bufs.0) {
            canvas.clear(self.opts.background);
            for &i in &view.people {
                let accent = PERSON_COLORS[i % PERSON_COLORS.len()];
                canvas.draw(
                    &view.camera,
                    &Mesh {
                        positions: &posed[i].0.vertices,
                        normals: &posed[i].1,
                        colors: &self.colors,
                        specular: &self.specular,
                        triangles: &self.face.triangles,
                        rim: srgb_to_linear(accent).map(|c| 0.55 * c),
                    },
                );
            }
            if measure {
                for &i in &view.people {
                    let n = canvas.visible_samples(&view.camera, &posed[i].0.vertices, &self.lip_triangles);
                    lips[i] += n as f32 * per_sample;
                }
            }
            img.blit(&canvas.to_image(), view.rect.x, view.rect.y);
        }
        if self.views.len() > 1 {
            // A thin divider between split-screen panels, stopping short of the inset.
            let under_inset = self.inset.as_ref().map_or(0, |p| (p.corner.1 + p.side + 1).max(0) as u32);
            for view in &self.views[1..] {
                for y in (view.rect.y + under_inset)..view.rect.y + view.rect.height {
                    for dx in 0..2 {
                        img.blend(view.rect.x as i32 - 1 + dx, y as i32, [8, 9, 12], 1.0);
                    }
                }
            }
        }
        if let Some(place) = &self.inset {
            let markers: Vec<InsetPerson> = self
                .people
                .iter()
                .zip(&posed)
                .enumerate()
                .map(|(i, (p, (pose, _)))| {
                    let x = p.x.frame(k);
                    let t = p.translation(k);
                    // The head faces along its joint's rotated -Z (third column of G_head, negated).
                    let g = self.face.joint_transforms(&p.beta, &x[THETA], t)[1];
                    InsetPerson {
                        position: t,
                        facing: [-g[0][2], -g[1][2], -g[2][2]],
                        gaze: pose.gaze,
                        color: PERSON_COLORS[i % PERSON_COLORS.len()],
                        speaking: p.mask.get(k).copied().unwrap_or(0.0),
                    }
                })
                .collect();
            draw_inset_at(&mut img, place.corner, place.side, &self.inset_bounds, &markers, place.viewer);
        }
        if self.caption > 0 {
            let rows: Vec<CaptionRow> = self
                .people
                .iter()
                .enumerate()
                .map(|(i, p)| CaptionRow {
                    letter: char::from(b'A' + (i % 26) as u8),
                    color: PERSON_COLORS[i % PERSON_COLORS.len()],
                    mask: &p.mask,
                })
                .collect();
            draw_caption(&mut img, &rows, k, self.fps);
        }
        (img, lips)
    }
}

/// Render every frame of `scene` into `sink` and close it. `progress(done, total)` is called
/// after each frame.
pub fn render_video(
    scene: &Scene,
    mut sink: VideoSink,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<VideoOutput, RenderError> {
    let mut bufs = scene.buffers();
    let total = scene.frames();
    for k in 0..total {
        let img = scene.render_into(k, &mut bufs);
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
