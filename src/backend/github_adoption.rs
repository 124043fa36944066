//! What GitHub already holds for a plan, for the adoption of a fresh state directory: one
//! listing of recent runs per repository and event the plan's triggers use (paginated,
//! created since far enough back to cover the whole release: every job's timeout times its
//! attempts, plus [`ADOPTION_SLACK_S`]), each run-name's words matched against the plan's
//! correlation ids (a word of its own, [`carries`]), and the release of the tag.
//!
//! A run re-run in place (`run_attempt` > 1) carries the correlation id of the attempt that
//! dispatched it: its later run attempts are the job's later attempts (the earlier ones
//! failed, or GitHub would not have re-run them). When several runs carry one id (several
//! workflows on one event), they are one attempt, as when it was dispatched. A repository
//! that cannot be listed (404: missing, or no access) holds nothing; dispatching its jobs
//! reports why.

use std::collections::BTreeMap;

use crate::compiled::{CompiledPlan, Job, JobKind};
use crate::correlation;
use crate::exec::backend::{Found, Holdings, RunStatus};
use crate::exec::event::RunRef;
use crate::github::runs::{MAX_PAGES, Run, carries, web_urls, words};
use crate::github::{GitHub, GitHubError};

use super::github::trigger_event;

/// How far before the plan's own time span (every job's timeout times its attempts) the
/// adoption looks for runs: a crashed release may be applied again a day or two later.
pub const ADOPTION_SLACK_S: u64 = 2 * 86_400;

/// Lists, matches and summarises what GitHub holds for `plan`, as of `now`.
pub async fn holdings(
    github: &GitHub,
    plan: &CompiledPlan,
    now: jiff::Timestamp,
) -> Result<Holdings, GitHubError> {
    let span_s: u64 = plan
        .jobs
        .iter()
        .map(|j| j.timeout_s.saturating_mul(u64::from(j.retries) + 1))
        .fold(ADOPTION_SLACK_S, u64::saturating_add);
    let since = now
        .checked_sub(jiff::SignedDuration::from_secs(
            i64::try_from(span_s).unwrap_or(i64::MAX / 2),
        ))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let fallback = plan.fallback_job();
    // The plan's jobs, then the fallback (`true`).
    let jobs: Vec<(&Job, bool)> = plan
        .jobs
        .iter()
        .filter(|j| j.kind != JobKind::Release)
        .map(|j| (j, false))
        .chain(fallback.iter().map(|j| (j, true)))
        .collect();
    let mut listings: BTreeMap<(&str, &str), Vec<Run>> = BTreeMap::new();
    for (job, _) in &jobs {
        let key = trigger_event(job)?;
        if listings.contains_key(&key) {
            continue;
        }
        let runs = match github.list_runs(key.0, key.1, since, MAX_PAGES).await {
            Ok(runs) => runs,
            Err(GitHubError::Status {
                status: 403 | 404 | 410,
                ..
            }) => Vec::new(),
            Err(e) => return Err(e),
        };
        listings.insert(key, runs);
    }
    let mut matched = Matched::default();
    for &(job, is_fallback) in &jobs {
        let key = trigger_event(job)?;
        for run in listings.get(&key).into_iter().flatten() {
            matched.take(&plan.plan_hash, job, is_fallback, run);
        }
    }
    // The published release of the tag, by its web page ("" when GitHub gave none).
    let published = match &plan.release.repo {
        Some(repo) => github
            .releases_of_tag(repo, &plan.release.tag)
            .await?
            .and_then(|releases| releases.into_iter().find(|r| !r.draft))
            .map(|release| release.html_url),
        None => None,
    };
    Ok(matched.into_holdings(published))
}

/// The runs matched so far: per job and attempt (from its correlation id), and the fallback.
#[derive(Default)]
struct Matched {
    attempts: BTreeMap<(String, u32), (String, Vec<Run>)>,
    fallback: Vec<Run>,
}

impl Matched {
    /// Keeps `run` when its run-name carries an id of `job` (the fallback's, when
    /// `is_fallback`).
    fn take(&mut self, hash: &str, job: &Job, is_fallback: bool, run: &Run) {
        for word in words(&run.display_title) {
            if !carries(&run.display_title, word) {
                continue;
            }
            if is_fallback {
                if word == correlation::fallback_id(hash) {
                    push_new(&mut self.fallback, run);
                }
            } else if let Some((id, attempt)) = correlation::parse(hash, word)
                && id == job.id
            {
                let entry = self
                    .attempts
                    .entry((id.to_string(), attempt))
                    .or_insert_with(|| (word.to_string(), Vec::new()));
                push_new(&mut entry.1, run);
            }
        }
    }

    /// `published`: the web page of the tag's published release, if there is one.
    fn into_holdings(self, published: Option<String>) -> Holdings {
        let release_url = published.clone().filter(|url| !url.is_empty());
        let published = published.is_some();
        let all = self
            .attempts
            .values()
            .flat_map(|(_, runs)| runs)
            .chain(&self.fallback);
        let origin = all.filter_map(|r| unix_ms(&r.created_at)).min();
        let Some(origin) = origin else {
            return Holdings {
                published,
                release_url,
                ..Holdings::default()
            };
        };
        let seconds = |instant: &str| {
            unix_ms(instant).map_or(0, |ms| u64::try_from((ms - origin) / 1000).unwrap_or(0))
        };
        let mut found: BTreeMap<(String, u32), Found> = BTreeMap::new();
        for ((job, attempt), (id, runs)) in &self.attempts {
            // A run's `run_attempt` k stands for this attempt and the k - 1 after it.
            let reruns = runs.iter().map(|r| r.run_attempt.max(1)).max().unwrap_or(1);
            for later in 0..reruns {
                let number = attempt.saturating_add(later);
                let key = (job.clone(), number);
                if later > 0 && self.attempts.contains_key(&key) {
                    continue;
                }
                let last = later + 1 == reruns;
                let started = |r: &Run| match (later, &r.run_started_at) {
                    (0, _) | (_, None) => seconds(&r.created_at),
                    (_, Some(start)) => seconds(start),
                };
                let run = RunRef {
                    runs: runs
                        .iter()
                        .map(|r| format!("{}/{}", r.id, (later + 1).min(r.run_attempt.max(1))))
                        .collect(),
                    started_s: runs.iter().map(started).min().unwrap_or(0),
                    urls: web_urls(runs),
                };
                let status = if last {
                    status_of(runs, &seconds)
                } else {
                    // Re-run in place: this attempt failed, the next one started.
                    let next = runs
                        .iter()
                        .filter_map(|r| r.run_started_at.as_deref())
                        .map(&seconds)
                        .max()
                        .unwrap_or(run.started_s);
                    RunStatus::Finished {
                        success: false,
                        at: next.max(run.started_s),
                        reason: None,
                    }
                };
                let reason = (!last).then(|| "the run failed and was re-run in place".to_string());
                found.insert(
                    key,
                    Found {
                        job: job.clone(),
                        attempt: number,
                        correlation_id: id.clone(),
                        run,
                        status,
                        reason,
                    },
                );
            }
        }
        let fallback = (!self.fallback.is_empty()).then(|| RunRef {
            runs: self
                .fallback
                .iter()
                .map(|r| format!("{}/{}", r.id, r.run_attempt))
                .collect(),
            started_s: self
                .fallback
                .iter()
                .map(|r| seconds(&r.created_at))
                .min()
                .unwrap_or(0),
            urls: web_urls(&self.fallback),
        });
        Holdings {
            origin_unix_ms: u64::try_from(origin).ok(),
            attempts: found.into_values().collect(),
            published,
            release_url,
            fallback,
        }
    }
}

/// Where the runs of one attempt stand: running while any is, else success only when every
/// one succeeded, at the last one's end.
fn status_of(runs: &[Run], seconds: &impl Fn(&str) -> u64) -> RunStatus {
    let mut success = true;
    let mut ended = 0;
    for run in runs {
        match run.state() {
            Ok(state) if state.is_completed() => {
                success &= state.succeeded();
                ended = ended.max(seconds(&run.updated_at));
            }
            _ => return RunStatus::Running,
        }
    }
    RunStatus::Finished {
        success,
        at: ended,
        reason: None,
    }
}

fn push_new(runs: &mut Vec<Run>, run: &Run) {
    if !runs.iter().any(|r| r.id == run.id) {
        runs.push(run.clone());
    }
}

/// Milliseconds since the Unix epoch of an RFC 3339 instant.
fn unix_ms(instant: &str) -> Option<i64> {
    instant
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}
