//! Writing output files so that they are either fully written or untouched: a temporary file
//! in the same directory, flushed to disk, then renamed over the target.

use std::io::{self, Write};
use std::path::Path;

pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot write in `{}`: {e}", dir.display()),
        )
    })?;
    file.write_all(contents)?;
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
