//! Finding and watching workflow runs.
//!
//! - Discovery: `GET /repos/{o}/{r}/actions/runs?event=E&created=>=T`, keeping every run
//!   whose `display_title` (its run-name) contains the correlation id as a word of its own
//!   ([`carries`]). Several matches are
//!   several workflows listening to one event, and all of them count: the attempt succeeds
//!   when every one of them succeeds. Listing is conditional, so polling for a run that has
//!   not appeared yet costs 304s, which GitHub does not count against the rate limit.
//! - Watching: `GET /repos/{o}/{r}/actions/runs/{id}` with the last ETag; [`next_poll`]
//!   spaces the polls by the job's estimate (rare early on, every poll interval near the
//!   expected end).
//! - `rerun-failed-jobs` for a retry when GitHub allows it, and `cancel`.

use std::time::Duration;

use http::Method;
use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::run_state::RunState;
use crate::github::split_repo;

const PAGE_SIZE: usize = 100;
/// The longest wait between two polls of one run.
const MAX_POLL_WAIT: Duration = Duration::from_secs(120);
/// Discovery reads at most this many pages (10,000 runs since the dispatch).
const MAX_PAGES: usize = 100;

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
        let action = format!("looking for the runs of `{correlation_id}` in `{repo}`");
        let mut found = self.list_runs(&action, repo, event, since).await?;
        found.retain(|run| carries(&run.display_title, correlation_id));
        Ok(found)
    }

    /// Every run of `repo` created on `event` since `since`, by id: one conditional
    /// listing, page by page. `action` says what it is for, in errors.
    pub async fn list_runs(
        &self,
        action: &str,
        repo: &str,
        event: &str,
        since: jiff::Timestamp,
    ) -> Result<Vec<Run>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let created = format!("%3E%3D{}", since.strftime("%Y-%m-%dT%H:%M:%SZ"));
        let mut found = Vec::new();
        for page in 1..=MAX_PAGES {
            let path = format!(
                "/repos/{owner}/{name}/actions/runs?event={event}&created={created}&per_page={PAGE_SIZE}&page={page}"
            );
            let list: RunList = serde_json::from_slice(&self.get_cached(action, &path).await?.body)
                .map_err(|e| GitHubError::Protocol {
                    action: action.to_string(),
                    detail: e.to_string(),
                })?;
            let full = list.workflow_runs.len() == PAGE_SIZE;
            found.extend(list.workflow_runs);
            if !full {
                break;
            }
        }
        found.sort_by_key(|run| run.id);
        found.dedup_by_key(|run| run.id);
        Ok(found)
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

/// How long to wait before polling a run again: half the time left until the job's
/// estimate (so polls get denser towards the expected end), never less than `interval`
/// and never more than two minutes (a build that ends early is seen within two minutes;
/// unchanged polls are 304s, which the rate limit does not charge); after the estimate, a
/// quarter of the overrun within the same bounds.
pub fn next_poll(elapsed: Duration, estimate: Duration, interval: Duration) -> Duration {
    let wanted = if elapsed < estimate {
        (estimate - elapsed) / 2
    } else {
        (elapsed - estimate) / 4
    };
    wanted.clamp(interval, MAX_POLL_WAIT.max(interval))
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
        let found: Vec<&str> = words("build (relplan-abc-node-1) #2: relplan-abc-x/y-3").collect();
        assert_eq!(
            found,
            ["build", "relplan-abc-node-1", "#2", "relplan-abc-x/y-3"]
        );
        assert!(
            found
                .iter()
                .all(|w| carries("build (relplan-abc-node-1) #2: relplan-abc-x/y-3", w))
        );
    }

    #[test]
    fn polls_densely_near_the_estimate_and_rarely_before() {
        let s = Duration::from_secs;
        let estimate = s(3600);
        assert_eq!(next_poll(s(0), estimate, s(10)), s(120));
        assert_eq!(next_poll(s(3400), estimate, s(10)), s(100));
        assert_eq!(next_poll(s(3590), estimate, s(10)), s(10));
        assert_eq!(next_poll(s(3700), estimate, s(10)), s(25));
        assert_eq!(next_poll(s(20000), estimate, s(10)), s(120));
        assert_eq!(next_poll(s(0), estimate, s(300)), s(300));
    }
}
