//! Training data as the model sees it (DESIGN.md §6): host-side clips, the [`BatchSource`]
//! trait the trainer draws from, and the conversion of a list of clips to tensors.

use burn::prelude::*;
use duologue_params::{N_ID, X_DIM};

use crate::config::{ModelConfig, XScale};
use crate::network::Cond;
use crate::ModelError;

/// One training clip of `frames` frames, in natural units (DESIGN.md §3).
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// A's motion, `[frames * 78]` row-major.
    pub x_a: Vec<f32>,
    /// B's motion, `[frames * 78]`.
    pub x_b: Vec<f32>,
    /// A's identity, `[50]`.
    pub beta_a: Vec<f32>,
    /// B's identity, `[50]`.
    pub beta_b: Vec<f32>,
    /// A's first-frame translation.
    pub t0_a: [f32; 3],
    /// B's first-frame translation.
    pub t0_b: [f32; 3],
    /// A's speaking probability, `[frames]`.
    pub m_a: Vec<f32>,
    /// B's speaking probability, `[frames]`.
    pub m_b: Vec<f32>,
    /// Audio features of the mixed recording, `[frames * audio_dim]`.
    pub audio: Vec<f32>,
    /// Lip motion is trustworthy (stage 2 trains lips only on these).
    pub lip_reliable: bool,
    /// Gaze is trustworthy (the gaze loss uses only these).
    pub gaze_reliable: bool,
}

impl Clip {
    /// Checks lengths and finiteness against a model config.
    pub fn validate(&self, c: &ModelConfig) -> Result<(), ModelError> {
        let l = c.frames;
        let checks: [(&str, &[f32], usize); 7] = [
            ("x_a", &self.x_a, l * X_DIM),
            ("x_b", &self.x_b, l * X_DIM),
            ("beta_a", &self.beta_a, N_ID),
            ("beta_b", &self.beta_b, N_ID),
            ("m_a", &self.m_a, l),
            ("m_b", &self.m_b, l),
            ("audio", &self.audio, l * c.audio_dim),
        ];
        for (name, v, n) in checks {
            if v.len() != n {
                return Err(ModelError::Input(format!("clip {name} has {} values, expected {n}", v.len())));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(ModelError::Input(format!("clip {name} is not finite at index {i}")));
            }
        }
        if !self.t0_a.iter().chain(&self.t0_b).all(|x| x.is_finite()) {
            return Err(ModelError::Input("clip t0 is not finite".into()));
        }
        Ok(())
    }

    /// The clip with A and B exchanged.
    pub fn swapped(&self) -> Self {
        Self {
            x_a: self.x_b.clone(),
            x_b: self.x_a.clone(),
            beta_a: self.beta_b.clone(),
            beta_b: self.beta_a.clone(),
            t0_a: self.t0_b,
            t0_b: self.t0_a,
            m_a: self.m_b.clone(),
            m_b: self.m_a.clone(),
            ..self.clone()
        }
    }
}

/// Where the trainer gets clips. Random access by (source, index) lets the trainer own the
/// data order through its saved RNG, so a resumed run sees the same clips.
pub trait BatchSource {
    /// Number of data sources (e.g. 0 = conversations, 1 = dubbing); ratios index these.
    fn num_sources(&self) -> usize;
    /// Number of training clips in `source`.
    fn len(&self, source: usize) -> usize;
    /// Whether `source` is empty.
    fn is_empty(&self, source: usize) -> bool {
        self.len(source) == 0
    }
    /// Training clip `index` of `source` (same arguments, same clip).
    fn clip(&mut self, source: usize, index: usize) -> Result<Clip, ModelError>;
    /// Held-out clips for the validation loss (may be empty).
    fn validation(&mut self) -> Result<Vec<Clip>, ModelError>;
}

/// An in-memory [`BatchSource`].
#[derive(Debug, Clone, Default)]
pub struct VecSource {
    /// Training clips per source.
    pub sources: Vec<Vec<Clip>>,
    /// Validation clips.
    pub validation: Vec<Clip>,
}

impl BatchSource for VecSource {
    fn num_sources(&self) -> usize {
        self.sources.len()
    }
    fn len(&self, source: usize) -> usize {
        self.sources.get(source).map_or(0, Vec::len)
    }
    fn clip(&mut self, source: usize, index: usize) -> Result<Clip, ModelError> {
        self.sources
            .get(source)
            .and_then(|s| s.get(index))
            .cloned()
            .ok_or_else(|| ModelError::Data(format!("no clip {index} in source {source}")))
    }
    fn validation(&mut self) -> Result<Vec<Clip>, ModelError> {
        Ok(self.validation.clone())
    }
}

/// A batch on the device: targets in diffusion space, conditioning, flags.
#[derive(Debug, Clone)]
pub struct Batch {
    /// A's clean motion in diffusion space (x * scale), `[B, L, 78]`.
    pub z_a: Tensor<3>,
    /// B's clean motion in diffusion space, `[B, L, 78]`.
    pub z_b: Tensor<3>,
    /// Conditioning (audio zeroed where dropped).
    pub cond: Cond,
    /// Per clip: lip-reliable.
    pub lip_reliable: Vec<bool>,
    /// Per clip: gaze-reliable.
    pub gaze_reliable: Vec<bool>,
    /// Per clip: among the batch's top 20% by head-rotation variance (the larger of A's and
    /// B's), which get the higher gaze weight (paper §3.5). Decided on the whole batch, so a
    /// data-parallel split keeps it.
    pub gaze_top: Vec<bool>,
    /// Identities on the host (the velocity loss needs their joints), `[B][50]` for A and B.
    pub betas: Vec<[Vec<f32>; 2]>,
    /// With [`ModelConfig::facing_relative`]: what `z_a` / `z_b` had taken off, per clip
    /// `[B, 1, 78]` in diffusion space (the facing yaw at the neck's yaw, zero elsewhere), so
    /// that `z + facing` is the absolute motion the gaze and velocity losses pose.
    pub facing: Option<(Tensor<3>, Tensor<3>)>,
}

/// Index in x of the neck's yaw, theta[1] (the rotation about +Y).
pub const NECK_YAW: usize = duologue_params::THETA.start + 1;

/// The yaw about +Y that turns a head at `me` to face `partner` in the horizontal plane (a head
/// at rest looks along -Z, DESIGN §2: yaw phi looks along (-sin phi, 0, -cos phi)), in
/// (-pi, pi]; 0 when the two are at the same place.
pub fn facing_yaw(me: [f32; 3], partner: [f32; 3]) -> f32 {
    let (dx, dz) = (partner[0] - me[0], partner[2] - me[2]);
    if dx.hypot(dz) < 1e-6 {
        return 0.0;
    }
    (-dx).atan2(-dz)
}

/// `yaw` moved by whole turns to lie within half a turn of `near`.
pub fn unwrap_near(yaw: f32, near: f32) -> f32 {
    let tau = std::f32::consts::TAU;
    yaw + tau * ((near - yaw) / tau).round()
}

/// The per-dimension multipliers of [`XScale`] as a `[78]` vector.
pub fn scale_vector(s: XScale) -> Vec<f32> {
    use duologue_params::{DT, PSI, THETA};
    let mut v = vec![0.0; X_DIM];
    v[PSI].fill(s.psi);
    v[THETA].fill(s.theta);
    v[DT].fill(s.dt);
    v
}

/// Variance over frames of the head joint's axis-angle, summed over its 3 components.
fn head_rotation_variance(x: &[f32], frames: usize) -> f32 {
    let r = duologue_params::Joint::Head.range();
    let mut total = 0.0;
    for d in r {
        let vals: Vec<f32> = (0..frames).map(|k| x[k * X_DIM + d]).collect();
        let mean = vals.iter().sum::<f32>() / frames.max(1) as f32;
        total += vals.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / frames.max(1) as f32;
    }
    total
}

/// Marks the top 20% (rounded up) of `values`.
fn top_fifth(values: &[f32]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[j].total_cmp(&values[i]));
    let mut top = vec![false; values.len()];
    for &i in order.iter().take(values.len().div_ceil(5)) {
        top[i] = true;
    }
    top
}

impl Batch {
    /// Clips `start..start + len` moved to `device` (for data-parallel training).
    pub fn slice(&self, start: usize, len: usize, device: &Device) -> Batch {
        fn n3(t: &Tensor<3>, s: usize, l: usize, d: &Device) -> Tensor<3> {
            t.clone().narrow(0, s, l).to_device(d)
        }
        fn n2(t: &Tensor<2>, s: usize, l: usize, d: &Device) -> Tensor<2> {
            t.clone().narrow(0, s, l).to_device(d)
        }
        let c = &self.cond;
        let r = start..start + len;
        Batch {
            z_a: n3(&self.z_a, start, len, device),
            z_b: n3(&self.z_b, start, len, device),
            cond: Cond {
                audio: n3(&c.audio, start, len, device),
                audio_present: c.audio_present.clone().narrow(0, start, len).to_device(device),
                m_a: n2(&c.m_a, start, len, device),
                m_b: n2(&c.m_b, start, len, device),
                t0_a: n2(&c.t0_a, start, len, device),
                t0_b: n2(&c.t0_b, start, len, device),
                beta_a: n2(&c.beta_a, start, len, device),
                beta_b: n2(&c.beta_b, start, len, device),
            },
            lip_reliable: self.lip_reliable[r.clone()].to_vec(),
            gaze_reliable: self.gaze_reliable[r.clone()].to_vec(),
            gaze_top: self.gaze_top[r.clone()].to_vec(),
            betas: self.betas[r].to_vec(),
            facing: self.facing.as_ref().map(|(a, b)| (n3(a, start, len, device), n3(b, start, len, device))),
        }
    }
}

/// Builds the device batch. `drop_audio[i]` removes clip i's audio (guidance training).
pub fn make_batch(
    clips: &[Clip],
    drop_audio: &[bool],
    c: &ModelConfig,
    device: &Device,
) -> Result<Batch, ModelError> {
    let b = clips.len();
    if b == 0 || drop_audio.len() != b {
        return Err(ModelError::Input(format!("batch of {b} clips with {} drop flags", drop_audio.len())));
    }
    for clip in clips {
        clip.validate(c)?;
    }
    let l = c.frames;
    let cat = |f: &dyn Fn(&Clip) -> &[f32]| -> Vec<f32> {
        clips.iter().flat_map(|k| f(k).iter().copied()).collect()
    };
    let scale = Tensor::<1>::from_floats(scale_vector(c.scale).as_slice(), device).reshape([1, 1, X_DIM]);
    let t3 = |v: Vec<f32>, d: usize| Tensor::<3>::from_data(TensorData::new(v, [b, l, d]), device);
    let t2 = |v: Vec<f32>, d: usize| Tensor::<2>::from_data(TensorData::new(v, [b, d]), device);
    let mut audio = Vec::with_capacity(b * l * c.audio_dim);
    for (clip, &dropped) in clips.iter().zip(drop_audio) {
        if dropped {
            audio.extend(std::iter::repeat_n(0.0, l * c.audio_dim));
        } else {
            audio.extend_from_slice(&clip.audio);
        }
    }
    let present: Vec<f32> = drop_audio.iter().map(|&d| if d { 0.0 } else { 1.0 }).collect();
    // Facing-relative neck yaw: each window's facing yaw, taken by whole turns to the branch of
    // its first frame's yaw so that the difference needs no wrapping (and adding it back is exact).
    let (mut x_a, mut x_b) = (cat(&|k| &k.x_a), cat(&|k| &k.x_b));
    let facing = c.facing_relative.then(|| {
        let mut offsets = [Vec::with_capacity(b * X_DIM), Vec::with_capacity(b * X_DIM)];
        for (i, k) in clips.iter().enumerate() {
            for (who, x, me, partner) in [(0, &mut x_a, k.t0_a, k.t0_b), (1, &mut x_b, k.t0_b, k.t0_a)] {
                let rows = &mut x[i * l * X_DIM..(i + 1) * l * X_DIM];
                let phi = unwrap_near(facing_yaw(me, partner), rows[NECK_YAW]);
                rows.chunks_exact_mut(X_DIM).for_each(|f| f[NECK_YAW] -= phi);
                let mut o = vec![0.0; X_DIM];
                o[NECK_YAW] = phi * c.scale.theta;
                offsets[who].extend(o);
            }
        }
        let [oa, ob] = offsets;
        let t = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [b, 1, X_DIM]), device);
        (t(oa), t(ob))
    });
    let cond = Cond {
        audio: t3(audio, c.audio_dim),
        audio_present: Tensor::<1>::from_data(TensorData::new(present, [b]), device),
        m_a: t2(cat(&|k| &k.m_a), l),
        m_b: t2(cat(&|k| &k.m_b), l),
        t0_a: t2(cat(&|k| &k.t0_a), 3),
        t0_b: t2(cat(&|k| &k.t0_b), 3),
        beta_a: t2(cat(&|k| &k.beta_a), N_ID),
        beta_b: t2(cat(&|k| &k.beta_b), N_ID),
    };
    Ok(Batch {
        z_a: t3(x_a, X_DIM) * scale.clone(),
        z_b: t3(x_b, X_DIM) * scale,
        cond,
        lip_reliable: clips.iter().map(|k| k.lip_reliable).collect(),
        gaze_reliable: clips.iter().map(|k| k.gaze_reliable).collect(),
        gaze_top: top_fifth(
            &clips
                .iter()
                .map(|k| head_rotation_variance(&k.x_a, l).max(head_rotation_variance(&k.x_b, l)))
                .collect::<Vec<_>>(),
        ),
        betas: clips.iter().map(|k| [k.beta_a.clone(), k.beta_b.clone()]).collect(),
        facing,
    })
}
