//! A run's artifacts: listed with `GET /repos/{o}/{r}/actions/runs/{id}/artifacts`,
//! downloaded from `archive_download_url` (GitHub answers with a redirect to storage; the
//! token is not sent there, see [`crate::github::download`]), checked against their `digest`
//! (`sha256:<hex>`), then opened with every entry checked ([`crate::github::zip_check`]).
//! A bad artifact fails with [`GitHubError::BadArtifact`] and nothing from it is used.

use serde::Deserialize;

use crate::digest::sha256_hex;
use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;
use crate::github::zip_check::{self, ZipFile, ZipLimits};

const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 10;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Artifact {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub size_in_bytes: u64,
    pub archive_download_url: String,
    #[serde(default)]
    pub expired: bool,
    /// `sha256:<hex>` of the zip, for artifacts uploaded by upload-artifact v4 and later.
    #[serde(default)]
    pub digest: Option<String>,
}

#[derive(Deserialize)]
struct ArtifactList {
    artifacts: Vec<Artifact>,
}

impl GitHub {
    /// Every artifact of a run, sorted by name.
    pub async fn list_artifacts(
        &self,
        repo: &str,
        run_id: u64,
    ) -> Result<Vec<Artifact>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("listing the artifacts of run {run_id} of `{repo}`");
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let path = format!(
                "/repos/{owner}/{name}/actions/runs/{run_id}/artifacts?per_page={PAGE_SIZE}&page={page}"
            );
            let reply = self
                .get(&action, &path)
                .await?
                .ok_or_else(|| GitHubError::Status {
                    action: action.clone(),
                    status: 404,
                    message: "run not found".into(),
                })?;
            let list: ArtifactList = reply.json(&action)?;
            let full = list.artifacts.len() == PAGE_SIZE;
            all.extend(list.artifacts);
            if !full {
                break;
            }
        }
        all.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    /// Downloads an artifact, verifies its digest and returns its regular files, every
    /// entry checked.
    pub async fn download_artifact(
        &self,
        repo: &str,
        run_id: u64,
        artifact: &Artifact,
        limits: ZipLimits,
    ) -> Result<Vec<ZipFile>, GitHubError> {
        let bad = |problem: String| GitHubError::BadArtifact {
            repo: repo.to_string(),
            run: run_id,
            artifact: artifact.name.clone(),
            problem,
        };
        if artifact.expired {
            return Err(bad("it has expired".into()));
        }
        let Some(expected) = artifact.digest.as_deref() else {
            return Err(bad(
                "it has no digest to verify (upload it with actions/upload-artifact v4 or later)"
                    .into(),
            ));
        };
        let expected = expected
            .strip_prefix("sha256:")
            .ok_or_else(|| bad(format!("its digest `{expected}` is not a sha256 digest")))?;
        let action = format!(
            "downloading artifact `{}` of run {run_id} of `{repo}`",
            artifact.name
        );
        let archive = self
            .download_following(&action, &artifact.archive_download_url)
            .await?;
        let actual = sha256_hex(&archive);
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(bad(format!(
                "the download hashes to sha256:{actual}, not its digest sha256:{expected}"
            )));
        }
        zip_check::read_checked(&archive, limits).map_err(bad)
    }
}
