//! What the executor needs from the world that runs builds: dispatch an attempt carrying a
//! correlation id, find an attempt by that id after a crash, adopt what a fresh state
//! directory never saw (every attempt, release and fallback of the plan the backend already
//! holds), observe a run, cancel it, list its artifacts, and publish the unified release as
//! one idempotent transaction.
//!
//! Every error says what the executor does next ([`ErrorKind`]): ask again later, fail the
//! attempt (retries apply), block the job until its cause is fixed, or stop the executor.
//!
//! The executor never knows which backend it drives. Every mutation must be safe to repeat
//! after checking: `find` before a second `dispatch`, and `publish` completing a release
//! that an earlier, interrupted call began.
//!
//! The executor owns this interface and everything it speaks (run references, statuses,
//! errors, the clock); implementations live in [`crate::backend`].

use std::time::{SystemTime, UNIX_EPOCH};

use crate::compiled::{CompiledPlan, Job, Release};
use crate::exec::event::RunRef;
use crate::release_assets::Asset;
use crate::run_error::{Exit, RunError};

/// What a run is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    /// Completed at `at` (seconds since the run's origin); `success` only for success.
    /// `reason`: why it failed, when the backend knows more than "the run failed" (a local
    /// build's exit status).
    Finished {
        success: bool,
        at: u64,
        reason: Option<String>,
    },
}

/// What the executor does about a [`BackendError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Asking again later may work (a lost answer, a rate limit, GitHub trouble, a short
    /// outage): the executor asks again at its next turn.
    Transient,
    /// The attempt fails; its job's retries apply (a bad artifact, a lost run).
    Failed,
    /// Asking again cannot fix it, someone must (a missing tag, workflow or permission, a
    /// moved tag): the job stops as blocked, no retry is spent, no fallback starts for it,
    /// and `relplan retry` continues it once the cause is fixed.
    Blocked,
    /// The executor cannot go on at all for now (the API unreachable for too long, a token
    /// no longer accepted): it stops cleanly (exit 130) and `relplan resume` continues.
    Stop,
}

/// Why a backend could not do what the executor asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    pub message: String,
    /// The next step for the user, kept apart from the message all the way to the journal
    /// (`reason` and `help` of the attempt it ends).
    pub help: Option<String>,
    pub kind: ErrorKind,
}

impl BackendError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        BackendError {
            message: message.into(),
            help: None,
            kind,
        }
    }

    /// An error asking again may fix.
    pub fn transient(message: impl Into<String>) -> Self {
        BackendError::new(ErrorKind::Transient, message)
    }

    /// An error that fails the attempt.
    pub fn failed(message: impl Into<String>) -> Self {
        BackendError::new(ErrorKind::Failed, message)
    }

    /// An error that blocks the job until someone fixes its cause.
    pub fn blocked(message: impl Into<String>) -> Self {
        BackendError::new(ErrorKind::Blocked, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// What a backend already holds for a plan, found by correlation ids ([`Backend::adopt`]).
/// Times are backend seconds since `origin_unix_ms`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    /// The time zero of the times below: the earliest run found (GitHub), the simulated
    /// world's own (sim); `None` when nothing was found.
    pub origin_unix_ms: Option<u64>,
    /// Attempts of the plan's jobs, in any order.
    pub attempts: Vec<Found>,
    /// The release of the plan's tag exists and is published.
    pub published: bool,
    /// The published release's web page, when the backend has one.
    pub release_url: Option<String>,
    /// The run of the plan's `[fallback]`, if it was dispatched.
    pub fallback: Option<RunRef>,
}

/// One attempt found on the backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub job: String,
    pub attempt: u32,
    pub correlation_id: String,
    pub run: RunRef,
    pub status: RunStatus,
    /// Why it did not succeed, when the backend knows more than "the run failed".
    pub reason: Option<String>,
}

impl miette::Diagnostic for BackendError {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }
}

impl From<BackendError> for RunError {
    fn from(error: BackendError) -> RunError {
        RunError::from_diagnostic(&error, Exit::Failure)
    }
}

/// A build system relplan drives. Drivers are generic over it and run on one thread, so the
/// futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// Seconds since the run's origin on this backend's clock.
    fn now(&self) -> u64;

    /// When the backend expects a run to change next, if it knows (the sim backend does);
    /// the executor wakes then instead of waiting for its next poll.
    fn next_change(&self) -> Option<u64> {
        None
    }

    /// How long (backend seconds) a new run may stay invisible to [`Backend::find`] after
    /// its dispatch: GitHub's run lists lag. An intent without a result, and every attempt
    /// an adoption could not rule out, is looked for until this long after its intent (or
    /// the adoption) before it is dispatched again. 0 when `find` sees every run at once.
    fn list_lag_s(&self) -> u64 {
        0
    }

    /// Everything the backend already holds for `plan`: each job's attempts (by their
    /// correlation ids), whether the release of the tag is published, the fallback's run.
    /// Asked when a plan starts in a state directory without a journal, before anything is
    /// written, so that a new runner continues what an earlier one started.
    async fn adopt(&mut self, plan: &CompiledPlan) -> Result<Holdings, BackendError>;

    /// Starts attempt `attempt` of `job`, tagged with `correlation_id`. `previous` is the
    /// run of the attempt before, for backends that can re-run it in place (GitHub's
    /// rerun-failed-jobs) instead of dispatching anew.
    async fn dispatch(
        &mut self,
        job: &Job,
        attempt: u32,
        correlation_id: &str,
        previous: Option<&RunRef>,
    ) -> Result<RunRef, BackendError>;

    /// The run(s) an earlier dispatch with `correlation_id` started, if it went through.
    async fn find(
        &mut self,
        job: &Job,
        correlation_id: &str,
    ) -> Result<Option<RunRef>, BackendError>;

    /// What the run is doing; may answer from the backend's last look (GitHub polls
    /// adaptively and answers from its last observation in between).
    async fn observe(&mut self, job: &Job, run: &RunRef) -> Result<RunStatus, BackendError>;

    /// What the run is doing right now, never from an earlier look: asked once more before
    /// an attempt is declared timed out.
    async fn observe_now(&mut self, job: &Job, run: &RunRef) -> Result<RunStatus, BackendError> {
        self.observe(job, run).await
    }

    async fn cancel(&mut self, job: &Job, run: &RunRef) -> Result<(), BackendError>;

    /// What the job publishes from this run: the artifacts (or, for GitHub, the files inside
    /// them) selected by the job's `publish` globs, named as they will be in the release.
    async fn artifacts(&mut self, job: &Job, run: &RunRef) -> Result<Vec<Asset>, BackendError>;

    /// Creates or completes the unified release: every asset, then their
    /// [`sha256sums`](crate::release_assets::sha256sums), then publishes. An existing asset
    /// with other bytes is an error, never overwritten. Answers the published release's web
    /// page, when the backend has one.
    async fn publish(
        &mut self,
        release: &Release,
        assets: &[Asset],
    ) -> Result<Option<String>, BackendError>;
}

/// Run time from an origin on the wall clock, scaled (`speed` seconds per real second).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub origin_unix_ms: u64,
    pub speed: f64,
}

impl Clock {
    pub fn now(&self) -> u64 {
        self.at(unix_ms())
    }

    /// Run time of a wall-clock instant, in milliseconds since the Unix epoch.
    pub fn at(&self, unix_ms: u64) -> u64 {
        let elapsed_ms = unix_ms.saturating_sub(self.origin_unix_ms) as f64;
        (elapsed_ms * self.speed / 1000.0) as u64
    }

    /// Real time until run time `at`.
    pub fn until(&self, at: u64) -> std::time::Duration {
        let target_ms = self.origin_unix_ms as f64 + at as f64 * 1000.0 / self.speed;
        let wait_ms = (target_ms - unix_ms() as f64).max(0.0);
        std::time::Duration::from_micros((wait_ms * 1000.0).min(u64::MAX as f64 / 2.0) as u64)
    }
}

pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
