//! The events of a run: what the journal stores, one per line, and the only input of the
//! state machine. Intents (`AttemptStarting`, `PublishIntent`) are written before their
//! side effect, results (`AttemptDispatched`, `AttemptFinished`) after it.
//!
//! Times (`at`, `started_s`, `end_s`) are seconds since the run began, on the backend's
//! clock (simulated seconds for the sim backend).
//!
//! Requests from other commands (`relplan retry`, `relplan cancel`) are journaled as events
//! too (`Retried`, `CancelRequested`), by the executor that picks them up or by the command
//! itself when no executor runs; adoption (what the backend already held when the journal
//! was started) is one `Adopted` event, written with `Started` as the journal is created.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::compiled::CompiledPlan;
use crate::exec::backend::Clock;
use crate::release_assets::Asset;
use crate::scenario::Scenario;

/// How the run was started: everything `resume` needs besides the plan. Never a token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub backend: BackendKind,
    /// At most this many attempts at once; `None` is unlimited.
    pub concurrency: Option<usize>,
    pub fail_fast: bool,
    /// Seeds the jitter of retry backoff.
    pub seed: u64,
    /// Wall-clock milliseconds since the Unix epoch when the run began: time zero.
    pub origin_unix_ms: u64,
}

impl Settings {
    /// The run's clock: time zero at the origin, at the sim backend's speed.
    pub fn clock(&self) -> Clock {
        let speed = match &self.backend {
            BackendKind::Sim { speed, .. } => *speed,
            BackendKind::GitHub { .. } | BackendKind::Local { .. } => 1.0,
        };
        Clock {
            origin_unix_ms: self.origin_unix_ms,
            speed,
        }
    }
}

/// What runs the jobs, with the settings only that backend has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// The simulated world: `speed` simulated seconds per real second, behaving as
    /// `scenario` says.
    Sim { speed: f64, scenario: Scenario },
    /// GitHub Actions at this API root, each repository's runs polled every
    /// `poll_interval_s` while one of them runs. Credentials are given again on every
    /// start: the token, or the key of the GitHub App `app_id` when the run authenticates
    /// as one (its id is all the journal keeps of it).
    #[serde(rename = "github")]
    GitHub {
        api_url: String,
        poll_interval_s: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_id: Option<u64>,
    },
    /// This machine: the clones are in `workspace` (an absolute path), missing ones are
    /// cloned from `<git_base>/<owner>/<name>.git`.
    Local {
        workspace: PathBuf,
        git_base: String,
    },
}

/// One backend run (or several, when one dispatch started several workflows).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    pub runs: Vec<String>,
    /// When the backend started it.
    pub started_s: u64,
    /// The web page of each run, in the order of `runs`, when the backend has them
    /// (GitHub's `html_url`, the simulated world's `sim://run/…`). Journals written before
    /// relplan recorded them have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Success,
    /// The run failed, or the backend refused it in a way a retry may fix: retries apply.
    Failure,
    TimedOut,
    /// Stopped by relplan (`--fail-fast`, `relplan cancel`).
    Cancelled,
    /// The backend refused it for a reason asking again cannot fix (a missing tag,
    /// workflow or permission): the job is blocked until the cause is fixed and
    /// `relplan retry` continues it. No retry is spent and the fallback is not started.
    Blocked,
}

/// One attempt the backend already held when the journal was started (see `Adopted`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptedAttempt {
    pub job: String,
    pub attempt: u32,
    pub correlation_id: String,
    pub run: RunRef,
    /// How it ended; `None` while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AttemptOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One asset of the unified release, as journaled before publishing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetDigest {
    pub name: String,
    pub sha256: String,
}

impl From<&Asset> for AssetDigest {
    fn from(asset: &Asset) -> AssetDigest {
        AssetDigest {
            name: asset.name.clone(),
            sha256: asset.sha256.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The first event of every journal.
    Started {
        plan: Box<CompiledPlan>,
        settings: Settings,
    },
    /// Intent: attempt `attempt` (1-based) of `job` is about to be dispatched (or, for the
    /// release job, performed). On resume without a result it is looked up, never redone.
    AttemptStarting {
        job: String,
        attempt: u32,
        correlation_id: String,
        at: u64,
    },
    /// The backend accepted the attempt.
    AttemptDispatched {
        job: String,
        attempt: u32,
        run: RunRef,
    },
    /// Intent: the unified release is about to be published with these assets.
    PublishIntent {
        job: String,
        attempt: u32,
        assets: Vec<AssetDigest>,
    },
    AttemptFinished {
        job: String,
        attempt: u32,
        outcome: AttemptOutcome,
        at: u64,
        /// Why it did not succeed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// What the user can do about it, when the backend knew.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        help: Option<String>,
        /// The web page of what the attempt made besides its run, when the backend has one:
        /// the published release's, for the release job.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// Intent: the plan's `[fallback]` is about to be dispatched, because the release did
    /// not complete. On resume without a result it is looked up by its correlation id.
    FallbackStarting {
        correlation_id: String,
        at: u64,
    },
    /// The fallback was dispatched (`run`), or could not be (`reason`).
    FallbackFinished {
        at: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run: Option<RunRef>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        help: Option<String>,
    },
    /// No new dispatches until `Resumed`.
    Paused {
        at: u64,
    },
    Resumed {
        at: u64,
    },
    /// Ctrl-C: the executor stopped; running attempts go on and are found on resume.
    Interrupted {
        at: u64,
    },
    /// Nothing is left to do.
    Finished {
        at: u64,
    },
    /// What the backend already held for this plan when the journal was started (a fresh
    /// state directory): attempts found by their correlation ids, in plan order, each
    /// job's in attempt order; whether the release of the tag is published already; the
    /// fallback's run if it was dispatched. Written together with `Started`.
    Adopted {
        at: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attempts: Vec<AdoptedAttempt>,
        #[serde(default)]
        published: bool,
        /// The published release's web page, when the backend has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        release_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback: Option<RunRef>,
    },
    /// `relplan retry`: these jobs (failed, blocked or cancelled) and the jobs they skipped
    /// become pending again, with a fresh retry budget; attempt numbers go on.
    Retried {
        jobs: Vec<String>,
        at: u64,
    },
    /// `relplan cancel`: running attempts are cancelled, nothing new starts, the run ends.
    CancelRequested {
        at: u64,
    },
    /// The executor stopped because the backend cannot go on for now (unreachable for too
    /// long, a token no longer accepted); resumable once the cause is fixed.
    Halted {
        at: u64,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        help: Option<String>,
    },
    /// The connection settings a later `apply` or `resume` was given (GitHub: API URL and
    /// poll interval; they are not part of the plan): they replace the journaled ones.
    Connection {
        api_url: String,
        poll_interval_s: u64,
        at: u64,
    },
}
