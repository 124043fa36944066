//! How build artifacts become release assets, and what the assets are called.
//!
//! The rule (also in README, "Release assets"):
//! 1. Every artifact of a publishing job's successful run(s) is downloaded, its digest
//!    verified and every entry of its zip checked, published or not.
//! 2. Each regular **file** inside an artifact's zip is a candidate asset, named by the
//!    file's **base name** (its path inside the zip without directories), unchanged. The
//!    zip GitHub wraps around every artifact is never uploaded itself.
//! 3. A candidate is published when one of the job's `publish` globs (`*` any run of
//!    characters, `?` one character) matches the name of the artifact that carries it (the
//!    whole artifact is published) or the file's own name (that file is).
//! 4. Published names must be GitHub-safe ([`release_assets::name_problem`]), because GitHub
//!    silently renames anything else.
//! 5. Names are then checked by [`release_assets::assemble`], as the executor checks the
//!    whole release: two files of one name (from one artifact or from any two jobs) and a
//!    file named `SHA256SUMS` are reported together, each naming its job, run, artifact and
//!    path, before any draft is created. Nothing is renamed to make room.
//!
//! The outcome depends only on the artifacts' contents and the plan, so re-running the
//! collection gives the same assets with the same names and bytes.

use std::fmt;
use std::path::Path;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::zip_check::{ZipFile, ZipLimits};
use crate::glob;
use crate::release_assets::{self, Asset};

/// Where an asset came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub job: String,
    pub run: u64,
    pub artifact: String,
    pub path: String,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` in artifact `{}` of job `{}` (run {})",
            self.path, self.artifact, self.job, self.run
        )
    }
}

/// The finished runs of one publishing job.
#[derive(Clone, Debug)]
pub struct JobOutput {
    pub job: String,
    pub repo: String,
    pub runs: Vec<u64>,
    pub publish: Vec<String>,
}

impl GitHub {
    /// Lists, downloads and checks the artifacts of every publishing job into `work`, and
    /// names and selects the assets; any bad artifact, bad name or name conflict fails the
    /// whole collection.
    pub async fn collect_assets(
        &self,
        outputs: &[JobOutput],
        limits: ZipLimits,
        work: &Path,
    ) -> Result<Vec<Asset>, GitHubError> {
        let mut files = Vec::new();
        for output in outputs {
            files.extend(self.published_files(output, limits, work).await?);
        }
        name_assets(files)
    }

    /// Downloads and checks every artifact of one job's runs into `work` and keeps the
    /// files its `publish` globs select, with where each came from (not yet named or
    /// deduplicated).
    pub async fn published_files(
        &self,
        output: &JobOutput,
        limits: ZipLimits,
        work: &Path,
    ) -> Result<Vec<(Source, ZipFile)>, GitHubError> {
        let mut files = Vec::new();
        if output.publish.is_empty() {
            return Ok(files);
        }
        for &run in &output.runs {
            for artifact in &self.list_artifacts(&output.repo, run).await? {
                for file in self
                    .download_artifact(&output.repo, run, artifact, limits, work)
                    .await?
                {
                    if glob::matches_any(&output.publish, &artifact.name)
                        || glob::matches_any(&output.publish, base_name(&file.path))
                    {
                        let source = Source {
                            job: output.job.clone(),
                            run,
                            artifact: artifact.name.clone(),
                            path: file.path.clone(),
                        };
                        files.push((source, file));
                    }
                }
            }
        }
        Ok(files)
    }
}

/// Names every file by the rule of this module, reporting every bad name and every
/// clash at once. Assets come back sorted by name.
pub fn name_assets(files: Vec<(Source, ZipFile)>) -> Result<Vec<Asset>, GitHubError> {
    let mut assets = Vec::new();
    for (source, file) in files {
        let name = base_name(&file.path).to_string();
        if let Some(problem) = release_assets::name_problem(&name) {
            return Err(GitHubError::Input {
                message: format!("{source} cannot be a release asset: its name {problem}"),
                help: release_assets::NAME_HELP.into(),
            });
        }
        assets.push(Asset::from_file(
            name,
            file.location,
            file.size,
            file.sha256,
            source.to_string(),
        ));
    }
    release_assets::assemble(assets).map_err(GitHubError::AssetNameConflict)
}

/// The last component of a `/`-separated path.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
