//! Reading the releases `verify` and `compare` are given: directories as they are, GitHub
//! releases through one client (token from the environment, API root from `--api-url`,
//! else `GITHUB_API_URL`, else github.com), downloading into a scratch directory that is
//! removed afterwards.

use crate::cli::github_client::{api_url, with_github};
use crate::github::Token;
use crate::run_error::RunError;
use crate::verify::side::{Location, ReleaseSide};
use crate::verify::{directory, github_release, release_ref};

/// Each of `args` (`RELEASE` arguments) read, in order.
pub fn read(args: &[&str], api_url_flag: Option<&str>) -> Result<Vec<ReleaseSide>, RunError> {
    let locations = args
        .iter()
        .map(|arg| release_ref::parse(arg))
        .collect::<Result<Vec<Location>, RunError>>()?;
    let mut sides = Vec::new();
    for (arg, location) in args.iter().zip(&locations) {
        sides.push(match location {
            Location::Directory(dir) => Some(directory::read(arg, dir)?),
            Location::GitHub { .. } => None,
        });
    }
    if sides.iter().any(Option::is_none) {
        let scratch = tempfile::Builder::new()
            .prefix("relplan-download-")
            .tempdir()
            .map_err(|e| {
                RunError::new(format!(
                    "cannot make a temporary directory for downloads: {e}"
                ))
                .with_help("check the temporary directory (set TMPDIR to use another)")
            })?;
        let token = Token::from_env().ok_or_else(|| {
            RunError::new("reading a release on GitHub needs a token: neither GITHUB_TOKEN nor GH_TOKEN is set")
                .with_help("export GITHUB_TOKEN (or GH_TOKEN) with a token that may read the repository's releases")
        })?;
        with_github(&api_url(api_url_flag), token, async |github| {
            for ((slot, arg), location) in sides.iter_mut().zip(args).zip(&locations) {
                if let Location::GitHub { repo, tag } = location {
                    let side = github_release::read(github, arg, repo, tag, scratch.path());
                    *slot = Some(side.await?);
                }
            }
            Ok::<(), RunError>(())
        })??;
    }
    Ok(sides.into_iter().flatten().collect())
}
