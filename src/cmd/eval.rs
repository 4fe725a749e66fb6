//! `duologue eval --pred P.npz --gt G.npz [--json]`: the paper's metrics (§4.2–4.3, appendix §3.3)
//! for one predicted result against its ground truth. Feature spaces and units are documented in
//! crates/eval; FD, P-FD and SID here are on parameters (DualTalk's way), not on renders.

use anyhow::{Context, Result};
use duologue_eval::{
    fd, gaze_metrics, paired_features, param_features, param_mse, sid, split_by_role, vertex_metrics,
    GroupMse, SidConfig, MUTUAL_GAZE_DEG,
};
use duologue_face::FaceModel;
use duologue_params::{Duo, X_DIM};
use std::path::PathBuf;

/// Arguments of `duologue eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Predicted result (.npz, e.g. from `duologue generate`).
    #[arg(long)]
    pub pred: PathBuf,
    /// Ground-truth result of the same clip (.npz, e.g. `duologue data extract`).
    #[arg(long)]
    pub gt: PathBuf,
    /// Print the raw values as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn group_json(g: &GroupMse) -> serde_json::Value {
    serde_json::json!({"FULL": g.full, "EXP": g.exp, "ROT": g.rot, "TRANSL": g.transl, "EYE": g.eye, "LIP": g.lip})
}

pub fn run(args: Args) -> Result<()> {
    let pred = Duo::read(&args.pred)?;
    let gt = Duo::read(&args.gt)?;
    let face = FaceModel::shared();
    let what = || format!("{} vs {}", args.pred.display(), args.gt.display());
    let mse = param_mse(&pred, &gt).with_context(what)?;
    let verts = vertex_metrics(&pred, &gt, face).with_context(what)?;
    let gaze_pred = gaze_metrics(&pred, face, MUTUAL_GAZE_DEG).with_context(what)?;
    let gaze_gt = gaze_metrics(&gt, face, MUTUAL_GAZE_DEG).with_context(what)?;
    // FD over both people's frames pooled; P-FD over frames of A and B side by side.
    let pooled = |d: &Duo| [param_features(&d.a), param_features(&d.b)].concat();
    let fd_params = fd(&pooled(&pred), &pooled(&gt), X_DIM).with_context(what)?;
    let pfd = fd(&paired_features(&pred)?, &paired_features(&gt)?, 2 * X_DIM).with_context(what)?;
    // SID per role on the prediction, roles from the ground-truth masks (needs >= k frames).
    let cfg = SidConfig::default();
    let mut speaker = Vec::new();
    let mut listener = Vec::new();
    for (p, g) in [(&pred.a, &gt.a), (&pred.b, &gt.b)] {
        let (s, l) = split_by_role(p, &g.mask).with_context(what)?;
        speaker.extend(s);
        listener.extend(l);
    }
    let sid_of = |rows: &[f64]| (rows.len() / X_DIM >= cfg.k).then(|| sid(rows, X_DIM, &cfg)).transpose();
    let sid_spe = sid_of(&speaker).with_context(what)?;
    let sid_lis = sid_of(&listener).with_context(what)?;

    if args.json {
        let v = serde_json::json!({
            "pred": args.pred.display().to_string(),
            "gt": args.gt.display().to_string(),
            "frames": gt.frames(),
            "mse": group_json(&mse.all),
            "mse_speaker": mse.speaker.as_ref().map(group_json),
            "mse_listener": mse.listener.as_ref().map(group_json),
            "vmse_m2": verts.vmse,
            "lip_vertex_error_m2": verts.lip_max_sq,
            "fd_params": fd_params,
            "pfd_params": pfd,
            "sid_speaker_bits": sid_spe,
            "sid_listener_bits": sid_lis,
            "gaze_pred": {"angle_A_deg": gaze_pred.angle_a_deg, "angle_B_deg": gaze_pred.angle_b_deg, "mutual_rate": gaze_pred.mutual_rate},
            "gaze_gt": {"angle_A_deg": gaze_gt.angle_a_deg, "angle_B_deg": gaze_gt.angle_b_deg, "mutual_rate": gaze_gt.mutual_rate},
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{} vs {} ({} frames)", args.pred.display(), args.gt.display(), gt.frames());
    println!("parameter MSE (raw; EXP/LIP coefficient², ROT/EYE rad², TRANSL m²):");
    println!(
        "  {:<9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "", "FULL", "EXP", "ROT", "TRANSL", "EYE", "LIP"
    );
    for (name, g) in
        [("all", Some(&mse.all)), ("speaker", mse.speaker.as_ref()), ("listener", mse.listener.as_ref())]
    {
        if let Some(g) = g {
            println!(
                "  {name:<9} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e}",
                g.full, g.exp, g.rot, g.transl, g.eye, g.lip
            );
        }
    }
    println!("vertex MSE {:.3e} m², lip vertex error {:.3e} m²", verts.vmse, verts.lip_max_sq);
    // Rounding can leave a tiny negative FD for identical sets; show it as 0 (JSON keeps it raw).
    println!("FD (parameters) {:.4}, P-FD (parameters) {:.4}", fd_params.max(0.0), pfd.max(0.0));
    let bits = |v: Option<f64>| v.map_or("n/a (fewer frames than k)".to_string(), |b| format!("{b:.3} bits"));
    println!("SID (k={}) speaker {}, listener {}", cfg.k, bits(sid_spe), bits(sid_lis));
    println!(
        "gaze to partner: predicted A {:.1}°, B {:.1}°, mutual {:.0}%; ground truth A {:.1}°, B {:.1}°, mutual {:.0}%",
        gaze_pred.angle_a_deg,
        gaze_pred.angle_b_deg,
        100.0 * gaze_pred.mutual_rate,
        gaze_gt.angle_a_deg,
        gaze_gt.angle_b_deg,
        100.0 * gaze_gt.mutual_rate
    );
    Ok(())
}
