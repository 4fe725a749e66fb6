//! Behaviour tests of duologue-model on the tiny configuration (configs/tiny.toml).

use std::path::{Path, PathBuf};

use duologue_model::burn::prelude::*;
use duologue_model::diffusion::{ddim_sample, Denoiser, Guided, Rng, Unconditional};
use duologue_model::losses::{gaze, losses, rodrigues, FaceGeometry, Stage};
use duologue_model::{
    make_batch, train, BatchSource, Checkpoint, Clip, Cond, Config, DuoDenoiser, DuoNet, Generator,
    SampleInput, TrainOptions, VecSource, Weights,
};
use duologue_params::{N_ID, X_DIM};

mod common;
use common::{alternating_clip, configs_dir, max_diff, serial, tiny_with, values};

/// Stage-1 options for a fresh single-device run in `dir`; tests override fields.
fn options(dir: &Path, face: Option<FaceGeometry>) -> TrainOptions {
    TrainOptions {
        run_dir: dir.to_path_buf(),
        stage: Stage::One,
        init_from: None,
        resume: false,
        face,
        extra_devices: vec![],
        time_limit: None,
    }
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("duologue-model-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A random but plausible clip: smooth-ish motion, masks in [0, 1].
fn clip(rng: &mut Rng, c: &Config) -> Clip {
    let l = c.model.frames;
    let mut x = |amp: f32| -> Vec<f32> {
        let base: Vec<f32> = rng.normals(X_DIM);
        (0..l * X_DIM)
            .map(|i| {
                let (k, d) = (i / X_DIM, i % X_DIM);
                let s = if d < 63 {
                    0.5
                } else if d < 75 {
                    0.1
                } else {
                    0.02
                };
                amp * s * (base[d] + (k as f32 * 0.3 + d as f32).sin())
            })
            .collect()
    };
    let (x_a, x_b) = (x(1.0), x(1.0));
    alternating_clip(rng, c, x_a, x_b)
}

#[test]
fn config_files_parse_and_paper_matches_appendix() {
    let _serial = serial();
    // Every shipped config, the recipes' included.
    let mut names: Vec<String> = std::fs::read_dir(configs_dir())
        .expect("configs/")
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 3 && names.iter().any(|n| n == "tiny"), "{names:?}");
    for name in &names {
        let name = name.as_str();
        let c = Config::load(&configs_dir().join(format!("{name}.toml"))).expect(name);
        c.model.validate().expect(name);
        let back = Config::from_toml(&c.to_toml().expect("toml")).expect("reparse");
        assert_eq!(back, c, "{name} round-trips through TOML");
    }
    let p = Config::load(&configs_dir().join("paper.toml")).expect("paper");
    assert_eq!((p.model.width, p.model.blocks, p.model.sub_blocks, p.model.heads), (512, 2, 2, 8));
    assert_eq!((p.model.frames, p.model.attention_from, p.sample.steps), (250, 1, 8));
    assert!(Config::from_toml("[model]\nwidth = 30\ngroups = 8\n").is_err(), "groups must divide width");
    assert!(Config::from_toml("[model]\nwidht = 30\n").is_err(), "unknown fields are rejected");
}

#[test]
fn swapping_a_and_b_swaps_the_outputs() {
    let _serial = serial();
    let c = tiny_with(16);
    let dev = Device::flex();
    let net = DuoNet::new(&c.model, &dev);
    let mut rng = Rng::new(3);
    let clips = vec![clip(&mut rng, &c), clip(&mut rng, &c)];
    let batch = make_batch(&clips, &[false, true], &c.model, &dev).expect("batch");
    let t = Tensor::<1>::from_floats([0.3f32, 0.8].as_slice(), &dev);
    let noise = |rng: &mut Rng| {
        Tensor::<3>::from_data(TensorData::new(rng.normals(2 * 16 * X_DIM), [2, 16, X_DIM]), &dev)
    };
    let (za, zb) = (batch.z_a.clone() + noise(&mut rng), batch.z_b.clone() + noise(&mut rng));
    let (ya, yb) = net.forward(za.clone(), zb.clone(), t.clone(), &batch.cond);
    let (sa, sb) = net.forward(zb, za, t, &batch.cond.swapped());
    let (ya, yb, sa, sb) = (values(ya), values(yb), values(sa), values(sb));
    assert!(max_diff(&ya, &sb) < 1e-4 && max_diff(&yb, &sa) < 1e-4);
    // And the streams really differ (the test is not trivially satisfied).
    assert!(max_diff(&ya, &yb) > 1e-3);
}

/// A denoiser that knows the answer.
struct Oracle(Tensor<3>);
impl Denoiser for Oracle {
    type Cond = ();
    fn denoise(&self, _z: Tensor<3>, _t: f64, _c: &()) -> Tensor<3> {
        self.0.clone()
    }
}

#[test]
fn ddim_with_an_oracle_returns_x0() {
    let _serial = serial();
    let dev = Device::flex();
    let mut rng = Rng::new(11);
    let x0 = Tensor::<3>::from_data(TensorData::new(rng.normals(2 * 10 * 4), [2, 10, 4]), &dev);
    for steps in [1, 3, 8, 50] {
        for eta in [0.0, 1.0] {
            let mut calls = 0;
            let out =
                ddim_sample(&Oracle(x0.clone()), &(), [2, 10, 4], steps, eta, &mut rng, &dev, |i, n| {
                    calls += 1;
                    assert!(i <= n);
                });
            assert_eq!(calls, steps);
            assert!(max_diff(&values(out), &values(x0.clone())) < 1e-5, "steps {steps} eta {eta}");
        }
    }
}

/// The exact x0-prediction for data drawn from N(0, v) per value: E[x0 | z_t].
struct GaussianPosterior(f64);

impl Denoiser for GaussianPosterior {
    type Cond = ();
    fn denoise(&self, z: Tensor<3>, t: f64, _c: &()) -> Tensor<3> {
        let (a, s) = duologue_model::diffusion::cosine_alpha_sigma(t);
        z * (a * self.0 / (a * a * self.0 + s * s))
    }
}

#[test]
fn ddim_with_the_exact_denoiser_samples_the_data_variance_at_any_eta() {
    let _serial = serial();
    let dev = Device::flex();
    let v = 0.25;
    let shape = [4, 250, 8];
    // Many steps: ancestral sampling's discretisation error shrinks the variance at few steps.
    const STEPS: usize = 400;
    let mut outs = Vec::new();
    for eta in [0.0, 0.5, 1.0] {
        let out = values(ddim_sample(
            &GaussianPosterior(v),
            &(),
            shape,
            STEPS,
            eta,
            &mut Rng::new(3),
            &dev,
            |_, _| {},
        ));
        let var = out.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / out.len() as f64;
        assert!((var / v - 1.0).abs() < 0.08, "eta {eta}: variance {var}, data {v}");
        outs.push(out);
    }
    // Same seed: eta = 0 and eta = 1 share the initial noise but not the path.
    assert!(max_diff(&outs[0], &outs[2]) > 0.1, "eta 1 must add noise along the way");
    let again =
        values(ddim_sample(&GaussianPosterior(v), &(), shape, STEPS, 1.0, &mut Rng::new(3), &dev, |_, _| {}));
    assert_eq!(again, outs[2], "a seed reproduces a stochastic sample");
    // eta = 1 is the ancestral step: its variance is the DDPM posterior's.
    let (t, s) = (0.6, 0.5);
    let (at, st) = duologue_model::diffusion::cosine_alpha_sigma(t);
    let (as_, ss) = duologue_model::diffusion::cosine_alpha_sigma(s);
    let (abt, abs) = (at * at, as_ * as_);
    let post = ((1.0 - abt / abs) * (1.0 - abs) / (1.0 - abt)).sqrt();
    assert!((duologue_model::diffusion::ddim_step_noise(t, s, 1.0) - post).abs() < 1e-12);
    let _ = st + ss;
    assert_eq!(duologue_model::diffusion::ddim_step_noise(t, s, 0.0), 0.0);
}

#[test]
fn guidance_weight_one_is_the_conditional_prediction() {
    let _serial = serial();
    let c = tiny_with(16);
    let dev = Device::flex();
    dev.seed(5);
    let net = DuoNet::new(&c.model, &dev);
    let mut rng = Rng::new(4);
    let clips = vec![clip(&mut rng, &c)];
    let cond: Cond = make_batch(&clips, &[false], &c.model, &dev).expect("batch").cond;
    let den = DuoDenoiser { net: &net };
    let z = Tensor::<3>::from_data(TensorData::new(rng.normals(2 * 16 * X_DIM), [2, 16, X_DIM]), &dev);
    let cond_pred = values(den.denoise(z.clone(), 0.5, &cond));
    let null_pred = values(den.denoise(z.clone(), 0.5, &den.null_cond(&cond)));
    let all = [0.0, 1.0];
    let g1 = values(Guided { inner: den, weight: 1.0, interval: all }.denoise(z.clone(), 0.5, &cond));
    let g0 = values(Guided { inner: den, weight: 0.0, interval: all }.denoise(z.clone(), 0.5, &cond));
    // Outside its interval guidance is off: the conditional prediction, whatever the weight.
    let outside = Guided { inner: den, weight: 2.5, interval: [0.6, 1.0] }.denoise(z.clone(), 0.5, &cond);
    assert!(max_diff(&values(outside), &cond_pred) < 1e-5);
    let g2 = values(Guided { inner: den, weight: 2.5, interval: [0.5, 0.5] }.denoise(z, 0.5, &cond));
    assert!(max_diff(&g1, &cond_pred) < 1e-5);
    assert!(max_diff(&g0, &null_pred) < 1e-5);
    assert!(max_diff(&cond_pred, &null_pred) > 1e-4, "dropping the audio must change the prediction");
    let want: Vec<f32> = null_pred.iter().zip(&cond_pred).map(|(u, c)| u + 2.5 * (c - u)).collect();
    assert!(max_diff(&g2, &want) < 1e-4);
}

#[test]
fn rotations_and_gaze_follow_the_conventions() {
    let _serial = serial();
    let dev = Device::flex();
    // 90 degrees about +Z maps +X to +Y.
    let r = rodrigues(Tensor::<2>::from_floats([[0.0f32, 0.0, std::f32::consts::FRAC_PI_2]], &dev));
    let m = r.into_data().try_to_vec::<f32>().expect("data");
    let want = [0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    assert!(max_diff(&m, &want) < 1e-5, "{m:?}");
    // Rest gaze is -Z; turning the head 90 degrees about +Y (right-hand) looks along -X.
    let mut th = vec![0.0f32; 24];
    th[12 + 4] = std::f32::consts::FRAC_PI_2;
    let g = gaze(Tensor::<2>::from_data(TensorData::new(th, [2, 12]), &dev))
        .into_data()
        .try_to_vec::<f32>()
        .expect("data");
    assert!(max_diff(&g, &[0.0, 0.0, -1.0, -1.0, 0.0, 0.0]) < 1e-5, "{g:?}");
}

/// A synthetic face: 3 vertices, all skinned to the head, joints at fixed places.
fn toy_face() -> FaceGeometry {
    let template = vec![[0.0, 0.1, 0.0], [0.05, 0.15, 0.02], [-0.05, 0.12, 0.03]];
    let v = template.len();
    let identity = vec![[0.001, 0.0, 0.0]; N_ID * v];
    let expression = vec![[0.0, 0.002, 0.0]; 63 * v];
    let weights = vec![[0.0, 1.0, 0.0, 0.0]; v];
    let joints = std::sync::Arc::new(|_: &[f32]| {
        [[0.0, 0.0, 0.0], [0.0, 0.1, 0.0], [0.03, 0.12, 0.05], [-0.03, 0.12, 0.05]]
    });
    FaceGeometry::new(&template, &identity, &expression, &weights, joints, &[0, 1, 2]).expect("geometry")
}

#[test]
fn face_geometry_poses_vertices() {
    let _serial = serial();
    let dev = Device::flex();
    let face = toy_face();
    let mut x = vec![0.0f32; 2 * X_DIM];
    // Frame 1: head turned 90 degrees about +Y, translated by dt = (0, 0, 1).
    x[X_DIM + 63 + 4] = std::f32::consts::FRAC_PI_2;
    x[X_DIM + 77] = 1.0;
    let v =
        face.vertices(Tensor::<3>::from_data(TensorData::new(x, [1, 2, X_DIM]), &dev), &[vec![0.0; N_ID]]);
    let v = v.into_data().try_to_vec::<f32>().expect("data");
    // Frame 0 is the template; frame 1 vertex 1: head joint (0, 0.1, 0) + Ry(90)(0.05, 0.05, 0.02) + dt.
    assert!(max_diff(&v[0..3], &[0.0, 0.1, 0.0]) < 1e-6);
    assert!(max_diff(&v[12..15], &[0.02, 0.15, 1.0 - 0.05]) < 1e-5, "{:?}", &v[12..15]);
}

#[test]
fn face_geometry_matches_the_face_model() {
    let _serial = serial();
    let face = duologue_face::FaceModel::shared();
    let geo = FaceGeometry::from_face_model(face, 40).expect("geometry");
    let idx = FaceGeometry::spread_indices(face.vertex_count(), 40);
    let mut rng = Rng::new(21);
    let beta: Vec<f32> = rng.normals(N_ID).iter().map(|x| x * 0.5).collect();
    let x: Vec<f32> =
        rng.normals(X_DIM).iter().enumerate().map(|(d, v)| v * if d < 63 { 0.5 } else { 0.2 }).collect();
    let posed = face.pose(&beta, &x[..63], &x[63..75], [x[75], x[76], x[77]]);
    let dev = Device::flex();
    let v = geo.vertices(Tensor::<3>::from_data(TensorData::new(x, [1, 1, X_DIM]), &dev), &[beta]);
    let v = v.into_data().try_to_vec::<f32>().expect("data");
    let want: Vec<f32> = idx.iter().flat_map(|&i| posed.vertices[i]).collect();
    assert!(
        max_diff(&v, &want) < 1e-4,
        "tensor LBS disagrees with FaceModel::pose by {}",
        max_diff(&v, &want)
    );
}

#[test]
fn stage_two_trains_only_the_speaking_lips_of_lip_clips() {
    let _serial = serial();
    let c = tiny_with(16);
    let dev = Device::flex();
    let mut rng = Rng::new(9);
    let mut k = clip(&mut rng, &c);
    k.lip_reliable = true;
    let batch = make_batch(&[k], &[false], &c.model, &dev).expect("batch");
    let w = c.train.loss;
    let total = |za: Tensor<3>, stage| {
        losses(za, batch.z_b.clone(), &batch, stage, &w, c.model.scale, Some(&toy_face()))
            .total
            .into_scalar::<f32>()
    };
    let bump = |dims: std::ops::Range<usize>, frames: &[usize]| {
        let mut v = values(batch.z_a.clone());
        for &f in frames {
            for d in dims.clone() {
                v[f * X_DIM + d] += 0.5;
            }
        }
        Tensor::<3>::from_data(TensorData::new(v, [1, 16, X_DIM]), &dev)
    };
    assert!(total(batch.z_a.clone(), Stage::Two).abs() < 1e-9);
    // A speaks on frames 0..4; frames 4..8 are listening.
    assert!(total(bump(20..78, &[0, 1, 2]), Stage::Two).abs() < 1e-9, "non-lip terms are off");
    assert!(total(bump(0..20, &[5, 6]), Stage::Two).abs() < 1e-9, "listening frames are off");
    assert!(total(bump(0..20, &[1, 2]), Stage::Two) > 1e-3, "speaking lips are trained");
    assert!(total(bump(20..78, &[0, 1, 2]), Stage::One) > 1e-3, "stage 1 trains everything");
}

fn source(c: &Config, n: usize, seed: u64) -> VecSource {
    let mut rng = Rng::new(seed);
    VecSource {
        sources: vec![(0..n).map(|_| clip(&mut rng, c)).collect()],
        validation: vec![clip(&mut rng, c)],
    }
}

#[test]
fn one_small_batch_overfits() {
    let _serial = serial();
    let mut c = tiny_with(16);
    c.train.batch_size = 2;
    c.train.steps = 300;
    c.train.cond_drop = 0.0;
    c.train.val_every = 0;
    c.train.checkpoint_every = 0;
    let dir = tmpdir("overfit");
    let opts = options(&dir, Some(toy_face()));
    let mut losses = Vec::new();
    train(&c, &mut source(&c, 1, 1), &opts, &Device::flex(), |p| losses.push(p.loss)).expect("train");
    let first = losses[..5].iter().sum::<f32>() / 5.0;
    let last = losses[losses.len() - 10..].iter().sum::<f32>() / 10.0;
    eprintln!("overfit: loss {first} -> {last}");
    assert!(last * 20.0 < first, "loss fell only from {first} to {last}");
    let log = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("metrics log");
    let rows: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).expect("json row")).collect();
    assert_eq!(rows.len(), 300 / c.train.log_every);
    assert!(rows.iter().all(|r| r["step"].is_u64() && r["loss"].is_f64()));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn checkpoint_round_trips_and_generation_is_seeded() {
    let _serial = serial();
    let c = tiny_with(16);
    let dev = Device::flex();
    dev.seed(1);
    let net = DuoNet::new(&c.model, &dev);
    let dir = tmpdir("ckpt");
    let path = dir.join("c.safetensors");
    let meta =
        duologue_model::CheckpointMeta { config: c.clone(), step: 7, stage: Stage::Two, rng: [1, 2, 3, 4] };
    duologue_model::checkpoint::save(&path, &net, None, None, &meta).expect("save");
    let ck = Checkpoint::read(&path).expect("read");
    assert_eq!(ck.meta, meta);
    let loaded = ck.load_into(DuoNet::new(&c.model, &dev), Weights::Ema, false).expect("load");
    let mut rng = Rng::new(2);
    let cond = make_batch(&[clip(&mut rng, &c)], &[false], &c.model, &dev).expect("batch").cond;
    let z = Tensor::<3>::from_data(TensorData::new(rng.normals(2 * 16 * X_DIM), [2, 16, X_DIM]), &dev);
    let a = values(DuoDenoiser { net: &net }.denoise(z.clone(), 0.4, &cond));
    let b = values(DuoDenoiser { net: &loaded }.denoise(z, 0.4, &cond));
    assert_eq!(a, b, "loaded weights reproduce the forward pass exactly");
    // A model of another shape is refused.
    let mut other = c.model.clone();
    other.width = 16;
    assert!(ck.load_into(DuoNet::new(&other, &dev), Weights::Model, false).is_err());
    // Weights holding NaN (a diverged run) are refused at load, naming the file (issue 21: the
    // error came later as "inputs must be finite", without the file).
    let mut bytes = std::fs::read(&path).expect("bytes");
    let header = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    bytes[8 + header..8 + header + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let nan = dir.join("nan.safetensors");
    std::fs::write(&nan, bytes).expect("write");
    let err = Generator::load(&nan, &dev).expect_err("refused").to_string();
    assert!(err.contains("nan.safetensors") && err.contains("NaN at index 0"), "{err}");

    let g = Generator::load(&path, &dev).expect("generator");
    let k = clip(&mut rng, &c);
    let input = SampleInput {
        audio: &k.audio,
        m_a: &k.m_a,
        m_b: &k.m_b,
        t0_a: k.t0_a,
        t0_b: k.t0_b,
        beta_a: &k.beta_a,
        beta_b: &k.beta_b,
        seed: 42,
        steps: 4,
        guidance: 2.5,
    };
    let (a1, b1) = g.sample(&input).expect("sample");
    let (a2, b2) = g.sample(&input).expect("sample");
    assert_eq!((a1.frames(), b1.frames()), (16, 16));
    assert!(a1 == a2 && b1 == b2, "same seed, same sample");
    let (a3, _) = g.sample(&SampleInput { seed: 43, ..input }).expect("sample");
    assert!(a3 != a1, "another seed, another sample");
    assert!(g.sample(&SampleInput { m_a: &k.m_a[..15], ..input }).is_err(), "bad mask length is refused");
    assert!(g
        .sample(&SampleInput { audio: &k.audio[..15 * 8], m_a: &k.m_a[..15], m_b: &k.m_b[..15], ..input })
        .is_err());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn resume_reproduces_the_next_loss() {
    let _serial = serial();
    let mut c = tiny_with(16);
    c.train.batch_size = 2;
    c.train.warmup_steps = 3;
    c.train.val_every = 2;
    c.train.log_every = 1;
    let data = source(&c, 3, 5);
    let run = |c: &Config, dir: &PathBuf, resume: bool| {
        let opts = TrainOptions { resume, ..options(dir, Some(toy_face())) };
        let mut losses = Vec::new();
        train(c, &mut data.clone(), &opts, &Device::flex(), |p| losses.push(p.loss)).expect("train");
        losses
    };
    // Uninterrupted: 5 steps.
    let mut full = c.clone();
    full.train.steps = 5;
    full.train.checkpoint_every = 0;
    let straight = run(&full, &tmpdir("straight"), false);
    // Interrupted after 3 steps, then resumed to 5.
    let dir = tmpdir("resume");
    let mut part = c.clone();
    part.train.steps = 3;
    let first = run(&part, &dir, false);
    assert_eq!(first[..], straight[..3], "same seed, same first steps");
    let rest = run(&full, &dir, true);
    eprintln!("resume: straight {straight:?} resumed {rest:?}");
    assert_eq!(rest.len(), 2);
    assert!((rest[0] - straight[3]).abs() <= 1e-6 * straight[3].abs(), "{} vs {}", rest[0], straight[3]);
    assert!((rest[1] - straight[4]).abs() <= 1e-5 * straight[4].abs(), "{} vs {}", rest[1], straight[4]);
    let log = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("log");
    let steps: Vec<u64> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("row")["step"].as_u64().expect("step"))
        .collect();
    assert_eq!(steps, vec![1, 2, 3, 4, 5]);
}

/// A [`VecSource`] whose clips fail after `left` reads (a shard gone bad mid-run).
#[derive(Clone)]
struct FailsAfter {
    inner: VecSource,
    left: usize,
}

impl BatchSource for FailsAfter {
    fn num_sources(&self) -> usize {
        self.inner.num_sources()
    }
    fn len(&self, source: usize) -> usize {
        self.inner.len(source)
    }
    fn clip(&mut self, source: usize, index: usize) -> Result<Clip, duologue_model::ModelError> {
        if self.left == 0 {
            return Err(duologue_model::ModelError::Config("shard 7 went bad".into()));
        }
        self.left -= 1;
        self.inner.clip(source, index)
    }
    fn validation(&mut self) -> Result<Vec<Clip>, duologue_model::ModelError> {
        self.inner.validation()
    }
}

/// Every file of `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("run folder")
        .map(|e| e.expect("entry").path())
        .map(|p| (p.clone(), std::fs::read(&p).expect("file")))
        .collect();
    v.sort();
    v
}

#[test]
fn a_run_that_fails_before_its_first_save_leaves_the_folder_as_it_was() {
    // issue 21: a run that failed or diverged emptied metrics.jsonl and rewrote config.toml.
    let _serial = serial();
    let mut c = tiny_with(16);
    c.train.batch_size = 2;
    c.train.steps = 3;
    c.train.log_every = 1;
    c.train.val_every = 0;
    c.train.checkpoint_every = 0;
    let data = source(&c, 3, 5);
    let dir = tmpdir("untouched");
    train(&c, &mut data.clone(), &options(&dir, None), &Device::flex(), |_| {}).expect("first run");
    let before = snapshot(&dir);
    let names: Vec<_> =
        before.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["checkpoint.safetensors", "config.toml", "metrics.jsonl"]);
    // Resumed with another learning rate (config.toml would change) to step 6, failing at step 5.
    let mut more = c.clone();
    more.train.steps = 6;
    more.train.lr *= 2.0;
    let failing = FailsAfter { inner: data.clone(), left: 2 * c.train.batch_size };
    let opts = TrainOptions { resume: true, ..options(&dir, None) };
    let err = train(&more, &mut failing.clone(), &opts, &Device::flex(), |_| {}).expect_err("fails");
    assert!(err.to_string().contains("shard 7 went bad"), "{err}");
    assert_eq!(snapshot(&dir), before, "a failed resume changes nothing");
    // A fresh run replacing it (train --overwrite) that fails at its third step: the same.
    let err = train(&more, &mut failing.clone(), &options(&dir, None), &Device::flex(), |_| {}).err();
    assert!(err.is_some());
    assert_eq!(snapshot(&dir), before, "a failed replacement changes nothing");
    // Into a new folder: nothing is created.
    let new = dir.join("never");
    assert!(train(&more, &mut failing.clone(), &options(&new, None), &Device::flex(), |_| {}).is_err());
    assert!(!new.exists());
    // The resume that succeeds writes the new config, the log up to step 6, and its checkpoint.
    train(&more, &mut data.clone(), &opts, &Device::flex(), |_| {}).expect("resume");
    let log = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("log");
    assert_eq!(log.lines().count(), 6, "{log}");
    let saved = Config::load(&dir.join("config.toml")).expect("config");
    assert_eq!(saved.train.lr, more.train.lr);
}

#[test]
fn a_time_limit_stops_early_and_the_best_weights_are_kept() {
    let _serial = serial();
    let mut c = tiny_with(16);
    c.train.batch_size = 2;
    c.train.steps = 10_000;
    c.train.val_every = 4;
    c.train.checkpoint_every = 0;
    let dir = tmpdir("timelimit");
    let opts = TrainOptions {
        time_limit: Some(std::time::Duration::from_millis(1)),
        ..options(&dir, Some(toy_face()))
    };
    let data = source(&c, 3, 9);
    let summary = train(&c, &mut data.clone(), &opts, &Device::flex(), |_| {}).expect("train");
    assert!(summary.timed_out);
    assert_eq!(summary.step, 1, "a 1 ms budget ends after the first step");
    let (best, val) = summary.best.clone().expect("validated at the stop");
    assert!(val.is_finite() && best.exists() && summary.checkpoint.exists());
    // The best file is an inference checkpoint: no optimiser state, loads as a generator.
    let ck = Checkpoint::read(&best).expect("best");
    assert!(ck.optimizer.is_none());
    assert_eq!(ck.meta.step, 1);
    Generator::load(&best, &Device::flex()).expect("best loads as a generator");
    // Resuming without a limit runs on; validation at step 4 and 8 only replaces the best
    // file when it improves.
    let mut more = c.clone();
    more.train.steps = 8;
    let opts = TrainOptions { resume: true, ..options(&dir, Some(toy_face())) };
    let summary = train(&more, &mut data.clone(), &opts, &Device::flex(), |_| {}).expect("resume");
    assert!(!summary.timed_out);
    assert_eq!(summary.step, 8);
    let log = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("log");
    let vals: Vec<(u64, f64)> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("row"))
        .filter_map(|r| Some((r["step"].as_u64()?, r.get("val_loss")?.as_f64()?)))
        .collect();
    assert_eq!(vals.iter().map(|v| v.0).collect::<Vec<_>>(), vec![1, 4, 8]);
    let (best_step, best_val) =
        vals.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)).expect("validation rows");
    let (_, v) = summary.best.expect("best");
    assert!((v as f64 - best_val).abs() < 1e-6);
    assert_eq!(Checkpoint::read(&dir.join("best.safetensors")).expect("best").meta.step, best_step as usize);
    let _ = std::fs::remove_dir_all(dir);
}

/// A source whose second data set must never be touched (ratio 0).
struct Guarded(VecSource);
impl duologue_model::BatchSource for Guarded {
    fn num_sources(&self) -> usize {
        2
    }
    fn len(&self, source: usize) -> usize {
        if source == 0 {
            self.0.len(0)
        } else {
            5
        }
    }
    fn clip(&mut self, source: usize, index: usize) -> Result<Clip, duologue_model::ModelError> {
        if source == 1 {
            return Err(duologue_model::ModelError::Data("source 1 has ratio 0".into()));
        }
        self.0.clip(0, index)
    }
    fn validation(&mut self) -> Result<Vec<Clip>, duologue_model::ModelError> {
        self.0.validation()
    }
}

#[test]
fn stage_two_starts_from_stage_one_and_ratios_pick_sources() {
    let _serial = serial();
    use duologue_model::BatchSource as _;
    let mut c = tiny_with(16);
    c.train.batch_size = 2;
    c.train.steps = 2;
    c.train.source_ratios = vec![1.0, 0.0];
    c.train.val_every = 2;
    let dir1 = tmpdir("stage1");
    let opts = options(&dir1, None);
    train(&c, &mut Guarded(source(&c, 2, 8)), &opts, &Device::flex(), |_| {})
        .expect("ratio 0 is never drawn");
    let log = std::fs::read_to_string(dir1.join("metrics.jsonl")).expect("log");
    assert!(log.contains("val_loss"), "validation loss is logged: {log}");
    c.train.source_ratios = vec![1.0, 1.0];
    assert!(train(&c, &mut Guarded(source(&c, 2, 8)), &opts, &Device::flex(), |_| {}).is_err());

    // Stage 2 with zero steps just re-saves the stage-1 weights under stage Two.
    let dir2 = tmpdir("stage2");
    let mut c2 = c.clone();
    c2.train.steps = 0;
    let ck1 = dir1.join("checkpoint.safetensors");
    let opts2 = TrainOptions { stage: Stage::Two, init_from: Some(ck1.clone()), ..options(&dir2, None) };
    let mut data = source(&c, 2, 8);
    assert_eq!(data.len(0), 2);
    train(&c2, &mut data, &opts2, &Device::flex(), |_| {}).expect("stage 2");
    let ck2 = Checkpoint::read(&dir2.join("checkpoint.safetensors")).expect("read");
    assert_eq!((ck2.meta.stage, ck2.meta.step), (Stage::Two, 0));
    let dev = Device::flex();
    let (g1, g2) = (
        Generator::load(&ck1, &dev).expect("g1"),
        Generator::load(&dir2.join("checkpoint.safetensors"), &dev).expect("g2"),
    );
    let k = clip(&mut Rng::new(1), &c);
    let input = SampleInput {
        audio: &k.audio,
        m_a: &k.m_a,
        m_b: &k.m_b,
        t0_a: k.t0_a,
        t0_b: k.t0_b,
        beta_a: &k.beta_a,
        beta_b: &k.beta_b,
        seed: 1,
        steps: 2,
        guidance: 2.5,
    };
    assert!(g1.sample(&input).expect("s1") == g2.sample(&input).expect("s2"));
    let _ = (std::fs::remove_dir_all(dir1), std::fs::remove_dir_all(dir2));
}

#[test]
fn data_parallel_split_matches_one_device() {
    let _serial = serial();
    let mut c = tiny_with(16);
    c.train.batch_size = 3;
    c.train.steps = 3;
    c.train.val_every = 0;
    c.train.checkpoint_every = 0;
    let data = source(&c, 4, 13);
    let run = |extra: Vec<Device>| {
        let dir = tmpdir(&format!("dp{}", extra.len()));
        let opts = TrainOptions { extra_devices: extra, ..options(&dir, Some(toy_face())) };
        let mut losses = Vec::new();
        train(&c, &mut data.clone(), &opts, &Device::flex(), |p| losses.push(p.loss)).expect("train");
        let _ = std::fs::remove_dir_all(dir);
        losses
    };
    let one = run(vec![]);
    let two = run(vec![Device::flex()]);
    for (a, b) in one.iter().zip(&two) {
        assert!((a - b).abs() <= 1e-4 * a.abs(), "{one:?} vs {two:?}");
    }
}
