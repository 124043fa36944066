//! Reading the inputs of a plan as they are at a git revision, for `relplan diff PLAN
//! --against REV`. The compiler reads files through a function; this supplies one that
//! answers from `git cat-file` instead of the file system, for the same paths, so the old
//! side is compiled exactly like the new one. The only I/O of the diff lives here.

use std::io;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::run_error::RunError;

/// A commit of the repository that holds the plan.
#[derive(Clone, Debug)]
pub struct Revision {
    /// As the user wrote it, for messages.
    name: String,
    commit: String,
    toplevel: PathBuf,
    cwd: PathBuf,
    /// The current directory relative to `toplevel`, when it is inside the work tree.
    prefix: Option<PathBuf>,
}

impl Revision {
    /// Finds the repository around the plan (which may lie outside the current directory)
    /// and resolves `rev` to a commit.
    pub fn open(rev: &str, plan: &Path) -> Result<Revision, RunError> {
        let near = match plan.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let toplevel = git(&["rev-parse", "--show-toplevel"], Some(near)).map_err(|message| {
            RunError::new(format!("cannot use git here: {message}")).with_help(
                "run `relplan diff --against` on a plan inside a git work tree, with `git` installed",
            )
        })?;
        let toplevel = PathBuf::from(toplevel.trim());
        // Relative paths are relative to the current directory, inside the work tree or not.
        let cwd = std::env::current_dir().unwrap_or_default();
        let prefix = fs_err::canonicalize(&cwd)
            .ok()
            .and_then(|real| real.strip_prefix(&toplevel).ok().map(Path::to_path_buf));
        let commit = git(&["rev-parse", "--verify", "--quiet", "--end-of-options", &format!("{rev}^{{commit}}")], Some(&toplevel))
            .map_err(|_| {
                RunError::new(format!("`{rev}` is not a commit of this repository")).with_help(
                    "fetch it first (e.g. `git fetch origin main`); in GitHub Actions check out with `fetch-depth: 0`",
                )
            })?;
        Ok(Revision {
            name: rev.to_string(),
            commit: commit.trim().to_string(),
            toplevel,
            cwd,
            prefix,
        })
    }

    /// The text of `path` (relative to the current directory, or absolute inside the work
    /// tree) at this revision.
    pub fn read(&self, path: &Path) -> io::Result<String> {
        let in_repo = self.repo_path(path)?;
        git(
            &["cat-file", "blob", &format!("{}:{in_repo}", self.commit)],
            Some(&self.toplevel),
        )
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("`{in_repo}` does not exist at `{}`", self.name),
            )
        })
    }

    /// The path from the repository root, with `/` separators, as git names it.
    fn repo_path(&self, path: &Path) -> io::Result<String> {
        let outside = || {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "`{}` is outside the git repository `{}`",
                    path.display(),
                    self.toplevel.display()
                ),
            )
        };
        let full = match &self.prefix {
            Some(prefix) if path.is_relative() => prefix.join(path),
            _ => {
                let absolute = self.cwd.join(path);
                let real = fs_err::canonicalize(&absolute).unwrap_or(absolute);
                real.strip_prefix(&self.toplevel)
                    .map(Path::to_path_buf)
                    .map_err(|_| outside())?
            }
        };
        normalize(&full).ok_or_else(outside)
    }
}

/// Resolves `.` and `..` without touching the file system; `None` when `..` leaves the root.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(parts.join("/"))
}

/// Runs git and returns its standard output, or its error message.
fn git(args: &[&str], dir: Option<&Path>) -> Result<String, String> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `git`: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr.trim().trim_start_matches("fatal: ").to_string());
    }
    // Not UTF-8 means not a plan or manifest; the parser reports it like any other bad text.
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_relative_paths() {
        assert_eq!(
            normalize(Path::new("plans/../versions.toml")).as_deref(),
            Some("versions.toml")
        );
        assert_eq!(
            normalize(Path::new("./a/./b.toml")).as_deref(),
            Some("a/b.toml")
        );
        assert_eq!(normalize(Path::new("../outside.toml")), None);
    }
}
