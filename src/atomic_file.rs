//! Writing output files so that they are either fully written or untouched: a temporary file,
//! flushed to disk, then renamed over the target.
//!
//! [`write`] puts the temporary file beside the target (output files anywhere). Files of a
//! state directory go through [`write_through`], whose temporary file lives in the run's
//! temporary directory, so that a crash never leaves one inside a published directory.

use std::io::{self, Read};
use std::path::Path;

/// `contents` into `path`, through a temporary file in the same directory.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    write_through(dir, path, &mut &contents[..])
}

/// Everything `contents` reads into `path`, through a temporary file in `temp_dir`, which
/// must be on the same filesystem as `path` (it is renamed into place).
pub fn write_through(temp_dir: &Path, path: &Path, contents: &mut dyn Read) -> io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(temp_dir).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot write in `{}`: {e}", temp_dir.display()),
        )
    })?;
    io::copy(contents, &mut file)?;
    // Temporary files are private (0600): keep the target's mode, or make it 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs_err::metadata(path).map_or(0o644, |m| m.permissions().mode());
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| {
        io::Error::new(
            e.error.kind(),
            format!("cannot write `{}`: {}", path.display(), e.error),
        )
    })?;
    Ok(())
}
