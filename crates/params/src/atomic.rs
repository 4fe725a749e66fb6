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

/// A command's outputs, written into a hidden folder inside `out` (`.duologue-staging-XXXXXX`,
/// same file system) and moved under their final names together by [`Staging::commit`], so that
/// a failure or an interruption before the commit leaves `out` as it was: the previous run's
/// files all still there and none of this run's. Dropped uncommitted, the staging folder is
/// removed, and so is `out` itself when this staging created it and it is still empty.
#[derive(Debug)]
pub struct Staging {
    out: std::path::PathBuf,
    dir: Option<tempfile::TempDir>,
    created_out: bool,
}

impl Staging {
    /// Creates `out` (and its parents) if needed, and the staging folder inside it.
    pub fn new(out: &Path) -> std::io::Result<Self> {
        let created_out = !out.exists();
        std::fs::create_dir_all(out)?;
        let mut staging = Self { out: out.to_path_buf(), dir: None, created_out };
        staging.dir = Some(tempfile::Builder::new().prefix(".duologue-staging-").tempdir_in(out)?);
        Ok(staging)
    }

    /// Where to write the outputs (under the names they should have in `out`).
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map(|d| d.path()).unwrap_or(&self.out)
    }

    /// The final folder.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Where `staged` (a path inside [`Staging::path`]) lands after the commit.
    pub fn final_path(&self, staged: &Path) -> std::path::PathBuf {
        staged
            .strip_prefix(self.path())
            .map(|rel| self.out.join(rel))
            .unwrap_or_else(|_| staged.to_path_buf())
    }

    /// Moves every staged entry into `out`, replacing what has the same name (a folder of the
    /// same name, such as PNG frames, is replaced whole), and removes the staging folder.
    /// Returns the final paths.
    pub fn commit(mut self) -> std::io::Result<Vec<std::path::PathBuf>> {
        let dir = self.dir.take().expect("staging folder present until commit");
        let mut entries: Vec<_> = std::fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()?;
        entries.sort();
        // A file where a folder would go (or the other way round) fails before anything moves.
        for name in &entries {
            let (from, to) = (dir.path().join(name), self.out.join(name));
            if to.exists() && to.is_dir() != from.is_dir() {
                let what = if to.is_dir() { "a folder" } else { "a file" };
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{}: {what} of that name is in the way", to.display()),
                ));
            }
        }
        let mut moved = Vec::with_capacity(entries.len());
        for name in entries {
            let (from, to) = (dir.path().join(&name), self.out.join(&name));
            if to.is_dir() && !to.is_symlink() {
                std::fs::remove_dir_all(&to)?;
            }
            std::fs::rename(&from, &to)?;
            moved.push(to);
        }
        dir.close()?;
        self.created_out = false;
        Ok(moved)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
            if self.created_out {
                // Only an empty folder: remove_dir refuses anything else.
                let _ = std::fs::remove_dir(&self.out);
            }
        }
    }
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

    #[test]
    fn staged_outputs_land_together_or_not_at_all() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("new/out");
        // Dropped uncommitted: nothing is left, not even the folder it created.
        {
            let staging = Staging::new(&out).unwrap();
            write(&staging.path().join("a.npz"), b"new").unwrap();
            assert!(!out.join("a.npz").exists());
        }
        assert!(!out.exists(), "the created folder is removed again");
        assert!(root.path().join("new").exists(), "parents made on the way stay (they may be shared)");
        // A previous run's files stay as they were until the commit, then all are replaced.
        std::fs::create_dir_all(out.join("frames")).unwrap();
        std::fs::write(out.join("a.npz"), b"old").unwrap();
        std::fs::write(out.join("a.mp4"), b"old").unwrap();
        std::fs::write(out.join("frames/f0.png"), b"old").unwrap();
        let staging = Staging::new(&out).unwrap();
        write(&staging.path().join("a.npz"), b"new").unwrap();
        std::fs::create_dir(staging.path().join("frames")).unwrap();
        write(&staging.path().join("frames/f1.png"), b"new").unwrap();
        assert_eq!(staging.final_path(&staging.path().join("a.npz")), out.join("a.npz"));
        drop(staging);
        assert_eq!(std::fs::read(out.join("a.npz")).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3, "no staging folder left");
        let staging = Staging::new(&out).unwrap();
        write(&staging.path().join("a.npz"), b"new").unwrap();
        std::fs::create_dir(staging.path().join("frames")).unwrap();
        write(&staging.path().join("frames/f1.png"), b"new").unwrap();
        // A folder in the way of a file: refused before anything moves.
        std::fs::create_dir(out.join("b.glb")).unwrap();
        let blocked = Staging::new(&out).unwrap();
        write(&blocked.path().join("a.npz"), b"newer").unwrap();
        write(&blocked.path().join("b.glb"), b"new").unwrap();
        let err = blocked.commit().unwrap_err();
        assert!(err.to_string().contains("b.glb: a folder of that name is in the way"), "{err}");
        assert_eq!(std::fs::read(out.join("a.npz")).unwrap(), b"old");
        std::fs::remove_dir(out.join("b.glb")).unwrap();
        let moved = staging.commit().unwrap();
        assert_eq!(moved, vec![out.join("a.npz"), out.join("frames")]);
        assert_eq!(std::fs::read(out.join("a.npz")).unwrap(), b"new");
        assert!(!out.join("frames/f0.png").exists() && out.join("frames/f1.png").exists());
        assert_eq!(std::fs::read(out.join("a.mp4")).unwrap(), b"old", "other names are left alone");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3);
    }
}
