//! Frame-level re-segmentation of a two-person mix after clustering: the window posteriors
//! of [`crate::diarize`] (1.6 s windows every 0.4 s) know who speaks but blur every turn
//! boundary over a window. Here each person gets a small Gaussian mixture over 10 ms MFCCs,
//! trained on the frames clustering is sure of; a two-state HMM (A or B holds the floor)
//! combines the mixtures' per-frame log-likelihood ratios with the window posterior as a
//! prior, and a forward-backward pass gives each 40 ms frame its posterior. Two rounds: the
//! mixtures are retrained on the first round's decisions. The classic re-segmentation of
//! speaker diarisation (e.g. LIUM's Viterbi re-segmentation; VBx does the same on x-vectors).

/// Mel bands (GE2E's 40, so the frames could feed it too).
const N_MELS: usize = 40;

/// Re-segmentation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResegConfig {
    /// Mixture components per person.
    pub components: usize,
    /// Rounds of (train mixtures, decode).
    pub rounds: usize,
    /// Log-probability cost of a change of speaker between two voiced frames in a row; a
    /// silence of `g` frames between them lowers it by `g` frames' worth of `gap_relief`.
    pub switch_cost: f32,
    /// Cost relief per silent frame between two voiced frames.
    pub gap_relief: f32,
    /// Weight of the window posterior's log-odds.
    pub prior_weight: f32,
    /// Weight of a 10 ms frame's log-likelihood ratio (neighbouring frames are correlated).
    pub llr_weight: f32,
    /// Log-potential cost per 40 ms frame of "both speak" (a third state whose mixture is
    /// trained on sure A frames added to sure B frames); infinite: no overlap state.
    pub overlap_cost: f32,
}

impl Default for ResegConfig {
    fn default() -> Self {
        Self {
            components: 8,
            rounds: 2,
            switch_cost: 12.0,
            gap_relief: 1.5,
            prior_weight: 1.0,
            llr_weight: 0.3,
            overlap_cost: 0.0,
        }
    }
}

/// MFCCs kept (c1..c19).
pub const DIM: usize = 19;
/// 10 ms frames per 40 ms frame.
const SUB: usize = 4;
/// 10 ms hop and 25 ms window, in samples.
const HOP10: usize = 160;
const WIN: usize = 400;

/// One 10 ms frame's MFCCs.
pub type Mfcc = [f32; DIM];

/// One 10 ms frame's 40-band mel power (Slaney filters, 25 ms Hann window).
pub type MelPower = [f32; N_MELS];

/// 10 ms mel power frames: frame `j` reads samples `[160 j, 160 j + 400)` of `audio` (zeros
/// past its end). Computes `count` frames, so a stream can be fed piece by piece (each piece
/// a multiple of 160 samples, plus 240 samples of look-ahead). Power, not log, so that two
/// voices' frames can be added to imitate overlapping speech.
pub fn mel_frames(audio: &[f32], count: usize) -> Vec<MelPower> {
    use realfft::RealFftPlanner;
    let fb = crate::mel::slaney_filterbank(16000.0, WIN, N_MELS);
    let window = crate::mel::hann(WIN);
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(WIN);
    let (mut buf, mut spec) = (fft.make_input_vec(), fft.make_output_vec());
    (0..count)
        .map(|j| {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = audio.get(j * HOP10 + i).copied().unwrap_or(0.0) * window[i];
            }
            let mut out = [0.0f32; N_MELS];
            if fft.process(&mut buf, &mut spec).is_err() {
                return out; // lengths match by construction
            }
            for (o, f) in out.iter_mut().zip(&fb) {
                *o = f.iter().zip(&spec).map(|(w, c)| w * c.norm_sqr()).sum();
            }
            out
        })
        .collect()
}

/// DCT-II rows for c1..c19 over 40 bands (orthonormal scaling).
fn dct_matrix() -> Vec<[f32; N_MELS]> {
    let m = N_MELS as f32;
    (1..=DIM)
        .map(|k| {
            let mut r = [0.0f32; N_MELS];
            for (i, v) in r.iter_mut().enumerate() {
                *v = (std::f32::consts::PI * k as f32 * (i as f32 + 0.5) / m).cos() * (2.0 / m).sqrt();
            }
            r
        })
        .collect()
}

/// MFCCs c1..c19 of one mel power frame.
fn to_mfcc(mel: &MelPower, dct: &[[f32; N_MELS]]) -> Mfcc {
    let mut log = [0.0f32; N_MELS];
    log.iter_mut().zip(mel).for_each(|(l, p)| *l = (p + 1e-8).ln());
    let mut out = [0.0f32; DIM];
    for (o, row) in out.iter_mut().zip(dct) {
        *o = row.iter().zip(&log).map(|(a, b)| a * b).sum();
    }
    out
}

/// Subtracts the mean over all frames (cepstral mean normalisation: removes the channel);
/// returns the mean.
fn mean_normalise(feats: &mut [Mfcc]) -> Mfcc {
    let n = feats.len().max(1) as f32;
    let mut mean = [0.0f32; DIM];
    feats.iter().for_each(|f| mean.iter_mut().zip(f).for_each(|(m, v)| *m += v / n));
    feats.iter_mut().for_each(|f| f.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m));
    mean
}

/// A diagonal-covariance Gaussian mixture.
#[derive(Debug, Clone)]
struct Gmm {
    log_w: Vec<f32>,
    mean: Vec<[f32; DIM]>,
    inv_var: Vec<[f32; DIM]>,
    /// Per component: log weight - 0.5 * (DIM ln 2 pi + sum ln var).
    norm: Vec<f32>,
}

fn log_sum_exp(x: &[f32]) -> f32 {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !m.is_finite() {
        return m;
    }
    m + x.iter().map(|v| (v - m).exp()).sum::<f32>().ln()
}

impl Gmm {
    /// EM from evenly spaced samples as initial means; `None` with too few samples.
    fn fit(data: &[[f32; DIM]], k: usize, iters: usize) -> Option<Self> {
        let k = k.min(data.len() / 20);
        if k == 0 {
            return None;
        }
        let n = data.len() as f32;
        let mut gv = [0.0f32; DIM];
        let mut gm = [0.0f32; DIM];
        data.iter().for_each(|x| gm.iter_mut().zip(x).for_each(|(m, v)| *m += v / n));
        data.iter().for_each(|x| {
            gv.iter_mut().zip(x).zip(&gm).for_each(|((g, v), m)| *g += (v - m).powi(2) / n);
        });
        let floor: Vec<f32> = gv.iter().map(|v| (0.01 * v).max(1e-4)).collect();
        let mut g = Gmm {
            log_w: vec![-(k as f32).ln(); k],
            mean: (0..k).map(|i| data[(i * data.len()) / k + data.len() / (2 * k)]).collect(),
            inv_var: vec![gv.map(|v| 1.0 / v.max(1e-4)); k],
            norm: vec![0.0; k],
        };
        g.renorm();
        let mut resp = vec![0.0f32; k];
        for _ in 0..iters {
            let mut nk = vec![0.0f32; k];
            let mut s1 = vec![[0.0f32; DIM]; k];
            let mut s2 = vec![[0.0f32; DIM]; k];
            for x in data {
                g.component_logs(x, &mut resp);
                let l = log_sum_exp(&resp);
                for (j, r) in resp.iter().enumerate() {
                    let p = (r - l).exp();
                    nk[j] += p;
                    for d in 0..DIM {
                        s1[j][d] += p * x[d];
                        s2[j][d] += p * x[d] * x[d];
                    }
                }
            }
            for j in 0..k {
                let m = nk[j].max(1e-3);
                g.log_w[j] = (m / n).max(1e-6).ln();
                for d in 0..DIM {
                    let mu = s1[j][d] / m;
                    g.mean[j][d] = mu;
                    g.inv_var[j][d] = 1.0 / (s2[j][d] / m - mu * mu).max(floor[d]);
                }
            }
            g.renorm();
        }
        Some(g)
    }

    fn renorm(&mut self) {
        let c = DIM as f32 * (std::f32::consts::TAU).ln();
        for j in 0..self.log_w.len() {
            let log_det: f32 = self.inv_var[j].iter().map(|iv| -iv.ln()).sum();
            self.norm[j] = self.log_w[j] - 0.5 * (c + log_det);
        }
    }

    fn component_logs(&self, x: &[f32; DIM], out: &mut [f32]) {
        for (j, o) in out.iter_mut().enumerate() {
            let (m, iv) = (&self.mean[j], &self.inv_var[j]);
            let q: f32 = (0..DIM).map(|d| (x[d] - m[d]).powi(2) * iv[d]).sum();
            *o = self.norm[j] - 0.5 * q;
        }
    }

    /// `scratch` holds at least one value per component.
    fn log_likelihood(&self, x: &[f32; DIM], scratch: &mut [f32]) -> f32 {
        let s = &mut scratch[..self.log_w.len()];
        self.component_logs(x, s);
        log_sum_exp(s)
    }
}

/// Forward-backward over voiced frames with `S` states; `emit[i][s]` is the log potential
/// of state s at voiced frame i, `cost[i]` the cost of changing state between voiced frames
/// i-1 and i. Returns each frame's state posteriors.
fn forward_backward<const S: usize>(emit: &[[f32; S]], cost: &[f32]) -> Vec<[f32; S]> {
    let n = emit.len();
    if n == 0 {
        return Vec::new();
    }
    let lse = |v: &[f32; S]| log_sum_exp(v);
    let normed = |mut v: [f32; S]| {
        let z = lse(&v);
        v.iter_mut().for_each(|x| *x -= z);
        v
    };
    let step = |prev: &[f32; S], c: f32, to: usize| {
        let mut v = *prev;
        v.iter_mut().enumerate().for_each(|(s, x)| *x -= if s == to { 0.0 } else { c });
        log_sum_exp(&v)
    };
    let mut fwd = vec![[0.0f32; S]; n];
    fwd[0] = normed(emit[0]);
    for i in 1..n {
        let mut v = [0.0f32; S];
        for (to, x) in v.iter_mut().enumerate() {
            *x = emit[i][to] + step(&fwd[i - 1], cost[i], to);
        }
        fwd[i] = normed(v);
    }
    let mut bwd = vec![[0.0f32; S]; n];
    for i in (0..n - 1).rev() {
        let mut nb = [0.0f32; S];
        for (t, x) in nb.iter_mut().enumerate() {
            *x = emit[i + 1][t] + bwd[i + 1][t];
        }
        let mut v = [0.0f32; S];
        for (from, x) in v.iter_mut().enumerate() {
            *x = step(&nb, cost[i + 1], from);
        }
        bwd[i] = normed(v);
    }
    (0..n)
        .map(|i| {
            let mut v = [0.0f32; S];
            v.iter_mut().enumerate().for_each(|(s, x)| *x = fwd[i][s] + bwd[i][s]);
            normed(v).map(f32::exp)
        })
        .collect()
}

/// Re-segments `p_first` (per 40 ms frame, from window clustering) with the mix's 10 ms mel
/// power frames `mels` ([`mel_frames`], four per 40 ms frame) where `vad` (per frame) says
/// someone speaks. Returns the new per-frame p(first), 0.5 where both speak at once;
/// unvoiced frames keep their input value. Unchanged when either person has too few sure
/// frames to train a mixture on.
pub fn resegment(mels: &[MelPower], vad: &[f32], p_first: &[f32], cfg: &ResegConfig) -> Vec<f32> {
    let n = p_first.len().min(vad.len());
    let dct = dct_matrix();
    let mut feats: Vec<Mfcc> = mels.iter().map(|m| to_mfcc(m, &dct)).collect();
    let mean = mean_normalise(&mut feats);
    let sub = |k: usize| SUB * k..(SUB * k + SUB).min(feats.len());
    let voiced: Vec<usize> = (0..n).filter(|&k| vad[k] >= 0.5).collect();
    let cost: Vec<f32> = voiced
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let gap = if i == 0 { 0 } else { k - voiced[i - 1] - 1 };
            (cfg.switch_cost - cfg.gap_relief * gap as f32).max(0.0)
        })
        .collect();
    // Posteriors per voiced frame: [A, B, both].
    let mut post: Vec<[f32; 3]> = voiced.iter().map(|&k| [p_first[k], 1.0 - p_first[k], 0.0]).collect();
    let mut scratch = vec![0.0f32; cfg.components];
    for _ in 0..cfg.rounds {
        let sure = |who: usize| -> Vec<usize> {
            voiced.iter().zip(&post).filter(|(_, p)| p[who] > 0.8).flat_map(|(&k, _)| sub(k)).collect()
        };
        let (ia, ib) = (sure(0), sure(1));
        let pick = |idx: &[usize]| -> Vec<Mfcc> { idx.iter().map(|&j| feats[j]).collect() };
        let (Some(ga), Some(gb)) =
            (Gmm::fit(&pick(&ia), cfg.components, 8), Gmm::fit(&pick(&ib), cfg.components, 8))
        else {
            break;
        };
        // Overlap imitated: sure A frames plus sure B frames, power added at their own levels.
        let gab = if cfg.overlap_cost.is_finite() && !ia.is_empty() && !ib.is_empty() {
            let m = (ia.len() + ib.len()).min(6000);
            let both: Vec<Mfcc> = (0..m)
                .map(|r| {
                    let (a, b) = (ia[(r * 7919) % ia.len()], ib[(r * 104_729 + 13) % ib.len()]);
                    let mut sum = mels[a];
                    sum.iter_mut().zip(&mels[b]).for_each(|(x, y)| *x += y);
                    let mut f = to_mfcc(&sum, &dct);
                    f.iter_mut().zip(&mean).for_each(|(v, mu)| *v -= mu);
                    f
                })
                .collect();
            Gmm::fit(&both, cfg.components, 8)
        } else {
            None
        };
        let emit: Vec<[f32; 3]> = voiced
            .iter()
            .map(|&k| {
                let p = p_first[k].clamp(0.02, 0.98);
                let (mut la, mut lb, mut lab) = (0.0f32, 0.0f32, 0.0f32);
                for j in sub(k) {
                    la += ga.log_likelihood(&feats[j], &mut scratch);
                    lb += gb.log_likelihood(&feats[j], &mut scratch);
                    if let Some(g) = &gab {
                        lab += g.log_likelihood(&feats[j], &mut scratch);
                    }
                }
                let w = cfg.llr_weight;
                let both = match &gab {
                    Some(_) => {
                        cfg.prior_weight * 0.5 * (p.ln() + (1.0 - p).ln()) + w * lab - cfg.overlap_cost
                    }
                    None => f32::NEG_INFINITY,
                };
                [cfg.prior_weight * p.ln() + w * la, cfg.prior_weight * (1.0 - p).ln() + w * lb, both]
            })
            .collect();
        post = forward_backward(&emit, &cost);
    }
    let mut out = p_first[..n].to_vec();
    for (&k, p) in voiced.iter().zip(&post) {
        out[k] = if p[2] > 0.5 { 0.5 } else { p[0] / (p[0] + p[1]).max(1e-9) };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_backward_follows_strong_evidence_and_smooths_weak_flips() {
        let mut score = vec![4.0f32; 10];
        score.extend(vec![-4.0f32; 10]);
        score[5] = -1.0; // one weak contrary frame inside A's turn
        let cost = vec![6.0f32; score.len()];
        let emit: Vec<[f32; 2]> = score.iter().map(|&s| [0.5 * s, -0.5 * s]).collect();
        let p: Vec<f32> = forward_backward(&emit, &cost).iter().map(|p| p[0]).collect();
        assert!(p[..10].iter().all(|&v| v > 0.9), "{p:?}");
        assert!(p[11..].iter().all(|&v| v < 0.1), "{p:?}");
    }

    #[test]
    fn a_mixture_prefers_its_own_data() {
        let a: Vec<[f32; DIM]> = (0..400).map(|i| [((i % 7) as f32) * 0.1 + 1.0; DIM]).collect();
        let b: Vec<[f32; DIM]> = (0..400).map(|i| [((i % 5) as f32) * 0.1 - 1.0; DIM]).collect();
        let (ga, gb) = (Gmm::fit(&a, 4, 5).unwrap(), Gmm::fit(&b, 4, 5).unwrap());
        let mut s = vec![0.0; 4];
        assert!(ga.log_likelihood(&a[3], &mut s) > gb.log_likelihood(&a[3], &mut s));
        assert!(gb.log_likelihood(&b[3], &mut s) > ga.log_likelihood(&b[3], &mut s));
        assert!(Gmm::fit(&a[..10], 4, 5).is_none());
    }
}
