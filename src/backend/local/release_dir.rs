//! The unified release of a local run: `<state-dir>/release/<tag>/`, holding every asset
//! and `SHA256SUMS`, so `sha256sum -c SHA256SUMS` passes there.
//!
//! It appears whole or not at all: the files are written (and synced) into a temporary
//! folder in the run's `tmp/` ([`temp_dir`]), which is then renamed to `<tag>`; a crash
//! leaves nothing beside published files. A
//! release folder that is already there is checked instead: the same files with the same
//! bytes is a release already published (a resumed run publishes again harmlessly); any
//! difference is an error, and nothing in it is ever overwritten.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::digest::sha256_of_reader;
use crate::exec::backend::BackendError;
use crate::exec::temp_dir;
use crate::release_assets::{Asset, sha256sums};

/// The folder of published releases in the state directory.
pub const RELEASE_DIR: &str = "release";

/// Where the release of `tag` is published.
pub fn release_path(state_dir: &Path, tag: &str) -> Result<PathBuf, BackendError> {
    let tag_path = Path::new(tag);
    let plain = !tag.is_empty()
        && tag_path
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(
            BackendError::blocked(format!("the release tag `{tag}` cannot name a folder"))
                .with_help("give the release a tag such as \"v{version}\" in [release]"),
        );
    }
    Ok(state_dir.join(RELEASE_DIR).join(tag_path))
}

/// Publishes `assets` and their `SHA256SUMS` as the release of `tag`.
pub fn publish(state_dir: &Path, tag: &str, assets: &[Asset]) -> Result<(), BackendError> {
    let folder = release_path(state_dir, tag)?;
    let sums = sha256sums(assets);
    let wanted: BTreeMap<&str, &str> = assets
        .iter()
        .chain([&sums])
        .map(|a| (a.name.as_str(), a.sha256.as_str()))
        .collect();
    if folder.exists() {
        return check_existing(&folder, &wanted);
    }
    let parent = folder.parent().unwrap_or(state_dir);
    fs_err::create_dir_all(parent).map_err(|e| BackendError::transient(e.to_string()))?;
    let partial = temp_dir::ensure(state_dir)
        .and_then(|tmp| tempfile::Builder::new().prefix("release-").tempdir_in(tmp))
        .map_err(|e| BackendError::transient(format!("cannot write the release: {e}")))?;
    for asset in assets.iter().chain([&sums]) {
        let path = partial.path().join(&asset.name);
        let written = File::create(&path).and_then(|mut file| {
            io::copy(&mut asset.open()?, &mut file)?;
            file.sync_all()
        });
        written.map_err(|e| {
            BackendError::transient(format!("cannot write `{}`: {e}", path.display()))
        })?;
    }
    sync_dir(partial.path());
    let written = partial.keep();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Temporary folders are private (0700); a release is for reading.
        let _ = fs_err::set_permissions(&written, std::fs::Permissions::from_mode(0o755));
    }
    fs_err::rename(&written, &folder)
        .map_err(|e| BackendError::transient(format!("cannot publish the release: {e}")))?;
    sync_dir(parent);
    Ok(())
}

/// A release folder already there must hold exactly the wanted files.
fn check_existing(folder: &Path, wanted: &BTreeMap<&str, &str>) -> Result<(), BackendError> {
    let mut found = BTreeMap::new();
    let entries = fs_err::read_dir(folder).map_err(|e| BackendError::transient(e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| BackendError::transient(e.to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let (sha256, _) = fs_err::File::open(entry.path())
            .and_then(sha256_of_reader)
            .map_err(|e| BackendError::transient(e.to_string()))?;
        found.insert(name, sha256);
    }
    let same = found.len() == wanted.len()
        && wanted
            .iter()
            .all(|(name, sha)| found.get(*name).is_some_and(|f| f == sha));
    if same {
        return Ok(());
    }
    Err(BackendError::blocked(format!(
        "`{}` already holds other files than this release's; it is never overwritten",
        folder.display()
    ))
    .with_help(
        "move that folder away (it is an earlier release of the same tag), then `relplan retry`",
    ))
}

/// Makes a rename in `dir` durable; best effort (not every platform allows it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_is_written_once_and_checked_after() {
        let state = tempfile::tempdir().unwrap();
        let assets = vec![Asset::new("app", b"bin".to_vec(), "job `app`")];
        publish(state.path(), "v1.0.0", &assets).unwrap();
        let folder = state.path().join("release/v1.0.0");
        let sums = fs_err::read_to_string(folder.join("SHA256SUMS")).unwrap();
        assert_eq!(
            sums,
            format!("{}  app\n", crate::digest::sha256_hex(b"bin"))
        );
        // Again with the same files: nothing to do.
        publish(state.path(), "v1.0.0", &assets).unwrap();
        // Other bytes: refused, the folder untouched.
        let other = vec![Asset::new("app", b"other".to_vec(), "job `app`")];
        let error = publish(state.path(), "v1.0.0", &other).unwrap_err();
        assert_eq!(error.kind, crate::exec::backend::ErrorKind::Blocked);
        assert_eq!(fs_err::read(folder.join("app")).unwrap(), b"bin");
        // No temporary folder is left next to it, nor in `tmp/`.
        let left: Vec<_> = fs_err::read_dir(state.path().join("release"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["v1.0.0"]);
        assert_eq!(
            fs_err::read_dir(state.path().join("tmp")).unwrap().count(),
            0
        );
    }

    #[test]
    fn a_tag_that_would_leave_the_folder_is_refused() {
        let state = Path::new("/state");
        assert!(release_path(state, "../x").is_err());
        assert!(release_path(state, "/x").is_err());
        assert_eq!(
            release_path(state, "releases/v1").unwrap(),
            Path::new("/state/release/releases/v1")
        );
    }
}
