//! The assets a release holds, with GitHub's own `digest` of each (`sha256:<hex>`, on
//! github.com; absent on older servers) and its upload state (an upload that broke off is
//! not `uploaded`), and one asset's download: `GET …/releases/assets/{id}` with
//! `Accept: application/octet-stream`, redirected to storage (without the token), streamed
//! to a [`Destination`] and hashed on the way. The release transaction reads them to keep,
//! replace or refuse what is there; `relplan verify` and `compare` to check them.

use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;
use crate::github::transfer::{Destination, Saved};

const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 50;

/// The fields of a release asset relplan reads.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ReleaseAsset {
    pub id: u64,
    pub name: String,
    /// `uploaded`, or `open`/`starter` for an upload that did not finish; empty when absent.
    #[serde(default)]
    pub state: String,
    /// `sha256:<hex>`, when the server computes it.
    #[serde(default)]
    pub digest: Option<String>,
}

impl ReleaseAsset {
    /// Whether the upload finished (servers that do not say are taken at their word).
    pub fn is_uploaded(&self) -> bool {
        self.state.is_empty() || self.state == "uploaded"
    }

    /// The hex of a `sha256:` digest, lowercased.
    pub fn sha256(&self) -> Option<String> {
        self.digest
            .as_deref()
            .and_then(|d| d.strip_prefix("sha256:"))
            .map(str::to_ascii_lowercase)
    }
}

impl GitHub {
    /// Every asset of release `release_id` of `repo`, in GitHub's order.
    pub async fn assets_of_release(
        &self,
        repo: &str,
        release_id: u64,
    ) -> Result<Vec<ReleaseAsset>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("listing the assets of release {release_id} of `{repo}`");
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let path = format!(
                "/repos/{owner}/{name}/releases/{release_id}/assets?per_page={PAGE_SIZE}&page={page}"
            );
            let reply = self
                .get(&action, &path)
                .await?
                .ok_or_else(|| GitHubError::Protocol {
                    action: action.clone(),
                    detail: format!("release {release_id} disappeared"),
                })?;
            let assets: Vec<ReleaseAsset> = reply.json(&action)?;
            let full = assets.len() == PAGE_SIZE;
            all.extend(assets);
            if !full {
                break;
            }
        }
        Ok(all)
    }

    /// Downloads `asset` of a release of `repo` into `destination` (at most the configured
    /// `max_download_bytes`): its size and sha256.
    pub async fn download_release_asset(
        &self,
        repo: &str,
        asset: &ReleaseAsset,
        destination: Destination<'_>,
    ) -> Result<Saved, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("downloading asset `{}` of `{repo}`", asset.name);
        let path = format!("/repos/{owner}/{name}/releases/assets/{}", asset.id);
        self.download_following(&action, &path, destination).await
    }
}
