//! The parameter contract every part of duologue shares (DESIGN.md §1, §3, §6; paper §3.2).
//!
//! A person's animation is a sequence of frames at 25 fps, each 78 floats:
//! `psi` (63 expression coefficients, the first 20 the lip/jaw group), `theta` (4 joints x
//! axis-angle: neck, head, left eye, right eye) and `dt` (root translation relative to frame 0).
//! Identity `beta` (50), the first-frame translation `t0` (the layout) and the speaker-activity
//! mask `m` complete a person; two persons and a frame rate make a [`Duo`], the result file.
#![deny(missing_docs)]

pub mod atomic;
mod error;
pub mod fuzz;
pub mod npy;
mod npz;
pub mod rng;
pub mod window;

pub use error::ParamsError;
pub use npz::{read_npz, read_npz_only, write_npz, Npz};

use std::ops::Range;
use std::path::Path;

/// Audio sample rate inside the pipeline (Hz).
pub const SAMPLE_RATE: u32 = 16_000;
/// Animation frame rate (frames per second).
pub const FPS: u32 = 25;
/// Audio samples per animation frame: frame k covers samples `[HOP*k, HOP*(k+1))`.
pub const HOP: usize = (SAMPLE_RATE / FPS) as usize;
/// Model window length in frames (10 s).
pub const WINDOW: usize = 250;
/// Floats per person per frame.
pub const X_DIM: usize = 78;
/// Expression coefficients (`psi`).
pub const N_EXPR: usize = 63;
/// The lip/jaw group: `psi[0..N_LIP]`.
pub const N_LIP: usize = 20;
/// Identity coefficients (`beta`).
pub const N_ID: usize = 50;
/// Skeleton joints carried in `theta`.
pub const N_JOINTS: usize = 4;

/// `psi`, the expression coefficients.
pub const PSI: Range<usize> = 0..63;
/// The lip/jaw part of `psi`.
pub const LIP: Range<usize> = 0..20;
/// `theta`, 4 joints x axis-angle (radians).
pub const THETA: Range<usize> = 63..75;
/// `dt`, root translation relative to frame 0 (metres).
pub const DT: Range<usize> = 75..78;

/// The rig's joints, in `theta` order. Chain: world <- root <- neck <- head <- eyes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Joint {
    /// Neck, rotating about the root at the neck base.
    Neck = 0,
    /// Head, child of the neck.
    Head = 1,
    /// The person's own left eye, child of the head.
    LeftEye = 2,
    /// The person's own right eye, child of the head.
    RightEye = 3,
}

impl Joint {
    /// All joints in `theta` order.
    pub const ALL: [Joint; 4] = [Joint::Neck, Joint::Head, Joint::LeftEye, Joint::RightEye];

    /// Lower-case name used in files and exports.
    pub fn name(self) -> &'static str {
        match self {
            Joint::Neck => "neck",
            Joint::Head => "head",
            Joint::LeftEye => "left_eye",
            Joint::RightEye => "right_eye",
        }
    }

    /// Index range of this joint's axis-angle inside a frame.
    pub fn range(self) -> Range<usize> {
        let s = THETA.start + 3 * self as usize;
        s..s + 3
    }
}

/// One person's motion: `frames` x 78 floats in C order (DESIGN §3).
#[derive(Debug, Clone, PartialEq)]
pub struct Motion {
    data: Vec<f32>,
}

impl Motion {
    /// `frames` frames of zeros: the rest pose with a neutral face.
    pub fn zeros(frames: usize) -> Self {
        Self { data: vec![0.0; frames * X_DIM] }
    }

    /// Wrap `frames * 78` floats. Returns `None` if the length is not a multiple of 78.
    pub fn from_vec(data: Vec<f32>) -> Option<Self> {
        (data.len() % X_DIM == 0).then_some(Self { data })
    }

    /// Number of frames `L`.
    pub fn frames(&self) -> usize {
        self.data.len() / X_DIM
    }

    /// All values, `[L, 78]` in C order.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// All values, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consume into the flat `[L, 78]` vector.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Frame `k` (78 floats). Panics if `k >= frames()`.
    pub fn frame(&self, k: usize) -> &[f32] {
        &self.data[k * X_DIM..(k + 1) * X_DIM]
    }

    /// Frame `k`, mutable.
    pub fn frame_mut(&mut self, k: usize) -> &mut [f32] {
        &mut self.data[k * X_DIM..(k + 1) * X_DIM]
    }

    /// Iterate over frames.
    pub fn iter_frames(&self) -> impl Iterator<Item = &[f32]> {
        self.data.chunks_exact(X_DIM)
    }

    /// Expression coefficients of frame `k`.
    pub fn psi(&self, k: usize) -> &[f32] {
        &self.frame(k)[PSI]
    }

    /// Lip/jaw coefficients of frame `k`.
    pub fn lip(&self, k: usize) -> &[f32] {
        &self.frame(k)[LIP]
    }

    /// Axis-angle of `joint` at frame `k`.
    pub fn theta(&self, k: usize, joint: Joint) -> [f32; 3] {
        let f = &self.frame(k)[joint.range()];
        [f[0], f[1], f[2]]
    }

    /// Root translation relative to frame 0 at frame `k`.
    pub fn dt(&self, k: usize) -> [f32; 3] {
        let f = &self.frame(k)[DT];
        [f[0], f[1], f[2]]
    }
}

/// One person of a conversation: motion, identity, layout position and speaker activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Motion, `[L, 78]`.
    pub x: Motion,
    /// Identity coefficients, 50 floats.
    pub beta: Vec<f32>,
    /// First-frame root translation (the layout), metres, world frame (DESIGN §2).
    pub t0: [f32; 3],
    /// Speaking probability per frame, `[L]`, in [0, 1].
    pub mask: Vec<f32>,
}

impl Person {
    /// A still, neutral, silent person of `frames` frames at `t0`.
    pub fn neutral(frames: usize, t0: [f32; 3]) -> Self {
        Self { x: Motion::zeros(frames), beta: vec![0.0; N_ID], t0, mask: vec![0.0; frames] }
    }

    /// Absolute root translation at frame `k`: `t0 + dt(k)`.
    pub fn translation(&self, k: usize) -> [f32; 3] {
        let d = self.x.dt(k);
        [self.t0[0] + d[0], self.t0[1] + d[1], self.t0[2] + d[2]]
    }
}

/// Which of the two people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    /// Person A: by convention the one who speaks first.
    A,
    /// Person B.
    B,
}

impl Who {
    /// Both, A first.
    pub const BOTH: [Who; 2] = [Who::A, Who::B];

    /// "A" or "B".
    pub fn letter(self) -> &'static str {
        match self {
            Who::A => "A",
            Who::B => "B",
        }
    }
}

/// A two-person result: both people and the frame rate (the `.npz` of DESIGN §6).
#[derive(Debug, Clone, PartialEq)]
pub struct Duo {
    /// Person A.
    pub a: Person,
    /// Person B.
    pub b: Person,
    /// Frames per second (25 throughout duologue).
    pub fps: f32,
}

impl Duo {
    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.a.x.frames()
    }

    /// Duration in seconds.
    pub fn seconds(&self) -> f32 {
        self.frames() as f32 / self.fps
    }

    /// One person.
    pub fn person(&self, who: Who) -> &Person {
        match who {
            Who::A => &self.a,
            Who::B => &self.b,
        }
    }

    /// Exchange A and B.
    pub fn swapped(self) -> Self {
        Self { a: self.b, b: self.a, fps: self.fps }
    }

    /// Read a result file, checking every array's name, shape and values.
    pub fn read(path: &Path) -> Result<Self, ParamsError> {
        // Only the arrays of DESIGN §6: other members are never inflated.
        let names = ["x_A", "x_B", "beta_A", "beta_B", "t0_A", "t0_B", "m_A", "m_B", "fps"];
        let npz = read_npz_only(path, &names)?;
        Self::from_npz(&npz, path)
    }

    /// Write a result file atomically (temporary file, then rename).
    pub fn write(&self, path: &Path) -> Result<(), ParamsError> {
        write_npz(path, &self.to_npz())
    }

    /// The named arrays of DESIGN §6.
    pub fn to_npz(&self) -> Npz {
        let l = self.frames();
        let mut npz = Npz::default();
        for who in Who::BOTH {
            let p = self.person(who);
            let s = who.letter();
            npz.insert(format!("x_{s}"), npy::Array::new(vec![l, X_DIM], p.x.as_slice().to_vec()));
            npz.insert(format!("beta_{s}"), npy::Array::new(vec![N_ID], p.beta.clone()));
            npz.insert(format!("t0_{s}"), npy::Array::new(vec![3], p.t0.to_vec()));
            npz.insert(format!("m_{s}"), npy::Array::new(vec![l], p.mask.clone()));
        }
        npz.insert("fps".into(), npy::Array::scalar(self.fps));
        npz
    }

    /// Build from named arrays, validating them; `path` is used in error messages.
    pub fn from_npz(npz: &Npz, path: &Path) -> Result<Self, ParamsError> {
        let get = |name: &str, expected: &str| {
            npz.get(name).ok_or_else(|| ParamsError::Missing {
                path: path.into(),
                array: name.into(),
                expected: expected.into(),
            })
        };
        let shape_err = |name: &str, expected: String, got: &[usize]| ParamsError::Shape {
            path: path.into(),
            array: name.into(),
            expected,
            got: got.to_vec(),
        };
        let x_a = get("x_A", "[L, 78]")?;
        if x_a.shape.len() != 2 || x_a.shape[1] != X_DIM {
            return Err(shape_err("x_A", "[L, 78]".into(), &x_a.shape));
        }
        let l = x_a.shape[0];
        if l == 0 {
            return Err(shape_err("x_A", "[L, 78] with L >= 1".into(), &x_a.shape));
        }
        let fps = match npz.get("fps") {
            None => FPS as f32,
            Some(a) if a.data.len() == 1 && a.data[0].is_finite() && a.data[0] > 0.0 => a.data[0],
            Some(a) => return Err(shape_err("fps", "a positive scalar".into(), &a.shape)),
        };
        let mut people = Vec::with_capacity(2);
        for who in Who::BOTH {
            let s = who.letter();
            let fetch = |name: String, shape: Vec<usize>, shown: String| -> Result<Vec<f32>, ParamsError> {
                let a = get(&name, &shown)?;
                if a.shape != shape {
                    return Err(shape_err(&name, shown, &a.shape));
                }
                if let Some(i) = a.data.iter().position(|v| !v.is_finite()) {
                    return Err(ParamsError::Value {
                        path: path.into(),
                        array: name,
                        reason: format!("holds a non-finite value ({})", a.data[i]),
                        index: i,
                    });
                }
                Ok(a.data.clone())
            };
            let x = fetch(format!("x_{s}"), vec![l, X_DIM], format!("[{l}, 78]"))?;
            let beta = fetch(format!("beta_{s}"), vec![N_ID], format!("[{N_ID}]"))?;
            let t0 = fetch(format!("t0_{s}"), vec![3], "[3]".into())?;
            let mask = fetch(format!("m_{s}"), vec![l], format!("[{l}]"))?;
            if let Some(i) = mask.iter().position(|v| !(0.0..=1.0).contains(v)) {
                return Err(ParamsError::Value {
                    path: path.into(),
                    array: format!("m_{s}"),
                    reason: format!("holds {} outside [0, 1]", mask[i]),
                    index: i,
                });
            }
            people.push(Person {
                x: Motion::from_vec(x).expect("shape checked"),
                beta,
                t0: [t0[0], t0[1], t0[2]],
                mask,
            });
        }
        let b = people.pop().expect("two people");
        let a = people.pop().expect("two people");
        Ok(Self { a, b, fps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joint_ranges_tile_theta() {
        let all: Vec<usize> = Joint::ALL.iter().flat_map(|j| j.range()).collect();
        assert_eq!(all, THETA.collect::<Vec<_>>());
        assert_eq!(PSI.end, THETA.start);
        assert_eq!(THETA.end, DT.start);
        assert_eq!(DT.end, X_DIM);
        assert_eq!(HOP, 640);
    }

    #[test]
    fn motion_views() {
        let mut m = Motion::zeros(3);
        m.frame_mut(1)[Joint::Head.range().start + 1] = 0.5;
        m.frame_mut(2)[DT.start + 2] = -0.1;
        assert_eq!(m.theta(1, Joint::Head), [0.0, 0.5, 0.0]);
        assert_eq!(m.dt(2), [0.0, 0.0, -0.1]);
        assert_eq!(m.lip(0).len(), N_LIP);
        assert!(Motion::from_vec(vec![0.0; 77]).is_none());
    }
}
