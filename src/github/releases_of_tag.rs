//! The releases a repository already has for a tag, drafts included (drafts have no tag
//! yet, so `GET /releases/tags/{tag}` cannot find them; the list is read instead). The
//! release transaction continues the oldest; the preflight reports them. A published
//! release whose `immutable` flag is set can never be changed or deleted, and its tag never
//! be released again.

use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;

const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 50;

/// The fields of a release relplan reads.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ReleaseInfo {
    pub id: u64,
    pub tag_name: String,
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    /// The branch or commit the tag is created at on publishing (GitHub fills in the
    /// default branch when none was given).
    #[serde(default)]
    pub target_commitish: Option<String>,
    /// Absent on servers without immutable releases.
    #[serde(default)]
    pub immutable: bool,
    #[serde(default)]
    pub html_url: String,
    /// Where assets are uploaded (a URI template: `…/assets{?name,label}`).
    #[serde(default)]
    pub upload_url: String,
}

impl GitHub {
    /// The releases of `tag` in `repo`, lowest id first, or `None` when the repository
    /// cannot be seen.
    pub async fn releases_of_tag(
        &self,
        repo: &str,
        tag: &str,
    ) -> Result<Option<Vec<ReleaseInfo>>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("listing the releases of `{repo}`");
        let mut found = Vec::new();
        for page in 1..=MAX_PAGES {
            let path = format!("/repos/{owner}/{name}/releases?per_page={PAGE_SIZE}&page={page}");
            let Some(reply) = self.get(&action, &path).await? else {
                return Ok(None);
            };
            let releases: Vec<ReleaseInfo> = reply.json(&action)?;
            let full = releases.len() == PAGE_SIZE;
            found.extend(releases.into_iter().filter(|r| r.tag_name == tag));
            if !full {
                break;
            }
        }
        found.sort_by_key(|r| r.id);
        Ok(Some(found))
    }
}
