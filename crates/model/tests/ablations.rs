//! The paper's Table 3 ablation switches (§4.3, Table 3): `model.cross_attention`,
//! `model.role_embedding` and `train.loss.gaze = 0` do remove what they name, and configs and
//! checkpoints written before the switches existed still load as the full model.

use duologue_model::burn::prelude::*;
use duologue_model::checkpoint::{self, parameters};
use duologue_model::diffusion::Rng;
use duologue_model::losses::{losses, Stage};
use duologue_model::{make_batch, Checkpoint, CheckpointMeta, Clip, Config, DuoNet, Weights};
use duologue_params::X_DIM;

mod common;
use common::{max_diff, serial, values};

const FRAMES: usize = 16;

/// configs/tiny.toml (which predates the switches) with a short window and small audio.
fn tiny() -> Config {
    common::tiny_with(FRAMES)
}

fn clip(rng: &mut Rng, c: &Config) -> Clip {
    common::random_clip(rng, c)
}

fn noise(rng: &mut Rng, dev: &Device) -> Tensor<3> {
    common::noise(rng, FRAMES, dev)
}

/// One stream's predictions for two inputs.
type Pair = (Vec<f32>, Vec<f32>);

/// A's and B's predictions for two different noisy inputs of A (same B, same conditioning).
fn outputs_when_a_changes(c: &Config) -> (Pair, Pair) {
    let dev = Device::flex();
    dev.seed(7);
    let net = DuoNet::new(&c.model, &dev);
    let mut rng = Rng::new(8);
    let cond = make_batch(&[clip(&mut rng, c)], &[false], &c.model, &dev).expect("batch").cond;
    let t = Tensor::<1>::from_floats([0.5f32].as_slice(), &dev);
    let (za1, za2, zb) = (noise(&mut rng, &dev), noise(&mut rng, &dev), noise(&mut rng, &dev));
    let (a1, b1) = net.forward(za1, zb.clone(), t.clone(), &cond);
    let (a2, b2) = net.forward(za2, zb, t, &cond);
    ((values(a1), values(a2)), (values(b1), values(b2)))
}

#[test]
fn without_cross_attention_b_ignores_a_motion() {
    let _serial = serial();
    let mut c = tiny();
    // Default: B attends to A in the decoder, so A's noisy motion moves B's prediction.
    let ((a1, a2), (b1, b2)) = outputs_when_a_changes(&c);
    assert!(max_diff(&a1, &a2) > 1e-3, "A's own output follows A's input");
    assert!(max_diff(&b1, &b2) > 1e-4, "with cross-attention B depends on A: {}", max_diff(&b1, &b2));

    c.model.cross_attention = false;
    let ((a1, a2), (b1, b2)) = outputs_when_a_changes(&c);
    assert!(max_diff(&a1, &a2) > 1e-3, "A's own output still follows A's input");
    assert_eq!(b1, b2, "without cross-attention B's output is bit-identical");
}

/// The prediction for the same inputs under the clip's masks and under other masks.
fn outputs_when_masks_change(c: &Config) -> (Vec<f32>, Vec<f32>) {
    let dev = Device::flex();
    dev.seed(9);
    let net = DuoNet::new(&c.model, &dev);
    let mut rng = Rng::new(10);
    let k = clip(&mut rng, c);
    let mut other = k.clone();
    other.m_a = vec![1.0; FRAMES];
    other.m_b = (0..FRAMES).map(|i| i as f32 / FRAMES as f32).collect();
    let batch = make_batch(&[k, other], &[false, false], &c.model, &dev).expect("batch");
    let t = Tensor::<1>::from_floats([0.3f32, 0.3].as_slice(), &dev);
    let (za, zb) = (noise(&mut rng, &dev), noise(&mut rng, &dev));
    // The same noisy inputs for both clips, so only the masks differ between the two rows.
    let (za, zb) = (Tensor::cat(vec![za.clone(), za], 0), Tensor::cat(vec![zb.clone(), zb], 0));
    let (ya, yb) = net.forward(za, zb, t, &batch.cond);
    let row = |y: Tensor<3>, i: usize| values(y.narrow(0, i, 1));
    let first = [row(ya.clone(), 0), row(yb.clone(), 0)].concat();
    let second = [row(ya, 1), row(yb, 1)].concat();
    (first, second)
}

#[test]
fn without_role_embedding_masks_have_no_effect() {
    let _serial = serial();
    let mut c = tiny();
    let (y1, y2) = outputs_when_masks_change(&c);
    assert!(max_diff(&y1, &y2) > 1e-4, "by default the masks steer both outputs");

    c.model.role_embedding = false;
    let (y1, y2) = outputs_when_masks_change(&c);
    assert_eq!(y1, y2, "without role embeddings the masks cannot reach the network");
    // And the network really has no role parameters or mask inputs.
    let dev = Device::flex();
    let names: Vec<String> = parameters(&DuoNet::new(&c.model, &dev)).into_iter().map(|p| p.0).collect();
    assert!(!names.iter().any(|n| n.starts_with("e_speak") || n.starts_with("e_listen")), "{names:?}");
    assert_eq!(c.model.cond_dim(), tiny().model.cond_dim() - 2 * c.model.role_dim - 2);
}

#[test]
fn configs_without_the_switches_are_the_full_model() {
    let _serial = serial();
    let c = tiny();
    assert!(c.model.cross_attention && c.model.role_embedding && c.train.ablations.is_empty());
    let bare = Config::from_toml("[model]\nwidth = 32\ngroups = 8\nheads = 4\n").expect("parse");
    assert!(bare.model.cross_attention && bare.model.role_embedding);
    let off = Config::from_toml(
        "[model]\ncross_attention = false\nrole_embedding = false\n[train]\nablations = [\"no-cross-attn\"]\n",
    )
    .expect("parse");
    assert!(!off.model.cross_attention && !off.model.role_embedding);
    assert_eq!(Config::from_toml(&off.to_toml().expect("toml")).expect("reparse"), off);
    assert!(Config::from_toml("[model]\ncross_attn = false\n").is_err(), "misspellings are still refused");
}

/// Removes the lines that set `keys` from a TOML text (what a config written before they existed
/// looks like).
fn strip_keys(toml: &str, keys: &[&str]) -> String {
    toml.lines()
        .filter(|l| !keys.iter().any(|k| l.trim_start().starts_with(&format!("{k} ="))))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn checkpoints_keep_their_architecture_and_old_ones_still_load() {
    let _serial = serial();
    let dev = Device::flex();
    let dir = std::env::temp_dir().join(format!("duologue-ablations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut rng = Rng::new(12);

    // An ablated network round-trips: the config in the metadata rebuilds the same architecture.
    let mut c = tiny();
    c.model.cross_attention = false;
    c.model.role_embedding = false;
    c.train.ablations = vec!["no-cross-attn".into(), "no-role".into()];
    dev.seed(1);
    let net = DuoNet::new(&c.model, &dev);
    let full = DuoNet::new(&tiny().model, &dev);
    assert!(parameters(&net).len() < parameters(&full).len());
    let path = dir.join("ablated.safetensors");
    let meta = CheckpointMeta { config: c.clone(), step: 3, stage: Stage::One, rng: [1, 2, 3, 4] };
    checkpoint::save(&path, &net, None, None, &meta).expect("save");
    let ck = Checkpoint::read(&path).expect("read");
    assert_eq!(ck.meta.config, c);
    let loaded = ck.load_into(DuoNet::new(&ck.meta.config.model, &dev), Weights::Model, false).expect("load");
    let cond = make_batch(&[clip(&mut rng, &c)], &[false], &c.model, &dev).expect("batch").cond;
    let t = Tensor::<1>::from_floats([0.5f32].as_slice(), &dev);
    let (za, zb) = (noise(&mut rng, &dev), noise(&mut rng, &dev));
    let y = |m: &DuoNet| values(m.forward(za.clone(), zb.clone(), t.clone(), &cond).1);
    assert_eq!(y(&net), y(&loaded));
    assert!(ck.load_into(DuoNet::new(&tiny().model, &dev), Weights::Model, false).is_err());

    // A full-model checkpoint whose metadata predates the switches: same tensors, config TOML
    // without the new keys. It must load as the full model.
    let old_path = dir.join("old.safetensors");
    let full_meta = CheckpointMeta { config: tiny(), step: 1, stage: Stage::One, rng: [0; 4] };
    checkpoint::save(&old_path, &full, None, None, &full_meta).expect("save");
    let bytes = std::fs::read(&old_path).expect("read");
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).expect("header");
    let mut md = header.metadata().clone().expect("metadata");
    let new_toml = md["config"].clone();
    let old_toml = strip_keys(&new_toml, &["cross_attention", "role_embedding", "ablations"]);
    assert_ne!(old_toml, new_toml, "the new keys were in the metadata");
    md.insert("config".into(), old_toml);
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("tensors");
    let old = safetensors::serialize(st.tensors(), Some(md)).expect("serialise");
    std::fs::write(&old_path, old).expect("write");
    let ck = Checkpoint::read(&old_path).expect("old checkpoint reads");
    assert!(ck.meta.config.model.cross_attention && ck.meta.config.model.role_embedding);
    let loaded = ck.load_into(DuoNet::new(&ck.meta.config.model, &dev), Weights::Model, false).expect("load");
    let cond = make_batch(&[clip(&mut rng, &tiny())], &[false], &tiny().model, &dev).expect("batch").cond;
    let y = |m: &DuoNet| values(m.forward(za.clone(), zb.clone(), t.clone(), &cond).0);
    assert_eq!(y(&full), y(&loaded));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_zero_gaze_weight_removes_the_gaze_term() {
    let _serial = serial();
    let c = tiny();
    let dev = Device::flex();
    let mut rng = Rng::new(13);
    let clips = vec![clip(&mut rng, &c), clip(&mut rng, &c)];
    let batch = make_batch(&clips, &[false, false], &c.model, &dev).expect("batch");
    let pred = |rng: &mut Rng| {
        Tensor::<3>::from_data(TensorData::new(rng.normals(2 * FRAMES * X_DIM), [2, FRAMES, X_DIM]), &dev)
    };
    let (pa, pb) = (pred(&mut rng), pred(&mut rng));
    let run = |gaze: f32| {
        let mut w = c.train.loss;
        w.gaze = gaze;
        losses(pa.clone(), pb.clone(), &batch, Stage::One, &w, c.model.scale, None)
    };
    let term = |t: &duologue_model::LossTerms, name: &str| {
        t.terms.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone().into_scalar::<f32>())
    };
    let total = |t: &duologue_model::LossTerms| t.total.clone().into_scalar::<f32>();
    let (on, off) = (run(c.train.loss.gaze), run(0.0));
    let gaze = term(&on, "gaze").expect("gaze term with weight 5");
    assert!(gaze > 1e-3, "random predictions look elsewhere: {gaze}");
    assert_eq!(term(&off, "gaze"), None, "weight 0: no gaze term at all");
    assert!((total(&on) - gaze - total(&off)).abs() < 1e-4 * total(&on));
}
