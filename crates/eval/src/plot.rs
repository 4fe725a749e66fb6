//! Per-clip diagnostic plots (paper §4.4, qualitative evaluation): one hand-written SVG with three stacked panels on a
//! shared time axis in seconds, for looking at one result (paper §4.3's speaker/listener and
//! mutual-gaze behaviour, Fig. 5's lip activity) without a plotting stack:
//!
//! 1. mouth opening of A and B (mm) against the audio energy (RMS dB per 25 fps frame),
//! 2. each person's gaze angle to the partner's eyes (degrees), with the
//!    [`MUTUAL_GAZE_DEG`] threshold,
//! 3. the speaker masks m_A, m_B (DESIGN §5).
//!
//! A ground truth, when given, is overlaid dashed. The per-frame series are public functions
//! ([`mouth_opening_mm`], [`gaze_angles_deg`], [`frame_energy_db`]) so other reports can use the
//! same numbers; [`clip_svg`] only draws what it is given.
//!
//! Time: frame k is drawn at t = k / fps, the start of the audio it covers (DESIGN §1).
//! Every panel's `<g>` carries its data-to-pixel mapping (`data-t1`, `data-v0`, `data-v1` and
//! the plot rectangle `data-x`, `data-y`, `data-w`, `data-h`) and every curve its
//! `data-series` name, so a reader (or a test) can turn the polylines back into values.

use std::fmt::Write as _;

use duologue_face::{FaceModel, Posed};
use duologue_params::{Duo, Motion, Person, HOP, PSI, THETA};

use crate::{check_duo, check_pair, gaze_metrics, EvalError, MUTUAL_GAZE_DEG};

/// Energy floor: `10 log10(mean square + 1e-10)`, so digital silence is -100 dB (the same
/// convention as the data crate's per-frame loudness).
const POWER_EPS: f64 = 1e-10;
/// The energy axis spans at most this many dB below the loudest frame; quieter frames are
/// drawn at the bottom of the panel (their values in the series are untouched).
const ENERGY_SPAN_DB: f64 = 60.0;

/// Mouth opening per frame of both people, `[A, B]`, in millimetres: the distance between the
/// upper- and lower-lip rim midpoints ([`duologue_face::Landmarks::upper_lip`] /
/// `lower_lip`) of the head posed by [`FaceModel::pose_into`] with the frame's psi, theta and
/// translation. The rest mouth is closed, so the rest value is about 0; `jaw_open` = 1 gives
/// a gap of about 17 mm.
pub fn mouth_opening_mm(duo: &Duo, model: &FaceModel) -> Result<[Vec<f64>; 2], EvalError> {
    let frames = check_duo(duo, "result")?;
    let lm = model.landmarks();
    let (up, low) = (lm.upper_lip as usize, lm.lower_lip as usize);
    let mut posed = Posed::default();
    let mut one = |p: &Person| -> Vec<f64> {
        (0..frames)
            .map(|k| {
                let x = p.x.frame(k);
                model.pose_into(&p.beta, &x[PSI], &x[THETA], p.translation(k), &mut posed);
                let (a, b) = (posed.vertices[up], posed.vertices[low]);
                1000.0 * (0..3).map(|i| (a[i] as f64 - b[i] as f64).powi(2)).sum::<f64>().sqrt()
            })
            .collect()
    };
    Ok([one(&duo.a), one(&duo.b)])
}

/// A one-frame result holding frame `k` of `duo` (translation and mask included).
fn frame_of(duo: &Duo, k: usize) -> Duo {
    let person = |p: &Person| Person {
        x: Motion::from_vec(p.x.frame(k).to_vec()).expect("one whole frame"),
        beta: p.beta.clone(),
        t0: p.t0,
        mask: vec![p.mask[k]],
    };
    Duo { a: person(&duo.a), b: person(&duo.b), fps: duo.fps }
}

/// Gaze angle per frame of both people, `[A, B]`, in degrees in [0, 180]: the angle between a
/// person's gaze and the direction from their eye midpoint to the partner's, exactly as
/// [`gaze_metrics`] defines it (its `angle_a_deg` is the mean of the A series).
pub fn gaze_angles_deg(duo: &Duo, model: &FaceModel) -> Result<[Vec<f64>; 2], EvalError> {
    let frames = check_duo(duo, "result")?;
    let (mut a, mut b) = (Vec::with_capacity(frames), Vec::with_capacity(frames));
    // One frame at a time through gaze_metrics itself, so the plot and the metric can never
    // disagree on the definition (the per-frame geometry is private to the metric's module).
    for k in 0..frames {
        let g = gaze_metrics(&frame_of(duo, k), model, MUTUAL_GAZE_DEG)?;
        a.push(g.angle_a_deg);
        b.push(g.angle_b_deg);
    }
    Ok([a, b])
}

/// Audio energy per 25 fps frame: `10 log10(mean(s²) + 1e-10)` dB (0 dB = full-scale square
/// wave, -100 dB = silence) over the 640 samples of 16 kHz audio each frame covers
/// (DESIGN §1); a partial last frame uses the samples it has. Errors on non-finite samples.
pub fn frame_energy_db(samples: &[f32]) -> Result<Vec<f64>, EvalError> {
    if let Some(index) = samples.iter().position(|v| !v.is_finite()) {
        return Err(EvalError::NonFinite { what: "audio", index });
    }
    Ok(samples
        .chunks(HOP)
        .map(|c| {
            let p = c.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / c.len() as f64;
            10.0 * (p + POWER_EPS).log10()
        })
        .collect())
}

/// The per-frame series of one result that [`clip_svg`] draws.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipSeries {
    /// Frames per second of the series.
    pub fps: f64,
    /// Mouth opening of A and B, mm ([`mouth_opening_mm`]).
    pub mouth_mm: [Vec<f64>; 2],
    /// Gaze angle to the partner of A and B, degrees ([`gaze_angles_deg`]).
    pub gaze_deg: [Vec<f64>; 2],
    /// Speaker masks of A and B, in [0, 1].
    pub mask: [Vec<f64>; 2],
}

impl ClipSeries {
    /// All series of one result.
    pub fn of(duo: &Duo, model: &FaceModel) -> Result<Self, EvalError> {
        let mask = |p: &Person| p.mask.iter().map(|&m| m as f64).collect();
        Ok(Self {
            fps: duo.fps as f64,
            mouth_mm: mouth_opening_mm(duo, model)?,
            gaze_deg: gaze_angles_deg(duo, model)?,
            mask: [mask(&duo.a), mask(&duo.b)],
        })
    }

    /// The series of a prediction and of its ground truth (same frame rate and frame count).
    pub fn pair(pred: &Duo, gt: &Duo, model: &FaceModel) -> Result<(Self, Self), EvalError> {
        check_pair(pred, gt)?;
        Ok((Self::of(pred, model)?, Self::of(gt, model)?))
    }

    fn frames(&self) -> usize {
        self.mouth_mm[0].len()
    }

    /// Checks that every series has the same length and finite values; returns the length.
    fn check(&self, side: &'static str) -> Result<usize, EvalError> {
        if !(self.fps.is_finite() && self.fps > 0.0) {
            return Err(EvalError::InvalidArgument(format!("{side}: frame rate {}", self.fps)));
        }
        let n = self.frames();
        let all = self.mouth_mm.iter().chain(&self.gaze_deg).chain(&self.mask);
        for s in all {
            if s.len() != n {
                return Err(EvalError::Shape { what: side, expected: n, got: s.len() });
            }
            if let Some(index) = s.iter().position(|v| !v.is_finite()) {
                return Err(EvalError::NonFinite { what: side, index });
            }
        }
        Ok(n)
    }
}

// Layout in SVG user units (pixels).
const WIDTH: f64 = 1000.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 70.0;
const TOP: f64 = 40.0;
const PANEL_H: f64 = 150.0;
const GAP: f64 = 50.0;
const BOTTOM: f64 = 45.0;
const COLOR: [&str; 2] = ["#1f77b4", "#d62728"];
const ENERGY_COLOR: &str = "#8c8c8c";
const THRESHOLD_COLOR: &str = "#2ca02c";
const DASH: &str = "6 4";

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 text.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `count` ticks over `span`.
fn nice_step(span: f64, count: f64) -> f64 {
    let raw = (span / count).max(1e-9);
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    p * if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    }
}

/// `[lo, hi]` widened outward to multiples of a nice step (and non-empty).
fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if hi - lo < 1e-9 { (lo - 0.5, hi + 0.5) } else { (lo, hi) };
    let s = nice_step(hi - lo, 4.0);
    ((lo / s).floor() * s, (hi / s).ceil() * s)
}

/// Tick values of a nice range.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let s = nice_step(hi - lo, 4.0);
    let first = (lo / s).ceil() as i64;
    let last = (hi / s + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * s).collect()
}

/// Formats a tick label without trailing noise.
fn label(v: f64) -> String {
    let r = (v * 1000.0).round() / 1000.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// One panel's data-to-pixel mapping.
#[derive(Clone, Copy)]
struct Panel {
    y: f64,
    v0: f64,
    v1: f64,
    t1: f64,
}

impl Panel {
    fn px(&self, t: f64) -> f64 {
        LEFT + (t / self.t1) * (WIDTH - LEFT - RIGHT)
    }
    fn py(&self, v: f64) -> f64 {
        self.y + (1.0 - (v - self.v0) / (self.v1 - self.v0)) * PANEL_H
    }
}

/// Writes one curve as a polyline, mapped by `map` (values clamped into its range).
fn polyline(svg: &mut String, map: &Panel, values: &[f64], fps: f64, style: &str, name: &str) {
    let (lo, hi) = (map.v0.min(map.v1), map.v0.max(map.v1));
    let mut pts = String::with_capacity(values.len() * 16);
    for (k, &v) in values.iter().enumerate() {
        let _ = write!(pts, "{:.3},{:.3} ", map.px(k as f64 / fps), map.py(v.clamp(lo, hi)));
    }
    let _ = writeln!(
        svg,
        r#"<polyline data-series="{}" fill="none" {style} points="{}"/>"#,
        esc(name),
        pts.trim_end()
    );
}

/// A's and B's curves of one quantity (`what`), solid, and the ground truth's dashed.
fn people_curves(
    svg: &mut String,
    map: &Panel,
    pred: &[Vec<f64>; 2],
    gt: Option<&[Vec<f64>; 2]>,
    fps: f64,
    what: &str,
) {
    for who in 0..2 {
        let (n, c) = (["A", "B"][who], COLOR[who]);
        let solid = format!(r#"stroke="{c}" stroke-width="1.6""#);
        polyline(svg, map, &pred[who], fps, &solid, &format!("{what} {n}"));
        if let Some(g) = gt {
            let dashed = format!(r#"stroke="{c}" stroke-width="1.2" stroke-dasharray="{DASH}""#);
            polyline(svg, map, &g[who], fps, &dashed, &format!("{what} {n} (gt)"));
        }
    }
}

/// Opens a panel group: frame, y ticks on the left (and optional right axis), title.
fn open_panel(svg: &mut String, p: &Panel, title: &str, unit: &str) {
    let w = WIDTH - LEFT - RIGHT;
    let _ = writeln!(
        svg,
        r#"<g class="panel" data-title="{}" data-t1="{}" data-v0="{}" data-v1="{}" data-x="{LEFT}" data-y="{}" data-w="{w}" data-h="{PANEL_H}">"#,
        esc(title),
        p.t1,
        p.v0,
        p.v1,
        p.y
    );
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{}" width="{w}" height="{PANEL_H}" fill="#ffffff" stroke="#444444"/>"##,
        p.y
    );
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="{:.1}" font-size="13" font-weight="bold">{}</text>"#,
        p.y - 8.0,
        esc(title)
    );
    for v in ticks(p.v0, p.v1) {
        let y = p.py(v);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}" stroke="#e6e6e6"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            label(v)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{:.1}" font-size="11" transform="rotate(-90 16 {:.1})" text-anchor="middle">{}</text>"#,
        p.y + PANEL_H / 2.0,
        p.y + PANEL_H / 2.0,
        esc(unit)
    );
}

/// Vertical time grid and tick labels under a panel.
fn time_ticks(svg: &mut String, p: &Panel, labels: bool) {
    for t in ticks(0.0, p.t1) {
        let x = p.px(t);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.2}" y1="{:.2}" x2="{x:.2}" y2="{:.2}" stroke="#f0f0f0"/>"##,
            p.y,
            p.y + PANEL_H
        );
        if labels {
            let _ = writeln!(
                svg,
                r#"<text x="{x:.2}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
                p.y + PANEL_H + 15.0,
                label(t)
            );
        }
    }
}

/// Legend entries at the top right of a panel: `(name, colour, dashed)`.
fn legend(svg: &mut String, p: &Panel, entries: &[(&str, &str, bool)]) {
    let mut x = WIDTH - RIGHT - 10.0;
    for (name, color, dashed) in entries.iter().rev() {
        let text_w = 6.5 * name.chars().count() as f64;
        x -= text_w + 30.0;
        let dash = if *dashed { format!(r#" stroke-dasharray="{DASH}""#) } else { String::new() };
        let y = p.y - 12.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"#,
            x + 20.0,
            x + 24.0,
            y + 4.0,
            esc(name)
        );
    }
}

fn max_of<'a>(series: impl IntoIterator<Item = &'a Vec<f64>>) -> f64 {
    series.into_iter().flatten().copied().fold(0.0, f64::max)
}

/// The three-panel SVG of one clip (see the module docs). `gt` is drawn dashed over `pred`;
/// `energy_db` (from [`frame_energy_db`], 25 fps) goes on panel 1's right axis, cut to the
/// prediction's frames. Errors when the series disagree in length or frame rate or hold
/// non-finite values.
pub fn clip_svg(
    pred: &ClipSeries,
    gt: Option<&ClipSeries>,
    energy_db: Option<&[f64]>,
    title: &str,
) -> Result<String, EvalError> {
    let frames = pred.check("prediction series")?;
    if frames == 0 {
        return Err(EvalError::TooFew { what: "plot", need: 1, got: 0 });
    }
    if let Some(g) = gt {
        let n = g.check("ground-truth series")?;
        if n != frames {
            return Err(EvalError::FrameMismatch { what: "plot series", pred: frames, gt: n });
        }
        if g.fps != pred.fps {
            return Err(EvalError::FpsMismatch { pred: pred.fps as f32, gt: g.fps as f32 });
        }
    }
    if let Some(index) = energy_db.and_then(|e| e.iter().position(|v| !v.is_finite())) {
        return Err(EvalError::NonFinite { what: "audio energy", index });
    }
    let fps = pred.fps;
    let energy = energy_db.map(|e| &e[..e.len().min(frames)]);
    let both = |f: fn(&ClipSeries) -> &[Vec<f64>; 2]| {
        f(pred).iter().chain(gt.map(|g| f(g).iter()).into_iter().flatten()).collect::<Vec<_>>()
    };
    // The axis covers every frame's start; at least one frame long.
    let t1 = (frames.max(2) - 1) as f64 / fps;
    let height = TOP + 3.0 * PANEL_H + 2.0 * GAP + BOTTOM;

    let mut svg = String::with_capacity(64 * 1024);
    let _ = writeln!(svg, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, "<title>{}</title>", esc(title));
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="#fafafa"/>"##);
    let _ = writeln!(svg, r#"<text x="{LEFT}" y="16" font-size="14">{}</text>"#, esc(title));
    let gt_of = |f: fn(&ClipSeries) -> &[Vec<f64>; 2]| gt.map(f);

    // Panel 1: mouth opening (left axis, mm) and audio energy (right axis, dB).
    let (v0, v1) = nice_range(0.0, max_of(both(|s| &s.mouth_mm)).max(1.0));
    let p1 = Panel { y: TOP, v0, v1, t1 };
    open_panel(&mut svg, &p1, "Mouth opening and audio energy", "mouth opening (mm)");
    time_ticks(&mut svg, &p1, false);
    let mut entries = vec![("A", COLOR[0], false), ("B", COLOR[1], false)];
    if gt.is_some() {
        entries.push(("ground truth", "#444444", true));
    }
    if let Some(e) = energy.filter(|e| !e.is_empty()) {
        let top = e.iter().copied().fold(f64::MIN, f64::max);
        let low = e.iter().copied().fold(f64::MAX, f64::min).max(top - ENERGY_SPAN_DB);
        let (e0, e1) = nice_range(low, top);
        let map = Panel { v0: e0, v1: e1, ..p1 };
        let _ = writeln!(svg, r#"<g class="axis-right" data-v0="{e0}" data-v1="{e1}">"#);
        for v in ticks(e0, e1) {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{ENERGY_COLOR}">{}</text>"#,
                WIDTH - RIGHT + 6.0,
                map.py(v) + 4.0,
                label(v)
            );
        }
        let mid = p1.y + PANEL_H / 2.0;
        let _ = writeln!(
            svg,
            r#"<text x="{0:.1}" y="{mid:.1}" font-size="11" fill="{ENERGY_COLOR}" transform="rotate(90 {0:.1} {mid:.1})" text-anchor="middle">audio energy (dB RMS)</text>"#,
            WIDTH - 16.0
        );
        let style = format!(r#"stroke="{ENERGY_COLOR}" stroke-width="1""#);
        polyline(&mut svg, &map, e, fps, &style, "audio energy (dB)");
        let _ = writeln!(svg, "</g>");
        entries.insert(0, ("audio dB", ENERGY_COLOR, false));
    }
    people_curves(&mut svg, &p1, &pred.mouth_mm, gt_of(|s| &s.mouth_mm), fps, "mouth");
    legend(&mut svg, &p1, &entries);
    let _ = writeln!(svg, "</g>");

    // Panel 2: gaze angle to the partner's eyes, with the mutual-gaze threshold.
    let top = max_of(both(|s| &s.gaze_deg)).clamp(2.0 * MUTUAL_GAZE_DEG, 180.0);
    let (v0, v1) = nice_range(0.0, top);
    let p2 = Panel { y: TOP + PANEL_H + GAP, v0, v1: v1.min(180.0).max(top), t1 };
    open_panel(&mut svg, &p2, "Gaze angle to the partner's eyes", "angle (deg)");
    time_ticks(&mut svg, &p2, false);
    let y = p2.py(MUTUAL_GAZE_DEG);
    let _ = writeln!(
        svg,
        r#"<line class="threshold" data-value="{MUTUAL_GAZE_DEG}" x1="{LEFT}" y1="{y:.3}" x2="{:.2}" y2="{y:.3}" stroke="{THRESHOLD_COLOR}" stroke-width="1.2" stroke-dasharray="2 3"/>"#,
        WIDTH - RIGHT,
    );
    let threshold = format!("mutual gaze: below {} deg", label(MUTUAL_GAZE_DEG));
    legend(&mut svg, &p2, &[(threshold.as_str(), THRESHOLD_COLOR, true)]);
    people_curves(&mut svg, &p2, &pred.gaze_deg, gt_of(|s| &s.gaze_deg), fps, "gaze");
    let _ = writeln!(svg, "</g>");

    // Panel 3: speaker masks, the prediction's lightly filled so overlaps stay visible.
    let p3 = Panel { y: TOP + 2.0 * (PANEL_H + GAP), v0: 0.0, v1: 1.0, t1 };
    open_panel(&mut svg, &p3, "Speaker masks", "speaking probability");
    time_ticks(&mut svg, &p3, true);
    for (m, color) in pred.mask.iter().zip(COLOR) {
        let mut area = format!("{:.3},{:.3} ", p3.px(0.0), p3.py(0.0));
        for (k, &v) in m.iter().enumerate() {
            let _ = write!(area, "{:.3},{:.3} ", p3.px(k as f64 / fps), p3.py(v.clamp(0.0, 1.0)));
        }
        let _ = write!(area, "{:.3},{:.3}", p3.px((m.len() - 1) as f64 / fps), p3.py(0.0));
        let _ =
            writeln!(svg, r#"<polygon fill="{color}" fill-opacity="0.18" stroke="none" points="{area}"/>"#);
    }
    people_curves(&mut svg, &p3, &pred.mask, gt_of(|s| &s.mask), fps, "mask");
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">time (s)</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        p3.y + PANEL_H + 34.0
    );
    let _ = writeln!(svg, "</g>");
    let _ = writeln!(svg, "</svg>");
    Ok(svg)
}

/// One result drawn ([`figure`]): the SVG and the series it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The SVG document.
    pub svg: String,
    /// The prediction's series (mouth opening, gaze angle, masks).
    pub series: ClipSeries,
    /// Things worth saying (the audio and the result covering different lengths).
    pub notes: Vec<String>,
}

/// `pred` (and its ground truth, dashed) with the energy of `audio` (16 kHz mono) as the
/// three-panel SVG of [`clip_svg`], titled `title`.
pub fn figure(
    pred: &Duo,
    gt: Option<&Duo>,
    audio: Option<&[f32]>,
    title: &str,
    model: &FaceModel,
) -> Result<Figure, EvalError> {
    let (series, gt_series) = match gt {
        Some(gt) => {
            let (p, g) = ClipSeries::pair(pred, gt, model)?;
            (p, Some(g))
        }
        None => (ClipSeries::of(pred, model)?, None),
    };
    let energy = audio.map(frame_energy_db).transpose()?;
    let mut notes = Vec::new();
    if let Some(e) = &energy {
        if e.len().abs_diff(pred.frames()) > 1 {
            notes.push(format!(
                "the audio covers {} frames, the result {}; the energy curve is drawn on the result's time axis",
                e.len(),
                pred.frames()
            ));
        }
    }
    let svg = clip_svg(&series, gt_series.as_ref(), energy.as_deref(), title)?;
    Ok(Figure { svg, series, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_ticks_are_nice() {
        assert_eq!(nice_range(0.0, 17.3), (0.0, 20.0));
        assert_eq!(nice_range(-73.0, -12.0), (-80.0, 0.0));
        assert_eq!(ticks(0.0, 20.0), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(ticks(0.0, 1.0), vec![0.0, 0.5, 1.0]);
        assert_eq!(ticks(0.0, 180.0), vec![0.0, 50.0, 100.0, 150.0]);
        assert_eq!(label(0.6000000000000001), "0.6");
        assert_eq!(esc("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot; ");
    }
}
