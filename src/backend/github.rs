//! The GitHub backend: the executor's [`Backend`] over the protocol layer in
//! [`crate::github`].
//!
//! - `dispatch` resolves the job's tag first (refusing a moved tag), then dispatches with
//!   the attempt's correlation id and finds the run(s) it started. A retry of a failed run
//!   uses `rerun-failed-jobs` on the previous attempt's runs when GitHub allows it, and
//!   dispatches anew otherwise.
//! - Run references are `"<run id>/<run attempt>"`, so a rerun in place is a different
//!   reference from the attempt before, and a dispatch interrupted by a crash after a rerun
//!   is recognised (the run's `run_attempt` already moved on) instead of repeated.
//! - A dispatch whose answer was lost (5xx, timeout) is looked up by correlation id for a
//!   while before it is reported as failed; only then does the executor look again, for
//!   [`LIST_LAG_S`] after the intent (run lists lag), and dispatch again.
//! - Every `GitHubError` is given its [`ErrorKind`] in one function ([`kind_of`]): a lost
//!   answer, a rate limit or GitHub trouble is transient; a missing tag, workflow,
//!   repository or permission, or a moved tag, blocks the job; a bad artifact fails the
//!   attempt; credentials GitHub does not accept (a token expired or revoked, an App
//!   refused, not installed or without its permissions) stop the executor, and so does an
//!   API that could not be reached or did not answer for [`OUTAGE_LIMIT_S`] in a row.
//! - `adopt` is [`crate::backend::github_adoption`].
//! - `observe` reads runs from one conditional listing per repository and event, polled
//!   every poll interval while one of its runs is running (longer when so many repositories
//!   are watched that GitHub's secondary limits would be at risk) and answered from in
//!   between ([`crate::backend::github_watch`]); unchanged listings cost 304s, which the
//!   rate limit does not charge, so a build is noticed within a poll interval of its end
//!   whatever its estimate. `observe_now` (before a timeout is declared) always polls.
//! - `artifacts` downloads and checks every artifact of the run into the run's temporary
//!   directory and returns the files the job's `publish` globs select, as files on disk
//!   named by their base names (see [`crate::github::assets`]); the executor then checks
//!   the names across jobs with the same function.
//! - `publish` runs the release transaction ([`GitHub::publish_release`]).
//!
//! Times are seconds since the run's origin on the wall clock; GitHub's `created_at` and
//! `updated_at` place runs on it, so a run that ended while relplan was down is judged by
//! when it ended.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::backend::github_adoption;
use crate::backend::github_watch::{ListingKey, Watch};
use crate::compile::duration::format_seconds;
use crate::compiled::{CompiledPlan, Job, JobKind, Release, Trigger};
use crate::exec::backend::{Backend, BackendError, Clock, ErrorKind, Holdings, RunStatus};
use crate::exec::event::RunRef;
use crate::exec::reporter::Reporter;
use crate::github::assets::{self, JobOutput};
use crate::github::dispatch::{Attempt, Dispatched};
use crate::github::release::ReleaseSpec;
use crate::github::run_state::RunState;
use crate::github::runs::{Run, web_urls};
use crate::github::zip_check::ZipLimits;
use crate::github::{GitHub, GitHubError};
use crate::release_assets::Asset;
use crate::run_error::RunError;

/// How far before a dispatch relplan looks for its run (clock skew between hosts).
const DISCOVERY_SLACK_S: i64 = 300;
/// Waits between looks for a freshly dispatched run (seconds); about a minute in all.
const DISCOVERY_WAITS_S: [u64; 6] = [1, 2, 4, 8, 15, 30];
/// How long a new run may stay out of GitHub's run lists (seconds): an attempt not
/// confirmed before a crash, or that an adoption could not rule out, is looked for this long
/// after its intent before it is dispatched again. The cost: a resume after such a crash,
/// and every fresh start, may wait up to this long before dispatching.
pub const LIST_LAG_S: u64 = 120;
/// How long (seconds) the API may stay unreachable, or keep failing to answer, before the
/// executor stops (exit 130, resumable) instead of trying on.
pub const OUTAGE_LIMIT_S: u64 = 600;

pub struct GitHubBackend {
    github: GitHub,
    clock: Clock,
    plan_hash: String,
    release_version: String,
    limits: ZipLimits,
    /// The runs watched, by listing, and when to poll them.
    watch: Watch,
    /// Runs already reported as waiting for an approval.
    waiting_noted: HashSet<u64>,
    /// Where notes for the person watching go.
    reporter: Reporter,
    /// Where artifacts are downloaded and unpacked: `artifacts/` in the run's temporary
    /// directory, removed once the release is published.
    artifacts_dir: PathBuf,
    /// [`LIST_LAG_S`] unless a test says otherwise.
    list_lag_s: u64,
    /// Since when GitHub has been unreachable (or not answering), if it is now.
    outage_since: Option<u64>,
}

impl GitHubBackend {
    pub fn new(
        github: GitHub,
        clock: Clock,
        plan_hash: &str,
        release_version: &str,
        poll_interval: Duration,
        reporter: Reporter,
        temp_dir: &Path,
    ) -> GitHubBackend {
        GitHubBackend {
            github,
            clock,
            plan_hash: plan_hash.to_string(),
            release_version: release_version.to_string(),
            limits: ZipLimits::default(),
            watch: Watch::new(poll_interval),
            waiting_noted: HashSet::new(),
            reporter,
            artifacts_dir: temp_dir.join("artifacts"),
            list_lag_s: LIST_LAG_S,
            outage_since: None,
        }
    }

    /// How long runs may stay out of the lists, instead of [`LIST_LAG_S`] (tests).
    pub fn with_list_lag(mut self, seconds: u64) -> GitHubBackend {
        self.list_lag_s = seconds;
        self
    }

    /// The executor's view of a GitHub answer: its kind, and an outage that lasted
    /// [`OUTAGE_LIMIT_S`] turned into a stop.
    fn answer<T>(&mut self, result: Result<T, GitHubError>) -> Result<T, BackendError> {
        let error = match result {
            Ok(value) => {
                self.outage_since = None;
                return Ok(value);
            }
            Err(error) => error,
        };
        let outage = matches!(
            error,
            GitHubError::Unreachable { .. } | GitHubError::Unavailable { .. }
        );
        let BackendError {
            mut message,
            help,
            mut kind,
        } = backend_error(error);
        if outage {
            let now = self.now();
            let since = *self.outage_since.get_or_insert(now);
            if now.saturating_sub(since) >= OUTAGE_LIMIT_S {
                kind = ErrorKind::Stop;
                message = format!(
                    "{message} (GitHub has not been reachable for {})",
                    format_seconds(now.saturating_sub(since))
                );
            }
        }
        Err(BackendError {
            message,
            help,
            kind,
        })
    }

    /// Backend seconds of an RFC 3339 instant, within `0..=now`.
    fn seconds(&self, instant: &str) -> u64 {
        let Ok(at) = instant.parse::<jiff::Timestamp>() else {
            return self.now();
        };
        let ms = at.as_millisecond() - self.clock.origin_unix_ms as i64;
        u64::try_from(ms / 1000).unwrap_or(0).min(self.now())
    }

    /// The instant `seconds` before now, for the `created` filter.
    fn since(&self, seconds_before_origin: i64) -> jiff::Timestamp {
        let origin_s = (self.clock.origin_unix_ms / 1000) as i64;
        jiff::Timestamp::from_second(origin_s - seconds_before_origin)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    fn run_ref(&self, runs: &[Run]) -> RunRef {
        RunRef {
            runs: runs
                .iter()
                .map(|r| format!("{}/{}", r.id, r.run_attempt))
                .collect(),
            started_s: runs
                .iter()
                .map(|r| self.seconds(&r.created_at))
                .min()
                .unwrap_or_else(|| self.now()),
            urls: web_urls(runs),
        }
    }

    /// Looks for the runs of `correlation_id`, waiting between looks when `patient`.
    async fn discover(
        &self,
        job: &Job,
        correlation_id: &str,
        patient: bool,
    ) -> Result<Vec<Run>, GitHubError> {
        let (repo, event) = trigger_event(job)?;
        let since = self.since(DISCOVERY_SLACK_S);
        let waits: &[u64] = if patient { &DISCOVERY_WAITS_S } else { &[] };
        let mut runs = self
            .github
            .find_runs(repo, event, correlation_id, since)
            .await?;
        for wait in waits {
            if !runs.is_empty() {
                break;
            }
            self.github.pacer().wait(Duration::from_secs(*wait)).await;
            runs = self
                .github
                .find_runs(repo, event, correlation_id, since)
                .await?;
        }
        Ok(runs)
    }

    /// Re-runs the failed runs of `previous` in place; `None` when GitHub does not allow it.
    async fn rerun(&self, job: &Job, previous: &RunRef) -> Result<Option<RunRef>, GitHubError> {
        let (repo, _) = trigger_event(job)?;
        let mut next = Vec::new();
        for reference in &previous.runs {
            let Some((id, attempt)) = parse_ref(reference) else {
                return Ok(None);
            };
            let observed = self.github.observe_run(repo, id).await?;
            if observed.run.run_attempt > attempt {
                // Re-run before a crash: that is this attempt.
                next.push(observed.run);
                continue;
            }
            if observed.state.succeeded() {
                next.push(observed.run);
                continue;
            }
            if !observed.state.is_completed() {
                return Ok(None);
            }
            match self.github.rerun_failed_jobs(repo, id).await {
                Ok(()) => next.push(Run {
                    run_attempt: attempt + 1,
                    ..observed.run
                }),
                Err(GitHubError::Status { status: 403, .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        let mut reference = self.run_ref(&next);
        reference.started_s = self.now();
        Ok(Some(reference))
    }

    async fn dispatch_anew(&self, job: &Job, correlation_id: &str) -> Result<RunRef, GitHubError> {
        if job.kind == JobKind::Build
            && let Some(tag) = &job.git_ref
        {
            self.github
                .resolve_tag(&job.repo, tag, job.commit.as_deref())
                .await?;
        }
        let attempt = Attempt {
            job,
            correlation_id,
            plan_hash: &self.plan_hash,
            release_version: &self.release_version,
        };
        let (repo, _) = trigger_event(job)?;
        match self.github.dispatch(&attempt).await {
            Ok(Dispatched::Run(id)) => {
                let observed = self.github.observe_run(repo, id).await?;
                Ok(self.run_ref(&[observed.run]))
            }
            Ok(Dispatched::Discover { .. }) => {
                let runs = self.discover(job, correlation_id, true).await?;
                if runs.is_empty() {
                    return Err(GitHubError::Protocol {
                        action: format!("dispatching job `{}`", job.id),
                        detail: format!(
                            "GitHub accepted the dispatch but no run's run-name carries `{correlation_id}` after a minute"
                        ),
                    });
                }
                Ok(self.run_ref(&runs))
            }
            Err(e) if e.is_uncertain() => {
                let runs = self.discover(job, correlation_id, true).await?;
                if runs.is_empty() {
                    Err(e)
                } else {
                    Ok(self.run_ref(&runs))
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// The repository runs happen in, and the event they are listed under.
pub(super) fn trigger_event(job: &Job) -> Result<(&str, &'static str), GitHubError> {
    match &job.trigger {
        Some(Trigger::RepositoryDispatch { repo, .. }) => Ok((repo, "repository_dispatch")),
        Some(Trigger::WorkflowDispatch { repo, .. }) => Ok((repo, "workflow_dispatch")),
        None => Err(GitHubError::Input {
            message: format!("job `{}` has no trigger to run on GitHub", job.id),
            help: "give the job a repository_dispatch or workflow_dispatch trigger".into(),
        }),
    }
}

/// `"<run id>/<run attempt>"`.
fn parse_ref(reference: &str) -> Option<(u64, u32)> {
    let (id, attempt) = reference.split_once('/')?;
    Some((id.parse().ok()?, attempt.parse().ok()?))
}

impl GitHubBackend {
    /// Polls the listing of `key` (its first page) and reads on their own the runs of
    /// `refs` it no longer shows.
    async fn poll(
        &mut self,
        key: &ListingKey,
        refs: &[(u64, u32)],
        now: u64,
    ) -> Result<(), GitHubError> {
        let (repo, event) = (key.0.as_str(), key.1);
        let since = self.since(DISCOVERY_SLACK_S);
        let runs = self.github.list_runs(repo, event, since, 1).await?;
        self.watch.record(key, now, runs);
        for &(id, _) in refs {
            if self.watch.run(key, id).is_none() {
                let observed = self.github.observe_run(repo, id).await?;
                self.watch.record_one(key, observed.run);
            }
        }
        Ok(())
    }
}

/// A GitHub error as the executor sees it (outages aside: [`GitHubBackend::answer`]).
fn backend_error(error: GitHubError) -> BackendError {
    let kind = kind_of(&error);
    let RunError { message, help, .. } = error.into();
    BackendError {
        message,
        help,
        kind,
    }
}

/// What the executor does about a GitHub error: the one place that decides it.
pub fn kind_of(error: &GitHubError) -> ErrorKind {
    match error {
        GitHubError::NoToken { .. } | GitHubError::Credentials { .. } => ErrorKind::Stop,
        GitHubError::Rejected { .. }
        | GitHubError::Uncertain { .. }
        | GitHubError::Unavailable { .. }
        | GitHubError::Unreachable { .. }
        | GitHubError::Protocol { .. } => ErrorKind::Transient,
        GitHubError::Input { .. }
        | GitHubError::TagMoved { .. }
        | GitHubError::AssetNameConflict(_)
        | GitHubError::AssetDiffers { .. }
        | GitHubError::AlreadyPublished { .. }
        | GitHubError::Status {
            status: 403 | 404 | 410 | 422,
            ..
        } => ErrorKind::Blocked,
        GitHubError::Status { .. } | GitHubError::BadArtifact { .. } => ErrorKind::Failed,
    }
}

impl Backend for GitHubBackend {
    fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The next poll due in the future (see [`Watch::next_poll`]).
    fn next_change(&self) -> Option<u64> {
        self.watch.next_poll(self.now())
    }

    fn list_lag_s(&self) -> u64 {
        self.list_lag_s
    }

    async fn adopt(&mut self, plan: &CompiledPlan) -> Result<Holdings, BackendError> {
        let found = github_adoption::holdings(&self.github, plan, jiff::Timestamp::now()).await;
        self.answer(found)
    }

    async fn dispatch(
        &mut self,
        job: &Job,
        _attempt: u32,
        correlation_id: &str,
        previous: Option<&RunRef>,
    ) -> Result<RunRef, BackendError> {
        let result = match previous {
            Some(previous) => match self.rerun(job, previous).await {
                Ok(Some(rerun)) => Ok(rerun),
                Ok(None) => self.dispatch_anew(job, correlation_id).await,
                Err(e) => Err(e),
            },
            None => self.dispatch_anew(job, correlation_id).await,
        };
        self.answer(result)
    }

    async fn find(
        &mut self,
        job: &Job,
        correlation_id: &str,
    ) -> Result<Option<RunRef>, BackendError> {
        let found = self.discover(job, correlation_id, false).await;
        let runs = self.answer(found)?;
        Ok((!runs.is_empty()).then(|| self.run_ref(&runs)))
    }

    async fn observe(&mut self, job: &Job, run: &RunRef) -> Result<RunStatus, BackendError> {
        let (repo, event) = trigger_event(job).map_err(backend_error)?;
        let key: ListingKey = (repo.to_string(), event);
        let mut refs = Vec::new();
        for reference in &run.runs {
            let Some(parsed) = parse_ref(reference) else {
                return Err(BackendError::failed(format!(
                    "`{reference}` is not a GitHub run reference"
                )));
            };
            refs.push(parsed);
        }
        let now = self.now();
        if self.watch.due(&key, now) {
            let polled = self.poll(&key, &refs, now).await;
            self.answer(polled)?;
        }
        let mut running = false;
        let mut success = true;
        let mut ended = 0;
        for &(id, attempt) in &refs {
            let state = match self.watch.run(&key, id) {
                // Dispatched since the last poll, or a rerun not visible yet.
                None => None,
                Some(seen) if seen.run_attempt < attempt => None,
                Some(seen) => Some((seen.state().map_err(backend_error)?, seen.clone())),
            };
            let run_running = match state {
                None => true,
                Some((state @ RunState::Completed(_), seen)) => {
                    success &= state.succeeded();
                    ended = ended.max(self.seconds(&seen.updated_at));
                    false
                }
                Some((RunState::WaitingForApproval, seen)) => {
                    if self.waiting_noted.insert(id) {
                        self.reporter.note(&format!(
                            "{} run {id} is waiting for an approval: {}",
                            job.id, seen.html_url
                        ));
                    }
                    true
                }
                Some(_) => true,
            };
            self.watch.set_running(&key, id, run_running);
            running |= run_running;
        }
        Ok(if running || run.runs.is_empty() {
            RunStatus::Running
        } else {
            RunStatus::Finished {
                success,
                at: ended,
                reason: None,
            }
        })
    }

    async fn observe_now(&mut self, job: &Job, run: &RunRef) -> Result<RunStatus, BackendError> {
        let (repo, event) = trigger_event(job).map_err(backend_error)?;
        self.watch.force(&(repo.to_string(), event));
        self.observe(job, run).await
    }

    async fn cancel(&mut self, job: &Job, run: &RunRef) -> Result<(), BackendError> {
        let (repo, event) = trigger_event(job).map_err(backend_error)?;
        let key: ListingKey = (repo.to_string(), event);
        for (id, _) in run.runs.iter().filter_map(|r| parse_ref(r)) {
            self.watch.set_running(&key, id, false);
            let cancelled = self.github.cancel_run(repo, id).await;
            self.answer(cancelled)?;
        }
        Ok(())
    }

    async fn artifacts(&mut self, job: &Job, run: &RunRef) -> Result<Vec<Asset>, BackendError> {
        let (repo, _) = trigger_event(job).map_err(backend_error)?;
        let output = JobOutput {
            job: job.id.clone(),
            repo: repo.to_string(),
            runs: run
                .runs
                .iter()
                .filter_map(|r| parse_ref(r))
                .map(|(id, _)| id)
                .collect(),
            publish: job.publish.clone(),
        };
        let files = self
            .github
            .published_files(&output, self.limits, &self.artifacts_dir)
            .await;
        let files = self.answer(files)?;
        assets::name_assets(files).map_err(backend_error)
    }

    async fn publish(
        &mut self,
        release: &Release,
        assets: &[Asset],
    ) -> Result<Option<String>, BackendError> {
        let Some(repo) = &release.repo else {
            return Ok(None);
        };
        let spec = ReleaseSpec {
            repo: repo.clone(),
            tag: release.tag.clone(),
            name: format!("{} {}", release.name, release.version),
            prerelease: release.prerelease,
            commit: release.commit.clone(),
        };
        let published = self.github.publish_release(&spec, assets).await;
        let published = self.answer(published)?;
        // The downloaded files are no longer needed; a crash leaves them to the next start.
        let _ = fs_err::remove_dir_all(&self.artifacts_dir);
        Ok(Some(published.html_url).filter(|url| !url.is_empty()))
    }
}
