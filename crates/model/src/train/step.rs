//! One optimiser step's forward and backward pass (paper §3.4): the batch drawn by source ratio
//! with per-clip condition dropout, both people noised at per-clip times, x0 predicted and scored
//! by the losses, gradients from one device or summed over several (data parallel).

use crate::config::Config;
use crate::data::{make_batch, Batch, BatchSource, Clip};
use crate::diffusion::{add_noise, Rng};
use crate::losses::{losses, FaceGeometry, LossTerms, Stage};
use crate::network::DuoNet;
use crate::profile::span;
use crate::ModelError;
use burn::module::Module;
use burn::optim::{GradientsParams, MultiGradientsParams};
use burn::prelude::*;
use duologue_params::X_DIM;

/// Picks a source index by ratio (`ratios` empty: uniform over non-empty sources).
fn pick_source(rng: &mut Rng, ratios: &[f64], data: &impl BatchSource) -> Result<usize, ModelError> {
    let n = data.num_sources();
    let w: Vec<f64> = (0..n)
        .map(|s| {
            if data.is_empty(s) {
                0.0
            } else {
                ratios.get(s).copied().unwrap_or(if ratios.is_empty() { 1.0 } else { 0.0 })
            }
        })
        .collect();
    let total: f64 = w.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return Err(ModelError::Data("no data source with clips and a positive ratio".into()));
    }
    let mut u = rng.uniform() * total;
    for (s, wi) in w.iter().enumerate() {
        if u < *wi {
            return Ok(s);
        }
        u -= wi;
    }
    Ok(w.iter().rposition(|&x| x > 0.0).unwrap_or(0))
}

/// Draws one step's batch: clips by source ratio, each dropped from the conditioning with
/// probability `cond_drop`.
pub(super) fn draw_batch(
    rng: &mut Rng,
    data: &mut impl BatchSource,
    config: &Config,
    device: &Device,
) -> Result<Batch, ModelError> {
    let tc = &config.train;
    let mut clips = Vec::with_capacity(tc.batch_size);
    let mut drop = Vec::with_capacity(tc.batch_size);
    for _ in 0..tc.batch_size {
        let s = pick_source(rng, &tc.source_ratios, data)?;
        let i = rng.below(data.len(s));
        clips.push(data.clip(s, i)?);
        drop.push(rng.uniform() < tc.cond_drop);
    }
    make_batch(&clips, &drop, &config.model, device)
}

/// One diffusion training loss: noise both people at per-clip times, predict x0, score.
fn step_loss(
    model: &DuoNet,
    batch: &Batch,
    (times, eps): (&[f64], (Vec<f32>, Vec<f32>)),
    stage: Stage,
    config: &Config,
    face: Option<&FaceGeometry>,
    device: &Device,
) -> LossTerms {
    let [b, l, _] = batch.z_a.dims();
    let (zt_a, zt_b, t) = span("noising (upload + add)", || {
        let e = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [b, l, X_DIM]), device);
        let zt_a = add_noise(batch.z_a.clone(), e(eps.0), times);
        let zt_b = add_noise(batch.z_b.clone(), e(eps.1), times);
        let t = Tensor::<1>::from_data(
            TensorData::new(times.iter().map(|&t| t as f32).collect::<Vec<_>>(), [b]),
            device,
        );
        (zt_a, zt_b, t)
    });
    let (ha, hb) = model.forward(zt_a, zt_b, t, &batch.cond);
    span("losses (face model, gaze)", || {
        losses(ha, hb, batch, stage, &config.train.loss, config.model.scale, face)
    })
}

/// Draws the random parts of one step: times and noise (A then B).
pub(super) fn draw_noise(rng: &mut Rng, b: usize, l: usize) -> (Vec<f64>, (Vec<f32>, Vec<f32>)) {
    let times: Vec<f64> = (0..b).map(|_| rng.uniform()).collect();
    let ea = rng.normals(b * l * X_DIM);
    let eb = rng.normals(b * l * X_DIM);
    (times, (ea, eb))
}

/// Validation loss of `model` over `clips` (fixed noise, so values compare across steps).
pub(super) fn validation_loss(
    model: &DuoNet,
    clips: &[Clip],
    stage: Stage,
    config: &Config,
    face: Option<&FaceGeometry>,
    device: &Device,
) -> Result<Option<f32>, ModelError> {
    if clips.is_empty() {
        return Ok(None);
    }
    let mut rng = Rng::new(config.train.seed ^ 0x5EED_F00D);
    let (mut sum, mut n) = (0.0f64, 0usize);
    for chunk in clips.chunks(config.train.batch_size.max(1)) {
        let batch = make_batch(chunk, &vec![false; chunk.len()], &config.model, device)?;
        let (times, eps) = draw_noise(&mut rng, chunk.len(), config.model.frames);
        let t = step_loss(model, &batch, (&times, eps), stage, config, face, device);
        sum += t.total.into_scalar::<f32>() as f64 * chunk.len() as f64;
        n += chunk.len();
    }
    Ok(Some((sum / n as f64) as f32))
}

/// Gradients of one step, from one device or several.
pub(super) enum Grads {
    One(GradientsParams),
    Multi(MultiGradientsParams),
}

/// `(start, len)` of `parts` contiguous, nearly equal parts of `n` items.
fn split(n: usize, parts: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 0..parts {
        let len = n / parts + usize::from(k < n % parts);
        out.push((start, len));
        start += len;
    }
    out
}

/// Named term values, multiplied by `share` (host scalars, for the log).
fn scalars(terms: &LossTerms, share: f32) -> Vec<(&'static str, f32)> {
    terms.terms.iter().map(|(n, t)| (*n, t.clone().into_scalar::<f32>() * share)).collect()
}

fn add_scalars(acc: &mut Vec<(&'static str, f32)>, more: Vec<(&'static str, f32)>) {
    for (n, v) in more {
        match acc.iter_mut().find(|(m, _)| *m == n) {
            Some((_, a)) => *a += v,
            None => acc.push((n, v)),
        }
    }
}

/// What one step's passes give: the loss, the named terms (when logged) and the gradients.
pub(super) struct StepOutput {
    /// The batch's total loss.
    pub loss: f32,
    /// Named terms, weighted by each part's share of the batch (empty unless `log_terms`).
    pub named: Vec<(&'static str, f32)>,
    /// Gradients to apply.
    pub grads: Grads,
}

/// Where a step runs: the main device's autodiff form and the data-parallel replicas.
pub(super) struct Devices<'a> {
    /// The main device (plain).
    pub main: &'a Device,
    /// The extra devices (plain).
    pub extra: &'a [Device],
    /// Autodiff forms: the main device's first, then the extra ones'.
    pub replicas: Vec<Device>,
}

/// Forward and backward passes of one step on `batch`, split over the replicas when there are
/// several (each part's loss scaled by its share so the gradients add up to the full batch's).
#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    model: &DuoNet,
    batch: &Batch,
    (times, eps): (&[f64], (Vec<f32>, Vec<f32>)),
    log_terms: bool,
    stage: Stage,
    config: &Config,
    face: Option<&FaceGeometry>,
    devices: &Devices<'_>,
) -> StepOutput {
    let b = config.train.batch_size;
    let replicas = &devices.replicas;
    if replicas.len() == 1 {
        let terms = step_loss(model, batch, (times, eps), stage, config, face, &replicas[0]);
        let (named, loss) = span("loss readback", || {
            let named = if log_terms { scalars(&terms, 1.0) } else { Vec::new() };
            (named, terms.total.clone().into_scalar::<f32>())
        });
        let grads = span("backward", || terms.total.backward());
        let grads = Grads::One(span("gradients by parameter", || GradientsParams::from_grads(grads, model)));
        return StepOutput { loss, named, grads };
    }
    let per = X_DIM * config.model.frames;
    let (mut loss, mut named, mut multi) = (0.0f32, Vec::new(), MultiGradientsParams::default());
    for (k, (start, len)) in split(b, replicas.len()).into_iter().enumerate() {
        let dev = &replicas[k];
        let m = if k == 0 { model.clone() } else { model.clone().fork(dev) };
        let part = batch.slice(start, len, dev);
        let e = (
            eps.0[start * per..(start + len) * per].to_vec(),
            eps.1[start * per..(start + len) * per].to_vec(),
        );
        let terms = step_loss(&m, &part, (&times[start..start + len], e), stage, config, face, dev);
        let share = len as f32 / b as f32;
        if log_terms {
            add_scalars(&mut named, scalars(&terms, share));
        }
        let total = terms.total * share;
        loss += total.clone().into_scalar::<f32>();
        let base = if k == 0 { devices.main.clone() } else { devices.extra[k - 1].clone() };
        multi.grads.push((GradientsParams::from_grads(total.backward(), &m), base));
    }
    StepOutput { loss, named, grads: Grads::Multi(multi) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_into_near_equal_parts() {
        assert_eq!(split(7, 3), vec![(0, 3), (3, 2), (5, 2)]);
        assert_eq!(split(4, 1), vec![(0, 4)]);
    }

    #[test]
    fn sources_are_mixed_by_ratio() {
        let c = crate::data::Clip {
            x_a: vec![],
            x_b: vec![],
            beta_a: vec![],
            beta_b: vec![],
            t0_a: [0.0; 3],
            t0_b: [0.0; 3],
            m_a: vec![],
            m_b: vec![],
            audio: vec![],
            lip_reliable: false,
            gaze_reliable: false,
        };
        let data = crate::data::VecSource {
            sources: vec![vec![c.clone()], vec![c.clone()], vec![]],
            validation: vec![],
        };
        let mut rng = Rng::new(0);
        let mut counts = [0usize; 3];
        for _ in 0..4000 {
            counts[pick_source(&mut rng, &[3.0, 1.0, 5.0], &data).expect("source")] += 1;
        }
        assert_eq!(counts[2], 0, "an empty source is never drawn");
        let share = counts[0] as f64 / 4000.0;
        assert!((share - 0.75).abs() < 0.03, "share of source 0: {share}");
        assert!(pick_source(&mut rng, &[0.0, 0.0], &data).is_err());
    }
}
