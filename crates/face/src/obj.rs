//! Wavefront OBJ output, for looking at the head in any 3D viewer while developing.

use crate::FaceError;
use std::io::Write;
use std::path::Path;

/// Writes vertices and triangles as an OBJ file (1-based indices, winding kept).
pub fn write_obj(path: &Path, vertices: &[[f32; 3]], triangles: &[[u32; 3]]) -> Result<(), FaceError> {
    let io = |source| FaceError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    for v in vertices {
        writeln!(w, "v {} {} {}", v[0], v[1], v[2]).map_err(io)?;
    }
    for t in triangles {
        writeln!(w, "f {} {} {}", t[0] + 1, t[1] + 1, t[2] + 1).map_err(io)?;
    }
    w.flush().map_err(io)
}
