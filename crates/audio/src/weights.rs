//! Reading named tensors from safetensors files (the Hugging Face layout) into f32 vectors and
//! burn tensors, with shape checks that name the file and the tensor.

use crate::error::{AudioError, Result};
use burn::prelude::*;
use burn::tensor::TensorData;
use safetensors::{Dtype, SafeTensors};
use std::path::Path;

/// One tensor of a file: name, shape, f32 values.
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

/// A safetensors file held in memory.
#[derive(Debug)]
pub struct Weights {
    name: String,
    bytes: Vec<u8>,
}

impl Weights {
    /// Reads a file.
    pub fn open(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| AudioError::Weights { path: path.display().to_string(), msg: e.to_string() })?;
        Self::from_bytes(path.display().to_string(), bytes)
    }

    /// Wraps bytes (e.g. `include_bytes!`); `name` is used in error messages.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<Self> {
        SafeTensors::deserialize(&bytes)
            .map_err(|e| AudioError::Weights { path: name.clone(), msg: e.to_string() })?;
        Ok(Self { name, bytes })
    }

    fn err(&self, msg: String) -> AudioError {
        AudioError::Weights { path: self.name.clone(), msg }
    }

    /// Names of all tensors.
    pub fn names(&self) -> Vec<String> {
        SafeTensors::deserialize(&self.bytes)
            .map(|s| s.names().into_iter().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// True when the file holds `name`.
    pub fn contains(&self, name: &str) -> bool {
        SafeTensors::deserialize(&self.bytes).map(|s| s.tensor(name).is_ok()).unwrap_or(false)
    }

    /// Every tensor as (name, shape, f32 values), the file's header parsed once.
    pub fn all(&self) -> Result<Vec<NamedTensor>> {
        let st = SafeTensors::deserialize(&self.bytes).map_err(|e| self.err(e.to_string()))?;
        st.tensors()
            .into_iter()
            .map(|(name, t)| Ok((name.clone(), t.shape().to_vec(), self.values(&name, &t)?)))
            .collect()
    }

    /// Tensor `name` as f32 (f32/f16/bf16 stored), checked against `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let st = SafeTensors::deserialize(&self.bytes).map_err(|e| self.err(e.to_string()))?;
        let t = st.tensor(name).map_err(|_| self.err(format!("no tensor {name}")))?;
        if t.shape() != shape {
            return Err(self.err(format!("{name}: shape {:?}, expected {shape:?}", t.shape())));
        }
        self.values(name, &t)
    }

    /// A tensor's values as f32.
    fn values(&self, name: &str, t: &safetensors::tensor::TensorView<'_>) -> Result<Vec<f32>> {
        let d = t.data();
        let v: Vec<f32> = match t.dtype() {
            Dtype::F32 => d.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            Dtype::F16 => d.chunks_exact(2).map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]]))).collect(),
            Dtype::BF16 => d
                .chunks_exact(2)
                .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16))
                .collect(),
            other => return Err(self.err(format!("{name}: dtype {other:?} not supported"))),
        };
        Ok(v)
    }

    /// Tensor `name` as a burn tensor of rank `D` with shape `shape`.
    pub fn tensor<const D: usize>(
        &self,
        name: &str,
        shape: [usize; D],
        device: &Device,
    ) -> Result<Tensor<D>> {
        let v = self.get(name, &shape)?;
        Ok(Tensor::<D>::from_data(TensorData::new(v, shape), device))
    }
}

/// IEEE half -> f32.
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, f) => {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut f = f;
            while f & 0x400 == 0 {
                f <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((f & 0x3ff) << 13)
        }
        (0x1f, f) => sign | 0x7f80_0000 | (f << 13),
        (e, f) => sign | ((e + 127 - 15) << 23) | (f << 13),
    };
    f32::from_bits(bits)
}

/// A burn tensor's values as a flat f32 vector.
pub fn to_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| AudioError::Weights { path: "tensor".into(), msg: format!("{e:?}") })
}

#[cfg(test)]
mod tests {
    use super::f16_to_f32;

    #[test]
    fn half_floats_convert() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
    }
}
