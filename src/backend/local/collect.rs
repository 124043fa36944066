//! What a local build leaves behind, and what of it becomes release assets.
//!
//! - [`collect`] (run by the supervisor when the command succeeded): every regular file of
//!   the worktree that one of the job's `local.artifacts` globs matches is copied into the
//!   attempt's `artifacts/`, under the same relative path. A glob that matches no file, or
//!   that matches a symbolic link, fails the attempt: a build that did not leave what the
//!   plan says it leaves is not a success. `.git` is never looked at.
//! - [`published`] (asked by the release job): the collected files whose base name one of
//!   the job's `publish` globs matches, named by that base name, as files inside an
//!   artifact are on GitHub (the name rule is [`release_assets::name_problem`]). They stay
//!   files on disk ([`Asset::from_file`]): a release of any size never has to fit in memory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::digest::sha256_of_reader;
use crate::exec::backend::BackendError;
use crate::glob::{artifact_glob, artifact_glob_base, matches_any};
use crate::release_assets::{self, Asset};

/// Copies the matched files of `worktree` into `into`; returns their relative paths.
pub fn collect(worktree: &Path, globs: &[String], into: &Path) -> Result<Vec<String>, String> {
    let mut chosen = BTreeSet::new();
    for pattern in globs {
        let glob =
            artifact_glob(pattern).map_err(|why| format!("artifact glob `{pattern}` {why}"))?;
        let base = worktree.join(artifact_glob_base(pattern));
        let mut matched = 0;
        for entry in WalkDir::new(&base)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| e.file_name() != ".git")
        {
            let Ok(entry) = entry else { continue };
            let Some(relative) = relative_path(worktree, entry.path()) else {
                continue;
            };
            if !glob.is_match(&relative) {
                continue;
            }
            let kind = entry.file_type();
            if kind.is_symlink() {
                return Err(format!(
                    "artifact glob `{pattern}` matches `{relative}`, a symbolic link; artifacts are regular files"
                ));
            }
            if kind.is_file() {
                matched += 1;
                chosen.insert(relative);
            }
        }
        if matched == 0 {
            return Err(format!(
                "artifact glob `{pattern}` matches no file the build left"
            ));
        }
    }
    for relative in &chosen {
        let target = into.join(relative);
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        fs_err::copy(worktree.join(relative), &target).map_err(|e| e.to_string())?;
    }
    Ok(chosen.into_iter().collect())
}

/// The collected files of `job` (in `artifacts`) that its `publish` globs select.
pub fn published(
    job: &str,
    attempt: u32,
    artifacts: &Path,
    publish: &[String],
) -> Result<Vec<Asset>, BackendError> {
    let mut assets = Vec::new();
    if publish.is_empty() || !artifacts.exists() {
        return Ok(assets);
    }
    for entry in WalkDir::new(artifacts).sort_by_file_name() {
        let entry = entry.map_err(|e| BackendError::transient(e.to_string()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !matches_any(publish, &name) {
            continue;
        }
        let relative = relative_path(artifacts, entry.path()).unwrap_or_else(|| name.clone());
        let source = format!("`{relative}` of job `{job}` (attempt {attempt})");
        if let Some(problem) = release_assets::name_problem(&name) {
            return Err(BackendError::blocked(format!(
                "{source} cannot be a release asset: its name {problem}"
            ))
            .with_help(release_assets::NAME_HELP));
        }
        let path = entry.path().to_path_buf();
        let (sha256, size) = fs_err::File::open(&path)
            .and_then(sha256_of_reader)
            .map_err(|e| BackendError::transient(e.to_string()))?;
        assets.push(Asset::from_file(name, path, size, sha256, source));
    }
    Ok(assets)
}

/// `path` below `root` as a `/`-separated relative path (what globs match); `None` for
/// `root` itself or a path that is not valid UTF-8.
fn relative_path(root: &Path, path: &Path) -> Option<String> {
    let relative: PathBuf = path.strip_prefix(root).ok()?.to_path_buf();
    let parts: Option<Vec<&str>> = relative.iter().map(|p| p.to_str()).collect();
    let parts = parts?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "target/release/app",
            "target/release/deps/app.d",
            "README.md",
        ] {
            let path = dir.path().join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, file).unwrap();
        }
        dir
    }

    #[test]
    fn matched_files_are_copied_with_their_paths() {
        let (worktree, into) = (tree(), tempfile::tempdir().unwrap());
        let globs = vec!["target/release/*".to_string(), "*.md".to_string()];
        let copied = collect(worktree.path(), &globs, into.path()).unwrap();
        assert_eq!(copied, ["README.md", "target/release/app"]);
        let app = fs_err::read_to_string(into.path().join("target/release/app")).unwrap();
        assert_eq!(app, "target/release/app");
    }

    #[test]
    fn a_glob_that_matches_nothing_fails() {
        let (worktree, into) = (tree(), tempfile::tempdir().unwrap());
        let globs = vec!["dist/*.tar.gz".to_string()];
        assert_eq!(
            collect(worktree.path(), &globs, into.path()).unwrap_err(),
            "artifact glob `dist/*.tar.gz` matches no file the build left"
        );
    }

    #[test]
    fn published_files_are_named_by_their_base_names() {
        let artifacts = tree();
        let publish = vec!["app".to_string()];
        let assets = published("a", 2, artifacts.path(), &publish).unwrap();
        assert_eq!(assets.len(), 1);
        assert_eq!(assets[0].name, "app");
        assert_eq!(
            assets[0].source,
            "`target/release/app` of job `a` (attempt 2)"
        );
    }
}
