//! `<state-dir>/tmp/`: the one place where a run keeps temporary files: files being written
//! before they are renamed into place (the journal's first line, the pause request, the sim
//! world and released assets) and artifacts while they are downloaded, checked and
//! uploaded. Because nothing writes a temporary file anywhere else in the state directory,
//! a crash never leaves one beside published files (`sim-release/<tag>/`).
//!
//! A crash can leave files here; they belong to no one, and the directory is emptied
//! whenever an executor takes the state directory's lock ([`crate::exec::journal`]), before
//! it writes anything.

use std::io;
use std::path::{Path, PathBuf};

/// The temporary directory's name inside the state directory.
pub const TMP_DIR: &str = "tmp";

/// `<state_dir>/tmp`, created if needed.
pub fn ensure(state_dir: &Path) -> io::Result<PathBuf> {
    let dir = state_dir.join(TMP_DIR);
    fs_err::create_dir_all(&dir)?;
    Ok(dir)
}

/// Removes everything in `<state_dir>/tmp` (left by a process that died), keeping the
/// directory. Only the holder of the state directory's lock may call it.
pub fn clean(state_dir: &Path) -> io::Result<()> {
    let dir = state_dir.join(TMP_DIR);
    if dir.exists() {
        fs_err::remove_dir_all(&dir)?;
    }
    fs_err::create_dir_all(&dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_leaves_an_empty_directory() {
        let state = tempfile::tempdir().unwrap();
        let tmp = ensure(state.path()).unwrap();
        fs_err::create_dir_all(tmp.join("artifacts/node")).unwrap();
        fs_err::write(tmp.join(".tmpAbC123"), b"half written").unwrap();
        clean(state.path()).unwrap();
        assert_eq!(fs_err::read_dir(&tmp).unwrap().count(), 0);
    }
}
