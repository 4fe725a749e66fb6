//! SID, the diversity score of paper Table 2 (DualTalk's definition, appendix §3.3): cluster
//! per-frame features with k-means (k = 40), then the Shannon entropy, in bits, of the
//! histogram of cluster assignments. Higher is more diverse; the maximum is `log2(k)`.
//! Feature space: the per-frame motion parameters ([`crate::param_features`]), per role.

use crate::{rows, EvalError};
use duologue_params::rng::Xoshiro256;

/// k-means settings. Deterministic: the same features and config give the same clusters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SidConfig {
    /// Number of clusters (DualTalk: 40).
    pub k: usize,
    /// Seed of the k-means++ initialisation.
    pub seed: u64,
    /// Upper bound on Lloyd iterations (stops earlier when assignments no longer change).
    pub max_iters: usize,
}

impl Default for SidConfig {
    fn default() -> Self {
        Self { k: 40, seed: 0, max_iters: 100 }
    }
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

/// Fitted k-means centroids.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    /// Feature dimension.
    pub dim: usize,
    /// Centroids, `[k, dim]` row-major.
    pub centroids: Vec<f64>,
}

impl KMeans {
    /// Fits `cfg.k` clusters to `features` (`[n, dim]`, `n >= k`): k-means++ initialisation,
    /// then at most `cfg.max_iters` Lloyd iterations. An emptied cluster keeps its centroid.
    pub fn fit(features: &[f64], dim: usize, cfg: &SidConfig) -> Result<Self, EvalError> {
        let n = rows(features, dim, "SID features")?;
        if cfg.k == 0 {
            return Err(EvalError::InvalidArgument("k-means needs k >= 1".into()));
        }
        if n < cfg.k {
            return Err(EvalError::TooFew { what: "k-means (samples >= k)", need: cfg.k, got: n });
        }
        let row = |i: usize| &features[i * dim..(i + 1) * dim];
        let mut rng = Xoshiro256::new(cfg.seed);
        // k-means++: first centre uniform, each next one with probability ~ D(x)^2.
        let mut centroids = Vec::with_capacity(cfg.k * dim);
        let first = ((rng.uniform_f64() * n as f64) as usize).min(n - 1);
        centroids.extend_from_slice(row(first));
        let mut d2: Vec<f64> = (0..n).map(|i| dist2(row(i), row(first))).collect();
        for _ in 1..cfg.k {
            let total: f64 = d2.iter().sum();
            let pick = if total > 0.0 {
                let mut r = rng.uniform_f64() * total;
                let mut pick = n - 1;
                for (i, d) in d2.iter().enumerate() {
                    if r < *d {
                        pick = i;
                        break;
                    }
                    r -= d;
                }
                pick
            } else {
                // All points coincide with a centre already: any point will do.
                ((rng.uniform_f64() * n as f64) as usize).min(n - 1)
            };
            centroids.extend_from_slice(row(pick));
            d2.iter_mut().enumerate().for_each(|(i, d)| *d = d.min(dist2(row(i), row(pick))));
        }
        let mut km = KMeans { dim, centroids };
        let mut assign = km.assign_rows(features, n);
        for _ in 0..cfg.max_iters {
            let mut sums = vec![0.0; cfg.k * dim];
            let mut counts = vec![0usize; cfg.k];
            for (i, &c) in assign.iter().enumerate() {
                counts[c] += 1;
                sums[c * dim..(c + 1) * dim].iter_mut().zip(row(i)).for_each(|(s, v)| *s += v);
            }
            for c in 0..cfg.k {
                if counts[c] > 0 {
                    for j in 0..dim {
                        km.centroids[c * dim + j] = sums[c * dim + j] / counts[c] as f64;
                    }
                }
            }
            let next = km.assign_rows(features, n);
            if next == assign {
                break;
            }
            assign = next;
        }
        Ok(km)
    }

    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.centroids.len() / self.dim.max(1)
    }

    fn assign_rows(&self, features: &[f64], n: usize) -> Vec<usize> {
        (0..n)
            .map(|i| {
                let x = &features[i * self.dim..(i + 1) * self.dim];
                let mut best = (0, f64::INFINITY);
                for (c, cen) in self.centroids.chunks_exact(self.dim).enumerate() {
                    let d = dist2(x, cen);
                    if d < best.1 {
                        best = (c, d);
                    }
                }
                best.0
            })
            .collect()
    }

    /// Nearest centroid of each row of `features` (`[n, dim]`); lets one fit on the ground
    /// truth and assign predictions.
    pub fn assign(&self, features: &[f64]) -> Result<Vec<usize>, EvalError> {
        let n = rows(features, self.dim, "SID features")?;
        Ok(self.assign_rows(features, n))
    }
}

/// Shannon entropy in bits of the histogram of `assignments` over `k` clusters.
/// Errors if `k == 0`, an assignment is `>= k`, or there are no assignments.
pub fn assignment_entropy(assignments: &[usize], k: usize) -> Result<f64, EvalError> {
    if k == 0 {
        return Err(EvalError::InvalidArgument("entropy over 0 clusters".into()));
    }
    if assignments.is_empty() {
        return Err(EvalError::TooFew { what: "SID assignments", need: 1, got: 0 });
    }
    let mut counts = vec![0usize; k];
    for &a in assignments {
        *counts.get_mut(a).ok_or_else(|| EvalError::InvalidArgument(format!("cluster {a} >= k = {k}")))? += 1;
    }
    let n = assignments.len() as f64;
    Ok(counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum())
}

/// SID of a feature set: k-means fitted to `features` (`[n, dim]`) with `cfg`, then the entropy
/// of its own assignments, in bits. For DualTalk's per-role SID pass the speaker (or listener)
/// frames only.
pub fn sid(features: &[f64], dim: usize, cfg: &SidConfig) -> Result<f64, EvalError> {
    let km = KMeans::fit(features, dim, cfg)?;
    assignment_entropy(&km.assign(features)?, cfg.k)
}
