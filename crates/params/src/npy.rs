//! Minimal `.npy` (NumPy array file, format versions 1.0–3.0) reading and writing.
//!
//! Only what duologue stores: little- or big-endian float32/float64 and integer arrays in C
//! order, read into `f32`. Written arrays are always little-endian `<f4`, version 1.0, which every
//! numpy reads.

use crate::ParamsError;

const MAGIC: &[u8] = b"\x93NUMPY";

/// A decoded array: its shape and its values in C (row-major) order, as `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// Dimensions, outermost first; empty for a scalar.
    pub shape: Vec<usize>,
    /// `shape.iter().product()` values in C order.
    pub data: Vec<f32>,
}

impl Array {
    /// An array from a shape and matching data.
    ///
    /// # Panics
    /// Never with data whose length matches; callers build arrays from their own shapes.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Self { shape, data }
    }

    /// A zero-dimensional array holding one value.
    pub fn scalar(v: f32) -> Self {
        Self { shape: vec![], data: vec![v] }
    }
}

/// Serialise `array` as a version 1.0 `.npy` file with dtype `<f4`.
pub fn write(array: &Array) -> Vec<u8> {
    let shape = match array.shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", array.shape[0]),
        _ => format!("({})", array.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    // Total preamble (magic 6 + version 2 + len 2 + header + '\n') is padded to 64 bytes.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + array.data.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in &array.data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// The element types [`read`] accepts.
#[derive(Debug, Clone, Copy)]
enum Dtype {
    F32,
    F64,
    I32,
    I64,
    U8,
    Bool,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::F32 | Dtype::I32 => 4,
            Dtype::F64 | Dtype::I64 => 8,
            Dtype::U8 | Dtype::Bool => 1,
        }
    }
}

/// Parse a `.npy` file. `what` names the file or member for error messages.
pub fn read(bytes: &[u8], what: &str) -> Result<Array, ParamsError> {
    let bad = |reason: String| ParamsError::Npy { what: what.to_string(), reason };
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("not a .npy file (bad magic)".into()));
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(bad("truncated header".into()));
            }
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        v => return Err(bad(format!("unsupported .npy version {v}"))),
    };
    let end = start.checked_add(header_len).filter(|&e| e <= bytes.len());
    let end = end.ok_or_else(|| bad("truncated header".into()))?;
    let header = std::str::from_utf8(&bytes[start..end]).map_err(|_| bad("header is not text".into()))?;
    let descr = dict_value(header, "descr").ok_or_else(|| bad("header has no 'descr'".into()))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let fortran =
        dict_value(header, "fortran_order").ok_or_else(|| bad("header has no 'fortran_order'".into()))?;
    if fortran.trim() != "False" {
        return Err(bad("Fortran-ordered arrays are not supported; save with np.ascontiguousarray".into()));
    }
    let shape_text = dict_value(header, "shape").ok_or_else(|| bad("header has no 'shape'".into()))?;
    let shape = parse_shape(shape_text).ok_or_else(|| bad(format!("cannot read shape {shape_text}")))?;
    let (big_endian, code) = match descr.as_bytes().first() {
        Some(b'<') | Some(b'|') | Some(b'=') => (false, &descr[1..]),
        Some(b'>') => (true, &descr[1..]),
        _ => (false, descr),
    };
    let dtype = match code {
        "f4" => Dtype::F32,
        "f8" => Dtype::F64,
        "i4" => Dtype::I32,
        "i8" => Dtype::I64,
        "u1" => Dtype::U8,
        "b1" => Dtype::Bool,
        other => return Err(bad(format!("unsupported dtype '{other}' (expected float32 or float64)"))),
    };
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad("shape too large".into()))?;
    let body = &bytes[end..];
    let need = count.checked_mul(dtype.size()).ok_or_else(|| bad("shape too large".into()))?;
    if body.len() < need {
        return Err(bad(format!(
            "truncated data: shape {shape:?} needs {need} bytes, file has {}",
            body.len()
        )));
    }
    let data = body[..need].chunks_exact(dtype.size()).map(|c| decode(c, dtype, big_endian)).collect();
    Ok(Array { shape, data })
}

fn decode(c: &[u8], dtype: Dtype, big: bool) -> f32 {
    macro_rules! num {
        ($t:ty, $n:expr) => {{
            let mut b = [0u8; $n];
            b.copy_from_slice(c);
            if big {
                <$t>::from_be_bytes(b)
            } else {
                <$t>::from_le_bytes(b)
            }
        }};
    }
    match dtype {
        Dtype::F32 => num!(f32, 4),
        Dtype::F64 => num!(f64, 8) as f32,
        Dtype::I32 => num!(i32, 4) as f32,
        Dtype::I64 => num!(i64, 8) as f32,
        Dtype::U8 | Dtype::Bool => c[0] as f32,
    }
}

/// The raw text of `key`'s value in a Python dict literal such as numpy writes.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let k1 = format!("'{key}'");
    let k2 = format!("\"{key}\"");
    let pos = header.find(&k1).map(|p| p + k1.len()).or_else(|| header.find(&k2).map(|p| p + k2.len()))?;
    let rest = header[pos..].trim_start().strip_prefix(':')?.trim_start();
    let end =
        if rest.starts_with('(') { rest.find(')')? + 1 } else { rest.find([',', '}']).unwrap_or(rest.len()) };
    Some(&rest[..end])
}

fn parse_shape(text: &str) -> Option<Vec<usize>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_shapes() {
        for shape in [vec![], vec![3], vec![2, 3], vec![2, 0, 4]] {
            let n = shape.iter().product();
            let a = Array::new(shape.clone(), (0..n).map(|i| i as f32 * 0.5 - 1.0).collect());
            let bytes = write(&a);
            // numpy requires the data to start on a 64-byte boundary in version 1.0 files.
            let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            assert_eq!((10 + header_len) % 64, 0);
            assert_eq!(read(&bytes, "t").unwrap(), a);
        }
    }

    #[test]
    fn reads_float64_and_big_endian() {
        let header = "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }";
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&1.5f64.to_be_bytes());
        bytes.extend_from_slice(&(-2.0f64).to_be_bytes());
        assert_eq!(read(&bytes, "t").unwrap().data, vec![1.5, -2.0]);
    }

    #[test]
    fn rejects_truncated_and_garbage() {
        let a = Array::new(vec![4, 4], vec![1.0; 16]);
        let bytes = write(&a);
        let err = read(&bytes[..bytes.len() - 3], "x.npy").unwrap_err().to_string();
        assert!(err.contains("x.npy") && err.contains("truncated"), "{err}");
        assert!(read(b"hello world", "y").is_err());
        assert!(read(&bytes[..12], "z").is_err());
    }
}
