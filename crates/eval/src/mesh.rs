//! Mesh-space metrics: vertex MSE, lip vertex error (paper Table 2 "vMSE", appendix §3.3) and
//! gaze toward the partner (paper §4.2–4.3 eye contact), on heads posed by
//! [`FaceModel::pose`](duologue_face::FaceModel::pose) (DESIGN §4).

use crate::{check_duo, check_pair, EvalError};
use duologue_face::{FaceModel, Posed, Region};
use duologue_params::{Duo, Person, PSI, THETA};

/// Default mutual-gaze threshold in degrees: a person "looks at" the partner when the angle
/// between their gaze and the direction to the partner's eye midpoint is below this. 10° is
/// roughly the half-width of the region around the eyes at conversational distance (~1 m).
pub const MUTUAL_GAZE_DEG: f64 = 10.0;

/// Vertex-space errors of a prediction, both people together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VertexMetrics {
    /// vMSE: mean over people, frames and all vertices of the squared L2 distance between the
    /// predicted and ground-truth world positions; metres². Heads are posed in the world with
    /// their full pose (theta and `t0 + dt`) and each side's own identity `beta`.
    pub vmse: f64,
    /// Lip vertex error: per person and frame, the maximum over lip vertices ([`Region::Lips`])
    /// of the squared L2 distance, then the mean over people and frames; metres². This is the
    /// FaceFormer / CodeTalker reference implementation (`max(sum((p - g)^2, -1))`, averaged);
    /// their papers call it "the maximal L2 error", but the code squares it, and so do we.
    pub lip_max_sq: f64,
}

fn pose(model: &FaceModel, p: &Person, k: usize, out: &mut Posed) {
    let x = p.x.frame(k);
    model.pose_into(&p.beta, &x[PSI], &x[THETA], p.translation(k), out);
}

fn dist2(a: [f32; 3], b: [f32; 3]) -> f64 {
    (0..3).map(|i| (a[i] as f64 - b[i] as f64).powi(2)).sum()
}

/// Vertex MSE and lip vertex error of `pred` against `gt` ([`VertexMetrics`]).
/// Errors on mismatched frame rates, frame counts or shapes, non-finite values or no frames.
pub fn vertex_metrics(pred: &Duo, gt: &Duo, model: &FaceModel) -> Result<VertexMetrics, EvalError> {
    let frames = check_pair(pred, gt)?;
    if frames == 0 {
        return Err(EvalError::TooFew { what: "vertex metrics", need: 1, got: 0 });
    }
    let lips: Vec<usize> =
        model.regions.iter().enumerate().filter(|(_, r)| **r == Region::Lips).map(|(i, _)| i).collect();
    let (mut pp, mut gg) = (Posed::default(), Posed::default());
    let (mut vsum, mut lsum) = (0.0f64, 0.0f64);
    for (p, g) in [(&pred.a, &gt.a), (&pred.b, &gt.b)] {
        for k in 0..frames {
            pose(model, p, k, &mut pp);
            pose(model, g, k, &mut gg);
            let d: Vec<f64> = pp.vertices.iter().zip(&gg.vertices).map(|(a, b)| dist2(*a, *b)).collect();
            vsum += d.iter().sum::<f64>() / d.len().max(1) as f64;
            lsum += lips.iter().map(|&i| d[i]).fold(0.0, f64::max);
        }
    }
    let n = (2 * frames) as f64;
    Ok(VertexMetrics { vmse: vsum / n, lip_max_sq: lsum / n })
}

/// Gaze toward the partner over one result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GazeMetrics {
    /// Mean over frames of A's angle between gaze and the direction from A's eye midpoint to
    /// B's eye midpoint; degrees in [0, 180].
    pub angle_a_deg: f64,
    /// The same for B looking at A; degrees.
    pub angle_b_deg: f64,
    /// Fraction of frames in which *both* angles are below the threshold; in [0, 1].
    pub mutual_rate: f64,
    /// The threshold used, degrees.
    pub threshold_deg: f64,
}

fn mid(e: [[f32; 3]; 2]) -> [f64; 3] {
    [0, 1, 2].map(|i| (e[0][i] as f64 + e[1][i] as f64) / 2.0)
}

/// Angle in degrees between direction `g` and the vector `to - from`; 180 if either is zero.
fn angle_deg(g: [f32; 3], from: [f64; 3], to: [f64; 3]) -> f64 {
    let d = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
    let g = g.map(|v| v as f64);
    let (nd, ng) = (d.iter().map(|v| v * v).sum::<f64>().sqrt(), g.iter().map(|v| v * v).sum::<f64>().sqrt());
    if nd == 0.0 || ng == 0.0 {
        return 180.0;
    }
    let c = (d[0] * g[0] + d[1] * g[1] + d[2] * g[2]) / (nd * ng);
    c.clamp(-1.0, 1.0).acos().to_degrees()
}

/// Gaze angles to the partner and the mutual-gaze rate of one result (prediction or ground
/// truth alike), with mutual gaze = both angles below `threshold_deg` (use
/// [`MUTUAL_GAZE_DEG`]). The gaze of a person is [`Posed::gaze`] (DESIGN §3: normalised mean
/// of both eyes' forward axes); the target is the partner's eyeball-centre midpoint.
pub fn gaze_metrics(duo: &Duo, model: &FaceModel, threshold_deg: f64) -> Result<GazeMetrics, EvalError> {
    if !(threshold_deg.is_finite() && threshold_deg > 0.0) {
        return Err(EvalError::InvalidArgument(format!("gaze threshold {threshold_deg} degrees")));
    }
    let frames = check_duo(duo, "result")?;
    if frames == 0 {
        return Err(EvalError::TooFew { what: "gaze metrics", need: 1, got: 0 });
    }
    let (mut pa, mut pb) = (Posed::default(), Posed::default());
    let (mut sa, mut sb, mut mutual) = (0.0, 0.0, 0usize);
    for k in 0..frames {
        pose(model, &duo.a, k, &mut pa);
        pose(model, &duo.b, k, &mut pb);
        let (ma, mb) = (mid(pa.eye_centers), mid(pb.eye_centers));
        let (aa, ab) = (angle_deg(pa.gaze, ma, mb), angle_deg(pb.gaze, mb, ma));
        sa += aa;
        sb += ab;
        mutual += usize::from(aa < threshold_deg && ab < threshold_deg);
    }
    let n = frames as f64;
    Ok(GazeMetrics {
        angle_a_deg: sa / n,
        angle_b_deg: sb / n,
        mutual_rate: mutual as f64 / n,
        threshold_deg,
    })
}
