//! Parameter MSE by group and role (paper Table 2 "MSE", appendix §3.3; DESIGN §3, §8) and the
//! per-frame parameter features used for FD / P-FD / SID.

use crate::{check_duo, check_pair, EvalError};
use duologue_params::{Duo, Person, DT, LIP, PSI, THETA, X_DIM};
use std::ops::Range;

/// A frame is a *speaker* frame for a person when that person's ground-truth mask
/// `m >= 0.5`, otherwise a *listener* frame (DESIGN §5).
pub const SPEAKER_THRESHOLD: f32 = 0.5;

/// The eye joints' axis-angles: theta of the left and right eye, `x[69..75]`.
const EYE: Range<usize> = 69..75;

/// Mean squared error of one set of frames, per parameter group. Raw values, no normalisation.
///
/// Each field is the mean over (person, frame, coefficient) of `(pred - gt)^2`:
/// - `full`: all 78 raw parameters `x` of DESIGN §3 (psi, theta, dt); mixed units.
/// - `exp`: expression `psi` = `x[0..63]`; unitless coefficients².
/// - `rot`: all joint rotations `theta` = `x[63..75]` (neck, head, both eyes); radians².
/// - `transl`: the absolute root translation `t0 + dt(k)` (3 values); metres². Unlike `full`,
///   this includes the layout `t0`, so a wrongly placed person counts here.
/// - `eye`: the eye joints' `theta` = `x[69..75]`; radians².
/// - `lip`: the lip/jaw group `psi[0..20]`; coefficients².
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GroupMse {
    /// FULL: all 78 parameters.
    pub full: f64,
    /// EXP: psi.
    pub exp: f64,
    /// ROT: theta.
    pub rot: f64,
    /// TRANSL: t0 + dt, metres².
    pub transl: f64,
    /// EYE: eye joints' theta, radians².
    pub eye: f64,
    /// LIP: psi[0..20].
    pub lip: f64,
}

/// Parameter MSE over all frames of both people and split by role.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamMse {
    /// Every frame of both people.
    pub all: GroupMse,
    /// Person-frames where the ground-truth mask says "speaking"; `None` if there are none.
    pub speaker: Option<GroupMse>,
    /// Person-frames where the ground-truth mask says "listening"; `None` if there are none.
    pub listener: Option<GroupMse>,
    /// Number of speaker person-frames (A's plus B's).
    pub speaker_frames: usize,
    /// Number of listener person-frames.
    pub listener_frames: usize,
}

/// Running sums of squared errors per group (and the number of person-frames).
#[derive(Default, Clone, Copy)]
struct Acc {
    full: f64,
    exp: f64,
    rot: f64,
    transl: f64,
    eye: f64,
    lip: f64,
    frames: usize,
}

fn sq(p: &[f32], g: &[f32], r: Range<usize>) -> f64 {
    p[r.clone()].iter().zip(&g[r]).map(|(a, b)| (*a as f64 - *b as f64).powi(2)).sum()
}

impl Acc {
    fn add(&mut self, pp: &Person, gp: &Person, k: usize) {
        let (p, g) = (pp.x.frame(k), gp.x.frame(k));
        self.full += sq(p, g, 0..X_DIM);
        self.exp += sq(p, g, PSI);
        self.rot += sq(p, g, THETA);
        self.eye += sq(p, g, EYE);
        self.lip += sq(p, g, LIP);
        let (tp, tg) = (pp.translation(k), gp.translation(k));
        self.transl += (0..3).map(|i| (tp[i] as f64 - tg[i] as f64).powi(2)).sum::<f64>();
        self.frames += 1;
    }

    fn mean(&self) -> Option<GroupMse> {
        (self.frames > 0).then(|| {
            let n = self.frames as f64;
            GroupMse {
                full: self.full / (n * X_DIM as f64),
                exp: self.exp / (n * PSI.len() as f64),
                rot: self.rot / (n * THETA.len() as f64),
                transl: self.transl / (n * DT.len() as f64),
                eye: self.eye / (n * EYE.len() as f64),
                lip: self.lip / (n * LIP.len() as f64),
            }
        })
    }

    fn merge(a: Acc, b: Acc) -> Acc {
        Acc {
            full: a.full + b.full,
            exp: a.exp + b.exp,
            rot: a.rot + b.rot,
            transl: a.transl + b.transl,
            eye: a.eye + b.eye,
            lip: a.lip + b.lip,
            frames: a.frames + b.frames,
        }
    }
}

/// Parameter MSE of `pred` against `gt` by group ([`GroupMse`]) and role.
///
/// Roles come from the *ground-truth* masks per person and frame ([`SPEAKER_THRESHOLD`]), so a
/// prediction cannot change which frames it is judged on. Errors if the frame rates, frame
/// counts or shapes differ, or a value is not finite.
pub fn param_mse(pred: &Duo, gt: &Duo) -> Result<ParamMse, EvalError> {
    let frames = check_pair(pred, gt)?;
    if frames == 0 {
        return Err(EvalError::TooFew { what: "parameter MSE", need: 1, got: 0 });
    }
    let (mut spk, mut lis) = (Acc::default(), Acc::default());
    for (pp, gp) in [(&pred.a, &gt.a), (&pred.b, &gt.b)] {
        for k in 0..frames {
            if gp.mask[k] >= SPEAKER_THRESHOLD {
                spk.add(pp, gp, k);
            } else {
                lis.add(pp, gp, k);
            }
        }
    }
    let all = Acc::merge(spk, lis).mean().unwrap_or_default();
    Ok(ParamMse {
        all,
        speaker: spk.mean(),
        listener: lis.mean(),
        speaker_frames: spk.frames,
        listener_frames: lis.frames,
    })
}

/// One person's FD / SID feature vectors: the 78 raw parameters per frame, as f64.
/// Shape `[L, 78]`, row-major. (Feature space: parameters, as DualTalk; see the crate docs.)
pub fn param_features(person: &Person) -> Vec<f64> {
    person.x.as_slice().iter().map(|v| *v as f64).collect()
}

/// One person's [`param_features`] split by role: `(speaker rows, listener rows)`, each
/// `[n, 78]`, a frame being a speaker frame when `mask[k] >= SPEAKER_THRESHOLD`. Pass the
/// *ground-truth* mask when splitting a prediction, so that per-role SID of prediction and
/// ground truth cover the same frames. Errors if `mask` and the motion differ in length.
pub fn split_by_role(person: &Person, mask: &[f32]) -> Result<(Vec<f64>, Vec<f64>), EvalError> {
    let frames = person.x.frames();
    if mask.len() != frames {
        return Err(EvalError::Shape { what: "mask", expected: frames, got: mask.len() });
    }
    let (mut spk, mut lis) = (Vec::new(), Vec::new());
    for (k, m) in mask.iter().enumerate() {
        let dst = if *m >= SPEAKER_THRESHOLD { &mut spk } else { &mut lis };
        dst.extend(person.x.frame(k).iter().map(|v| *v as f64));
    }
    Ok((spk, lis))
}

/// P-FD feature vectors: per frame, A's 78 parameters followed by B's. Shape `[L, 156]`.
/// Errors if A and B differ in length or hold non-finite values.
pub fn paired_features(duo: &Duo) -> Result<Vec<f64>, EvalError> {
    let frames = check_duo(duo, "result")?;
    let mut out = Vec::with_capacity(frames * 2 * X_DIM);
    for k in 0..frames {
        out.extend(duo.a.x.frame(k).iter().map(|v| *v as f64));
        out.extend(duo.b.x.frame(k).iter().map(|v| *v as f64));
    }
    Ok(out)
}
