//! Speed of the model on the CPU (flex backend): generation of one 10 s window (8 DDIM steps
//! with guidance = 16 network passes) and training throughput, for configs/paper.toml and
//! configs/cpu.toml. The PyTorch twin is bench/torch_model.py (same network, same numbers).
//!
//! `cargo bench -p duologue-model --bench model -- [paper|cpu ...] [--gen-reps N]
//! [--train-steps N] [--batch N] [--configs DIR] [--profile] [--velocity]`
//!
//! `--profile` adds, per config, the time of each part of one sampling pass and of one training
//! step ([`duologue_model::profile`] spans; the table in crates/model/README.md).

use std::path::PathBuf;
use std::time::Instant;

use duologue_face::FaceModel;
use duologue_model::burn::module::Module;
use duologue_model::burn::prelude::*;
use duologue_model::diffusion::Rng;
use duologue_model::losses::{FaceGeometry, Stage};
use duologue_model::profile;
use duologue_model::{train, Clip, Config, DuoNet, Generator, SampleInput, TrainOptions, VecSource};
use duologue_params::{N_ID, X_DIM};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Prints the recorded spans per call of the profiled work (`total` seconds over `runs` runs)
/// as a markdown table, with what fell outside every span.
fn print_profile(title: &str, total: f64, runs: usize) {
    let spans = profile::stop();
    let per = |d: f64| d / runs as f64 * 1e3;
    println!("{title}: {:.1} ms\n| part | ms | share | calls |\n|---|---|---|---|", per(total));
    let mut inside = 0.0;
    for (n, d, c) in &spans {
        let d = d.as_secs_f64();
        inside += d;
        println!("| {n} | {:.1} | {:.1}% | {} |", per(d), 100.0 * d / total, c / runs);
    }
    let rest = total - inside;
    println!(
        "| outside the spans (DDIM update, guidance, step loop) | {:.1} | {:.1}% | |",
        per(rest),
        100.0 * rest / total
    );
}

fn clip(rng: &mut Rng, c: &Config) -> Clip {
    let l = c.model.frames;
    Clip {
        x_a: rng.normals(l * X_DIM).iter().map(|x| x * 0.1).collect(),
        x_b: rng.normals(l * X_DIM).iter().map(|x| x * 0.1).collect(),
        beta_a: rng.normals(N_ID),
        beta_b: rng.normals(N_ID),
        t0_a: [-0.3, 0.0, 0.0],
        t0_b: [0.3, 0.0, 0.0],
        m_a: (0..l).map(|k| ((k / 25) % 2) as f32).collect(),
        m_b: (0..l).map(|k| (1 - (k / 25) % 2) as f32).collect(),
        audio: rng.normals(l * c.model.audio_dim),
        lip_reliable: false,
        gaze_reliable: true,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let profiling = args.iter().any(|a| a == "--profile");
    let mut names: Vec<&str> =
        args.iter().map(String::as_str).filter(|a| ["paper", "cpu", "tiny"].contains(a)).collect();
    if names.is_empty() {
        names = vec!["cpu", "paper"];
    }
    let configs = args
        .iter()
        .position(|a| a == "--configs")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs"));
    // `--device flex` (default) or, when built with `--features cuda` / `wgpu`, a GPU.
    let dev =
        match args.iter().position(|a| a == "--device").and_then(|i| args.get(i + 1)).map(String::as_str) {
            None | Some("flex") => Device::flex(),
            #[cfg(feature = "cuda")]
            Some("cuda") => Device::cuda(0),
            #[cfg(feature = "wgpu")]
            Some("wgpu") => Device::wgpu(Default::default()),
            Some(other) => panic!("device {other} not compiled into this bench (see the cuda/wgpu features)"),
        };
    for name in names {
        let mut c = Config::load(&configs.join(format!("{name}.toml"))).expect("config");
        c.model.frames = duologue_params::WINDOW;
        dev.seed(0);
        let net = DuoNet::new(&c.model, &dev);
        println!("[{name}] width {} params {}", c.model.width, net.num_params());
        let g = Generator::new(net, c.clone(), dev.clone());
        let mut rng = Rng::new(1);
        let k = clip(&mut rng, &c);
        let input = SampleInput {
            audio: &k.audio,
            m_a: &k.m_a,
            m_b: &k.m_b,
            t0_a: k.t0_a,
            t0_b: k.t0_b,
            beta_a: &k.beta_a,
            beta_b: &k.beta_b,
            seed: 0,
            steps: 8,
            guidance: 2.5,
        };
        let reps = flag("--gen-reps", 3);
        let _ = g.sample(&input).expect("warm-up sample");
        let times: Vec<f64> = (0..reps)
            .map(|_| {
                let s = Instant::now();
                let _ = g.sample(&input).expect("sample");
                s.elapsed().as_secs_f64()
            })
            .collect();
        let gen = median(times);
        println!("[{name}] burn generate 10 s (8 DDIM steps, guidance 2.5): median {gen:.3} s over {reps}");
        if profiling {
            profile::start();
            let s = Instant::now();
            let _ = g.sample(&input).expect("sample");
            print_profile(&format!("[{name}] profile: one 10 s window"), s.elapsed().as_secs_f64(), 1);
        }

        let steps = flag("--train-steps", 6);
        let batch = flag("--batch", 4);
        c.train.batch_size = batch;
        c.train.steps = steps;
        c.train.val_every = 0;
        c.train.checkpoint_every = 0;
        c.train.log_every = steps;
        let data =
            VecSource { sources: vec![(0..4).map(|_| clip(&mut rng, &c)).collect()], validation: vec![] };
        let dir = std::env::temp_dir().join(format!("duologue-bench-{name}-{}", std::process::id()));
        let opts = TrainOptions {
            run_dir: dir.clone(),
            stage: Stage::One,
            init_from: None,
            resume: false,
            // `--velocity`: the vertex-velocity loss through the face model, as `duologue train`
            // has it (the PyTorch twin's `--velocity` is the same computation; side_by_side.sh
            // passes it to both).
            face: args.iter().any(|a| a == "--velocity").then(|| {
                FaceGeometry::from_face_model(FaceModel::shared(), c.train.loss.velocity_vertices)
                    .expect("face geometry")
            }),
            extra_devices: vec![],
            time_limit: None,
        };
        let mut stamps = vec![Instant::now()];
        train(&c, &mut data.clone(), &opts, &dev, |p| {
            stamps.push(Instant::now());
            // Steps after the first (allocation warm-up) are profiled.
            if profiling && p.step == 1 {
                profile::start();
            }
        })
        .expect("train");
        let per_step: Vec<f64> = stamps.windows(2).skip(1).map(|w| (w[1] - w[0]).as_secs_f64()).collect();
        let t = median(per_step);
        println!(
            "[{name}] burn train step (batch {batch}, L 250, fwd+loss+bwd+AdamW+EMA): median {:.3} s = {:.2} samples/s",
            t,
            batch as f64 / t
        );
        if profiling && steps > 1 {
            let total = (stamps[stamps.len() - 1] - stamps[1]).as_secs_f64();
            print_profile(&format!("[{name}] profile: training step (batch {batch})"), total, steps - 1);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
