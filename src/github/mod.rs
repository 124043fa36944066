//! Talking to GitHub: the protocol layer of the GitHub backend, exactly as the protocol
//! with the build workflows fixes it (docs/build-workflow-protocol.md: how a dispatch
//! carries the correlation id, how the run is found by its run-name, what it uploads).
//!
//! One idea per file:
//! - [`token`]: the API token, read from `GITHUB_TOKEN`/`GH_TOKEN`, redacted everywhere.
//! - [`client`]: octocrab configured so it never retries by itself, plus the one place that
//!   sends requests: conditional GETs (ETag), `retry-after`, `x-ratelimit-*`, backoff on 5xx,
//!   secondary limits and 429 for reads, and no automatic retry of any mutation.
//! - [`pacer`]: every wait the client makes goes through it (scaled and recorded in tests).
//! - [`transfer`]: uploads streamed from files and downloads streamed into files, so memory
//!   stays bounded whatever the size of an artifact or asset.
//! - [`error`]: one error type whose messages carry the next step and never the token.
//! - [`dispatch`]: `repository_dispatch` and `workflow_dispatch` with the correlation id.
//! - [`runs`]: finding runs by correlation id, watching them, rerun and cancel.
//! - [`run_state`]: every documented run status and conclusion, mapped.
//! - [`tag`]: resolving a job's tag to a commit (annotated tags dereferenced).
//! - [`artifacts`]: listing, downloading and verifying a run's artifacts.
//! - [`zip_check`]: the safety checks every entry of every artifact zip goes through.
//! - [`zip_directory`]: the entries' names read from the zip's central directory itself.
//! - [`assets`]: how selected artifacts become release assets, and their names.
//! - [`release`]: the unified release as a resumable transaction.
//! - [`assets_of_release`]: a release's assets with GitHub's digests and upload states.
//!
//! Read-only facts for `relplan preflight` (and `relplan pin`):
//! - [`rate_limit`]: the token's request budget, which also tells whether it is accepted.
//! - [`server`]: github.com or GitHub Enterprise Server (`/meta`), and what that changes.
//! - [`repository`]: a repository's default branch, archived flag and permissions.
//! - [`workflows`]: the workflows of a repository and their states.
//! - [`contents`]: a file at a ref (workflow files), through the contents API.
//! - [`releases_of_tag`]: the releases (drafts included) a tag already has; the release
//!   transaction continues the oldest of them.
//!
//! Nothing here keeps state between calls except ETags and the rate-limit window: what was
//! dispatched, found and uploaded is the executor's to journal. Every mutation is either
//! known not to have happened ([`GitHubError::is_rejected`]) or must be looked up (by
//! correlation id, by tag, by asset name) before it is tried again.

pub mod artifacts;
pub mod assets;
pub mod assets_of_release;
pub mod client;
pub mod contents;
pub mod dispatch;
pub mod error;
pub mod pacer;
pub mod rate_limit;
pub mod release;
pub mod releases_of_tag;
pub mod repository;
pub mod run_state;
pub mod runs;
pub mod server;
pub mod tag;
pub mod token;
pub mod transfer;
pub mod workflows;
pub mod zip_check;
pub mod zip_directory;

pub use client::{ApiUrl, GitHub, GitHubConfig};
pub use error::GitHubError;
pub use token::Token;

/// `owner/name` split into its two parts, or an error naming the malformed value.
pub fn split_repo(repo: &str) -> Result<(&str, &str), GitHubError> {
    match repo.split_once('/') {
        Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok((owner, name))
        }
        _ => Err(GitHubError::Input {
            message: format!("`{repo}` is not an `owner/name` repository"),
            help: "check the `owner` and `github` keys of the plan".into(),
        }),
    }
}
