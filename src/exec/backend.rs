//! What the executor needs from the world that runs builds: dispatch an attempt carrying a
//! correlation id, find an attempt by that id after a crash, observe a run, cancel it, list
//! its artifacts, and publish the unified release as one idempotent transaction.
//!
//! The executor never knows which backend it drives. Every mutation must be safe to repeat
//! after checking: `find` before a second `dispatch`, and `publish` completing a release
//! that an earlier, interrupted call began.
//!
//! The executor owns this interface and everything it speaks (run references, statuses,
//! errors, the clock); implementations live in [`crate::backend`].

use std::time::{SystemTime, UNIX_EPOCH};

use crate::compiled::{Job, Release};
use crate::exec::event::RunRef;
use crate::release_assets::Asset;
use crate::run_error::{Exit, RunError};

/// What a run is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    /// Completed at `at` (seconds since the run's origin); `success` only for success.
    Finished {
        success: bool,
        at: u64,
    },
}

/// Why a backend could not do what the executor asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    pub message: String,
    /// The next step for the user, kept apart from the message all the way to the journal
    /// (`reason` and `help` of the attempt it ends).
    pub help: Option<String>,
    /// Asking again cannot help (the run or the repository does not exist): the attempt
    /// fails. Otherwise (network, rate limit, 5xx) the executor asks again later.
    pub permanent: bool,
}

impl BackendError {
    /// An error asking again may fix.
    pub fn new(message: impl Into<String>) -> Self {
        BackendError {
            message: message.into(),
            help: None,
            permanent: false,
        }
    }

    /// An error asking again cannot fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        BackendError {
            permanent: true,
            ..BackendError::new(message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
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
    /// with other bytes is an error, never overwritten.
    async fn publish(&mut self, release: &Release, assets: &[Asset]) -> Result<(), BackendError>;
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
