//! `.npz` archives: a zip of `.npy` members, as `numpy.savez` writes and `numpy.load` reads.

use crate::npy::{self, Array};
use crate::ParamsError;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

/// Named arrays, sorted by name.
pub type Npz = BTreeMap<String, Array>;

/// Largest member we agree to inflate (bounded memory on hostile files): 4 GiB.
const MAX_MEMBER_BYTES: u64 = 4 << 30;

/// Read every `.npy` member of an `.npz` file.
pub fn read_npz(path: &Path) -> Result<Npz, ParamsError> {
    let io = |source| ParamsError::Io { path: path.into(), source };
    let bad = |reason: String| ParamsError::Npz { path: path.into(), reason };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Err(bad("file is empty".into()));
    }
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| bad(format!("not a readable .npz (zip) archive: {e}")))?;
    let mut out = Npz::new();
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| bad(format!("member {i}: {e}")))?;
        let name = member.name().map_err(|e| bad(format!("member {i}: {e}")))?.to_string();
        let Some(key) = name.strip_suffix(".npy") else { continue };
        if member.size() > MAX_MEMBER_BYTES {
            return Err(bad(format!("member {name} is too large ({} bytes)", member.size())));
        }
        let mut bytes = Vec::with_capacity(member.size() as usize);
        member
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("member {name} is truncated or corrupt: {e}")))?;
        let what = format!("{}: {name}", path.display());
        out.insert(key.to_string(), npy::read(&bytes, &what)?);
    }
    if out.is_empty() {
        return Err(bad("archive holds no .npy arrays".into()));
    }
    Ok(out)
}

/// Write named arrays as an `.npz` (deflate-compressed members), atomically
/// ([`crate::atomic::temp_beside`] then a rename), so a crash never leaves half a file.
pub fn write_npz(path: &Path, arrays: &Npz) -> Result<(), ParamsError> {
    let io = |source| ParamsError::Io { path: path.into(), source };
    let tmp = crate::atomic::temp_beside(path).map_err(io)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(tmp.as_file()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let zerr = |e: zip::result::ZipError| ParamsError::Npz { path: path.into(), reason: e.to_string() };
    for (name, array) in arrays {
        zip.start_file(format!("{name}.npy"), options).map_err(zerr)?;
        zip.write_all(&npy::write(array)).map_err(io)?;
    }
    zip.finish().map_err(zerr)?.flush().map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
