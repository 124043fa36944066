//! Where the sources of a local build come from: one git clone per repository in the
//! workspace (`--workspace DIR`, `DIR/<repository name>`), and a clean `git worktree` of
//! it per attempt, at the commit the job's tag points at.
//!
//! - A clone that is there is taken as it is: relplan never fetches into it, pulls or
//!   changes its checkout. One that is missing is cloned from `<git base>/<owner>/<name>.git`
//!   (the git base is `https://github.com` unless `RELPLAN_GIT_BASE` said otherwise when the
//!   run began), into a temporary folder renamed into place, so a clone interrupted half-way
//!   is never taken for a clone.
//! - The tag is resolved in the clone (annotated tags dereferenced); a tag that does not
//!   point at the manifest's pinned `git_commit` is refused, as the GitHub backend does. A
//!   build without a tag builds its pinned commit; one with neither is refused.
//! - Worktrees are detached (no branch is created in the clone), made without running the
//!   clone's hooks, and removed with `git worktree remove` once the build ended.
//!
//! What someone must fix (a folder that is not a clone, a clone that cannot be made, a
//! missing tag or commit, a moved tag) blocks the job, as the GitHub backend does: asking
//! again would meet the same problem, and `relplan retry` continues once it is fixed. A
//! checkout that fails (a full disk, a lock left in the clone) is asked again.
//!
//! Everything goes through the `git` binary, as `relplan diff --against` does.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::exec::backend::BackendError;

/// Where clones come from unless `RELPLAN_GIT_BASE` says otherwise.
pub const DEFAULT_GIT_BASE: &str = "https://github.com";
/// The environment variable that points clones elsewhere (a mirror, or a folder of
/// repositories in tests).
pub const GIT_BASE_VARIABLE: &str = "RELPLAN_GIT_BASE";

#[derive(Clone, Debug)]
pub struct Workspace {
    root: PathBuf,
    git_base: String,
}

impl Workspace {
    pub fn new(root: &Path, git_base: &str) -> Workspace {
        Workspace {
            root: root.to_path_buf(),
            git_base: git_base.trim_end_matches('/').to_string(),
        }
    }

    /// Where the clone of `repo` (`owner/name`) is: `<workspace>/<name>`.
    pub fn clone_path(&self, repo: &str) -> PathBuf {
        let name = repo.rsplit('/').next().unwrap_or(repo);
        self.root.join(name)
    }

    /// The clone of `repo` (`owner/name`), cloned first when missing.
    pub fn clone_of(&self, repo: &str) -> Result<PathBuf, BackendError> {
        let (owner, name) = repo.split_once('/').unwrap_or(("", repo));
        let clone = self.clone_path(repo);
        if clone.exists() {
            return match is_clone(&clone) {
                Ok(()) => Ok(clone),
                Err(why) => Err(BackendError::blocked(format!(
                    "`{}` is not a git clone: {why}",
                    clone.display()
                ))
                .with_help(format!(
                    "move it away so relplan clones `{repo}` there, or clone it yourself; then `relplan retry`"
                ))),
            };
        }
        let url = format!("{}/{owner}/{name}.git", self.git_base);
        fs_err::create_dir_all(&self.root).map_err(|e| {
            BackendError::blocked(format!("cannot create the workspace: {e}"))
                .with_help("make the --workspace folder writable, then `relplan retry`")
        })?;
        let partial = tempfile::Builder::new()
            .prefix(&format!(".{name}.cloning-"))
            .tempdir_in(&self.root)
            .map_err(|e| {
                BackendError::transient(format!("cannot clone into the workspace: {e}"))
            })?;
        let into = partial.path().join(name);
        let into_text = into.display().to_string();
        git(&self.root, &["clone", "--quiet", &url, &into_text]).map_err(|why| {
            BackendError::blocked(format!("cannot clone `{url}`: {why}")).with_help(format!(
                "clone it yourself into `{}` (relplan takes a clone that is there as it is), then `relplan retry`; a new run can set {GIT_BASE_VARIABLE} to where the repositories are",
                clone.display()
            ))
        })?;
        fs_err::rename(&into, &clone).map_err(|e| {
            BackendError::transient(format!("cannot move the new clone in place: {e}"))
        })?;
        Ok(clone)
    }

    /// The commit to build: the tag's, checked against `pinned`; `pinned` alone without a
    /// tag.
    pub fn commit_to_build(
        clone: &Path,
        repo: &str,
        tag: Option<&str>,
        pinned: Option<&str>,
    ) -> Result<String, BackendError> {
        let pinned = pinned.filter(|p| !p.is_empty());
        let Some(tag) = tag else {
            return match pinned {
                Some(commit) => resolve(clone, commit).ok_or_else(|| {
                    BackendError::blocked(format!(
                        "`{}` has no commit {commit}",
                        clone.display()
                    ))
                    .with_help(format!(
                        "fetch it: `git -C {} fetch origin {commit}`, then `relplan retry`",
                        clone.display()
                    ))
                }),
                None => Err(BackendError::blocked(format!(
                    "`{repo}` has neither a git_tag nor a git_commit in the manifest; nothing says what to build"
                ))
                .with_help("set git_tag (and git_commit) of the entry in versions.toml")),
            };
        };
        let Some(commit) = resolve(clone, &format!("refs/tags/{tag}")) else {
            return Err(
                BackendError::blocked(format!("`{}` has no tag `{tag}`", clone.display()))
                    .with_help(format!(
                        "fetch the tags: `git -C {} fetch --tags`, then `relplan retry`",
                        clone.display()
                    )),
            );
        };
        if let Some(pinned) = pinned
            && !commit.starts_with(&pinned.to_ascii_lowercase())
        {
            return Err(BackendError::blocked(format!(
                "tag `{tag}` of `{repo}` points at {commit}, but the manifest pins {pinned}; the tag moved"
            ))
            .with_help(format!(
                "point the tag back at the pinned commit (`git -C {} tag --force {tag} {pinned}`), then `relplan retry`; or update git_commit in the manifest and get the plan approved again",
                clone.display()
            )));
        }
        Ok(commit)
    }

    /// A clean, detached checkout of `commit` at `at`.
    pub fn add_worktree(clone: &Path, commit: &str, at: &Path) -> Result<(), BackendError> {
        let at_text = at.display().to_string();
        git(
            clone,
            &[
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "advice.detachedHead=false",
                "worktree",
                "add",
                "--quiet",
                "--detach",
                &at_text,
                commit,
            ],
        )
        .map(|_| ())
        .map_err(|why| {
            BackendError::transient(format!(
                "cannot check out {commit} of `{}` at `{at_text}`: {why}",
                clone.display()
            ))
        })
    }

    /// Removes the worktree at `at` from `clone` and from disk, whatever state either is in.
    pub fn remove_worktree(clone: &Path, at: &Path) -> Result<(), String> {
        let at_text = at.display().to_string();
        let removed = git(
            clone,
            &["worktree", "remove", "--force", "--force", &at_text],
        );
        if at.exists() {
            fs_err::remove_dir_all(at).map_err(|e| e.to_string())?;
        }
        if removed.is_err() {
            git(clone, &["worktree", "prune"])?;
        }
        Ok(())
    }
}

/// Whether `path` is a clone of its own (a work tree's top, or a bare repository), not a
/// folder inside some other repository.
fn is_clone(path: &Path) -> Result<(), String> {
    let out = git(
        path,
        &["rev-parse", "--is-bare-repository", "--absolute-git-dir"],
    )?;
    let mut lines = out.lines();
    let root = match lines.next() {
        Some("true") => lines.next().unwrap_or_default().to_string(),
        _ => git(path, &["rev-parse", "--show-toplevel"])?
            .trim()
            .to_string(),
    };
    let same = |a: &Path, b: &Path| match (fs_err::canonicalize(a), fs_err::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    match same(Path::new(&root), path) {
        true => Ok(()),
        false => Err(format!("it lies inside the repository at `{root}`")),
    }
}

/// The full commit id `rev` names in `clone`, annotated tags dereferenced.
fn resolve(clone: &Path, rev: &str) -> Option<String> {
    let rev = format!("{rev}^{{commit}}");
    git(clone, &["rev-parse", "--verify", "--quiet", &rev])
        .ok()
        .map(|out| out.trim().to_string())
        .filter(|out| !out.is_empty())
}

/// Runs git in `dir` (never asking for a password) and returns its standard output, or its
/// error message.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `git`: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr.trim().trim_start_matches("fatal: ").to_string());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
