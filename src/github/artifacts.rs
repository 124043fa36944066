//! A run's artifacts: listed with `GET /repos/{o}/{r}/actions/runs/{id}/artifacts`,
//! downloaded from `archive_download_url` (GitHub answers with a redirect to storage; the
//! token is not sent there, see [`crate::github::client`]) into a file of a work directory
//! the caller gives (the run's temporary directory), checked against their `digest`
//! (`sha256:<hex>`, hashed as it arrives), then inflated entry by entry into files, every
//! entry checked ([`crate::github::zip_check`]). Nothing of an artifact is held in memory.
//! A bad artifact fails with [`GitHubError::BadArtifact`] and nothing from it is used.

use std::path::Path;

use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;
use crate::github::transfer::{Destination, Saved};
use crate::github::zip_check::{self, ZipFile, ZipLimits};

const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 10;
/// Redirects followed from the API to the storage.
const MAX_REDIRECTS: usize = 3;

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

    /// Downloads an artifact into `work` (streamed to `<id>.zip`, then removed), verifies
    /// its digest and inflates its regular files into `work/<id>/`, every entry checked.
    pub async fn download_artifact(
        &self,
        repo: &str,
        run_id: u64,
        artifact: &Artifact,
        limits: ZipLimits,
        work: &Path,
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
        fs_err::create_dir_all(work).map_err(|e| local_trouble(&action, &e))?;
        let archive = work.join(format!("{}.zip", artifact.id));
        let saved = self
            .download_following(
                &action,
                &artifact.archive_download_url,
                Destination::File(&archive),
            )
            .await;
        let checked = saved.and_then(|saved| {
            if !saved.sha256.eq_ignore_ascii_case(expected) {
                return Err(bad(format!(
                    "the download hashes to sha256:{}, not its digest sha256:{expected}",
                    saved.sha256
                )));
            }
            let files = work.join(artifact.id.to_string());
            zip_check::extract_checked(&archive, &files, limits).map_err(|problem| {
                let _ = fs_err::remove_dir_all(&files);
                bad(problem)
            })
        });
        let _ = fs_err::remove_file(&archive);
        checked
    }

    /// A download through up to [`MAX_REDIRECTS`] redirects into `destination`.
    pub(crate) async fn download_following(
        &self,
        action: &str,
        url: &str,
        destination: Destination<'_>,
    ) -> Result<Saved, GitHubError> {
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let reply = self
                .download(action, &url, destination)
                .await?
                .ok_or_else(|| GitHubError::Status {
                    action: action.to_string(),
                    status: 404,
                    message: "not found".into(),
                })?;
            if !reply.status.is_redirection() {
                return reply.saved.ok_or_else(|| GitHubError::Protocol {
                    action: action.to_string(),
                    detail: format!("a {} answer without a body", reply.status.as_u16()),
                });
            }
            let location = reply
                .header("location")
                .ok_or_else(|| GitHubError::Protocol {
                    action: action.to_string(),
                    detail: format!("a {} redirect without a location", reply.status.as_u16()),
                })?;
            url = self.api_url().url(location);
        }
        Err(GitHubError::Protocol {
            action: action.to_string(),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }
}

/// The work directory could not be made: nothing was downloaded.
fn local_trouble(action: &str, e: &std::io::Error) -> GitHubError {
    GitHubError::Input {
        message: format!("{action}: cannot write the download: {e}"),
        help: "check that the state directory is writable and has room, then resume".into(),
    }
}
