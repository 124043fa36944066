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
//! skips its dependents (transitively) while other branches go on, unless `fail_fast`, which
//! cancels what runs and starts nothing more.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use crate::compiled::{CompiledPlan, Job, JobKind};
use crate::dag;
use crate::exec::backoff;
use crate::exec::event::{AssetDigest, AttemptOutcome, Event, RunRef, Settings};

/// Where one job stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Some need has not succeeded yet.
    Blocked,
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
    Skipped,
    Cancelled,
}

/// The state names of `status` and `simulate` output. A contract: programs read them in
/// `--format json`, so a name is never changed, only added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Succeeded,
    Failed,
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
}

#[derive(Clone, Debug)]
pub struct JobRun {
    pub phase: Phase,
    pub attempts: Vec<Attempt>,
}

impl JobRun {
    pub fn state(&self) -> JobState {
        match self.phase {
            Phase::Blocked | Phase::Ready | Phase::Backoff { .. } => JobState::Pending,
            Phase::Starting | Phase::Running => JobState::Running,
            Phase::Succeeded => JobState::Succeeded,
            Phase::Failed => JobState::Failed,
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
}

/// A run of one plan: the plan, its settings, and where every job stands.
#[derive(Clone, Debug)]
pub struct Machine {
    plan: CompiledPlan,
    settings: Settings,
    index: HashMap<String, usize>,
    dependents: Vec<Vec<usize>>,
    priority: Vec<u64>,
    jobs: Vec<JobRun>,
    unmet: Vec<usize>,
    ready: BTreeSet<(Reverse<u64>, usize)>,
    backoff: BTreeSet<(u64, usize)>,
    deadlines: BTreeSet<(u64, usize)>,
    active: BTreeSet<usize>,
    paused: bool,
    stopping: bool,
    interrupted: bool,
    fallback: Fallback,
    finished: bool,
    last_at: u64,
}

/// Where the plan's `[fallback]` stands. It is started once, when the run is over and the
/// release did not complete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Fallback {
    #[default]
    NotStarted,
    /// Journaled, not yet answered: the executor dispatches it (or looks it up).
    Starting { correlation_id: String },
    /// Dispatched (`run`), or not (`reason`).
    Done {
        run: Option<RunRef>,
        reason: Option<String>,
    },
}

/// The job id the fallback is dispatched under (for correlation ids and backends).
pub use crate::compiled::FALLBACK_JOB;

/// The reason of every attempt that ran past its deadline.
const TIMED_OUT: &str = "the job's timeout passed";

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
                Phase::Blocked
            };
            jobs.push(JobRun {
                phase,
                attempts: Vec::new(),
            });
        }
        Machine {
            plan,
            settings,
            index,
            dependents,
            priority,
            jobs,
            unmet,
            ready,
            backoff: BTreeSet::new(),
            deadlines: BTreeSet::new(),
            active: BTreeSet::new(),
            paused: false,
            stopping: false,
            interrupted: false,
            fallback: Fallback::NotStarted,
            finished: false,
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

    pub fn is_finished(&self) -> bool {
        self.finished
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

    /// The jobs whose files release job `i` publishes: its needs that have `publish` globs.
    pub fn publishers(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.plan.jobs[i]
            .needs
            .iter()
            .filter_map(|need| self.index_of(need))
            .filter(|&j| !self.plan.jobs[j].publish.is_empty())
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
        if let Some(&(deadline, i)) = self.deadlines.first()
            && deadline <= now
        {
            return Some(self.finish_event(i, AttemptOutcome::TimedOut, deadline, TIMED_OUT));
        }
        if self.stopping {
            if let Some(&i) = self.active.first() {
                return Some(self.finish_event(
                    i,
                    AttemptOutcome::Cancelled,
                    now,
                    "--fail-fast: another job failed",
                ));
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
            let attempt = self.jobs[i].attempts.len() as u32 + 1;
            let job = &self.plan.jobs[i].id;
            return Some(Event::AttemptStarting {
                job: job.clone(),
                attempt,
                correlation_id: correlation_id(
                    &self.plan.plan_hash,
                    self.settings.origin_unix_ms,
                    job,
                    attempt,
                ),
                at: now,
            });
        }
        if self.active.is_empty() && self.ready.is_empty() && self.backoff.is_empty() {
            return self.end(now);
        }
        None
    }

    /// Nothing is left to run: start the fallback first when the release did not complete.
    fn end(&self, now: u64) -> Option<Event> {
        let wanted = self.plan.fallback.is_some() && !self.succeeded();
        match &self.fallback {
            Fallback::NotStarted if wanted => Some(Event::FallbackStarting {
                correlation_id: correlation_id(
                    &self.plan.plan_hash,
                    self.settings.origin_unix_ms,
                    FALLBACK_JOB,
                    1,
                ),
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
        }
    }

    /// The event that ends attempt `attempt` of job `i` whose run finished at `at`
    /// (`success` only for success): a run that ended after the attempt's deadline timed out
    /// at the deadline. `None` when that attempt is not the job's current one. This is the
    /// one translation of a backend's "finished" into an outcome, for every driver.
    pub fn run_finished(&self, i: usize, attempt: u32, success: bool, at: u64) -> Option<Event> {
        let current = self.jobs.get(i)?.current()?;
        if current.number != attempt {
            return None;
        }
        let (outcome, at, reason) = match current.deadline_s {
            Some(deadline) if at > deadline => {
                (AttemptOutcome::TimedOut, deadline, Some(TIMED_OUT))
            }
            _ if success => (AttemptOutcome::Success, at, None),
            _ => (AttemptOutcome::Failure, at, Some("the run failed")),
        };
        Some(Event::AttemptFinished {
            job: self.plan.jobs[i].id.clone(),
            attempt,
            outcome,
            at,
            reason: reason.map(str::to_string),
            help: None,
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
                let run = &mut self.jobs[i];
                if !matches!(run.phase, Phase::Ready | Phase::Backoff { .. }) {
                    return;
                }
                if let Phase::Backoff { until } = run.phase {
                    self.backoff.remove(&(until, i));
                }
                self.ready.remove(&(Reverse(self.priority[i]), i));
                run.phase = Phase::Starting;
                let job = &self.plan.jobs[i];
                let deadline_s =
                    (job.kind == JobKind::Release).then(|| at.saturating_add(job.timeout_s));
                run.attempts.push(Attempt {
                    number: *attempt,
                    correlation_id: correlation_id.clone(),
                    started_s: *at,
                    run: None,
                    deadline_s,
                    assets: None,
                    end_s: None,
                    outcome: None,
                    reason: None,
                    help: None,
                });
                self.active.insert(i);
                if let Some(deadline) = deadline_s {
                    self.deadlines.insert((deadline, i));
                }
            }
            Event::AttemptDispatched { job, attempt, run } => {
                let Some(i) = self.current(job, *attempt) else {
                    return;
                };
                if self.jobs[i].phase != Phase::Starting {
                    return;
                }
                self.saw(run.started_s);
                let deadline = run.started_s.saturating_add(self.plan.jobs[i].timeout_s);
                self.deadlines.insert((deadline, i));
                let job_run = &mut self.jobs[i];
                job_run.phase = Phase::Running;
                if let Some(current) = job_run.current_mut() {
                    current.started_s = run.started_s;
                    current.run = Some(run.clone());
                    current.deadline_s = Some(deadline);
                }
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
            } => {
                self.saw(*at);
                let Some(i) = self.current(job, *attempt) else {
                    return;
                };
                if !matches!(self.jobs[i].phase, Phase::Starting | Phase::Running) {
                    return;
                }
                self.finish(i, *outcome, *at, reason.clone(), help.clone());
            }
            Event::FallbackStarting { correlation_id, at } => {
                self.saw(*at);
                if self.fallback == Fallback::NotStarted {
                    self.fallback = Fallback::Starting {
                        correlation_id: correlation_id.clone(),
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
            }
            Event::Interrupted { at } => {
                self.saw(*at);
                self.interrupted = true;
            }
            Event::Finished { at } => {
                self.saw(*at);
                self.finished = true;
                for run in &mut self.jobs {
                    if !matches!(
                        run.phase,
                        Phase::Succeeded | Phase::Failed | Phase::Skipped | Phase::Cancelled
                    ) {
                        run.phase = Phase::Cancelled;
                    }
                }
                self.ready.clear();
                self.backoff.clear();
                self.deadlines.clear();
                self.active.clear();
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

    fn finish(
        &mut self,
        i: usize,
        outcome: AttemptOutcome,
        at: u64,
        reason: Option<String>,
        help: Option<String>,
    ) {
        self.active.remove(&i);
        let job = &self.plan.jobs[i];
        let run = &mut self.jobs[i];
        let Some(current) = run.attempts.last_mut() else {
            return;
        };
        if let Some(deadline) = current.deadline_s {
            self.deadlines.remove(&(deadline, i));
        }
        current.end_s = Some(at);
        current.outcome = Some(outcome);
        current.reason = reason;
        current.help = help;
        let number = current.number;
        match outcome {
            AttemptOutcome::Success => {
                run.phase = Phase::Succeeded;
                for d in 0..self.dependents[i].len() {
                    let dependent = self.dependents[i][d];
                    self.unmet[dependent] = self.unmet[dependent].saturating_sub(1);
                    if self.unmet[dependent] == 0 && self.jobs[dependent].phase == Phase::Blocked {
                        self.jobs[dependent].phase = Phase::Ready;
                        self.ready
                            .insert((Reverse(self.priority[dependent]), dependent));
                    }
                }
            }
            AttemptOutcome::Cancelled => run.phase = Phase::Cancelled,
            AttemptOutcome::Failure | AttemptOutcome::TimedOut => {
                if number <= job.retries && !self.stopping {
                    let until =
                        at.saturating_add(backoff::delay_s(self.settings.seed, &job.id, number));
                    run.phase = Phase::Backoff { until };
                    self.backoff.insert((until, i));
                } else {
                    run.phase = Phase::Failed;
                    self.skip_dependents(i);
                    if self.settings.fail_fast {
                        self.stopping = true;
                    }
                }
            }
        }
    }

    fn skip_dependents(&mut self, failed: usize) {
        let mut stack = self.dependents[failed].clone();
        while let Some(i) = stack.pop() {
            if self.jobs[i].phase == Phase::Blocked {
                self.jobs[i].phase = Phase::Skipped;
                stack.extend(self.dependents[i].iter().copied());
            }
        }
    }
}

/// The id an attempt carries to the backend, unique per run, job and attempt, so that it can
/// be found again after a crash (GitHub: in the run-name).
fn correlation_id(plan_hash: &str, origin_unix_ms: u64, job: &str, attempt: u32) -> String {
    let hash = plan_hash.strip_prefix("sha256:").unwrap_or(plan_hash);
    let short = hash.get(..12).unwrap_or(hash);
    format!("relplan-{short}-{origin_unix_ms}-{job}-{attempt}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::{Release, Trigger};
    use crate::exec::event::BackendKind;
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
            },
        });
        assert_eq!(m.run(b).current().unwrap().deadline_s, Some(105));
        let ended = |at, success| match m.run_finished(b, 1, success, at) {
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
        assert_eq!(
            m.run_finished(b, 2, true, 10),
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
}
