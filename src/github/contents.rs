//! A file of a repository at a ref, through the contents API:
//! `GET /repos/{o}/{r}/contents/{path}?ref={ref}` answers the file base64-encoded (with
//! line breaks), or 404 when the ref or the file does not exist. Used to read workflow
//! files at the ref they run from.

use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;

/// What stays as it is in a path or query value: unreserved characters and `/`.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

#[derive(Deserialize)]
struct Content {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    encoding: String,
    #[serde(default)]
    content: String,
}

impl GitHub {
    /// The text of `path` at `git_ref`, or `None` when the ref or the file does not exist.
    pub async fn file_at(
        &self,
        repo: &str,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<String>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("reading `{path}` of `{repo}` at `{git_ref}`");
        let url = format!(
            "/repos/{owner}/{name}/contents/{}?ref={}",
            utf8_percent_encode(path.trim_start_matches('/'), KEEP),
            utf8_percent_encode(git_ref, KEEP)
        );
        let Some(reply) = self.get(&action, &url).await? else {
            return Ok(None);
        };
        let content: Content = reply.json(&action)?;
        let protocol = |detail: String| GitHubError::Protocol {
            action: action.clone(),
            detail,
        };
        if content.kind != "file" || content.encoding != "base64" {
            return Err(protocol(format!(
                "expected a base64-encoded file, got a {} encoded as `{}`",
                content.kind, content.encoding
            )));
        }
        let packed: String = content
            .content
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(packed)
            .map_err(|e| protocol(format!("the content is not base64: {e}")))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| protocol("the file is not UTF-8 text".into()))
    }
}
