//! Reading the releases `verify` and `compare` are given: directories as they are, GitHub
//! releases through one client (set up by `cli/github_client.rs`, an App's tokens narrowed
//! to the releases' repositories), downloading into a scratch directory that is removed
//! afterwards.

use crate::cli::github_client::{GitHubArgs, config_for, with_github};
use crate::github::error::Purpose;
use crate::run_error::RunError;
use crate::verify::side::{Location, ReleaseSide};
use crate::verify::{directory, github_release, release_ref};

/// Each of `args` (`RELEASE` arguments) read, in order.
pub fn read(args: &[&str], github: &GitHubArgs) -> Result<Vec<ReleaseSide>, RunError> {
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
        let credentials = github.required(Purpose::ReadReleases)?;
        let repositories = locations.iter().filter_map(|location| match location {
            Location::GitHub { repo, .. } => Some(repo.as_str()),
            Location::Directory(_) => None,
        });
        let config = config_for(repositories, &github.api_url()?, credentials);
        with_github(config, async |github| {
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
