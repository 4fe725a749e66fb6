//! Our named deviations from the paper's network and loss: `model.gated_audio` (the mask-gated
//! copies of the audio in c(k), and how a network without them is carried over to one with
//! them, or to other audio features: `Checkpoint::widened_to`, used by `train --init`) and
//! `train.loss.expression_velocity`, `train.loss.listener_lip_velocity`.

use duologue_model::burn::prelude::*;
use duologue_model::checkpoint::{self, parameters};
use duologue_model::diffusion::Rng;
use duologue_model::losses::{losses, Stage};
use duologue_model::{make_batch, Checkpoint, CheckpointMeta, Clip, Config, DuoNet, Weights};
use duologue_params::X_DIM;

mod common;
use common::{max_diff, serial, values};

const FRAMES: usize = 16;

fn tiny(gated: bool) -> Config {
    let mut c = common::tiny_with(FRAMES);
    c.model.gated_audio = gated;
    c
}
fn clip(rng: &mut Rng, c: &Config) -> Clip {
    common::random_clip(rng, c)
}

fn noise(rng: &mut Rng, dev: &Device) -> Tensor<3> {
    common::noise(rng, FRAMES, dev)
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
    let mut turned = plain.model.clone();
    turned.facing_relative = true;
    let same_shapes = ck.clone().widened_to(&turned).expect("facing_relative changes no shape");
    assert!(same_shapes.load_into(DuoNet::new(&turned, &dev), Weights::Model, false).is_ok());
    assert!(ck.widened_to(&plain.model).is_err(), "nothing to widen");
}

/// A checkpoint of a network on one kind of audio features starts a network on another kind:
/// everything but the audio rows carries over, the audio rows start at zero, so the new network
/// predicts what the old one predicts with silent (zeroed) audio, whatever the new audio is.
#[test]
fn a_checkpoint_carries_over_to_other_audio_features_with_the_audio_rows_at_zero() {
    let _serial = serial();
    let dev = Device::flex();
    let dir = tempfile::tempdir().expect("temp dir");
    let old = tiny(true);
    let mut new = old.clone();
    new.model.features = "whisper-tiny".into();
    new.model.audio_dim = old.model.audio_dim + 5;
    new.model.facing_relative = !old.model.facing_relative;
    dev.seed(25);
    let net = DuoNet::new(&old.model, &dev);
    let path = dir.path().join("old.safetensors");
    let meta = CheckpointMeta { config: old.clone(), step: 9, stage: Stage::One, rng: [1, 2, 3, 4] };
    checkpoint::save(&path, &net, Some(&net), None, &meta).expect("save");
    let ck = Checkpoint::read(&path).expect("read");
    let moved = ck.clone().widened_to(&new.model).expect("other features");
    assert_eq!(moved.meta.config.model, new.model);

    let mut rng = Rng::new(26);
    let mut k_old = clip(&mut rng, &old);
    k_old.audio.iter_mut().for_each(|v| *v = 0.0);
    let k_new = Clip { audio: clip(&mut rng, &new).audio, ..k_old.clone() };
    assert!(k_new.audio.iter().any(|v| *v != 0.0), "the new network hears real (random) audio");
    let (za, zb) = (noise(&mut rng, &dev), noise(&mut rng, &dev));
    let t = Tensor::<1>::from_floats([0.5f32].as_slice(), &dev);
    let y = |m: &DuoNet, k: &Clip, c: &Config| {
        let cond = make_batch(std::slice::from_ref(k), &[false], &c.model, &dev).expect("batch").cond;
        let (a, b) = m.forward(za.clone(), zb.clone(), t.clone(), &cond);
        [values(a), values(b)].concat()
    };
    let loaded = moved.load_into(DuoNet::new(&new.model, &dev), Weights::Ema, false).expect("load");
    let (want, got) = (y(&net, &k_old, &old), y(&loaded, &k_new, &new));
    // facing_relative changes how the neck-yaw output is read downstream, not the network's
    // output, so the raw predictions agree.
    assert!(max_diff(&want, &got) <= 1e-5, "carried-over output differs by {}", max_diff(&want, &got));
    // With the old audio not silent, the old network does differ: the audio rows mattered.
    let mut k_loud = k_old.clone();
    k_loud.audio.iter_mut().for_each(|v| *v = 1.0);
    assert!(max_diff(&want, &y(&net, &k_loud, &old)) > 1e-4);
    // Another width is still refused.
    let mut wider = new.model.clone();
    wider.width *= 2;
    assert!(ck.widened_to(&wider).is_err());
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
    // Limited to the lips (psi[0..20]), a flicker of the upper face alone costs nothing.
    let mut w = c.train.loss;
    w.expression_velocity = 10.0;
    w.expression_velocity_coefficients = 20;
    let upper = |v: &[f32]| {
        let mut v = v.to_vec();
        for (f, row) in v.chunks_exact_mut(X_DIM).enumerate() {
            row[20..duologue_params::N_EXPR]
                .iter_mut()
                .for_each(|x| *x += if f % 2 == 1 { -0.1 } else { 0.1 });
        }
        Tensor::<3>::from_data(TensorData::new(v, [1, FRAMES, X_DIM]), &dev)
    };
    let t = losses(upper(&target[0]), upper(&target[1]), &batch, Stage::One, &w, c.model.scale, None);
    let lips_only = t
        .terms
        .iter()
        .find(|(n, _)| *n == "expression_velocity")
        .map(|(_, v)| v.clone().into_scalar::<f32>());
    assert!(lips_only.expect("term") < 1e-8, "upper-face flicker outside the lips-only term");
}

/// The listener-lip term sees the lips' flicker only where that person listens: the same
/// flicker on speaking frames costs nothing, on listening frames exactly its mean square.
#[test]
fn the_listener_lip_term_counts_only_listening_frames() {
    let _serial = serial();
    let c = tiny(false);
    let dev = Device::flex();
    let mut rng = Rng::new(27);
    let mut k = clip(&mut rng, &c);
    // A speaks in the first half, B in the second.
    k.m_a = (0..FRAMES).map(|f| if f < FRAMES / 2 { 1.0 } else { 0.0 }).collect();
    k.m_b = k.m_a.iter().map(|m| 1.0 - m).collect();
    let batch = make_batch(&[k.clone()], &[false], &c.model, &dev).expect("batch");
    let target = [values(batch.z_a.clone()), values(batch.z_b.clone())];
    // +-0.1 alternating on psi[0..20] on the frames where `who` has mask == `on`.
    let flicker = |on: f32| {
        let t = |v: &[f32], m: &[f32]| {
            let mut v = v.to_vec();
            for (f, row) in v.chunks_exact_mut(X_DIM).enumerate() {
                if m[f] == on {
                    let d = if f % 2 == 1 { -0.1 } else { 0.1 };
                    row[0..20].iter_mut().for_each(|x| *x += d);
                }
            }
            Tensor::<3>::from_data(TensorData::new(v, [1, FRAMES, X_DIM]), &dev)
        };
        (t(&target[0], &k.m_a), t(&target[1], &k.m_b))
    };
    let term = |on: f32, weight: f32| {
        let mut w = c.train.loss;
        w.listener_lip_velocity = weight;
        let (a, b) = flicker(on);
        let t = losses(a, b, &batch, Stage::One, &w, c.model.scale, None);
        t.terms
            .iter()
            .find(|(n, _)| *n == "listener_lip_velocity")
            .map(|(_, v)| v.clone().into_scalar::<f32>())
    };
    assert_eq!(term(0.0, 0.0), None, "weight 0 (the paper): no term");
    assert!(term(1.0, 10.0).expect("term") < 1e-8, "speaking lips may move");
    // Differences of +-0.2 on each lip coefficient of every listening frame pair, times 10.
    let got = term(0.0, 10.0).expect("term");
    assert!((got - 0.4).abs() < 1e-3 * 0.4, "listening flicker term {got}, expected 0.4");
}

#[test]
fn the_facing_yaw_turns_a_head_toward_its_partner() {
    use duologue_model::data::{facing_yaw, unwrap_near};
    let looks = |phi: f32| [-phi.sin(), -phi.cos()]; // (x, z) of the gaze at rest turned by phi
    for (me, partner) in [
        ([-0.4, 0.0, 0.0], [0.4, 0.0, 0.0]),
        ([0.0, 0.0, -0.5], [0.0, 0.0, 0.5]),
        ([0.0, 0.0, 0.5], [0.0, 0.0, -0.5]),
        ([0.3, -0.2, 0.1], [-0.5, 0.1, 1.2]),
    ] {
        let phi = facing_yaw(me, partner);
        let (dx, dz) = (partner[0] - me[0], partner[2] - me[2]);
        let n = dx.hypot(dz);
        let [gx, gz] = looks(phi);
        assert!((gx - dx / n).abs() < 1e-5 && (gz - dz / n).abs() < 1e-5, "{me:?} -> {partner:?}: {phi}");
        assert!(phi.abs() <= std::f32::consts::PI);
    }
    // Person A of the simulator's usual side-by-side layout turns by -pi/2 (its data says -1.6).
    assert!((facing_yaw([-0.4, 0.0, 0.0], [0.4, 0.0, 0.0]) + std::f32::consts::FRAC_PI_2).abs() < 1e-6);
    assert_eq!(facing_yaw([1.0, 0.0, 1.0], [1.0, 0.5, 1.0]), 0.0, "one above the other: no facing");
    assert!((unwrap_near(3.1, -3.1) - (3.1 - std::f32::consts::TAU)).abs() < 1e-6);
    assert_eq!(unwrap_near(0.5, 0.4), 0.5);
}

/// With `facing_relative` the batch holds the neck yaw minus the facing, the offset it took off
/// comes with it, and every loss term is what the absolute representation gives.
#[test]
fn a_facing_relative_batch_keeps_the_motion_and_the_losses() {
    use duologue_model::data::{facing_yaw, NECK_YAW};
    let _serial = serial();
    let plain = tiny(false);
    let mut facing = plain.clone();
    facing.model.facing_relative = true;
    let dev = Device::flex();
    let mut rng = Rng::new(26);
    let mut clips = vec![clip(&mut rng, &plain), clip(&mut rng, &plain)];
    clips[0].t0_a = [0.0, 0.0, -0.5];
    clips[0].t0_b = [0.0, 0.0, 0.5];
    clips[1].t0_a = [-0.4, 0.0, 0.0];
    clips[1].t0_b = [0.4, 0.0, 0.1];
    // A near its facing on the other branch (pi vs -pi) in the first clip.
    clips[0].x_a.chunks_exact_mut(X_DIM).for_each(|f| f[NECK_YAW] = -3.0);
    let p = make_batch(&clips, &[false, false], &plain.model, &dev).expect("plain batch");
    let f = make_batch(&clips, &[false, false], &facing.model, &dev).expect("facing batch");
    assert!(p.facing.is_none());
    let (fa, fb) = f.facing.clone().expect("offsets");
    let back = values(f.z_a.clone() + fa.clone());
    assert!(max_diff(&back, &values(p.z_a.clone())) < 1e-5, "z + facing is the motion");
    let theta = plain.model.scale.theta;
    let za = values(f.z_a.clone());
    // Clip 0, A: facing +-pi taken on the branch of -3.0, so the residual is small.
    let want =
        (-3.0 - duologue_model::data::unwrap_near(facing_yaw(clips[0].t0_a, clips[0].t0_b), -3.0)) * theta;
    assert!((za[NECK_YAW] - want).abs() < 1e-5 && za[NECK_YAW].abs() < 0.2 * theta, "{}", za[NECK_YAW]);
    // Predictions equal in meaning (the facing one minus the same offsets) give the same losses.
    let pred = |rng: &mut Rng| {
        Tensor::<3>::from_data(TensorData::new(rng.normals(2 * FRAMES * X_DIM), [2, FRAMES, X_DIM]), &dev)
    };
    let (pa, pb) = (pred(&mut rng), pred(&mut rng));
    let w = plain.train.loss;
    let lp = losses(pa.clone(), pb.clone(), &p, Stage::One, &w, plain.model.scale, None);
    let lf = losses(pa - fa, pb - fb, &f, Stage::One, &w, plain.model.scale, None);
    assert_eq!(lp.terms.len(), lf.terms.len());
    for ((n, a), (_, b)) in lp.terms.iter().zip(&lf.terms) {
        let (a, b) = (a.clone().into_scalar::<f32>(), b.clone().into_scalar::<f32>());
        assert!((a - b).abs() <= 1e-4 * a.abs().max(1e-3), "{n}: {a} vs {b}");
    }
}

/// A facing-relative generator adds the facing yaw back to the neck, and only there.
#[test]
fn a_facing_relative_generator_adds_the_facing_back() {
    use duologue_model::data::{facing_yaw, NECK_YAW};
    use duologue_model::{Generator, SampleInput};
    let _serial = serial();
    let plain = tiny(false);
    let mut facing = plain.clone();
    facing.model.facing_relative = true;
    let dev = Device::flex();
    dev.seed(27);
    let net = DuoNet::new(&plain.model, &dev);
    let mut rng = Rng::new(28);
    let k = clip(&mut rng, &plain);
    let (t0_a, t0_b) = ([-0.4, 0.0, 0.1], [0.4, 0.0, -0.1]);
    let input = SampleInput {
        audio: &k.audio,
        m_a: &k.m_a,
        m_b: &k.m_b,
        t0_a,
        t0_b,
        beta_a: &k.beta_a,
        beta_b: &k.beta_b,
        seed: 3,
        steps: 2,
        guidance: 1.0,
    };
    let (a0, b0) = Generator::new(net.clone(), plain, dev.clone()).sample(&input).expect("plain");
    let (a1, b1) = Generator::new(net, facing, dev).sample(&input).expect("facing");
    for (x0, x1, phi) in [(&a0, &a1, facing_yaw(t0_a, t0_b)), (&b0, &b1, facing_yaw(t0_b, t0_a))] {
        for f in 0..x0.frames() {
            let (r0, r1) = (x0.frame(f), x1.frame(f));
            for d in 0..X_DIM {
                let want = if d == NECK_YAW { r0[d] + phi } else { r0[d] };
                let diff = (r1[d] - want).abs();
                let diff = if d == NECK_YAW { diff.min((diff - std::f32::consts::TAU).abs()) } else { diff };
                assert!(diff < 1e-4, "frame {f}, column {d}: {} vs {want}", r1[d]);
            }
        }
    }
}
