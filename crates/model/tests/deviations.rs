//! Our named deviations from the paper's network and loss: `model.gated_audio` (the mask-gated
//! copies of the audio in c(k), and how a network without them is carried over to one with
//! them: `Checkpoint::widened_to`, used by `train --init`) and `train.loss.expression_velocity`.

use duologue_model::burn::prelude::*;
use duologue_model::checkpoint::{self, parameters};
use duologue_model::diffusion::Rng;
use duologue_model::losses::{losses, Stage};
use duologue_model::{make_batch, Checkpoint, CheckpointMeta, Clip, Config, DuoNet, Weights};
use duologue_params::X_DIM;

mod common;
use common::{alternating_clip, max_diff, serial, values};

const FRAMES: usize = 16;

fn tiny(gated: bool) -> Config {
    let mut c = common::tiny_with(FRAMES);
    c.model.gated_audio = gated;
    c
}

fn clip(rng: &mut Rng, c: &Config) -> Clip {
    let l = c.model.frames;
    let mut x = || rng.normals(l * X_DIM).into_iter().map(|v| 0.3 * v).collect::<Vec<f32>>();
    let (x_a, x_b) = (x(), x());
    alternating_clip(rng, c, x_a, x_b)
}

fn noise(rng: &mut Rng, dev: &Device) -> Tensor<3> {
    Tensor::<3>::from_data(TensorData::new(rng.normals(FRAMES * X_DIM), [1, FRAMES, X_DIM]), dev)
}

#[test]
fn the_gated_audio_widens_the_conditioning_and_needs_the_masks() {
    let (plain, gated) = (tiny(false), tiny(true));
    assert_eq!(gated.model.cond_dim(), plain.model.cond_dim() + 2 * plain.model.audio_dim);
    gated.model.validate().expect("a gated config is valid");
    let mut no_masks = gated.clone();
    no_masks.model.role_embedding = false;
    let err = no_masks.model.validate().expect_err("gating without masks is refused");
    assert!(err.to_string().contains("gated_audio needs role_embedding"), "{err}");
    // Written and read back, the switch survives; older files without it are the plain network.
    let back = Config::from_toml(&gated.to_toml().expect("toml")).expect("reparse");
    assert!(back.model.gated_audio);
    assert!(
        !Config::from_toml("[model]\nwidth = 32\ngroups = 8\nheads = 4\n").expect("parse").model.gated_audio
    );
}

/// With the gated copies, what the audio does depends on whose mask is on: the same audio
/// change moves A's prediction differently when A speaks than when A listens.
#[test]
fn with_gated_audio_the_masks_route_the_audio() {
    let _serial = serial();
    let c = tiny(true);
    let dev = Device::flex();
    dev.seed(21);
    let net = DuoNet::new(&c.model, &dev);
    let mut rng = Rng::new(22);
    let base = clip(&mut rng, &c);
    let speaks = |on: bool, k: &Clip| Clip {
        m_a: vec![if on { 1.0 } else { 0.0 }; FRAMES],
        m_b: vec![if on { 0.0 } else { 1.0 }; FRAMES],
        ..k.clone()
    };
    let mut louder = base.clone();
    louder.audio.iter_mut().for_each(|v| *v += 1.0);
    let clips = [speaks(true, &base), speaks(true, &louder), speaks(false, &base), speaks(false, &louder)];
    let batch = make_batch(&clips, &[false; 4], &c.model, &dev).expect("batch");
    let (za, zb) = (noise(&mut rng, &dev), noise(&mut rng, &dev));
    let four = |z: Tensor<3>| Tensor::cat(vec![z.clone(), z.clone(), z.clone(), z], 0);
    let t = Tensor::<1>::from_floats([0.4f32; 4].as_slice(), &dev);
    let (ya, _) = net.forward(four(za), four(zb), t, &batch.cond);
    let row = |i: usize| values(ya.clone().narrow(0, i, 1));
    let delta = |a: Vec<f32>, b: Vec<f32>| a.iter().zip(&b).map(|(x, y)| y - x).collect::<Vec<f32>>();
    let (when_speaking, when_listening) = (delta(row(0), row(1)), delta(row(2), row(3)));
    assert!(max_diff(&when_speaking, &vec![0.0; when_speaking.len()]) > 1e-4, "the audio moves A");
    assert!(
        max_diff(&when_speaking, &when_listening) > 1e-4,
        "the same audio change acts differently on a speaker and a listener"
    );
}

/// A plain network's checkpoint initialises a gated one: the new inputs start at zero, so the
/// widened network predicts what the plain one does; other differences are refused.
#[test]
fn a_plain_checkpoint_widens_to_the_gated_network_exactly() {
    let _serial = serial();
    let dev = Device::flex();
    let dir = tempfile::tempdir().expect("temp dir");
    let (plain, gated) = (tiny(false), tiny(true));
    dev.seed(23);
    let net = DuoNet::new(&plain.model, &dev);
    let path = dir.path().join("plain.safetensors");
    let meta = CheckpointMeta { config: plain.clone(), step: 5, stage: Stage::One, rng: [1, 2, 3, 4] };
    checkpoint::save(&path, &net, Some(&net), Some(&[1, 2, 3]), &meta).expect("save");

    let ck = Checkpoint::read(&path).expect("read");
    assert!(ck.load_into(DuoNet::new(&gated.model, &dev), Weights::Model, false).is_err(), "shapes differ");
    let wide = ck.clone().widened_to(&gated.model).expect("widen");
    assert_eq!(wide.meta.config.model, gated.model);
    assert!(wide.optimizer.is_none(), "the optimiser's moments have the old shapes");
    let mut rng = Rng::new(24);
    let k = clip(&mut rng, &plain);
    let (za, zb) = (noise(&mut rng, &dev), noise(&mut rng, &dev));
    let t = Tensor::<1>::from_floats([0.6f32].as_slice(), &dev);
    let y = |m: &DuoNet, c: &Config| {
        let cond = make_batch(std::slice::from_ref(&k), &[false], &c.model, &dev).expect("batch").cond;
        let (a, b) = m.forward(za.clone(), zb.clone(), t.clone(), &cond);
        [values(a), values(b)].concat()
    };
    for which in [Weights::Model, Weights::Ema] {
        let loaded = wide.load_into(DuoNet::new(&gated.model, &dev), which, false).expect("load widened");
        assert_eq!(parameters(&loaded).len(), parameters(&net).len());
        let (want, got) = (y(&net, &plain), y(&loaded, &gated));
        assert!(max_diff(&want, &got) <= 1e-5, "widened output differs by {}", max_diff(&want, &got));
    }

    let mut wider = gated.model.clone();
    wider.width *= 2;
    let err = ck.clone().widened_to(&wider).expect_err("another width is refused");
    assert!(err.to_string().contains("another model config"), "{err}");
    assert!(ck.widened_to(&plain.model).is_err(), "nothing to widen");
}

/// The expression-velocity term sees a frame-to-frame flicker of psi and not a constant offset
/// of the same size, and with weight 0 it is not computed at all.
#[test]
fn the_expression_velocity_term_weights_flicker_not_offsets() {
    let _serial = serial();
    let c = tiny(false);
    let dev = Device::flex();
    let mut rng = Rng::new(25);
    let clips = vec![clip(&mut rng, &c)];
    let batch = make_batch(&clips, &[false], &c.model, &dev).expect("batch");
    // Predictions = the target plus 0.1 on every psi: constant, or alternating in sign.
    let target = [values(batch.z_a.clone()), values(batch.z_b.clone())];
    let shifted = |flicker: bool| {
        let t = |v: &[f32]| {
            let mut v = v.to_vec();
            for (f, row) in v.chunks_exact_mut(X_DIM).enumerate() {
                let d = if flicker && f % 2 == 1 { -0.1 } else { 0.1 };
                row[duologue_params::PSI].iter_mut().for_each(|x| *x += d);
            }
            Tensor::<3>::from_data(TensorData::new(v, [1, FRAMES, X_DIM]), &dev)
        };
        (t(&target[0]), t(&target[1]))
    };
    let term = |flicker: bool, weight: f32| {
        let mut w = c.train.loss;
        w.expression_velocity = weight;
        let (a, b) = shifted(flicker);
        let t = losses(a, b, &batch, Stage::One, &w, c.model.scale, None);
        let expr =
            t.terms.iter().find(|(n, _)| *n == "expression").map(|(_, v)| v.clone().into_scalar::<f32>());
        let vel = t
            .terms
            .iter()
            .find(|(n, _)| *n == "expression_velocity")
            .map(|(_, v)| v.clone().into_scalar::<f32>());
        (expr.expect("expression term"), vel)
    };
    assert_eq!(term(true, 0.0).1, None, "weight 0 (the paper): no term");
    let (expr_const, vel_const) = term(false, 10.0);
    let (expr_flick, vel_flick) = term(true, 10.0);
    assert!((expr_const - expr_flick).abs() < 1e-6, "the x0 term cannot tell them apart");
    assert!(vel_const.expect("term") < 1e-8, "a constant offset has no velocity error");
    // Differences of +-0.2 on every psi of every frame pair: mean square 0.04, times 10.
    let want = 10.0 * 0.04;
    let got = vel_flick.expect("term");
    assert!((got - want).abs() < 1e-3 * want, "flicker term {got}, expected {want}");
}
