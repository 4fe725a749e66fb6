//! Small linear models for the structured layout method's attributes: multinomial logistic
//! regression (softmax), towards one class or towards a spread of classes (the distance bins
//! inside a sentence's plausible range), trained by full-batch Nesterov gradient descent on
//! standardised features. Everything is plain `f64`
//! arithmetic in a fixed order, so training on the same features gives the same weights —
//! which lets a test retrain from `data/scenes.json` and compare with the shipped weights.

use serde::{Deserialize, Serialize};

/// Feature standardisation fitted on the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    /// Mean of each feature.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature (1 where a feature is constant).
    pub std: Vec<f32>,
}

impl Standardiser {
    /// Fits means and standard deviations of `rows`.
    pub fn fit(rows: &[Vec<f32>]) -> Standardiser {
        let dim = rows.first().map_or(0, Vec::len);
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0.0f64; dim];
        for r in rows {
            mean.iter_mut().zip(r).for_each(|(m, &x)| *m += x as f64 / n);
        }
        let mut var = vec![0.0f64; dim];
        for r in rows {
            var.iter_mut().zip(r).zip(&mean).for_each(|((v, &x), m)| *v += (x as f64 - m).powi(2) / n);
        }
        let std = var.iter().map(|v| if *v > 1e-12 { v.sqrt() as f32 } else { 1.0 }).collect();
        Standardiser { mean: mean.into_iter().map(|m| m as f32).collect(), std }
    }

    /// The standardised row, with a trailing 1 for the bias.
    pub fn apply(&self, row: &[f32]) -> Vec<f64> {
        let mut v: Vec<f64> =
            row.iter().zip(&self.mean).zip(&self.std).map(|((&x, &m), &s)| ((x - m) / s) as f64).collect();
        v.push(1.0);
        v
    }
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// L2 penalty on the weights (not the bias), per mean loss.
    pub lambda: f64,
    /// Gradient steps.
    pub steps: usize,
}

/// A linear head: `classes` rows of weights over standardised features plus bias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Class names (one row each); a single `value` row for regression.
    pub classes: Vec<String>,
    /// Row-major `[classes, dim + 1]`, the bias last in each row.
    pub w: Vec<f32>,
}

impl Head {
    fn width(&self) -> usize {
        self.w.len() / self.classes.len().max(1)
    }

    /// Scores of each row for a standardised input (with bias).
    pub fn scores(&self, x: &[f64]) -> Vec<f64> {
        self.w.chunks(self.width()).map(|r| r.iter().zip(x).map(|(&w, &x)| w as f64 * x).sum()).collect()
    }

    /// Class probabilities (softmax of the scores).
    pub fn probabilities(&self, x: &[f64]) -> Vec<f64> {
        softmax(&self.scores(x))
    }
}

fn softmax(s: &[f64]) -> Vec<f64> {
    let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = s.iter().map(|v| (v - m).exp()).collect();
    let z: f64 = e.iter().sum();
    e.into_iter().map(|v| v / z).collect()
}

/// Largest eigenvalue of `XᵀX / n` by power iteration: the curvature that bounds a safe step.
fn top_eigenvalue(x: &[Vec<f64>]) -> f64 {
    let dim = x.first().map_or(0, Vec::len);
    let n = x.len().max(1) as f64;
    let mut v = vec![1.0 / (dim.max(1) as f64).sqrt(); dim];
    let mut lambda = 1.0;
    for _ in 0..60 {
        let mut u = vec![0.0; dim];
        for r in x {
            let d: f64 = r.iter().zip(&v).map(|(a, b)| a * b).sum();
            u.iter_mut().zip(r).for_each(|(u, a)| *u += d * a / n);
        }
        lambda = u.iter().map(|a| a * a).sum::<f64>().sqrt();
        if lambda < 1e-12 {
            return 1.0;
        }
        v = u.into_iter().map(|a| a / lambda).collect();
    }
    lambda
}

/// Minimises `loss(W) + λ/2 |W without bias|²` with Nesterov's accelerated gradient.
/// `grad(W, G)` writes the loss gradient into `G`; `curvature` bounds the Hessian.
fn descend(
    rows: usize,
    width: usize,
    fit: Fit,
    curvature: f64,
    mut grad: impl FnMut(&[f64], &mut [f64]),
) -> Vec<f32> {
    let step = 1.0 / (curvature + fit.lambda);
    let mut w = vec![0.0f64; rows * width];
    let mut prev = w.clone();
    let mut g = vec![0.0f64; rows * width];
    for t in 0..fit.steps {
        let mom = t as f64 / (t as f64 + 3.0);
        let y: Vec<f64> = w.iter().zip(&prev).map(|(w, p)| w + mom * (w - p)).collect();
        g.iter_mut().for_each(|v| *v = 0.0);
        grad(&y, &mut g);
        prev = std::mem::take(&mut w);
        w = y
            .iter()
            .zip(&g)
            .enumerate()
            .map(|(i, (y, g))| {
                let is_bias = i % width == width - 1;
                let pen = if is_bias { 0.0 } else { fit.lambda * y };
                y - step * (g + pen)
            })
            .collect();
    }
    w.into_iter().map(|v| v as f32).collect()
}

/// Softmax regression of `labels` (indices into `classes`) on standardised rows `x`.
pub fn train_softmax(x: &[Vec<f64>], labels: &[usize], classes: &[&str], fit: Fit) -> Head {
    let targets: Vec<Vec<f64>> =
        labels.iter().map(|&y| (0..classes.len()).map(|c| f64::from(u8::from(c == y))).collect()).collect();
    train_softmax_soft(x, &targets, classes, fit)
}

/// Softmax regression towards target distributions (each row of `targets` sums to 1): the
/// cross-entropy against a spread-out target teaches "any of these" rather than one class.
pub fn train_softmax_soft(x: &[Vec<f64>], targets: &[Vec<f64>], classes: &[&str], fit: Fit) -> Head {
    let width = x.first().map_or(1, Vec::len);
    let k = classes.len();
    let n = x.len().max(1) as f64;
    // The softmax cross-entropy Hessian is at most half the features' second moment.
    let curvature = 0.5 * top_eigenvalue(x);
    let w = descend(k, width, fit, curvature, |w, g| {
        for (row, t) in x.iter().zip(targets) {
            let scores: Vec<f64> =
                w.chunks(width).map(|r| r.iter().zip(row).map(|(a, b)| a * b).sum()).collect();
            let p = softmax(&scores);
            for (c, (pc, tc)) in p.iter().zip(t).enumerate() {
                let e = (pc - tc) / n;
                g[c * width..(c + 1) * width].iter_mut().zip(row).for_each(|(g, a)| *g += e * a);
            }
        }
    });
    Head { classes: classes.iter().map(|c| c.to_string()).collect(), w }
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

impl Head {
    /// Independent per-class probabilities (the logistic of each score), for heads trained by
    /// [`train_multilabel`].
    pub fn sigmoids(&self, x: &[f64]) -> Vec<f64> {
        self.scores(x).into_iter().map(sigmoid).collect()
    }
}

/// One logistic regression per class towards 0/1 `targets` (multi-label): each class learns
/// on its own the probability that it applies, e.g. that a distance bin lies inside a
/// sentence's plausible range.
pub fn train_multilabel(x: &[Vec<f64>], targets: &[Vec<f64>], classes: &[&str], fit: Fit) -> Head {
    let width = x.first().map_or(1, Vec::len);
    let k = classes.len();
    let n = x.len().max(1) as f64;
    // The logistic loss's Hessian is at most a quarter of the features' second moment.
    let curvature = 0.25 * top_eigenvalue(x);
    let w = descend(k, width, fit, curvature, |w, g| {
        for (row, t) in x.iter().zip(targets) {
            for (c, tc) in t.iter().enumerate().take(k) {
                let r = &w[c * width..(c + 1) * width];
                let s: f64 = r.iter().zip(row).map(|(a, b)| a * b).sum();
                let e = (sigmoid(s) - tc) / n;
                g[c * width..(c + 1) * width].iter_mut().zip(row).for_each(|(g, a)| *g += e * a);
            }
        }
    });
    Head { classes: classes.iter().map(|c| c.to_string()).collect(), w }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_regression_separates_and_is_deterministic() {
        let raw: Vec<Vec<f32>> = (0..40).map(|i| vec![i as f32 / 10.0, ((i * 7) % 5) as f32]).collect();
        let s = Standardiser::fit(&raw);
        let x: Vec<Vec<f64>> = raw.iter().map(|r| s.apply(r)).collect();
        let labels: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
        let fit = Fit { lambda: 1e-3, steps: 300 };
        let h = train_softmax(&x, &labels, &["low", "high"], fit);
        let right = x.iter().zip(&labels).filter(|(r, &y)| {
            let p = h.probabilities(r);
            (p[1] > p[0]) == (y == 1)
        });
        assert_eq!(right.count(), 40);
        assert_eq!(train_softmax(&x, &labels, &["low", "high"], fit), h);
        // A soft target split evenly between two classes ends up near 50/50.
        let soft: Vec<Vec<f64>> = x.iter().map(|_| vec![0.5, 0.5, 0.0]).collect();
        let h = train_softmax_soft(&x, &soft, &["a", "b", "c"], fit);
        let p = h.probabilities(&x[0]);
        assert!((p[0] - 0.5).abs() < 0.05 && (p[1] - 0.5).abs() < 0.05 && p[2] < 0.05, "{p:?}");
    }

    #[test]
    fn multilabel_regression_learns_each_class_on_its_own() {
        let raw: Vec<Vec<f32>> = (0..40).map(|i| vec![i as f32 / 10.0]).collect();
        let s = Standardiser::fit(&raw);
        let x: Vec<Vec<f64>> = raw.iter().map(|r| s.apply(r)).collect();
        // "low" applies to the first half, "any" to every row, "high" to the second half.
        let t: Vec<Vec<f64>> =
            (0..40).map(|i| vec![f64::from(u8::from(i < 20)), 1.0, f64::from(u8::from(i >= 20))]).collect();
        let h = train_multilabel(&x, &t, &["low", "any", "high"], Fit { lambda: 1e-3, steps: 300 });
        let (first, last) = (h.sigmoids(&x[0]), h.sigmoids(&x[39]));
        assert!(first[0] > 0.8 && first[1] > 0.8 && first[2] < 0.2, "{first:?}");
        assert!(last[0] < 0.2 && last[1] > 0.8 && last[2] > 0.8, "{last:?}");
    }
}
