//! tMSE (paper appendix §4): the mean squared distance between predicted and ground-truth
//! head translations, averaged over both people and all held-out descriptions, in m².
//! `tMSE = 1/(2N) Σ_i (|a_i − â_i|² + |b_i − b̂_i|²)`. The paper reports 0.72 (few-shot),
//! 1.84 (kNN) and 2.90 (zero-shot) on 1024 annotated videos; our held-out set is the
//! library's `heldout` split.

use crate::error::Result;
use crate::library::Entry;
use crate::{Layout, Layouter, Method};

/// Squared distance between two points.
fn sq(p: [f32; 3], q: [f32; 3]) -> f64 {
    (0..3).map(|i| ((p[i] - q[i]) as f64).powi(2)).sum()
}

/// tMSE of paired predictions and ground truths (0 for empty input).
pub fn tmse(pairs: &[(Layout, Layout)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    pairs.iter().map(|(p, g)| (sq(p.a, g.a) + sq(p.b, g.b)) / 2.0).sum::<f64>() / pairs.len() as f64
}

/// One row of the evaluation table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Method asked for (`fewshot`, `zeroshot`, `knn`, or `constant` for a reference row).
    pub method: String,
    /// What produced the answers: the embedder for kNN, the model for LLM methods.
    pub by: String,
    /// Descriptions evaluated.
    pub n: usize,
    /// tMSE over all of them (m²).
    pub tmse: f64,
    /// How many answers came from the kNN fallback instead of the method asked for.
    pub fallbacks: usize,
}

/// Runs `method` on every held-out entry and scores it.
pub fn evaluate(layouter: &Layouter, method: Method, heldout: &[&Entry], by: &str) -> Result<Row> {
    let mut pairs = Vec::with_capacity(heldout.len());
    let mut fallbacks = 0;
    for e in heldout {
        let o = layouter.layout(&e.text, method)?;
        if o.used != method {
            fallbacks += 1;
        }
        pairs.push((o.layout, e.layout()));
    }
    Ok(Row {
        method: method.name().to_string(),
        by: by.to_string(),
        n: pairs.len(),
        tmse: tmse(&pairs),
        fallbacks,
    })
}

/// A reference row: the same `layout` for every description (e.g. the paper's face-to-face
/// default), to show what tMSE a method must beat.
pub fn constant(layout: Layout, heldout: &[&Entry], by: &str) -> Row {
    let pairs: Vec<(Layout, Layout)> = heldout.iter().map(|e| (layout, e.layout())).collect();
    Row { method: "constant".into(), by: by.to_string(), n: pairs.len(), tmse: tmse(&pairs), fallbacks: 0 }
}

/// The rows as a plain-text table.
pub fn table(rows: &[Row]) -> String {
    let mut s = format!("{:<10} {:<30} {:>4} {:>10} {:>9}\n", "method", "by", "n", "tMSE (m²)", "fallback");
    for r in rows {
        s.push_str(&format!(
            "{:<10} {:<30} {:>4} {:>10.4} {:>9}\n",
            r.method, r.by, r.n, r.tmse, r.fallbacks
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmse_is_mean_squared_distance_over_both_people() {
        let g = Layout { a: [0.0, 0.0, -0.5], b: [0.0, 0.0, 0.5] };
        let p = Layout { a: [0.0, 0.0, -1.5], b: [0.0, 0.0, 0.5] };
        assert_eq!(tmse(&[(g, g)]), 0.0);
        assert!((tmse(&[(p, g)]) - 0.5).abs() < 1e-12);
        assert!((tmse(&[(p, g), (g, g)]) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn a_constant_row_scores_the_same_layout_everywhere() {
        let lib = crate::Library::builtin();
        let held = lib.heldout();
        let exact = constant(held[0].layout(), &held[..1], "self");
        assert_eq!((exact.n, exact.tmse), (1, 0.0));
        let r = constant(Layout::face_to_face(), &held, "f2f");
        assert_eq!(r.n, held.len());
        assert!(r.tmse > 0.0 && table(&[r]).contains("constant"));
    }
}
