//! The `RELEASE` argument of `verify` and `compare`: an existing directory, else a GitHub
//! release written `owner/repo@tag`. A directory wins, so `./o/r@v1` names a directory even
//! when it looks like a release.

use std::path::Path;

use crate::run_error::{Exit, RunError};
use crate::verify::side::Location;

/// Where `arg` points.
pub fn parse(arg: &str) -> Result<Location, RunError> {
    let path = Path::new(arg);
    if path.is_dir() {
        return Ok(Location::Directory(path.to_path_buf()));
    }
    if let Some((repo, tag)) = arg.split_once('@')
        && let Some((owner, name)) = repo.split_once('/')
        && !owner.is_empty()
        && !name.is_empty()
        && !name.contains('/')
        && !tag.is_empty()
    {
        return Ok(Location::GitHub {
            repo: repo.to_string(),
            tag: tag.to_string(),
        });
    }
    let what = match path.exists() {
        true => "is a file, not a directory of release assets",
        false => "is neither a directory nor a GitHub release `owner/repo@tag`",
    };
    Err(RunError::new(format!("`{arg}` {what}"))
        .with_help("pass a directory of assets (such as `.relplan/sim-release/v1.0.0`) or a release on GitHub as `owner/repo@tag`")
        .with_exit(Exit::Usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_else_owner_repo_at_tag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap();
        assert_eq!(parse(path), Ok(Location::Directory(dir.path().into())));
        assert_eq!(
            parse("o/r@v1.0.0@x"),
            Ok(Location::GitHub {
                repo: "o/r".into(),
                tag: "v1.0.0@x".into()
            })
        );
        for bad in ["o/r", "o/r@", "/r@v1", "o/@v1", "o/r/x@v1", "nowhere"] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.exit, Exit::Usage, "{bad}");
            assert_eq!(
                error.message,
                format!("`{bad}` is neither a directory nor a GitHub release `owner/repo@tag`")
            );
        }
    }
}
