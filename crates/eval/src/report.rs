//! Reports of the paper's metrics (paper Table 2; DESIGN §8): one result against its ground truth
//! ([`PairReport`], JSON or text), and the dataset-level table of methods as JSON and Markdown
//! ([`summary_json`], [`markdown_table`]). Values are raw in JSON; the Markdown scales them as
//! its header says.

use crate::temporal::{TemporalSummary, JITTER_GROUPS};
use crate::{
    fd, gaze_metrics, paired_features, param_features, param_mse, sid, split_by_role, vertex_metrics,
    EvalError, GazeMetrics, GroupMse, MethodSummary, ParamMse, SidConfig, VertexMetrics, MUTUAL_GAZE_DEG,
};
use duologue_face::FaceModel;
use duologue_params::{Duo, X_DIM};

/// A group MSE as JSON: `{"FULL", "EXP", "ROT", "TRANSL", "EYE", "LIP"}`.
pub fn group_json(g: &GroupMse) -> serde_json::Value {
    serde_json::json!({"FULL": g.full, "EXP": g.exp, "ROT": g.rot, "TRANSL": g.transl, "EYE": g.eye, "LIP": g.lip})
}

/// Every metric of one predicted result against its ground truth.
#[derive(Debug, Clone)]
pub struct PairReport {
    /// Frames of the ground truth.
    pub frames: usize,
    /// Parameter MSE by group, all and by role.
    pub mse: ParamMse,
    /// Vertex MSE and lip vertex error.
    pub vertices: VertexMetrics,
    /// FD over both people's frames pooled (parameters).
    pub fd: f64,
    /// P-FD over frames of A and B side by side (parameters).
    pub pfd: f64,
    /// k of the SID.
    pub sid_k: usize,
    /// SID of the prediction's speaker frames (roles from the ground-truth masks), bits.
    pub sid_speaker: Option<f64>,
    /// SID of the prediction's listener frames, bits.
    pub sid_listener: Option<f64>,
    /// Gaze of the prediction.
    pub gaze_pred: GazeMetrics,
    /// Gaze of the ground truth.
    pub gaze_gt: GazeMetrics,
}

impl PairReport {
    /// Computes every metric; SID only where a role has at least k frames.
    pub fn compute(pred: &Duo, gt: &Duo, face: &FaceModel) -> Result<Self, EvalError> {
        let mse = param_mse(pred, gt)?;
        let vertices = vertex_metrics(pred, gt, face)?;
        let gaze_pred = gaze_metrics(pred, face, MUTUAL_GAZE_DEG)?;
        let gaze_gt = gaze_metrics(gt, face, MUTUAL_GAZE_DEG)?;
        let pooled = |d: &Duo| [param_features(&d.a), param_features(&d.b)].concat();
        let fd_params = fd(&pooled(pred), &pooled(gt), X_DIM)?;
        let pfd = fd(&paired_features(pred)?, &paired_features(gt)?, 2 * X_DIM)?;
        let cfg = SidConfig::default();
        let mut speaker = Vec::new();
        let mut listener = Vec::new();
        for (p, g) in [(&pred.a, &gt.a), (&pred.b, &gt.b)] {
            let (s, l) = split_by_role(p, &g.mask)?;
            speaker.extend(s);
            listener.extend(l);
        }
        let sid_of = |rows: &[f64]| (rows.len() / X_DIM >= cfg.k).then(|| sid(rows, X_DIM, &cfg)).transpose();
        Ok(Self {
            frames: gt.frames(),
            mse,
            vertices,
            fd: fd_params,
            pfd,
            sid_k: cfg.k,
            sid_speaker: sid_of(&speaker)?,
            sid_listener: sid_of(&listener)?,
            gaze_pred,
            gaze_gt,
        })
    }

    /// The raw values as JSON, with the two files' names.
    pub fn to_json(&self, pred: &str, gt: &str) -> serde_json::Value {
        let gaze = |g: &GazeMetrics| serde_json::json!({"angle_A_deg": g.angle_a_deg, "angle_B_deg": g.angle_b_deg, "mutual_rate": g.mutual_rate});
        serde_json::json!({
            "pred": pred,
            "gt": gt,
            "frames": self.frames,
            "mse": group_json(&self.mse.all),
            "mse_speaker": self.mse.speaker.as_ref().map(group_json),
            "mse_listener": self.mse.listener.as_ref().map(group_json),
            "vmse_m2": self.vertices.vmse,
            "lip_vertex_error_m2": self.vertices.lip_max_sq,
            "fd_params": self.fd,
            "pfd_params": self.pfd,
            "sid_speaker_bits": self.sid_speaker,
            "sid_listener_bits": self.sid_listener,
            "gaze_pred": gaze(&self.gaze_pred),
            "gaze_gt": gaze(&self.gaze_gt),
        })
    }

    /// The values for people: one block of lines.
    pub fn to_text(&self, pred: &str, gt: &str) -> String {
        let mut s = format!("{pred} vs {gt} ({} frames)\n", self.frames);
        s.push_str("parameter MSE (raw; EXP/LIP coefficient², ROT/EYE rad², TRANSL m²):\n");
        s.push_str(&format!(
            "  {:<9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
            "", "FULL", "EXP", "ROT", "TRANSL", "EYE", "LIP"
        ));
        let m = &self.mse;
        for (name, g) in
            [("all", Some(&m.all)), ("speaker", m.speaker.as_ref()), ("listener", m.listener.as_ref())]
        {
            if let Some(g) = g {
                s.push_str(&format!(
                    "  {name:<9} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e}\n",
                    g.full, g.exp, g.rot, g.transl, g.eye, g.lip
                ));
            }
        }
        s.push_str(&format!(
            "vertex MSE {:.3e} m², lip vertex error {:.3e} m²\n",
            self.vertices.vmse, self.vertices.lip_max_sq
        ));
        // Rounding can leave a tiny negative FD for identical sets; show it as 0 (JSON keeps it raw).
        s.push_str(&format!(
            "FD (parameters) {:.4}, P-FD (parameters) {:.4}\n",
            self.fd.max(0.0),
            self.pfd.max(0.0)
        ));
        let bits =
            |v: Option<f64>| v.map_or("n/a (fewer frames than k)".to_string(), |b| format!("{b:.3} bits"));
        s.push_str(&format!(
            "SID (k={}) speaker {}, listener {}\n",
            self.sid_k,
            bits(self.sid_speaker),
            bits(self.sid_listener)
        ));
        let (p, g) = (&self.gaze_pred, &self.gaze_gt);
        s.push_str(&format!(
            "gaze to partner: predicted A {:.1}°, B {:.1}°, mutual {:.0}%; ground truth A {:.1}°, B {:.1}°, mutual {:.0}%\n",
            p.angle_a_deg,
            p.angle_b_deg,
            100.0 * p.mutual_rate,
            g.angle_a_deg,
            g.angle_b_deg,
            100.0 * g.mutual_rate
        ));
        s
    }
}

/// `null` for a missing value.
fn opt_json(v: Option<f64>) -> serde_json::Value {
    v.map_or(serde_json::Value::Null, serde_json::Value::from)
}

/// The temporal quality as JSON (raw units: coefficients or rad per frame², rad, ms).
fn temporal_json(t: &TemporalSummary) -> serde_json::Value {
    let jitter: serde_json::Map<String, serde_json::Value> =
        JITTER_GROUPS.iter().zip(t.jitter).map(|((g, _), v)| ((*g).to_string(), opt_json(v))).collect();
    serde_json::json!({
        "jitter": jitter,
        "lip_speed_speaking": opt_json(t.lip_speed_speaking),
        "lip_speed_listening": opt_json(t.lip_speed_listening),
        "max_head_step_rad": t.max_head_step,
        "lipsync_corr": opt_json(t.lipsync_corr),
        "lipsync_lag_ms": opt_json(t.lipsync_lag_ms),
        "lipsync_corr_lag0": opt_json(t.lipsync_corr_0),
    })
}

/// One method's dataset-level values as JSON (raw units, names as in eval.json).
pub fn summary_json(s: &MethodSummary) -> serde_json::Value {
    serde_json::json!({
        "clips": s.clips,
        "frames": s.frames,
        "fd_params": opt_json(s.fd),
        "pfd_params": opt_json(s.pfd),
        "fd_vertices": opt_json(s.fd_vertices),
        "pfd_vertices": opt_json(s.pfd_vertices),
        "mse": s.mse.as_ref().map(group_json),
        "mse_speaker": s.mse_speaker.as_ref().map(group_json),
        "mse_listener": s.mse_listener.as_ref().map(group_json),
        "vmse_m2": opt_json(s.vmse),
        "vmse_speaker_m2": opt_json(s.vmse_speaker),
        "vmse_listener_m2": opt_json(s.vmse_listener),
        "lip_vertex_error_m2": opt_json(s.lip_max_sq),
        "lip_vertex_error_speaker_m2": opt_json(s.lip_max_sq_speaker),
        "sid_speaker_bits": opt_json(s.sid_speaker),
        "sid_listener_bits": opt_json(s.sid_listener),
        "sid_rows": s.sid_rows,
        "fd_groups": s
            .fd_groups
            .iter()
            .map(|(g, v)| ((*g).to_string(), opt_json(*v)))
            .collect::<serde_json::Map<_, _>>(),
        "spread": s
            .spread
            .iter()
            .map(|(g, v)| ((*g).to_string(), opt_json(*v)))
            .collect::<serde_json::Map<_, _>>(),
        "sid_groups_bits": s
            .sid_groups
            .iter()
            .map(|(g, [sp, li])| ((*g).to_string(), serde_json::json!({"speaker": opt_json(*sp), "listener": opt_json(*li)})))
            .collect::<serde_json::Map<_, _>>(),
        "role_agreement": opt_json(s.role_agreement),
        "listening_gaze_rate": opt_json(s.listening_gaze),
        "temporal": temporal_json(&s.temporal),
    })
}

/// The Markdown report: header lines saying how values are scaled, then one row per method, the
/// per-group SID table and the notes.
pub fn markdown_table(title: &str, rows: &[(String, MethodSummary)], notes: &[String]) -> String {
    let mut s = format!("# {title}\n\n");
    s.push_str(
        "Units: FD / P-FD on per-frame motion parameters (78 per person-frame, both people pooled / \
         156 per frame, A then B), not on Inception features of renders; FD-V / P-FD-V the same on 64 \
         posed face-model vertices (world positions, cm², so x 1e4); parameter MSE columns \
         are raw MSE x 1e3 (EXP/LIP coefficient², ROT/EYE rad², TRANSL m² of t0 + dt); vMSE and \
         lip errors in mm² (m² x 1e6); SID in bits (k = 40, max 5.32); agree = mask-role \
         agreement, gaze-L = gaze at the partner while listening, both in %. Frame-weighted over \
         clips. `gt` is the ground truth scored against itself (reference for SID, agree, gaze-L).\n\n",
    );
    s.push_str(
        "| method | FD | P-FD | FD-V | P-FD-V | FULL | EXP | ROT | TRANSL | EYE | LIP | vMSE | vMSE-S | vMSE-L | lip-S | \
         SID-S | SID-L | agree | gaze-L |\n",
    );
    s.push_str(&format!("|---|{}\n", "---|".repeat(18)));
    let f = |v: Option<f64>, scale: f64, prec: usize| {
        v.map_or("-".to_string(), |v| format!("{:.prec$}", if v.abs() < 1e-12 { 0.0 } else { v * scale }))
    };
    for (name, r) in rows {
        let g = |sel: fn(&GroupMse) -> f64| f(r.mse.as_ref().map(sel), 1e3, 3);
        s.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(r.fd.map(|v| v.max(0.0)), 1.0, 3),
            f(r.pfd.map(|v| v.max(0.0)), 1.0, 3),
            f(r.fd_vertices.map(|v| v.max(0.0)), 1e4, 3),
            f(r.pfd_vertices.map(|v| v.max(0.0)), 1e4, 3),
            g(|m| m.full),
            g(|m| m.exp),
            g(|m| m.rot),
            g(|m| m.transl),
            g(|m| m.eye),
            g(|m| m.lip),
            f(r.vmse, 1e6, 2),
            f(r.vmse_speaker, 1e6, 2),
            f(r.vmse_listener, 1e6, 2),
            f(r.lip_max_sq_speaker, 1e6, 2),
            f(r.sid_speaker, 1.0, 2),
            f(r.sid_listener, 1.0, 2),
            f(r.role_agreement, 100.0, 1),
            f(r.listening_gaze, 100.0, 1),
        ));
    }
    // Diversity per parameter group (DualTalk reports expression, jaw and head separately).
    s.push_str("\nSID per parameter group, bits, speaker / listener (EXP psi 0..63, JAW psi 0..20, HEAD neck + head rotation):\n\n| method |");
    let groups: Vec<&str> =
        rows.first().map(|(_, r)| r.sid_groups.iter().map(|g| g.0).collect()).unwrap_or_default();
    for g in &groups {
        s.push_str(&format!(" {g} |"));
    }
    s.push_str(&format!("\n|---|{}\n", "---|".repeat(groups.len())));
    for (name, r) in rows {
        s.push_str(&format!("| {name} |"));
        for (_, [sp, li]) in &r.sid_groups {
            s.push_str(&format!(" {} / {} |", f(*sp, 1.0, 2), f(*li, 1.0, 2)));
        }
        s.push('\n');
    }
    // FD of each parameter group's marginal: which part of the motion the FD comes from.
    s.push_str(&group_table(
        "FD per parameter group (marginal Gaussians; EXP psi 0..63, LIP psi 0..20, ROT neck + head, EYE, TRANSL dt)",
        rows,
        |r| &r.fd_groups,
        |v| f(v.map(|v| v.max(0.0)), 1.0, 4),
    ));
    // Spread: the model's liveliness per expression group against the truth's.
    s.push_str(&group_table(
        "Spread (std of each group, summed variance over its coefficients, over the ground truth's; 1.0 = as lively, 0 = constant; psi: lips 0..20, smile 20..22, cheek squint 28..30, brows 33..40, blink 40..42, other 42..63)",
        rows,
        |r| &r.spread,
        |v| f(v, 1.0, 2),
    ));
    s.push_str(&temporal_table(rows));
    if !notes.is_empty() {
        s.push('\n');
        for n in notes {
            s.push_str(&format!("- {n}\n"));
        }
    }
    s
}

/// A table of one value per named group and method: `title`, then a row per method.
fn group_table(
    title: &str,
    rows: &[(String, MethodSummary)],
    groups_of: impl Fn(&MethodSummary) -> &Vec<(&'static str, Option<f64>)>,
    cell: impl Fn(Option<f64>) -> String,
) -> String {
    let mut s = format!("\n{title}:\n\n| method |");
    let groups: Vec<&str> =
        rows.first().map(|(_, r)| groups_of(r).iter().map(|g| g.0).collect()).unwrap_or_default();
    for g in &groups {
        s.push_str(&format!(" {g} |"));
    }
    s.push_str(&format!("\n|---|{}\n", "---|".repeat(groups.len())));
    for (name, r) in rows {
        s.push_str(&format!("| {name} |"));
        for (_, v) in groups_of(r) {
            s.push_str(&format!(" {} |", cell(*v)));
        }
        s.push('\n');
    }
    s
}

/// The temporal-quality table: jitter per group, lip speed by role, the largest head step and lip
/// sync, each with its ratio to the `gt` row where there is one.
fn temporal_table(rows: &[(String, MethodSummary)]) -> String {
    let mut s = String::from(
        "\nTemporal quality (crates/eval `temporal`): jitter = mean |second difference| per frame x 1e3 \
         (LIP psi 0..20, EXP psi 20..63, ROT theta, rad), in brackets the ratio to the ground truth's; \
         lip speed = sum |frame difference| of psi 0..20 on GT speaking (S) and listening (L) \
         person-frames; head step = largest frame-to-frame neck/head rotation change (rad); lip sync \
         = correlation of mouth opening with the audio energy where the person speaks alone, at \
         the best lag (ms) within +-200 ms.\n\n\
         | method | jitter LIP | jitter EXP | jitter ROT | lip speed S | lip speed L | head step | lip sync | lag |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    let gt = rows.iter().find(|(n, _)| n == "gt").map(|(_, r)| &r.temporal);
    let with_ratio = |v: Option<f64>, reference: Option<f64>, scale: f64, prec: usize| match (v, reference) {
        (Some(v), Some(r)) if r > 1e-12 => format!("{:.prec$} ({:.1}x)", v * scale, v / r),
        (Some(v), _) => format!("{:.prec$}", v * scale),
        _ => "-".into(),
    };
    for (name, r) in rows {
        let t = &r.temporal;
        let g = |sel: fn(&TemporalSummary) -> Option<f64>| gt.and_then(sel);
        s.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {:.3} | {} | {} |\n",
            with_ratio(t.jitter[0], g(|t| t.jitter[0]), 1e3, 2),
            with_ratio(t.jitter[1], g(|t| t.jitter[1]), 1e3, 2),
            with_ratio(t.jitter[2], g(|t| t.jitter[2]), 1e3, 2),
            with_ratio(t.lip_speed_speaking, g(|t| t.lip_speed_speaking), 1.0, 3),
            with_ratio(t.lip_speed_listening, g(|t| t.lip_speed_listening), 1.0, 3),
            t.max_head_step,
            t.lipsync_corr.map_or("-".into(), |c| format!("{c:.2}")),
            t.lipsync_lag_ms.map_or("-".into(), |l| format!("{l:.0}")),
        ));
    }
    s
}
