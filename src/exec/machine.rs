//! The scheduling core: a synchronous state machine whose state is a pure function of the
//! events applied to it (the journal), and which, asked at a given time, names the next
//! decision to take as an event (dispatch this, time that out, cancel, finish).
//!
//! Drivers (the virtual-clock simulation, the tokio executor) journal each decision, apply
//! it, then perform its side effect; what the backend reports comes back as events too.
//! Nothing here does I/O or reads a clock, so replaying a journal rebuilds the exact state.
//!
//! Rules: a job starts once all its needs succeeded, at most
//! `concurrency` attempts at once, the ready job with the longest remaining path first; a
//! failed attempt is retried after a backoff while retries remain; a job that failed for good
//! or is blocked skips its dependents (transitively) while other branches go on, unless
//! `fail_fast`, which cancels what runs and starts nothing more. `relplan cancel` does the
//! same on request; `relplan retry` makes failed, blocked and cancelled jobs (and what they
//! skipped) pending again with a fresh retry budget. The `[fallback]` starts once, when the
//! run ends with a job that failed for good (not for a blocked job, not after a cancel).

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use crate::compiled::{CompiledPlan, Job, JobKind};
use crate::correlation;
use crate::dag;
use crate::exec::backoff;
use crate::exec::event::{
    AdoptedAttempt, AssetDigest, AttemptOutcome, BackendKind, Event, RunRef, Settings,
};

/// Where one job stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Some need has not succeeded yet.
    Waiting,
    Ready,
    /// Waiting out the backoff before its next attempt.
    Backoff {
        until: u64,
    },
    /// Intent journaled, not yet confirmed by the backend.
    Starting,
    Running,
    Succeeded,
    Failed,
    /// Refused for a reason asking again cannot fix; `relplan retry` continues it.
    Blocked,
    Skipped,
    Cancelled,
}

impl Phase {
    /// Nothing more happens to the job unless `relplan retry` asks for it.
    pub fn is_over(&self) -> bool {
        matches!(
            self,
            Phase::Succeeded | Phase::Failed | Phase::Blocked | Phase::Skipped | Phase::Cancelled
        )
    }
}

/// The state names of `status` and `simulate` output. A contract: programs read them in
/// `--format json`, so a name is never changed, only added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Succeeded,
    Failed,
    Blocked,
    Skipped,
    Running,
    Pending,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Blocked => "blocked",
            JobState::Skipped => "skipped",
            JobState::Running => "running",
            JobState::Pending => "pending",
            JobState::Cancelled => "cancelled",
        }
    }
}

/// One attempt of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub number: u32,
    pub correlation_id: String,
    pub started_s: u64,
    pub run: Option<RunRef>,
    /// When the attempt times out: its run's start plus the job's timeout, fixed when the
    /// run is dispatched (the release job, which has no run: when it starts).
    pub deadline_s: Option<u64>,
    pub assets: Option<Vec<AssetDigest>>,
    pub end_s: Option<u64>,
    pub outcome: Option<AttemptOutcome>,
    pub reason: Option<String>,
    /// What the user can do about `reason`, when the backend knew.
    pub help: Option<String>,
    /// Found on the backend when the journal was started, not dispatched by this journal.
    pub adopted: bool,
    /// The web page of what the attempt made besides its run (the release job: the
    /// published release's), when the backend has one.
    pub url: Option<String>,
}

impl Attempt {
    fn new(number: u32, correlation_id: String, started_s: u64) -> Attempt {
        Attempt {
            number,
            correlation_id,
            started_s,
            run: None,
            deadline_s: None,
            assets: None,
            end_s: None,
            outcome: None,
            reason: None,
            help: None,
            adopted: false,
            url: None,
        }
    }

    /// The attempt's web page: its own (the release's) or its run's (the first, when one
    /// dispatch started several runs).
    pub fn link(&self) -> Option<&str> {
        self.url
            .as_deref()
            .or_else(|| self.run.as_ref()?.urls.first().map(String::as_str))
    }
}

#[derive(Clone, Debug)]
pub struct JobRun {
    pub phase: Phase,
    pub attempts: Vec<Attempt>,
    /// The first attempt number of the current retry budget: 1, or the attempt after the
    /// last one when `relplan retry` gave the job a fresh budget.
    pub budget_from: u32,
}

impl JobRun {
    pub fn state(&self) -> JobState {
        match self.phase {
            Phase::Waiting | Phase::Ready | Phase::Backoff { .. } => JobState::Pending,
            Phase::Starting | Phase::Running => JobState::Running,
            Phase::Succeeded => JobState::Succeeded,
            Phase::Failed => JobState::Failed,
            Phase::Blocked => JobState::Blocked,
            Phase::Skipped => JobState::Skipped,
            Phase::Cancelled => JobState::Cancelled,
        }
    }

    pub fn current(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    fn current_mut(&mut self) -> Option<&mut Attempt> {
        self.attempts.last_mut()
    }

    /// The number the job's next attempt gets: attempt numbers only ever go up.
    pub fn next_number(&self) -> u32 {
        self.current().map_or(1, |a| a.number.saturating_add(1))
    }
}

/// A request another command made of the run (`relplan retry`, `relplan cancel`), as
/// journaled: what was asked, and when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    /// `retry` or `cancel`.
    pub kind: &'static str,
    /// The jobs named (retry).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<String>,
    pub at: u64,
}

/// Why the executor last stopped although the run was not over (a `Halted` event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Halt {
    pub at: u64,
    pub reason: String,
    pub help: Option<String>,
}

/// Why nothing new starts and what runs is cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    FailFast,
    Cancel,
}

impl Stop {
    fn reason(self) -> &'static str {
        match self {
            Stop::FailFast => "--fail-fast: another job failed",
            Stop::Cancel => "cancelled by `relplan cancel`",
        }
    }
}

/// A run of one plan: the plan, its settings, and where every job stands.
#[derive(Clone, Debug)]
pub struct Machine {
    plan: CompiledPlan,
    settings: Settings,
    index: HashMap<String, usize>,
    needs: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
    priority: Vec<u64>,
    jobs: Vec<JobRun>,
    unmet: Vec<usize>,
    ready: BTreeSet<(Reverse<u64>, usize)>,
    backoff: BTreeSet<(u64, usize)>,
    deadlines: BTreeSet<(u64, usize)>,
    active: BTreeSet<usize>,
    paused: bool,
    stopping: Option<Stop>,
    interrupted: bool,
    halt: Option<Halt>,
    fallback: Fallback,
    finished: bool,
    adopted_at: Option<u64>,
    requests: Vec<Request>,
    last_at: u64,
}

/// Where the plan's `[fallback]` stands. It is started once, when the run is over and the
/// release did not complete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Fallback {
    #[default]
    NotStarted,
    /// Journaled at `at`, not yet answered: the executor dispatches it (or looks it up).
    Starting { correlation_id: String, at: u64 },
    /// Dispatched (`run`), or not (`reason`).
    Done {
        run: Option<RunRef>,
        reason: Option<String>,
    },
}

/// The job id the fallback is dispatched under (for backends).
pub use crate::compiled::FALLBACK_JOB;

/// The reason of every attempt that ran past its deadline.
const TIMED_OUT: &str = "the job's timeout passed";

/// The reason of the attempts a published release stands for (adoption).
const ALREADY_PUBLISHED: &str = "the release is already published";

impl Machine {
    /// A run that has started nothing yet.
    pub fn new(plan: CompiledPlan, settings: Settings) -> Machine {
        let index: HashMap<String, usize> = plan
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.id.clone(), i))
            .collect();
        let needs: Vec<Vec<usize>> = plan
            .jobs
            .iter()
            .map(|j| {
                j.needs
                    .iter()
                    .filter_map(|n| index.get(n).copied())
                    .collect()
            })
            .collect();
        let mut dependents = vec![Vec::new(); needs.len()];
        for (job, job_needs) in needs.iter().enumerate() {
            for &need in job_needs {
                dependents[need].push(job);
            }
        }
        // A compiled plan is acyclic (checked when it was assembled or loaded); should one
        // slip through, plan order still gives every job a priority.
        let order = dag::topological_order(&needs).unwrap_or_else(|_| (0..needs.len()).collect());
        let weights: Vec<u64> = plan.jobs.iter().map(|j| j.estimate_s).collect();
        let priority = dag::remaining_path(&needs, &weights, &order);
        let unmet: Vec<usize> = needs.iter().map(Vec::len).collect();
        let mut jobs = Vec::with_capacity(needs.len());
        let mut ready = BTreeSet::new();
        for (i, &count) in unmet.iter().enumerate() {
            let phase = if count == 0 {
                ready.insert((Reverse(priority[i]), i));
                Phase::Ready
            } else {
                Phase::Waiting
            };
            jobs.push(JobRun {
                phase,
                attempts: Vec::new(),
                budget_from: 1,
            });
        }
        Machine {
            plan,
            settings,
            index,
            needs,
            dependents,
            priority,
            jobs,
            unmet,
            ready,
            backoff: BTreeSet::new(),
            deadlines: BTreeSet::new(),
            active: BTreeSet::new(),
            paused: false,
            stopping: None,
            interrupted: false,
            halt: None,
            fallback: Fallback::NotStarted,
            finished: false,
            adopted_at: None,
            requests: Vec::new(),
            last_at: 0,
        }
    }

    /// Rebuilds a run from its journal; `None` unless the first event is `Started`.
    pub fn replay(events: &[Event]) -> Option<Machine> {
        let Some(Event::Started { plan, settings }) = events.first() else {
            return None;
        };
        let mut machine = Machine::new((**plan).clone(), settings.clone());
        for event in &events[1..] {
            machine.apply(event);
        }
        Some(machine)
    }

    pub fn plan(&self) -> &CompiledPlan {
        &self.plan
    }

    /// The settings in force: those the run started with, with any later connection
    /// settings (`Connection` events) in place of the first.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn job(&self, i: usize) -> &Job {
        &self.plan.jobs[i]
    }

    pub fn run(&self, i: usize) -> &JobRun {
        &self.jobs[i]
    }

    pub fn job_count(&self) -> usize {
        self.jobs.len()
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    pub fn was_interrupted(&self) -> bool {
        self.interrupted
    }

    /// Why the executor last stopped, when the backend made it stop (not Ctrl-C).
    pub fn halt(&self) -> Option<&Halt> {
        self.halt.as_ref()
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Nothing new starts and what runs is being cancelled (`--fail-fast`, `relplan cancel`).
    pub fn is_stopping(&self) -> bool {
        self.stopping.is_some()
    }

    /// Whether `relplan cancel` was asked for (and no `relplan retry` came after it).
    pub fn is_cancelled(&self) -> bool {
        self.stopping == Some(Stop::Cancel)
    }

    /// When the journal's adoption looked at the backend, if the journal had one.
    pub fn adopted_at(&self) -> Option<u64> {
        self.adopted_at
    }

    /// The retries and cancels asked for, in order.
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// The latest time any event carried.
    pub fn last_at(&self) -> u64 {
        self.last_at
    }

    /// Jobs with an attempt in flight (starting or running), in plan order.
    pub fn active(&self) -> impl Iterator<Item = usize> + '_ {
        self.active.iter().copied()
    }

    /// Whether every job succeeded.
    pub fn succeeded(&self) -> bool {
        self.jobs.iter().all(|j| j.phase == Phase::Succeeded)
    }

    /// The jobs `relplan retry` continues when it names none: failed, blocked, cancelled.
    pub fn retryable(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.jobs.len()).filter(|&i| {
            matches!(
                self.jobs[i].phase,
                Phase::Failed | Phase::Blocked | Phase::Cancelled
            )
        })
    }

    /// The jobs whose files release job `i` publishes: its needs that have `publish` globs.
    pub fn publishers(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.plan.jobs[i]
            .needs
            .iter()
            .filter_map(|need| self.index_of(need))
            .filter(|&j| !self.plan.jobs[j].publish.is_empty())
    }

    /// The published release's web page, when the backend gave one.
    pub fn release_url(&self) -> Option<&str> {
        self.plan
            .jobs
            .iter()
            .zip(&self.jobs)
            .filter(|(job, run)| job.kind == JobKind::Release && run.phase == Phase::Succeeded)
            .find_map(|(_, run)| run.current()?.url.as_deref())
    }

    /// Whether the unified release was published (the release job succeeded).
    pub fn published(&self) -> bool {
        self.plan
            .jobs
            .iter()
            .zip(&self.jobs)
            .any(|(job, run)| job.kind == JobKind::Release && run.phase == Phase::Succeeded)
    }

    /// When something will happen without the backend saying so: a timeout or a backoff's end.
    pub fn next_wakeup(&self) -> Option<u64> {
        let deadline = self.deadlines.first().map(|d| d.0);
        let backoff = self.backoff.first().map(|b| b.0);
        match (deadline, backoff) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next decision at time `now`, as the event to journal and apply; `None` when there
    /// is nothing to decide until the backend reports or time passes.
    pub fn decide(&mut self, now: u64) -> Option<Event> {
        if self.finished {
            return None;
        }
        while let Some(&(deadline, i)) = self.deadlines.first()
            && deadline <= now
        {
            let run = &self.jobs[i];
            let current = run.current().and_then(|a| a.deadline_s) == Some(deadline);
            if current && matches!(run.phase, Phase::Starting | Phase::Running) {
                return Some(self.finish_event(i, AttemptOutcome::TimedOut, deadline, TIMED_OUT));
            }
            // Left by an attempt that ended otherwise: nothing to time out.
            self.deadlines.remove(&(deadline, i));
        }
        if let Some(stop) = self.stopping {
            // Runs the backend confirmed first; then intents (the driver looks them up).
            let running = self
                .active
                .iter()
                .find(|&&i| self.jobs[i].phase == Phase::Running)
                .or(self.active.first());
            if let Some(&i) = running {
                return Some(self.finish_event(i, AttemptOutcome::Cancelled, now, stop.reason()));
            }
            return self.end(now);
        }
        while let Some(&(until, i)) = self.backoff.first() {
            if until > now {
                break;
            }
            self.backoff.remove(&(until, i));
            self.jobs[i].phase = Phase::Ready;
            self.ready.insert((Reverse(self.priority[i]), i));
        }
        let has_capacity = self
            .settings
            .concurrency
            .is_none_or(|limit| self.active.len() < limit);
        if !self.paused
            && has_capacity
            && let Some(&(_, i)) = self.ready.first()
        {
            let attempt = self.jobs[i].next_number();
            let job = &self.plan.jobs[i].id;
            return Some(Event::AttemptStarting {
                job: job.clone(),
                attempt,
                correlation_id: correlation::attempt_id(&self.plan.plan_hash, job, attempt),
                at: now,
            });
        }
        if self.active.is_empty() && self.ready.is_empty() && self.backoff.is_empty() {
            return self.end(now);
        }
        None
    }

    /// Nothing is left to run: start the fallback first when a job failed for good (not
    /// when the run was cancelled, nor for a blocked job, which waits for its fix).
    fn end(&self, now: u64) -> Option<Event> {
        let wanted = self.plan.fallback.is_some()
            && !self.is_cancelled()
            && self.jobs.iter().any(|j| j.phase == Phase::Failed);
        match &self.fallback {
            Fallback::NotStarted if wanted => Some(Event::FallbackStarting {
                correlation_id: correlation::fallback_id(&self.plan.plan_hash),
                at: now,
            }),
            Fallback::Starting { .. } => None,
            _ => Some(Event::Finished { at: now }),
        }
    }

    pub fn fallback(&self) -> &Fallback {
        &self.fallback
    }

    fn finish_event(&self, i: usize, outcome: AttemptOutcome, at: u64, reason: &str) -> Event {
        Event::AttemptFinished {
            job: self.plan.jobs[i].id.clone(),
            attempt: self.jobs[i].current().map_or(0, |a| a.number),
            outcome,
            at,
            reason: Some(reason.to_string()),
            help: None,
            url: None,
        }
    }

    /// The event that ends attempt `attempt` of job `i` whose run finished at `at`
    /// (`success` only for success): a run that ended after the attempt's deadline timed out
    /// at the deadline. `None` when that attempt is not the job's current one. This is the
    /// one translation of a backend's "finished" into an outcome, for every driver. A
    /// failure's `reason` is the backend's, when it gave one.
    pub fn run_finished(
        &self,
        i: usize,
        attempt: u32,
        success: bool,
        at: u64,
        reason: Option<&str>,
    ) -> Option<Event> {
        let current = self.jobs.get(i)?.current()?;
        if current.number != attempt {
            return None;
        }
        let (outcome, at, reason) = outcome_of(current.deadline_s, success, at, reason);
        Some(Event::AttemptFinished {
            job: self.plan.jobs[i].id.clone(),
            attempt,
            outcome,
            at,
            reason,
            help: None,
            url: None,
        })
    }

    /// Applies one event. Events that do not fit the state (a result for an attempt that
    /// already ended, an unknown job) are ignored, so a replay never fails half-way.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Started { .. } => {}
            Event::AttemptStarting {
                job,
                attempt,
                correlation_id,
                at,
            } => {
                self.saw(*at);
                let Some(i) = self.index_of(job) else { return };
                let release = self.plan.jobs[i].kind == JobKind::Release;
                let run = &mut self.jobs[i];
                if run.phase == Phase::Starting
                    && !release
                    && let Some(current) = run.current_mut()
                    && current.number == *attempt
                    && current.run.is_none()
                {
                    // The intent renewed: it is dispatched now, after looking it up.
                    current.started_s = current.started_s.max(*at);
                    return;
                }
                if !matches!(run.phase, Phase::Ready | Phase::Backoff { .. })
                    || *attempt < run.next_number()
                {
                    return;
                }
                if let Phase::Backoff { until } = run.phase {
                    self.backoff.remove(&(until, i));
                }
                self.ready.remove(&(Reverse(self.priority[i]), i));
                run.phase = Phase::Starting;
                let job = &self.plan.jobs[i];
                let mut started = Attempt::new(*attempt, correlation_id.clone(), *at);
                started.deadline_s =
                    (job.kind == JobKind::Release).then(|| at.saturating_add(job.timeout_s));
                if let Some(deadline) = started.deadline_s {
                    self.deadlines.insert((deadline, i));
                }
                run.attempts.push(started);
                self.active.insert(i);
            }
            Event::AttemptDispatched { job, attempt, run } => {
                let Some(i) = self.current(job, *attempt) else {
                    return;
                };
                if self.jobs[i].phase != Phase::Starting {
                    return;
                }
                self.saw(run.started_s);
                self.running(i, run);
            }
            Event::PublishIntent {
                job,
                attempt,
                assets,
            } => {
                let Some(i) = self.current(job, *attempt) else {
                    return;
                };
                if let Some(current) = self.jobs[i].current_mut() {
                    current.assets = Some(assets.clone());
                }
            }
            Event::AttemptFinished {
                job,
                attempt,
                outcome,
                at,
                reason,
                help,
                url,
            } => {
                self.saw(*at);
                let Some(i) = self.current(job, *attempt) else {
                    return;
                };
                if !matches!(self.jobs[i].phase, Phase::Starting | Phase::Running) {
                    return;
                }
                self.finish(i, *outcome, *at, reason.clone(), help.clone());
                if let Some(finished) = self.jobs[i].attempts.last_mut() {
                    finished.url.clone_from(url);
                }
            }
            Event::FallbackStarting { correlation_id, at } => {
                self.saw(*at);
                if let Fallback::Starting { at: since, .. } = &mut self.fallback {
                    // The intent renewed: it is dispatched now, after looking it up.
                    *since = (*since).max(*at);
                } else if self.fallback == Fallback::NotStarted {
                    self.fallback = Fallback::Starting {
                        correlation_id: correlation_id.clone(),
                        at: *at,
                    };
                }
            }
            Event::FallbackFinished {
                at, run, reason, ..
            } => {
                self.saw(*at);
                if matches!(self.fallback, Fallback::Starting { .. }) {
                    self.fallback = Fallback::Done {
                        run: run.clone(),
                        reason: reason.clone(),
                    };
                }
            }
            Event::Paused { at } => {
                self.saw(*at);
                self.paused = true;
            }
            Event::Resumed { at } => {
                self.saw(*at);
                self.paused = false;
                self.interrupted = false;
                self.halt = None;
            }
            Event::Interrupted { at } => {
                self.saw(*at);
                self.interrupted = true;
            }
            Event::Halted { at, reason, help } => {
                self.saw(*at);
                self.interrupted = true;
                self.halt = Some(Halt {
                    at: *at,
                    reason: reason.clone(),
                    help: help.clone(),
                });
            }
            Event::Finished { at } => {
                self.saw(*at);
                self.finished = true;
                for run in &mut self.jobs {
                    if !run.phase.is_over() {
                        run.phase = Phase::Cancelled;
                    }
                }
                self.ready.clear();
                self.backoff.clear();
                self.deadlines.clear();
                self.active.clear();
            }
            Event::Adopted {
                at,
                attempts,
                published,
                release_url,
                fallback,
            } => {
                self.saw(*at);
                self.adopt(*at, attempts, *published, fallback.as_ref());
                self.adopt_release_url(release_url.as_deref());
            }
            Event::Retried { jobs, at } => {
                self.saw(*at);
                self.requests.push(Request {
                    kind: "retry",
                    jobs: jobs.clone(),
                    at: *at,
                });
                let targets: Vec<usize> = jobs
                    .iter()
                    .filter_map(|id| self.index_of(id))
                    .filter(|&i| {
                        matches!(
                            self.jobs[i].phase,
                            Phase::Failed | Phase::Blocked | Phase::Cancelled
                        )
                    })
                    .collect();
                self.retry(&targets);
            }
            Event::CancelRequested { at } => {
                self.saw(*at);
                self.requests.push(Request {
                    kind: "cancel",
                    jobs: Vec::new(),
                    at: *at,
                });
                if !self.finished {
                    self.stopping = Some(Stop::Cancel);
                }
            }
            Event::Connection {
                api_url,
                poll_interval_s,
                at,
            } => {
                self.saw(*at);
                if let BackendKind::GitHub {
                    api_url: url,
                    poll_interval_s: poll,
                    ..
                } = &mut self.settings.backend
                {
                    url.clone_from(api_url);
                    *poll = *poll_interval_s;
                }
            }
        }
    }

    fn saw(&mut self, at: u64) {
        self.last_at = self.last_at.max(at);
    }

    /// The job's index when `attempt` is its latest attempt.
    fn current(&self, job: &str, attempt: u32) -> Option<usize> {
        let i = self.index_of(job)?;
        (self.jobs[i].current()?.number == attempt).then_some(i)
    }

    /// The current attempt of job `i` has run `run`: it is running, and times out at the
    /// run's start plus the job's timeout.
    fn running(&mut self, i: usize, run: &RunRef) {
        let deadline = run.started_s.saturating_add(self.plan.jobs[i].timeout_s);
        self.deadlines.insert((deadline, i));
        let job_run = &mut self.jobs[i];
        job_run.phase = Phase::Running;
        if let Some(current) = job_run.current_mut() {
            if let Some(old) = current.deadline_s {
                self.deadlines.remove(&(old, i));
            }
            current.started_s = run.started_s;
            current.run = Some(run.clone());
            current.deadline_s = Some(deadline);
        }
    }

    fn finish(
        &mut self,
        i: usize,
        outcome: AttemptOutcome,
        at: u64,
        reason: Option<String>,
        help: Option<String>,
    ) {
        self.active.remove(&i);
        let budget_from = self.jobs[i].budget_from;
        let Some(current) = self.jobs[i].attempts.last_mut() else {
            return;
        };
        if let Some(deadline) = current.deadline_s {
            self.deadlines.remove(&(deadline, i));
        }
        current.end_s = Some(at);
        current.outcome = Some(outcome);
        current.reason = reason;
        current.help = help;
        let spent = current.number.saturating_sub(budget_from);
        let retries = self.plan.jobs[i].retries;
        match outcome {
            AttemptOutcome::Success => self.succeed(i),
            AttemptOutcome::Cancelled => self.jobs[i].phase = Phase::Cancelled,
            AttemptOutcome::Failure | AttemptOutcome::TimedOut
                if spent < retries && self.stopping.is_none() =>
            {
                let delay = backoff::delay_s(self.settings.seed, &self.plan.jobs[i].id, spent + 1);
                let until = at.saturating_add(delay);
                self.jobs[i].phase = Phase::Backoff { until };
                self.backoff.insert((until, i));
            }
            AttemptOutcome::Failure | AttemptOutcome::TimedOut | AttemptOutcome::Blocked => {
                self.jobs[i].phase = if outcome == AttemptOutcome::Blocked {
                    Phase::Blocked
                } else {
                    Phase::Failed
                };
                self.skip_dependents(i);
                if self.settings.fail_fast && self.stopping.is_none() {
                    self.stopping = Some(Stop::FailFast);
                }
            }
        }
    }

    /// Job `i` succeeded: its dependents whose needs all succeeded become ready.
    fn succeed(&mut self, i: usize) {
        self.ready.remove(&(Reverse(self.priority[i]), i));
        if let Phase::Backoff { until } = self.jobs[i].phase {
            self.backoff.remove(&(until, i));
        }
        self.jobs[i].phase = Phase::Succeeded;
        for d in 0..self.dependents[i].len() {
            let dependent = self.dependents[i][d];
            self.unmet[dependent] = self.unmet[dependent].saturating_sub(1);
            if self.unmet[dependent] == 0 && self.jobs[dependent].phase == Phase::Waiting {
                self.jobs[dependent].phase = Phase::Ready;
                self.ready
                    .insert((Reverse(self.priority[dependent]), dependent));
            }
        }
    }

    fn skip_dependents(&mut self, failed: usize) {
        let mut stack = self.dependents[failed].clone();
        while let Some(i) = stack.pop() {
            if self.jobs[i].phase == Phase::Waiting {
                self.jobs[i].phase = Phase::Skipped;
                stack.extend(self.dependents[i].iter().copied());
            }
        }
    }

    /// `relplan retry` of `targets`: they and the jobs they skipped (or that were cancelled
    /// before they started) become pending again, each target with a fresh retry budget.
    fn retry(&mut self, targets: &[usize]) {
        if targets.is_empty() {
            return;
        }
        let mut reset = BTreeSet::new();
        let mut stack = targets.to_vec();
        while let Some(i) = stack.pop() {
            let phase = &self.jobs[i].phase;
            let again = targets.contains(&i) || matches!(phase, Phase::Skipped | Phase::Cancelled);
            if again && reset.insert(i) {
                stack.extend(self.dependents[i].iter().copied());
            }
        }
        for &i in &reset {
            let run = &mut self.jobs[i];
            run.budget_from = run.next_number();
            run.phase = Phase::Waiting;
        }
        for &i in &reset {
            self.unmet[i] = self.needs[i]
                .iter()
                .filter(|&&n| self.jobs[n].phase != Phase::Succeeded)
                .count();
            if self.unmet[i] == 0 {
                self.jobs[i].phase = Phase::Ready;
                self.ready.insert((Reverse(self.priority[i]), i));
            }
        }
        self.finished = false;
        self.stopping = None;
    }

    /// An `Adopted` event: each attempt found on the backend becomes the job's, as if it
    /// had been dispatched here (running: watched; finished: ended as it did, a failure
    /// counting against the retries). A published release stands for itself and every job
    /// it needs: they succeeded, whatever runs were (or were not) found for them.
    fn adopt(
        &mut self,
        at: u64,
        attempts: &[AdoptedAttempt],
        published: bool,
        fallback: Option<&RunRef>,
    ) {
        self.adopted_at = Some(at);
        let done = if published {
            self.release_closure()
        } else {
            BTreeSet::new()
        };
        for found in attempts {
            let Some(i) = self.index_of(&found.job) else {
                continue;
            };
            if self.jobs[i].phase.is_over() || found.attempt < self.jobs[i].next_number() {
                continue;
            }
            self.saw(found.run.started_s);
            self.supersede(i, found.run.started_s);
            if let Phase::Backoff { until } = self.jobs[i].phase {
                self.backoff.remove(&(until, i));
            }
            self.ready.remove(&(Reverse(self.priority[i]), i));
            let mut attempt = Attempt::new(
                found.attempt,
                found.correlation_id.clone(),
                found.run.started_s,
            );
            attempt.adopted = true;
            self.jobs[i].attempts.push(attempt);
            if done.contains(&i) {
                // History only: the published release decides below.
                if let Some(current) = self.jobs[i].current_mut() {
                    current.run = Some(found.run.clone());
                    current.outcome = found.outcome;
                    current.end_s = found.end_s;
                    current.reason.clone_from(&found.reason);
                }
                continue;
            }
            self.active.insert(i);
            self.running(i, &found.run);
            if let Some(outcome) = found.outcome {
                let end = found.end_s.unwrap_or(at);
                self.saw(end);
                self.finish(i, outcome, end, found.reason.clone(), None);
            }
        }
        for i in done {
            let run = &self.jobs[i];
            if run
                .current()
                .is_none_or(|a| a.outcome != Some(AttemptOutcome::Success))
            {
                let number = run.next_number();
                let id =
                    correlation::attempt_id(&self.plan.plan_hash, &self.plan.jobs[i].id, number);
                let mut attempt = Attempt::new(number, id, at);
                attempt.adopted = true;
                attempt.end_s = Some(at);
                attempt.outcome = Some(AttemptOutcome::Success);
                attempt.reason = Some(ALREADY_PUBLISHED.into());
                self.jobs[i].attempts.push(attempt);
            }
            self.succeed(i);
        }
        if let (Some(run), Fallback::NotStarted) = (fallback, &self.fallback) {
            self.fallback = Fallback::Done {
                run: Some(run.clone()),
                reason: None,
            };
        }
    }

    /// The adopted release's web page becomes the release job's (it stands for the release).
    fn adopt_release_url(&mut self, url: Option<&str>) {
        let Some(url) = url else {
            return;
        };
        for (job, run) in self.plan.jobs.iter().zip(&mut self.jobs) {
            if job.kind == JobKind::Release
                && let Some(attempt) = run.attempts.last_mut()
                && attempt.outcome == Some(AttemptOutcome::Success)
            {
                attempt.url = Some(url.to_string());
            }
        }
    }

    /// A later attempt of job `i` was found while its current one is open (its run was
    /// still going when a timeout made relplan move on): the open one ended, as a failure,
    /// when the later one started. Its phase is left to the later attempt.
    fn supersede(&mut self, i: usize, at: u64) {
        let Some(current) = self.jobs[i].attempts.last_mut() else {
            return;
        };
        if current.outcome.is_some() {
            return;
        }
        if let Some(deadline) = current.deadline_s {
            self.deadlines.remove(&(deadline, i));
        }
        current.outcome = Some(AttemptOutcome::Failure);
        current.end_s = Some(at.max(current.started_s));
        current.reason = Some("a later attempt was found on the backend".into());
    }

    /// The release jobs and every job they need, directly or not, in plan order.
    fn release_closure(&self) -> BTreeSet<usize> {
        let mut closure = BTreeSet::new();
        let mut stack: Vec<usize> = (0..self.jobs.len())
            .filter(|&i| self.plan.jobs[i].kind == JobKind::Release)
            .collect();
        while let Some(i) = stack.pop() {
            if closure.insert(i) {
                stack.extend(self.needs[i].iter().copied());
            }
        }
        closure
    }
}

/// How a run that finished at `at` ends its attempt, given the attempt's deadline: timed
/// out at the deadline when it ended after it, else success or failure (for the backend's
/// `reason`, else because "the run failed").
pub fn outcome_of(
    deadline_s: Option<u64>,
    success: bool,
    at: u64,
    reason: Option<&str>,
) -> (AttemptOutcome, u64, Option<String>) {
    match deadline_s {
        Some(deadline) if at > deadline => {
            (AttemptOutcome::TimedOut, deadline, Some(TIMED_OUT.into()))
        }
        _ if success => (AttemptOutcome::Success, at, None),
        _ => (
            AttemptOutcome::Failure,
            at,
            Some(reason.unwrap_or("the run failed").to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::{Release, Trigger};
    use crate::scenario::Scenario;

    /// a and b need nothing, c needs a; estimates 10, 50, 30.
    fn machine(concurrency: Option<usize>, fail_fast: bool) -> Machine {
        let job = |id: &str, needs: &[&str], estimate_s| Job {
            id: id.into(),
            kind: JobKind::Build,
            repo: format!("o/{id}"),
            git_ref: None,
            commit: None,
            version: None,
            needs: needs.iter().map(|n| n.to_string()).collect(),
            group: 0,
            trigger: Some(Trigger::RepositoryDispatch {
                repo: format!("o/{id}"),
                event_type: "build".into(),
            }),
            payload: Default::default(),
            timeout_s: 100,
            retries: 1,
            estimate_s,
            publish: Vec::new(),
            local: None,
        };
        let release = Release {
            name: "t".into(),
            version: "1.0.0".into(),
            tag: "v1.0.0".into(),
            prerelease: false,
            repo: None,
            commit: None,
        };
        let jobs = vec![job("a", &[], 10), job("b", &[], 50), job("c", &["a"], 30)];
        let plan = CompiledPlan::assemble(release, jobs, None).unwrap();
        let settings = Settings {
            backend: BackendKind::Sim {
                speed: 1.0,
                scenario: Scenario::default(),
            },
            concurrency,
            fail_fast,
            seed: 1,
            origin_unix_ms: 0,
        };
        Machine::new(plan, settings)
    }

    fn take(m: &mut Machine, now: u64) -> Event {
        let event = m.decide(now).expect("a decision");
        m.apply(&event);
        event
    }

    fn started(event: &Event) -> &str {
        match event {
            Event::AttemptStarting { job, .. } => job,
            other => panic!("expected a start, got {other:?}"),
        }
    }

    fn finished(job: &str, attempt: u32, outcome: AttemptOutcome, at: u64) -> Event {
        Event::AttemptFinished {
            job: job.into(),
            attempt,
            outcome,
            at,
            reason: None,
            help: None,
            url: None,
        }
    }

    #[test]
    fn the_longest_remaining_path_goes_first_within_the_concurrency() {
        let mut m = machine(Some(1), false);
        // b's remaining path (50) is longer than a's (10, then c's 30).
        assert_eq!(started(&take(&mut m, 0)), "b");
        assert_eq!(m.decide(0), None, "one at a time");
        m.apply(&finished("b", 1, AttemptOutcome::Success, 50));
        assert_eq!(started(&take(&mut m, 50)), "a");
    }

    #[test]
    fn a_failure_is_retried_after_its_backoff_then_skips_dependents() {
        let mut m = machine(None, false);
        assert_eq!(started(&take(&mut m, 0)), "b");
        assert_eq!(started(&take(&mut m, 0)), "a");
        m.apply(&finished("a", 1, AttemptOutcome::Failure, 10));
        let wake = m.next_wakeup().unwrap();
        assert!((25..=40).contains(&wake), "{wake}");
        assert_eq!(m.decide(wake - 1), None);
        assert_eq!(started(&take(&mut m, wake)), "a");
        m.apply(&finished("a", 2, AttemptOutcome::Failure, wake + 10));
        assert_eq!(m.run(m.index_of("a").unwrap()).phase, Phase::Failed);
        assert_eq!(m.run(m.index_of("c").unwrap()).phase, Phase::Skipped);
        assert_eq!(
            m.run(m.index_of("b").unwrap()).phase,
            Phase::Starting,
            "the other branch goes on"
        );
    }

    #[test]
    fn a_run_that_ended_after_its_deadline_timed_out_at_the_deadline() {
        let mut m = machine(None, false);
        assert_eq!(started(&take(&mut m, 0)), "b");
        let b = m.index_of("b").unwrap();
        m.apply(&Event::AttemptDispatched {
            job: "b".into(),
            attempt: 1,
            run: RunRef {
                runs: vec!["r".into()],
                started_s: 5,
                urls: Vec::new(),
            },
        });
        assert_eq!(m.run(b).current().unwrap().deadline_s, Some(105));
        let ended = |at, success| match m.run_finished(b, 1, success, at, None) {
            Some(Event::AttemptFinished {
                outcome,
                at,
                reason,
                ..
            }) => (outcome, at, reason),
            other => panic!("{other:?}"),
        };
        assert_eq!(ended(105, true), (AttemptOutcome::Success, 105, None));
        assert_eq!(
            ended(50, false),
            (AttemptOutcome::Failure, 50, Some("the run failed".into()))
        );
        assert_eq!(
            ended(106, true),
            (AttemptOutcome::TimedOut, 105, Some(TIMED_OUT.into()))
        );
        let Some(Event::AttemptFinished { reason, .. }) =
            m.run_finished(b, 1, false, 50, Some("the build exited with status 3"))
        else {
            panic!("the attempt ends");
        };
        assert_eq!(
            reason.as_deref(),
            Some("the build exited with status 3"),
            "the backend's reason of a failure is kept"
        );
        assert_eq!(
            m.run_finished(b, 2, true, 10, None),
            None,
            "not the current attempt"
        );
    }

    #[test]
    fn stale_and_unknown_results_are_ignored() {
        let mut m = machine(None, false);
        take(&mut m, 0);
        let before = format!("{:?}", m.jobs);
        m.apply(&finished("b", 7, AttemptOutcome::Success, 5));
        m.apply(&finished("nope", 1, AttemptOutcome::Success, 5));
        assert_eq!(format!("{:?}", m.jobs), before);
    }

    #[test]
    fn a_pause_starts_nothing_and_fail_fast_cancels_what_runs() {
        let mut m = machine(None, true);
        m.apply(&Event::Paused { at: 0 });
        assert_eq!(m.decide(0), None);
        m.apply(&Event::Resumed { at: 1 });
        assert_eq!(started(&take(&mut m, 1)), "b");
        assert_eq!(started(&take(&mut m, 1)), "a");
        m.apply(&finished("a", 1, AttemptOutcome::Failure, 5));
        take(&mut m, 40);
        m.apply(&finished("a", 2, AttemptOutcome::Failure, 45));
        match take(&mut m, 45) {
            Event::AttemptFinished { job, outcome, .. } => {
                assert_eq!((job.as_str(), outcome), ("b", AttemptOutcome::Cancelled))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(take(&mut m, 45), Event::Finished { .. }));
        let states: Vec<JobState> = (0..3).map(|i| m.run(i).state()).collect();
        assert_eq!(
            states,
            [JobState::Failed, JobState::Cancelled, JobState::Skipped]
        );
    }

    fn dispatched(job: &str, attempt: u32, started_s: u64) -> Event {
        Event::AttemptDispatched {
            job: job.into(),
            attempt,
            run: RunRef {
                runs: vec![format!("{job}/{attempt}")],
                started_s,
                urls: Vec::new(),
            },
        }
    }

    /// Runs `m` until it decides nothing at `now`, every attempt ending as `outcome` says
    /// (by job and attempt) right when it starts.
    fn run_all(m: &mut Machine, mut now: u64, outcome: impl Fn(&str, u32) -> AttemptOutcome) {
        for _ in 0..100 {
            let decision = m.decide(now);
            if let Some(event) = &decision {
                m.apply(event);
            }
            match decision {
                Some(Event::AttemptStarting { job, attempt, .. }) => {
                    m.apply(&dispatched(&job, attempt, now));
                    m.apply(&finished(&job, attempt, outcome(&job, attempt), now + 1));
                    now += 1;
                }
                Some(_) => {}
                None => match m.next_wakeup() {
                    Some(at) if !m.is_finished() => now = at,
                    _ => return,
                },
            }
        }
        panic!("the machine did not settle");
    }

    fn phase(m: &Machine, job: &str) -> Phase {
        m.run(m.index_of(job).unwrap()).phase.clone()
    }

    #[test]
    fn a_retry_gives_failed_jobs_a_fresh_budget_and_unskips_their_dependents() {
        let mut m = machine(None, false);
        run_all(&mut m, 0, |job, _| match job {
            "a" => AttemptOutcome::Failure,
            _ => AttemptOutcome::Success,
        });
        assert!(m.is_finished());
        assert_eq!(
            (phase(&m, "a"), phase(&m, "c")),
            (Phase::Failed, Phase::Skipped)
        );
        assert_eq!(
            m.retryable().collect::<Vec<_>>(),
            [m.index_of("a").unwrap()]
        );
        m.apply(&Event::Retried {
            jobs: vec!["a".into(), "b".into()],
            at: 500,
        });
        assert!(!m.is_finished());
        assert_eq!(
            (phase(&m, "a"), phase(&m, "b"), phase(&m, "c")),
            (Phase::Ready, Phase::Succeeded, Phase::Waiting)
        );
        // Attempt numbers go on: 3, then 4 (a fresh budget of one retry), then a succeeds.
        run_all(&mut m, 500, |_, attempt| match attempt {
            3 => AttemptOutcome::Failure,
            _ => AttemptOutcome::Success,
        });
        let a = m.run(m.index_of("a").unwrap());
        let numbers: Vec<u32> = a.attempts.iter().map(|x| x.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert_eq!(
            a.attempts[3].correlation_id,
            correlation::attempt_id(&m.plan.plan_hash, "a", 4)
        );
        assert_eq!(phase(&m, "c"), Phase::Succeeded);
        assert_eq!(
            m.run(m.index_of("b").unwrap()).attempts.len(),
            1,
            "b is kept"
        );
        assert!(m.succeeded());
        assert_eq!(
            m.requests(),
            [Request {
                kind: "retry",
                jobs: vec!["a".into(), "b".into()],
                at: 500
            }]
        );
    }

    #[test]
    fn a_blocked_job_spends_no_retry_skips_its_dependents_and_starts_no_fallback() {
        let mut m = machine(None, false);
        run_all(&mut m, 0, |job, _| match job {
            "a" => AttemptOutcome::Blocked,
            _ => AttemptOutcome::Success,
        });
        assert_eq!(
            m.run(m.index_of("a").unwrap()).attempts.len(),
            1,
            "no retry"
        );
        assert_eq!(
            (phase(&m, "a"), phase(&m, "c")),
            (Phase::Blocked, Phase::Skipped)
        );
        assert_eq!(m.run(m.index_of("a").unwrap()).state(), JobState::Blocked);
        assert!(m.is_finished());
        assert_eq!(m.fallback(), &Fallback::NotStarted);
        m.apply(&Event::Retried {
            jobs: vec!["a".into()],
            at: 100,
        });
        run_all(&mut m, 100, |_, _| AttemptOutcome::Success);
        assert!(m.succeeded());
        assert_eq!(m.run(m.index_of("a").unwrap()).attempts[1].number, 2);
    }

    #[test]
    fn a_cancel_stops_running_attempts_first_and_starts_nothing_more() {
        let mut m = machine(None, false);
        assert_eq!(started(&take(&mut m, 0)), "b");
        assert_eq!(started(&take(&mut m, 0)), "a");
        m.apply(&dispatched("a", 1, 1));
        m.apply(&Event::CancelRequested { at: 5 });
        assert!(m.is_cancelled());
        // a has a run, b is still an intent: a first.
        let cancelled: Vec<String> = (0..2)
            .map(|_| match take(&mut m, 5) {
                Event::AttemptFinished {
                    job,
                    outcome: AttemptOutcome::Cancelled,
                    reason,
                    ..
                } => {
                    assert_eq!(reason.as_deref(), Some("cancelled by `relplan cancel`"));
                    job
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(cancelled, ["a", "b"]);
        assert!(matches!(take(&mut m, 5), Event::Finished { .. }));
        let states: Vec<JobState> = (0..3).map(|i| m.run(i).state()).collect();
        assert_eq!(states, [JobState::Cancelled; 3]);
        assert_eq!(m.retryable().count(), 3);
    }

    #[test]
    fn adopted_attempts_become_the_jobs_and_a_published_release_stands_for_its_needs() {
        let adopted = |job: &str, attempt, outcome, end_s| AdoptedAttempt {
            job: job.into(),
            attempt,
            correlation_id: format!("{job}-{attempt}"),
            run: RunRef {
                runs: vec![format!("r{attempt}")],
                started_s: 10 * u64::from(attempt),
                urls: Vec::new(),
            },
            outcome,
            end_s,
            reason: None,
        };
        let mut m = machine(None, false);
        m.apply(&Event::Adopted {
            at: 40,
            attempts: vec![
                adopted("a", 1, Some(AttemptOutcome::Failure), Some(15)),
                adopted("a", 2, Some(AttemptOutcome::Success), Some(25)),
                adopted("b", 1, None, None),
            ],
            published: false,
            release_url: None,
            fallback: None,
        });
        assert_eq!(m.adopted_at(), Some(40));
        assert_eq!(
            (phase(&m, "a"), phase(&m, "b"), phase(&m, "c")),
            (Phase::Succeeded, Phase::Running, Phase::Ready)
        );
        let b = m.run(m.index_of("b").unwrap()).current().unwrap();
        assert!(b.adopted);
        assert_eq!(b.deadline_s, Some(110), "started at 10, timeout 100");
        assert_eq!(started(&take(&mut m, 40)), "c");

        // A release already published: every job it needs succeeded, found or not.
        let jobs = vec![m.plan.jobs[0].clone(), {
            let mut release = m.plan.jobs[2].clone();
            release.id = "release".into();
            release.kind = JobKind::Release;
            release.needs = vec!["a".into()];
            release
        }];
        let plan = CompiledPlan::assemble(m.plan.release.clone(), jobs, None).unwrap();
        let mut p = Machine::new(plan, m.settings.clone());
        p.apply(&Event::Adopted {
            at: 7,
            attempts: vec![adopted("a", 1, Some(AttemptOutcome::Failure), Some(3))],
            published: true,
            release_url: Some("https://github.com/o/r/releases/tag/v1.0.0".into()),
            fallback: None,
        });
        assert!(p.succeeded() && p.published());
        assert_eq!(
            p.release_url(),
            Some("https://github.com/o/r/releases/tag/v1.0.0"),
            "the adopted release's page is the release job's"
        );
        let a = p.run(p.index_of("a").unwrap());
        assert_eq!(a.attempts.len(), 2);
        assert_eq!(a.attempts[1].reason.as_deref(), Some(ALREADY_PUBLISHED));
        assert!(matches!(p.decide(7), Some(Event::Finished { .. })));
    }
}
