//! Writing output files so that they are either fully written or untouched: a temporary file,
//! flushed to disk, then renamed over the target.
//!
//! [`write`] puts the temporary file beside the target (output files anywhere). Files of a
//! state directory go through [`write_through`], whose temporary file lives in the run's
//! temporary directory, so that a crash never leaves one inside a published directory.
//! Whatever step fails, the error names the file asked for, never the temporary one.

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
    replace(temp_dir, path, contents).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot write `{}`: {}", path.display(), cause(&e)),
        )
    })
}

fn replace(temp_dir: &Path, path: &Path, contents: &mut dyn Read) -> io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(temp_dir)?;
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
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// What went wrong, without the temporary file's name: the operating system's own words
/// when the error is one of its own, else the kind of error (tempfile adds the temporary
/// path to the errors it makes).
fn cause(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "its directory does not exist".to_string(),
        _ if error.raw_os_error().is_some() => error.to_string(),
        kind => kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error of writing `path`, which names it and no other path.
    fn error_of(path: &Path, contents: &mut dyn Read) -> String {
        let error = write_through(path.parent().unwrap(), path, contents)
            .expect_err("the write fails")
            .to_string();
        let named = format!("cannot write `{}`: ", path.display());
        let cause = error
            .strip_prefix(&named)
            .unwrap_or_else(|| panic!("{error}"));
        assert!(!cause.contains('/'), "{error}");
        error
    }

    #[test]
    fn an_error_names_the_destination_whatever_step_fails() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing/plan.json");
        assert_eq!(
            error_of(&missing, &mut &b"{}"[..]),
            format!(
                "cannot write `{}`: its directory does not exist",
                missing.display()
            )
        );
        let directory = dir.path().join("a-directory");
        std::fs::create_dir(&directory).unwrap();
        let renamed = error_of(&directory, &mut &b"{}"[..]);
        assert!(
            renamed.starts_with(&format!("cannot write `{}`: ", directory.display())),
            "{renamed}"
        );
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(28))
            }
        }
        let target = dir.path().join("journal.jsonl");
        let copied = error_of(&target, &mut Failing);
        assert!(
            copied.starts_with(&format!(
                "cannot write `{}`: No space left",
                target.display()
            )),
            "{copied}"
        );
        assert!(!target.exists(), "nothing is left at the destination");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind: {left:?}");
    }

    #[test]
    fn a_written_file_holds_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write(&path, b"one\ntwo\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo\n");
    }
}
