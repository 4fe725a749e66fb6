//! Checkpoints (DESIGN.md §6): one safetensors file holding the weights (`model.*`), the EMA
//! weights (`ema.*`), the optimiser state (`optimizer`, burn's burnpack bytes as U8), and in
//! its metadata the full TOML config, step, stage and RNG state. Written atomically (a
//! temporary file, then a rename). Parameter ids are kept too: burn's optimiser state is keyed by them, so a resumed
//! run must give the loaded parameters their old ids.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::prelude::*;
use safetensors::{tensor::TensorView, Dtype, SafeTensors};

use crate::config::Config;
use crate::losses::Stage;
use crate::ModelError;

/// Format tag stored in the metadata.
pub const FORMAT: &str = "duologue-model/1";

/// Everything besides tensors that a checkpoint records.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointMeta {
    /// The configuration the weights belong to.
    pub config: Config,
    /// Optimiser steps done.
    pub step: usize,
    /// Training stage.
    pub stage: Stage,
    /// Training RNG state after `step` steps.
    pub rng: [u64; 4],
}

/// Collects `(path, id, data)` of every float parameter.
struct Collect {
    path: Vec<String>,
    out: Vec<(String, ParamId, TensorData)>,
}

impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.out.push((self.path.join("."), param.id, param.val().into_data()));
    }
}

/// Replaces parameters by path from a table.
struct Load<'a> {
    path: Vec<String>,
    table: &'a HashMap<String, (Vec<usize>, Vec<f32>)>,
    ids: Option<&'a HashMap<String, u64>>,
    errors: Vec<String>,
    loaded: usize,
}

impl ModuleMapper for Load<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = self.path.join(".");
        let Some((shape, values)) = self.table.get(&name) else {
            self.errors.push(format!("missing tensor {name}"));
            return param;
        };
        let want = param.lazy_shape().dims::<D>().to_vec();
        if *shape != want {
            self.errors.push(format!("{name}: shape {shape:?}, model has {want:?}"));
            return param;
        }
        let device = param.lazy_device();
        let id = self.ids.and_then(|m| m.get(&name)).map_or(param.id, |&v| ParamId::from(v));
        self.loaded += 1;
        let t = Tensor::<D>::from_data(TensorData::new(values.clone(), shape.clone()), &device);
        param.transform_for_load(t, id)
    }
}

/// Float parameters of a module as `(path, id, data)`, in visiting order.
pub fn parameters<M: Module>(module: &M) -> Vec<(String, ParamId, TensorData)> {
    let mut c = Collect { path: Vec::new(), out: Vec::new() };
    module.visit(&mut c);
    c.out
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let io = |source| ModelError::Io { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    duologue_params::atomic::write(path, bytes).map_err(io)
}

/// Most frames per window a checkpoint may ask for (80 s; the paper's is 250).
pub const MAX_FRAMES: usize = 2000;

/// Whether the weights a checkpoint holds can be those of its configuration, checked before a
/// network of that configuration is built: a forged or damaged config (width 10^9) must not
/// make a loader allocate what the file does not hold. The network's size is bounded by its
/// weights: `cond2.bias` has `width` values, and the decoder's two convolutions per sub-block
/// alone hold `2 width^2 kernel` floats each sub-block.
fn plausible(
    c: &crate::config::ModelConfig,
    model: &HashMap<String, (Vec<usize>, Vec<f32>)>,
) -> Result<(), String> {
    c.validate().map_err(|e| e.to_string())?;
    if c.frames > MAX_FRAMES {
        return Err(format!("frames {} is past the {MAX_FRAMES} a window may have", c.frames));
    }
    if model.is_empty() {
        return Err("holds no model weights".into());
    }
    match model.get("cond2.bias") {
        Some((shape, _)) if shape[..] == [c.width] => {}
        Some((shape, _)) => {
            return Err(format!("cond2.bias has shape {shape:?}, the config's width is {}", c.width))
        }
        None => return Err("has no cond2.bias (not a duologue network)".into()),
    }
    let held: usize = model.values().map(|(_, v)| v.len()).sum();
    let needed = (c.blocks * c.sub_blocks * 2 * c.kernel) as u128 * (c.width as u128).pow(2);
    if needed > held as u128 {
        return Err(format!(
            "its config needs at least {needed} weights, the file holds {held} (config and weights disagree)"
        ));
    }
    Ok(())
}

/// Saves a checkpoint. `ema` and `optimizer` (burnpack bytes) are optional.
pub fn save<M: Module>(
    path: &Path,
    model: &M,
    ema: Option<&M>,
    optimizer: Option<&[u8]>,
    meta: &CheckpointMeta,
) -> Result<(), ModelError> {
    let bad = |reason: String| ModelError::Checkpoint { path: path.to_path_buf(), reason };
    let mut owned: Vec<(String, Vec<usize>, Vec<u8>, Dtype)> = Vec::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    for (prefix, m) in [("model", Some(model)), ("ema", ema)] {
        let Some(m) = m else { continue };
        for (name, id, data) in parameters(m) {
            let v = data.try_to_vec::<f32>().map_err(|e| bad(format!("{name}: {e:?}")))?;
            if prefix == "model" {
                ids.insert(name.clone(), id.val());
            }
            owned.push((format!("{prefix}.{name}"), data.shape().to_vec(), f32_bytes(&v), Dtype::F32));
        }
    }
    if let Some(o) = optimizer {
        owned.push(("optimizer".into(), vec![o.len()], o.to_vec(), Dtype::U8));
    }
    let views = owned
        .iter()
        .map(|(n, s, b, d)| TensorView::new(*d, s.clone(), b).map(|v| (n.clone(), v)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let mut md = HashMap::new();
    md.insert("format".to_string(), FORMAT.to_string());
    md.insert("config".to_string(), meta.config.to_toml()?);
    md.insert("step".to_string(), meta.step.to_string());
    md.insert("stage".to_string(), serde_json::to_string(&meta.stage).map_err(|e| bad(e.to_string()))?);
    md.insert("rng".to_string(), serde_json::to_string(&meta.rng).map_err(|e| bad(e.to_string()))?);
    md.insert("param_ids".to_string(), serde_json::to_string(&ids).map_err(|e| bad(e.to_string()))?);
    let bytes = safetensors::serialize(views, Some(md)).map_err(|e| bad(e.to_string()))?;
    write_atomic(path, &bytes)
}

/// A checkpoint read into memory.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Where it came from (for messages).
    pub path: PathBuf,
    /// Metadata.
    pub meta: CheckpointMeta,
    model: HashMap<String, (Vec<usize>, Vec<f32>)>,
    ema: HashMap<String, (Vec<usize>, Vec<f32>)>,
    ids: HashMap<String, u64>,
    /// Optimiser state (burnpack bytes), if saved.
    pub optimizer: Option<Vec<u8>>,
}

/// Which weights to load from a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// The raw training weights.
    Model,
    /// The EMA weights (falls back to the raw ones when the checkpoint has none).
    Ema,
}

impl Checkpoint {
    /// Reads and parses a checkpoint file.
    pub fn read(path: &Path) -> Result<Self, ModelError> {
        let bytes =
            std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses a checkpoint held in memory, e.g. one embedded in the binary with
    /// `include_bytes!`; `label` stands in for the file name in errors and in [`Checkpoint::path`].
    pub fn from_bytes(bytes: &[u8], label: impl AsRef<Path>) -> Result<Self, ModelError> {
        let path = label.as_ref();
        let bad = |reason: String| ModelError::Checkpoint { path: path.to_path_buf(), reason };
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let md = header.metadata().clone().unwrap_or_default();
        let get = |k: &str| md.get(k).ok_or_else(|| bad(format!("metadata has no '{k}'")));
        if get("format")? != FORMAT {
            return Err(bad(format!("format is not {FORMAT}")));
        }
        let config = Config::from_toml(get("config")?).map_err(|e| bad(e.to_string()))?;
        let step = get("step")?.parse().map_err(|_| bad("bad step".into()))?;
        let stage = serde_json::from_str(get("stage")?).map_err(|e| bad(e.to_string()))?;
        let rng = serde_json::from_str(get("rng")?).map_err(|e| bad(e.to_string()))?;
        let ids = serde_json::from_str(get("param_ids")?).map_err(|e| bad(e.to_string()))?;
        let st = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let (mut model, mut ema, mut optimizer) = (HashMap::new(), HashMap::new(), None);
        for (name, view) in st.iter() {
            if name == "optimizer" {
                optimizer = Some(view.data().to_vec());
                continue;
            }
            if view.dtype() != Dtype::F32 {
                return Err(bad(format!("{name} is not F32")));
            }
            let v: Vec<f32> =
                view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            // A diverged or corrupted run's weights are refused here, naming the file and the
            // tensor, not later as non-finite samples.
            if let Some(at) = v.iter().position(|x| !x.is_finite()) {
                return Err(bad(format!(
                    "{name} holds {} at index {at} (a diverged or damaged checkpoint)",
                    v[at]
                )));
            }
            let entry = (view.shape().to_vec(), v);
            if let Some(n) = name.strip_prefix("model.") {
                model.insert(n.to_string(), entry);
            } else if let Some(n) = name.strip_prefix("ema.") {
                ema.insert(n.to_string(), entry);
            }
        }
        plausible(&config.model, &model).map_err(bad)?;
        Ok(Self {
            path: path.to_path_buf(),
            meta: CheckpointMeta { config, step, stage, rng },
            model,
            ema,
            ids,
            optimizer,
        })
    }

    /// This checkpoint as weights for `to`, a network that differs from the saved one only in
    /// what its per-frame conditioning c(k) carries: `gated_audio` switched on, other audio
    /// features (`features` and `audio_dim`), and/or `facing_relative` switched either way.
    ///
    /// c(k) is a row of blocks (see [`cond_blocks`]); `cond1`'s input rows and `input`'s input
    /// channels follow it. Every block `to` has in common with the saved network (same content,
    /// same width) keeps its weights; a new block (the gated audio, or any audio block when the
    /// features change) gets zero weights, so the adapted network computes exactly what the
    /// saved one does without those inputs until training moves them. The optimiser state is
    /// dropped (its moments have the old shapes). `facing_relative` changes what the neck-yaw
    /// output means, not any shape. Anything else (width, depth, heads, roles...) is an error.
    pub fn widened_to(mut self, to: &crate::config::ModelConfig) -> Result<Self, ModelError> {
        let from = self.meta.config.model.clone();
        let like = crate::config::ModelConfig {
            gated_audio: to.gated_audio,
            facing_relative: to.facing_relative,
            features: to.features.clone(),
            audio_dim: to.audio_dim,
            ..from.clone()
        };
        if like != *to || (from.gated_audio && !to.gated_audio) || from == *to {
            return Err(ModelError::Config(format!(
                "{} has another model config (only switching gated_audio on, changing the audio \
                 features or switching facing_relative can be initialised from it)",
                self.path.display()
            )));
        }
        self.optimizer = None;
        self.meta.config.model = to.clone();
        let (old, new) = (cond_blocks(&from), cond_blocks(to));
        if old == new {
            return Ok(self);
        }
        // Where each new input row comes from: an old row, or none (zero weights).
        let mut source = Vec::with_capacity(to.cond_dim());
        for (what, width) in &new {
            let mut at = 0;
            let found = old.iter().find_map(|(w, n)| {
                let here = at;
                at += n;
                (w == what && n == width).then_some(here)
            });
            source.extend((0..*width).map(|i| found.map(|start| start + i)));
        }
        let bad = |reason: String| ModelError::Checkpoint { path: self.path.clone(), reason };
        for table in [&mut self.model, &mut self.ema] {
            if table.is_empty() {
                continue;
            }
            // Linear weights are [in, out]: one row per c(k) entry.
            let (shape, values) =
                table.get_mut("cond1.weight").ok_or_else(|| bad("no cond1.weight".into()))?;
            let out = shape[1];
            if shape[0] != from.cond_dim() {
                return Err(bad(format!("cond1.weight has {} inputs, not {}", shape[0], from.cond_dim())));
            }
            let mut rows = Vec::with_capacity(source.len() * out);
            gather_rows(values, out, &source, &mut rows);
            *values = rows;
            shape[0] = source.len();
            // Conv1d weights are [out, in, kernel], the input being [x (X_DIM) | c(k)].
            let (shape, values) =
                table.get_mut("input.weight").ok_or_else(|| bad("no input.weight".into()))?;
            let (out, inp, k) = (shape[0], shape[1], shape[2]);
            if inp != duologue_params::X_DIM + from.cond_dim() {
                return Err(bad(format!("input.weight has {inp} input channels")));
            }
            let mut wide = Vec::with_capacity(out * (duologue_params::X_DIM + source.len()) * k);
            for row in values.chunks_exact(inp * k) {
                wide.extend_from_slice(&row[..duologue_params::X_DIM * k]);
                gather_rows(&row[duologue_params::X_DIM * k..], k, &source, &mut wide);
            }
            *values = wide;
            shape[1] = duologue_params::X_DIM + source.len();
        }
        Ok(self)
    }

    /// Loads weights into `module` (which must have this checkpoint's architecture).
    /// `keep_ids` gives the parameters their saved ids (needed to resume the optimiser).
    pub fn load_into<M: Module>(&self, module: M, which: Weights, keep_ids: bool) -> Result<M, ModelError> {
        let table = match which {
            Weights::Ema if !self.ema.is_empty() => &self.ema,
            _ => &self.model,
        };
        let mut l = Load {
            path: Vec::new(),
            table,
            ids: keep_ids.then_some(&self.ids),
            errors: Vec::new(),
            loaded: 0,
        };
        let m = module.map(&mut l);
        if !l.errors.is_empty() || l.loaded != table.len() {
            let mut reason = l.errors.join("; ");
            if l.loaded != table.len() {
                reason.push_str(&format!(" (loaded {} of {} tensors)", l.loaded, table.len()));
            }
            return Err(ModelError::Checkpoint { path: self.path.clone(), reason });
        }
        Ok(m)
    }
}

/// Appends to `out`, for each entry of `source`, row `r` (`width` values) of the row-major
/// `rows` where it is `Some(r)`, or `width` zeros where it is `None`.
fn gather_rows(rows: &[f32], width: usize, source: &[Option<usize>], out: &mut Vec<f32>) {
    for s in source {
        match s {
            Some(r) => out.extend_from_slice(&rows[r * width..(r + 1) * width]),
            None => out.resize(out.len() + width, 0.0),
        }
    }
}

/// The blocks of one stream's c(k), in order, as (what it carries, width); the audio blocks are
/// named by the features they carry, so blocks of two configs match only when they hold the
/// same thing. Must follow `DuoNet::conditioning`.
fn cond_blocks(c: &crate::config::ModelConfig) -> Vec<(String, usize)> {
    let audio = |what: &str| (format!("{what} ({})", c.features), c.audio_dim);
    let mut blocks = vec![
        audio("audio"),
        ("present, roles, masks, t(0), beta".into(), c.cond_dim() - c.audio_dim - c.gated_dim()),
    ];
    if c.gated_dim() > 0 {
        blocks.extend([audio("audio * m_self"), audio("audio * m_partner")]);
    }
    blocks
}
