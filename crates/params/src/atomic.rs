//! Atomic file writes (DESIGN.md §6: results and datasets are written to a temporary file and
//! renamed, so a crash or a failed write never leaves half a file under the real name).
//!
//! The temporary file comes from tempfile: a fresh hidden name beside the target (same folder,
//! so the final rename stays on one file system), removed again when dropped unpersisted.

use std::path::Path;

/// A new temporary file in the folder of `path` (`.NAME.XXXXXX.tmp`), to be written and then
/// moved over `path` with [`tempfile::NamedTempFile::persist`].
pub fn temp_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // tempfile makes owner-only files; a result should be as readable as a plainly created one.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    builder.tempfile_in(dir)
}

/// Writes `bytes` to `path` through [`temp_beside`] and a rename: a reader never sees half a
/// file, and a failed write leaves no temporary behind.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes)?;
    tmp.flush()?;
    tmp.persist(path).map(|_| ()).map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lands_under_the_real_name_only_when_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let mut tmp = temp_beside(&path).unwrap();
        assert_eq!(tmp.path().parent(), Some(dir.path()));
        tmp.write_all(b"abc").unwrap();
        assert!(!path.exists());
        tmp.persist(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        drop(temp_beside(&path).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a dropped temporary is removed");
    }
}
