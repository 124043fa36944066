//! Resolving a job's tag to the commit it will build, through the git refs API:
//! `GET /repos/{o}/{r}/git/ref/tags/{tag}` gives a commit (lightweight tag) or a tag
//! object (annotated tag), which `GET /repos/{o}/{r}/git/tags/{sha}` dereferences, possibly
//! several levels deep. When the manifest pins a commit and the tag now points elsewhere,
//! the job is refused before anything is dispatched, and the release is refused before it
//! is published. `preflight` and `pin` read the same commit ([`GitHub::tag_commit`], which
//! reads the tag without refusing) to check or fill the pin ahead of time.

use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;

/// Tags of tags of tags… are dereferenced at most this deep.
const MAX_DEPTH: usize = 8;

#[derive(Deserialize)]
struct Ref {
    object: Object,
}

#[derive(Deserialize)]
struct Object {
    #[serde(rename = "type")]
    kind: String,
    sha: String,
}

impl GitHub {
    /// The commit `tag` of `repo` points at; refuses when `pinned` (a full or abbreviated
    /// sha) names another.
    pub async fn resolve_tag(
        &self,
        repo: &str,
        tag: &str,
        pinned: Option<&str>,
    ) -> Result<String, GitHubError> {
        let commit = self
            .tag_commit(repo, tag)
            .await?
            .ok_or_else(|| GitHubError::Input {
                message: format!("`{repo}` has no tag `{tag}`"),
                help: "push the tag named by git_tag in the manifest, then `relplan retry`".into(),
            })?;
        match pinned.filter(|p| !p.is_empty()) {
            Some(pinned) if !same_commit(&commit, pinned) => Err(GitHubError::TagMoved {
                repo: repo.to_string(),
                tag: tag.to_string(),
                pinned: pinned.to_string(),
                actual: commit,
            }),
            _ => Ok(commit),
        }
    }

    /// The commit `tag` of `repo` points at (annotated tags dereferenced), or `None` when
    /// the repository has no such tag.
    pub async fn tag_commit(&self, repo: &str, tag: &str) -> Result<Option<String>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("resolving tag `{tag}` of `{repo}`");
        let Some(reply) = self
            .get(
                &action,
                &format!("/repos/{owner}/{name}/git/ref/tags/{tag}"),
            )
            .await?
        else {
            return Ok(None);
        };
        let mut object = reply.json::<Ref>(&action)?.object;
        for _ in 0..MAX_DEPTH {
            match object.kind.as_str() {
                "commit" => return Ok(Some(object.sha)),
                "tag" => {
                    let reply = self
                        .get(
                            &action,
                            &format!("/repos/{owner}/{name}/git/tags/{}", object.sha),
                        )
                        .await?
                        .ok_or_else(|| GitHubError::Protocol {
                            action: action.clone(),
                            detail: format!("tag object {} is missing", object.sha),
                        })?;
                    object = reply.json::<Ref>(&action)?.object;
                }
                other => {
                    return Err(GitHubError::Input {
                        message: format!(
                            "tag `{tag}` of `{repo}` points at a {other}, not a commit"
                        ),
                        help: "tag a commit".into(),
                    });
                }
            }
        }
        Err(GitHubError::Protocol {
            action,
            detail: format!("more than {MAX_DEPTH} nested tag objects"),
        })
    }
}

/// Whether `pinned` (a full or abbreviated sha, any case) names `commit`.
pub fn same_commit(commit: &str, pinned: &str) -> bool {
    !pinned.is_empty() && commit.starts_with(&pinned.to_ascii_lowercase())
}
