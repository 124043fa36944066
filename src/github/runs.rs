//! Finding and watching workflow runs.
//!
//! - Listing: `GET /repos/{o}/{r}/actions/runs?event=E&created=>=T` ([`GitHub::list_runs`]),
//!   newest first, conditional: a page that has not changed costs a 304, which GitHub does
//!   not count against the rate limit. One listing serves every run of a repository on
//!   one event, so watching many runs costs one request per repository per poll, not one
//!   per run (GitHub's secondary limits count requests a minute, 304s included).
//! - Discovery: the listing's runs whose `display_title` (their run-name) contains the
//!   correlation id as a word of its own ([`carries`]). Several matches are several
//!   workflows listening to one event, and all of them count: the attempt succeeds when
//!   every one of them succeeds.
//! - One run: `GET /repos/{o}/{r}/actions/runs/{id}` with the last ETag
//!   ([`GitHub::observe_run`]), for a run the listing's first page no longer shows.
//! - `rerun-failed-jobs` for a retry when GitHub allows it, and `cancel`.

use http::Method;
use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::run_state::RunState;
use crate::github::split_repo;

const PAGE_SIZE: usize = 100;
/// Discovery (and adoption) reads at most this many pages (10,000 runs since the dispatch).
pub const MAX_PAGES: usize = 100;

/// The fields of a workflow run relplan reads.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Run {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_title: String,
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default = "first_attempt")]
    pub run_attempt: u32,
    #[serde(default)]
    pub html_url: String,
    /// RFC 3339.
    #[serde(default)]
    pub created_at: String,
    /// RFC 3339; for a completed run, when it completed.
    #[serde(default)]
    pub updated_at: String,
    /// RFC 3339: when its latest attempt started (a re-run starts later than the run).
    #[serde(default)]
    pub run_started_at: Option<String>,
}

fn first_attempt() -> u32 {
    1
}

/// The web pages of `runs`, in their order; none unless GitHub gave each one.
pub fn web_urls(runs: &[Run]) -> Vec<String> {
    if runs.iter().any(|r| r.html_url.is_empty()) {
        return Vec::new();
    }
    runs.iter().map(|r| r.html_url.clone()).collect()
}

impl Run {
    pub fn state(&self) -> Result<RunState, GitHubError> {
        RunState::parse(&self.status, self.conclusion.as_deref()).map_err(|detail| {
            GitHubError::Protocol {
                action: format!("reading run {}", self.id),
                detail,
            }
        })
    }
}

#[derive(Deserialize)]
struct RunList {
    workflow_runs: Vec<Run>,
}

/// A run as last seen, and whether GitHub sent it anew (false on 304).
#[derive(Clone, Debug)]
pub struct Observed {
    pub run: Run,
    pub state: RunState,
    pub changed: bool,
}

impl GitHub {
    /// Every run of `repo` created on `event` since `since` whose run-name carries
    /// `correlation_id`, by id.
    pub async fn find_runs(
        &self,
        repo: &str,
        event: &str,
        correlation_id: &str,
        since: jiff::Timestamp,
    ) -> Result<Vec<Run>, GitHubError> {
        let mut found: Vec<Run> = self
            .list_runs(repo, event, since, MAX_PAGES)
            .await?
            .into_iter()
            .filter(|run| carries(&run.display_title, correlation_id))
            .collect();
        found.sort_by_key(|run| run.id);
        found.dedup_by_key(|run| run.id);
        Ok(found)
    }

    /// The runs of `repo` created on `event` since `since`, newest first, from at most
    /// `pages` pages of 100; each page is a conditional read.
    pub async fn list_runs(
        &self,
        repo: &str,
        event: &str,
        since: jiff::Timestamp,
        pages: usize,
    ) -> Result<Vec<Run>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("listing the `{event}` runs of `{repo}`");
        let created = format!("%3E%3D{}", since.strftime("%Y-%m-%dT%H:%M:%SZ"));
        let mut runs = Vec::new();
        for page in 1..=pages.max(1) {
            let path = format!(
                "/repos/{owner}/{name}/actions/runs?event={event}&created={created}&per_page={PAGE_SIZE}&page={page}"
            );
            let list: RunList = serde_json::from_slice(
                &self.get_cached(&action, &path).await?.body,
            )
            .map_err(|e| GitHubError::Protocol {
                action: action.clone(),
                detail: e.to_string(),
            })?;
            let full = list.workflow_runs.len() == PAGE_SIZE;
            runs.extend(list.workflow_runs);
            if !full {
                break;
            }
        }
        Ok(runs)
    }

    /// One run, conditionally: a 304 returns the run as last seen with `changed: false`.
    pub async fn observe_run(&self, repo: &str, run_id: u64) -> Result<Observed, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("reading run {run_id} of `{repo}`");
        let cached = self
            .get_cached(
                &action,
                &format!("/repos/{owner}/{name}/actions/runs/{run_id}"),
            )
            .await?;
        let run: Run = serde_json::from_slice(&cached.body).map_err(|e| GitHubError::Protocol {
            action,
            detail: e.to_string(),
        })?;
        Ok(Observed {
            state: run.state()?,
            run,
            changed: cached.fresh,
        })
    }

    /// Starts a new attempt of the run's failed jobs. GitHub refuses (403) when the run
    /// is too old or still running; the caller then dispatches anew.
    pub async fn rerun_failed_jobs(&self, repo: &str, run_id: u64) -> Result<(), GitHubError> {
        let (owner, name) = split_repo(repo)?;
        self.send_json(
            Method::POST,
            &format!("re-running the failed jobs of run {run_id} of `{repo}`"),
            &format!("/repos/{owner}/{name}/actions/runs/{run_id}/rerun-failed-jobs"),
            &serde_json::json!({}),
        )
        .await
        .map(|_| ())
    }

    /// Cancels a run; a run that already completed (409) is left as it is.
    pub async fn cancel_run(&self, repo: &str, run_id: u64) -> Result<(), GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let sent = self
            .send_json(
                Method::POST,
                &format!("cancelling run {run_id} of `{repo}`"),
                &format!("/repos/{owner}/{name}/actions/runs/{run_id}/cancel"),
                &serde_json::json!({}),
            )
            .await;
        match sent {
            Ok(_) | Err(GitHubError::Status { status: 409, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The words of a run-name, in the sense of [`carries`]: the longest runs of letters,
/// digits, `-`, `_`, `.`, `/` and `#`.
pub fn words(title: &str) -> impl Iterator<Item = &str> {
    title
        .split(|c: char| !is_id_char(c))
        .filter(|w| !w.is_empty())
}

fn is_id_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '#')
}

/// True when `title` holds `correlation_id` as a word of its own: not preceded or
/// followed by a letter, digit, `-`, `_`, `.`, `/` or `#`, so that `…-node-1` is not found
/// in the run-name of `…-node-1-1` or `…-node-10`.
pub fn carries(title: &str, correlation_id: &str) -> bool {
    if correlation_id.is_empty() {
        return false;
    }
    title.match_indices(correlation_id).any(|(start, _)| {
        let before = title[..start].chars().next_back();
        let after = title[start + correlation_id.len()..].chars().next();
        !before.is_some_and(is_id_char) && !after.is_some_and(is_id_char)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_correlation_id_must_be_a_word_of_its_own() {
        let id = "relplan-abc-1700-node-1";
        assert!(carries("build relplan-abc-1700-node-1", id));
        assert!(carries("relplan-abc-1700-node-1", id));
        assert!(carries("release (relplan-abc-1700-node-1)", id));
        assert!(!carries("build relplan-abc-1700-node-1-1", id));
        assert!(!carries("build relplan-abc-1700-node-10", id));
        assert!(!carries("build xrelplan-abc-1700-node-1", id));
        assert!(!carries("build", ""));
        let title = "build (relplan-abc-node-1) #2: relplan-abc-x/y-3";
        let found: Vec<&str> = words(title).collect();
        assert_eq!(
            found,
            ["build", "relplan-abc-node-1", "#2", "relplan-abc-x/y-3"]
        );
        assert!(found.iter().all(|w| carries(title, w)));
    }
}
