//! A repository's metadata, `GET /repos/{o}/{r}`: whether it exists for this token (GitHub
//! answers 404 both for a missing repository and for one the token may not see), its
//! default branch (where `repository_dispatch` workflows must live), whether it is
//! archived (read-only), and what the token's user may do in it (`permissions`).

use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;

/// The fields of a repository relplan reads.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Repository {
    pub full_name: String,
    pub default_branch: String,
    #[serde(default)]
    pub archived: bool,
    /// Left out by GitHub for some tokens (GitHub App installations, anonymous reads).
    #[serde(default)]
    pub permissions: Option<Permissions>,
}

/// What the token may do in the repository; `push` is needed to dispatch workflows and to
/// write releases.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Permissions {
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub maintain: bool,
    #[serde(default)]
    pub push: bool,
    #[serde(default)]
    pub triage: bool,
    #[serde(default)]
    pub pull: bool,
}

impl GitHub {
    /// The repository, or `None` when it does not exist or the token cannot see it.
    pub async fn repository(&self, repo: &str) -> Result<Option<Repository>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("reading the repository `{repo}`");
        match self.get(&action, &format!("/repos/{owner}/{name}")).await? {
            Some(reply) => reply.json(&action).map(Some),
            None => Ok(None),
        }
    }
}
