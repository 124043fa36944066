//! The assets a release holds, with GitHub's own `digest` of each (`sha256:<hex>`, on
//! github.com; absent on older servers) and its upload state (an upload that broke off is
//! not `uploaded`). The release transaction reads them to keep, replace or refuse what is
//! there; `relplan verify` and `compare` to download and check them.

use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;

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

    /// The API path that downloads it (with `Accept: application/octet-stream`, GitHub
    /// answers with a redirect to its storage).
    pub fn download_path(&self, repo: &str) -> Result<String, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        Ok(format!("/repos/{owner}/{name}/releases/assets/{}", self.id))
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
}
