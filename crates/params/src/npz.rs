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
/// Members that inflate to more than this may not be compressed more than [`MAX_RATIO`]:1.
const BOMB_FLOOR: u64 = 64 << 20;
/// Largest compression ratio accepted above [`BOMB_FLOOR`]: motion, masks and audio features
/// compress 1-5:1; a member inflating 100 times its stored size past 64 MiB is a zip bomb.
const MAX_RATIO: u64 = 100;
/// Bytes inflated per read (the member's buffer grows by what actually arrives, never by what a
/// header promises).
const CHUNK: usize = 1 << 16;

/// Read every `.npy` member of an `.npz` file.
pub fn read_npz(path: &Path) -> Result<Npz, ParamsError> {
    read_members(path, None)
}

/// Read only the named `.npy` members (names without `.npy`); the others are skipped without
/// being inflated. Names not in the archive are simply absent from the result.
pub fn read_npz_only(path: &Path, names: &[&str]) -> Result<Npz, ParamsError> {
    read_members(path, Some(names))
}

fn read_members(path: &Path, wanted: Option<&[&str]>) -> Result<Npz, ParamsError> {
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
        if wanted.is_some_and(|w| !w.contains(&key)) {
            continue;
        }
        let bytes = inflate(&mut member, &name).map_err(bad)?;
        let what = format!("{}: {name}", path.display());
        out.insert(key.to_string(), npy::read(&bytes, &what)?);
    }
    if out.is_empty() {
        return Err(bad("archive holds no .npy arrays".into()));
    }
    Ok(out)
}

/// One member's bytes, refusing sizes past [`MAX_MEMBER_BYTES`], more bytes than its header
/// declares, and ratios past [`MAX_RATIO`]:1 above [`BOMB_FLOOR`] (checked from the header
/// first, then on the bytes as they inflate, so a lying header costs at most its own size).
fn inflate(member: &mut zip::read::ZipFile<'_, impl Read>, name: &str) -> Result<Vec<u8>, String> {
    let (declared, stored) = (member.size(), member.compressed_size().max(1));
    let bomb = |size: u64| {
        format!(
            "member {name} inflates to {size} bytes or more from {stored} stored ({}:1, more than \
             {MAX_RATIO}:1 past {} MiB): refused as a zip bomb",
            size / stored,
            BOMB_FLOOR >> 20
        )
    };
    if declared > MAX_MEMBER_BYTES {
        return Err(format!("member {name} is too large ({declared} bytes)"));
    }
    if declared > BOMB_FLOOR && declared > MAX_RATIO * stored {
        return Err(bomb(declared));
    }
    let mut bytes = Vec::with_capacity(declared.min(BOMB_FLOOR) as usize);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = member.read(&mut chunk).map_err(|e| format!("member {name} is truncated or corrupt: {e}"))?;
        if n == 0 {
            return Ok(bytes);
        }
        let got = (bytes.len() + n) as u64;
        if got > declared {
            return Err(format!("member {name} inflates past the {declared} bytes its header declares"));
        }
        if got > BOMB_FLOOR && got > MAX_RATIO * stored {
            return Err(bomb(got));
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
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
