//! The real-time driver: runs a [`Machine`] against a [`Backend`] on tokio, journaling every
//! decision before its side effect and every backend answer after it.
//!
//! Each turn it (1) journals the requests waiting in the state directory (pause, cancel,
//! retry: [`requests`]), (2) advances every attempt in flight: an intent without a run is
//! looked up by correlation id and dispatched only once the backend has had time to show
//! it ([`Backend::list_lag_s`] after the intent, or after the adoption), a run is observed,
//! the release job collects and publishes, (3) takes every decision the machine has, then
//! (4) sleeps until the next timeout or backoff, or the poll interval, whichever comes
//! first, or until Ctrl-C.
//!
//! A backend error says what happens next ([`ErrorKind`]): transient ones are asked again
//! (and reported once while they last), failed ones end the attempt, blocked ones block the
//! job, and a stop ends the run loop with [`Ending::Halted`], journaled as `Halted`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::compile::duration::format_seconds;
use crate::compiled::{Job, JobKind};
use crate::exec::backend::{Backend, BackendError, Clock, ErrorKind, RunStatus};
use crate::exec::event::{AssetDigest, AttemptOutcome, Event, RunRef};
use crate::exec::journal::{Journal, JournalError};
use crate::exec::machine::{Attempt, Fallback, Machine, Phase};
use crate::exec::progress::Progress;
use crate::exec::reporter::Reporter;
use crate::exec::requests;
use crate::release_assets::{self, CLASH_HELP};

/// How a call to [`Executor::run`] ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Nothing is left to do.
    Finished { succeeded: bool },
    /// Paused and every running attempt finished.
    Paused,
    /// Ctrl-C.
    Interrupted,
    /// The backend cannot go on for now (an error of kind [`ErrorKind::Stop`]).
    Halted {
        reason: String,
        help: Option<String>,
    },
}

/// Why a turn could not go on.
enum Interrupt {
    /// A journal write failed: the process must stop, and `resume` continues.
    Journal(JournalError),
    /// The backend said stop.
    Stop(BackendError),
}

impl From<JournalError> for Interrupt {
    fn from(e: JournalError) -> Interrupt {
        Interrupt::Journal(e)
    }
}

pub struct Executor<B> {
    machine: Machine,
    journal: Journal,
    backend: B,
    clock: Clock,
    dir: PathBuf,
    progress: Progress,
    /// Where warnings go: the progress display's channel.
    reporter: Reporter,
    poll: Duration,
    /// The journal held a run before this process: say so, and what still runs.
    continued: bool,
    /// Events journaled before the executor ran (the adoption, a request a command
    /// journaled itself), shown when it starts.
    announce: Vec<Event>,
    /// Attempts dispatched by this process (no need to look them up before dispatching).
    fresh: HashSet<(usize, u32)>,
    /// When to look for an unconfirmed attempt (or the fallback, `usize::MAX`) next.
    lookups: HashMap<(usize, u32), u64>,
    /// The transient trouble last reported per job (or `fallback`), so a problem that lasts
    /// is told once, not every turn.
    warned: HashMap<String, String>,
    /// Runs whose attempt was journaled as timed out or cancelled before this process
    /// started: the cancel may not have reached the backend, so it is sent again (it is
    /// harmless twice).
    recancel: Vec<usize>,
}

/// What the executor was doing when a backend error came: it words the attempt's reason
/// and the warning.
#[derive(Clone, Copy)]
enum Doing<'a> {
    Observe,
    LookUp,
    Dispatch,
    Artifacts(&'a str),
    Publish,
}

impl Doing<'_> {
    fn reason(self, message: String) -> String {
        match self {
            Doing::Observe => message,
            Doing::LookUp => format!("cannot look it up: {message}"),
            Doing::Dispatch => format!("cannot dispatch: {message}"),
            Doing::Artifacts(of) => format!("cannot list the artifacts of {of}: {message}"),
            Doing::Publish => format!("publishing failed: {message}"),
        }
    }

    fn warning(self, job: &str, e: &BackendError) -> String {
        match self {
            Doing::Observe => format!("cannot observe {job}, will retry: {e}"),
            Doing::LookUp => format!("cannot look up {job} on the backend, will retry: {e}"),
            Doing::Dispatch => format!("cannot dispatch {job}, will retry: {e}"),
            Doing::Artifacts(of) => {
                format!("cannot list the artifacts of {of} yet, will retry: {e}")
            }
            Doing::Publish => format!("cannot publish yet, will retry: {e}"),
        }
    }
}

/// The key of the fallback in [`Executor::lookups`].
const FALLBACK_KEY: (usize, u32) = (usize::MAX, 1);

impl<B: Backend> Executor<B> {
    pub fn new(
        machine: Machine,
        journal: Journal,
        backend: B,
        clock: Clock,
        dir: &Path,
        progress: Progress,
        poll: Duration,
    ) -> Self {
        Executor {
            machine,
            journal,
            backend,
            clock,
            dir: dir.to_path_buf(),
            reporter: progress.reporter(),
            progress,
            poll,
            continued: false,
            announce: Vec::new(),
            fresh: HashSet::new(),
            lookups: HashMap::new(),
            warned: HashMap::new(),
            recancel: Vec::new(),
        }
        .with_recancel()
    }

    /// The journal already held a run: journal `Resumed` when the run starts, and show the
    /// attempts still in flight from before.
    pub fn continuing(mut self) -> Self {
        self.continued = true;
        self
    }

    /// Shows `events`, journaled before this executor ran, when the run starts.
    pub fn announcing(mut self, events: Vec<Event>) -> Self {
        self.announce = events;
        self
    }

    fn with_recancel(mut self) -> Self {
        self.recancel = (0..self.machine.job_count())
            .filter(|&i| {
                self.machine.run(i).attempts.iter().any(|a| {
                    a.run.is_some()
                        && matches!(
                            a.outcome,
                            Some(AttemptOutcome::TimedOut | AttemptOutcome::Cancelled)
                        )
                })
            })
            .collect();
        self
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// Runs until the release is finished, paused with nothing running, halted by the
    /// backend, or `interrupt` fires. An error is a journal write that failed: the process
    /// must stop, and `resume` continues.
    pub async fn run(
        &mut self,
        interrupt: impl Future<Output = ()>,
    ) -> Result<Ending, JournalError> {
        tokio::pin!(interrupt);
        for event in std::mem::take(&mut self.announce) {
            self.progress.event(&self.machine, &event);
        }
        if self.continued && !requests::pause_requested(&self.dir) {
            let at = self.backend.now();
            self.record(Event::Resumed { at })?;
        }
        let ending = loop {
            match self.turn().await {
                Ok(()) => {}
                Err(Interrupt::Journal(e)) => return Err(e),
                Err(Interrupt::Stop(e)) => {
                    let at = self.backend.now();
                    self.record(Event::Halted {
                        at,
                        reason: e.message.clone(),
                        help: e.help.clone(),
                    })?;
                    break Ending::Halted {
                        reason: e.message,
                        help: e.help,
                    };
                }
            }
            if self.machine.is_finished() {
                break Ending::Finished {
                    succeeded: self.machine.succeeded(),
                };
            }
            if self.machine.is_paused() && self.machine.active().next().is_none() {
                break Ending::Paused;
            }
            let wake = [
                self.machine.next_wakeup(),
                self.backend.next_change(),
                self.lookups.values().min().copied(),
            ]
            .into_iter()
            .flatten()
            .min();
            let wait = match wake {
                Some(at) => self.clock.until(at.saturating_add(1)).min(self.poll),
                None => self.poll,
            }
            .max(Duration::from_millis(1));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut interrupt => {
                    let at = self.backend.now();
                    self.record(Event::Interrupted { at })?;
                    break Ending::Interrupted;
                }
            }
        };
        self.progress.finish();
        Ok(ending)
    }

    fn record(&mut self, event: Event) -> Result<(), JournalError> {
        self.journal.append(&event)?;
        self.machine.apply(&event);
        self.progress.event(&self.machine, &event);
        Ok(())
    }

    async fn turn(&mut self) -> Result<(), Interrupt> {
        for i in std::mem::take(&mut self.recancel) {
            let job = self.machine.job(i).clone();
            let runs: Vec<_> = self
                .machine
                .run(i)
                .attempts
                .iter()
                .filter(|a| {
                    matches!(
                        a.outcome,
                        Some(AttemptOutcome::TimedOut | AttemptOutcome::Cancelled)
                    )
                })
                .filter_map(|a| a.run.clone())
                .collect();
            for run in runs {
                self.cancel_run(&job, &run).await;
            }
        }
        self.follow_requests()?;
        let active: Vec<usize> = self.machine.active().collect();
        for i in active {
            self.advance(i).await?;
        }
        if let Fallback::Starting { correlation_id, at } = self.machine.fallback().clone() {
            // Journaled by an earlier turn or process: look it up before dispatching.
            self.fallback(&correlation_id, Some(at)).await?;
        }
        while let Some(event) = self.machine.decide(self.backend.now()) {
            if self.hides_a_run(&event) {
                // Cancelled before it was confirmed: look for its run a while longer, so
                // that a run the backend does not list yet is cancelled too.
                break;
            }
            let event = self.confirm_timeout(event).await;
            self.record(event.clone())?;
            match event {
                Event::AttemptStarting { job, attempt, .. } => {
                    if let Some(i) = self.machine.index_of(&job) {
                        self.fresh.insert((i, attempt));
                        self.advance(i).await?;
                    }
                }
                Event::AttemptFinished {
                    job,
                    outcome: AttemptOutcome::TimedOut | AttemptOutcome::Cancelled,
                    ..
                } => self.cancel(&job).await,
                Event::FallbackStarting { correlation_id, .. } => {
                    self.fallback(&correlation_id, None).await?;
                }
                _ => {}
            }
        }
        self.forget_settled_lookups();
        Ok(())
    }

    /// Drops the planned looks for attempts (and a fallback) no longer waiting for their
    /// run, so that they never wake the executor.
    fn forget_settled_lookups(&mut self) {
        let machine = &self.machine;
        let fallback_waits = matches!(machine.fallback(), Fallback::Starting { .. });
        self.lookups.retain(|&(i, number), _| {
            if (i, number) == FALLBACK_KEY {
                return fallback_waits;
            }
            machine.run(i).phase == Phase::Starting
                && machine.run(i).current().is_some_and(|a| a.number == number)
        });
    }

    /// Journals what other commands asked for since the last turn (see [`requests`]).
    fn follow_requests(&mut self) -> Result<(), JournalError> {
        let at = self.backend.now();
        let pause_requested = requests::pause_requested(&self.dir);
        if pause_requested && !self.machine.is_paused() {
            self.record(Event::Paused { at })?;
        } else if !pause_requested && (self.machine.is_paused() || self.machine.was_interrupted()) {
            self.record(Event::Resumed { at })?;
        }
        for request in requests::pending(&self.dir) {
            self.record(request.event(at))?;
            requests::done(&self.dir, &request);
        }
        Ok(())
    }

    /// Whether `event` cancels an attempt whose dispatch was never confirmed while its run
    /// could still be hidden from the backend's lists.
    fn hides_a_run(&self, event: &Event) -> bool {
        let Event::AttemptFinished {
            job,
            outcome: AttemptOutcome::Cancelled,
            ..
        } = event
        else {
            return false;
        };
        let Some(i) = self.machine.index_of(job) else {
            return false;
        };
        let run = self.machine.run(i);
        let Some(attempt) = run.current() else {
            return false;
        };
        run.phase == Phase::Starting
            && self.machine.job(i).kind != JobKind::Release
            && self.backend.now() < self.look_until(attempt)
    }

    /// Until when an unconfirmed attempt must be looked for before concluding that it was
    /// never dispatched: the backend's list lag after its (last) intent, and after the
    /// adoption (an earlier executor may have dispatched it just before). A dispatch after
    /// such a look renews the intent first, so the window always covers the last one sent.
    fn look_until(&self, attempt: &Attempt) -> u64 {
        let since = attempt
            .started_s
            .max(self.machine.adopted_at().unwrap_or(0));
        since.saturating_add(self.backend.list_lag_s())
    }

    /// Whether the attempt was journaled by this process after any adoption's window, so
    /// no earlier executor can have dispatched it.
    fn is_fresh(&self, i: usize, attempt: &Attempt) -> bool {
        self.fresh.contains(&(i, attempt.number))
            && self.machine.adopted_at().is_none_or(|adopted| {
                attempt.started_s >= adopted.saturating_add(self.backend.list_lag_s())
            })
    }

    /// Dispatches the plan's `[fallback]` (looking it up first when an earlier turn or
    /// process journaled the intent at `journaled`) and journals the result. A transient
    /// backend error leaves the intent open, so the next turn asks again.
    async fn fallback(
        &mut self,
        correlation_id: &str,
        journaled: Option<u64>,
    ) -> Result<(), Interrupt> {
        let Some(job) = self.machine.plan().fallback_job() else {
            return Ok(());
        };
        let now = self.backend.now();
        if let Some(intent) = journaled {
            if self
                .lookups
                .get(&FALLBACK_KEY)
                .is_some_and(|&next| now < next)
            {
                return Ok(());
            }
            match self.backend.find(&job, correlation_id).await {
                Ok(Some(run)) => return self.fallback_done(Ok(run)),
                Ok(None) => {
                    let until = intent.saturating_add(self.backend.list_lag_s());
                    if now < until {
                        self.lookups
                            .insert(FALLBACK_KEY, self.next_look(now, until));
                        return Ok(());
                    }
                }
                Err(e) => return self.fallback_done(Err(e)),
            }
        }
        if journaled.is_some() {
            // Looked for and not found: renew the intent before the dispatch.
            self.record(Event::FallbackStarting {
                correlation_id: correlation_id.to_string(),
                at: now,
            })?;
        }
        self.lookups.remove(&FALLBACK_KEY);
        let dispatched = self.backend.dispatch(&job, 1, correlation_id, None).await;
        self.fallback_done(dispatched)
    }

    fn fallback_done(&mut self, result: Result<RunRef, BackendError>) -> Result<(), Interrupt> {
        let at = self.backend.now();
        let event = match result {
            Ok(run) => Event::FallbackFinished {
                at,
                run: Some(run),
                reason: None,
                help: None,
            },
            Err(e) => match e.kind {
                ErrorKind::Stop => return Err(Interrupt::Stop(e)),
                ErrorKind::Transient => {
                    self.warn_once(
                        "fallback",
                        format!("cannot start the fallback yet ({e}); trying again"),
                    );
                    return Ok(());
                }
                ErrorKind::Failed | ErrorKind::Blocked => Event::FallbackFinished {
                    at,
                    run: None,
                    reason: Some(e.message),
                    help: e.help,
                },
            },
        };
        Ok(self.record(event)?)
    }

    /// Before a run is declared timed out, it is observed once more: a run that ended in
    /// time (while relplan was busy or down) ends as it did.
    async fn confirm_timeout(&mut self, event: Event) -> Event {
        let Event::AttemptFinished {
            job: job_id,
            attempt,
            outcome: AttemptOutcome::TimedOut,
            ..
        } = &event
        else {
            return event;
        };
        let attempt = *attempt;
        let Some(i) = self.machine.index_of(job_id) else {
            return event;
        };
        let job = self.machine.job(i).clone();
        let Some(run) = self.machine.run(i).current().and_then(|a| a.run.clone()) else {
            return event;
        };
        match self.backend.observe_now(&job, &run).await {
            Ok(RunStatus::Finished {
                success,
                at,
                reason,
            }) => self
                .machine
                .run_finished(i, attempt, success, at, reason.as_deref())
                .unwrap_or(event),
            _ => event,
        }
    }

    /// Cancels the current run of `job_id`, if it has one.
    async fn cancel(&mut self, job_id: &str) {
        let Some(i) = self.machine.index_of(job_id) else {
            return;
        };
        let job = self.machine.job(i).clone();
        let Some(run) = self.machine.run(i).current().and_then(|a| a.run.clone()) else {
            return;
        };
        self.cancel_run(&job, &run).await;
    }

    /// Best effort: a run that cannot be cancelled is reported and left to its own timeout.
    async fn cancel_run(&mut self, job: &Job, run: &RunRef) {
        if let Err(e) = self.backend.cancel(job, run).await {
            let runs = run.runs.join(", ");
            self.reporter
                .warn(&format!("cannot cancel {} ({runs}): {e}", job.id));
        }
    }

    /// Moves one in-flight attempt on: find or dispatch it, observe it, or publish.
    async fn advance(&mut self, i: usize) -> Result<(), Interrupt> {
        let job = self.machine.job(i).clone();
        let Some(attempt) = self.machine.run(i).current().cloned() else {
            return Ok(());
        };
        if attempt.outcome.is_some() {
            return Ok(());
        }
        if job.kind == JobKind::Release {
            return self.publish(i).await;
        }
        let run = match attempt.run.clone() {
            Some(run) => run,
            None => match self.start(i, &job, &attempt).await? {
                Some(run) => run,
                None => return Ok(()),
            },
        };
        match self.backend.observe(&job, &run).await {
            Ok(RunStatus::Running) => {
                self.warned.remove(&job.id);
                Ok(())
            }
            Ok(RunStatus::Finished {
                success,
                at,
                reason,
            }) => {
                self.warned.remove(&job.id);
                match self
                    .machine
                    .run_finished(i, attempt.number, success, at, reason.as_deref())
                {
                    Some(event) => Ok(self.record(event)?),
                    None => Ok(()),
                }
            }
            Err(e) => self.trouble(&job.id, attempt.number, Doing::Observe, e),
        }
    }

    /// An attempt whose intent is journaled but whose run is not: finds it (unless this
    /// process just journaled it), waits while the backend's lists may still hide it, then
    /// dispatches it, and journals the run. `None` while there is no run yet.
    async fn start(
        &mut self,
        i: usize,
        job: &Job,
        attempt: &Attempt,
    ) -> Result<Option<RunRef>, Interrupt> {
        let key = (i, attempt.number);
        let now = self.backend.now();
        let fresh = self.is_fresh(i, attempt);
        if !fresh {
            if self.lookups.get(&key).is_some_and(|&next| now < next) {
                return Ok(None);
            }
            match self.backend.find(job, &attempt.correlation_id).await {
                Ok(Some(run)) => return self.dispatched(i, job, attempt, run).map(Some),
                Ok(None) => {
                    let until = self.look_until(attempt);
                    if now < until {
                        if !self.lookups.contains_key(&key) {
                            self.reporter.note(&format!(
                                "looking for {} (attempt {}) on the backend until {} before dispatching it: a run dispatched just before may not be listed yet",
                                job.id,
                                attempt.number,
                                format_seconds(until)
                            ));
                        }
                        self.lookups.insert(key, self.next_look(now, until));
                        return Ok(None);
                    }
                    self.lookups.remove(&key);
                }
                Err(e) => {
                    self.trouble(&job.id, attempt.number, Doing::LookUp, e)?;
                    return Ok(None);
                }
            }
        }
        if self.machine.is_stopping() {
            // Never dispatched, and nothing new starts: the machine cancels it.
            return Ok(None);
        }
        if !fresh {
            // Looked for and not found: the intent is renewed before the dispatch, so that
            // a crash right after it looks for this one long enough too.
            self.record(Event::AttemptStarting {
                job: job.id.clone(),
                attempt: attempt.number,
                correlation_id: attempt.correlation_id.clone(),
                at: now,
            })?;
            self.fresh.insert(key);
        }
        let attempts = &self.machine.run(i).attempts;
        let previous = attempts
            .len()
            .checked_sub(2)
            .and_then(|p| attempts[p].run.clone());
        match self
            .backend
            .dispatch(
                job,
                attempt.number,
                &attempt.correlation_id,
                previous.as_ref(),
            )
            .await
        {
            Ok(run) => self.dispatched(i, job, attempt, run).map(Some),
            Err(e) if e.kind == ErrorKind::Transient => {
                // It may have gone through: look it up before dispatching again.
                self.fresh.remove(&key);
                self.warn_once(
                    &job.id,
                    format!("dispatch of {} failed, will check and retry: {e}", job.id),
                );
                Ok(None)
            }
            Err(e) => {
                self.trouble(&job.id, attempt.number, Doing::Dispatch, e)?;
                Ok(None)
            }
        }
    }

    /// Journals the run of an attempt. The caller observes it at once: after a crash the
    /// run may have ended long ago, and its timeout must be judged by when it ended.
    fn dispatched(
        &mut self,
        i: usize,
        job: &Job,
        attempt: &Attempt,
        run: RunRef,
    ) -> Result<RunRef, Interrupt> {
        self.lookups.remove(&(i, attempt.number));
        self.warned.remove(&job.id);
        self.record(Event::AttemptDispatched {
            job: job.id.clone(),
            attempt: attempt.number,
            run: run.clone(),
        })?;
        Ok(run)
    }

    /// The next look for a run not listed yet: a few looks over the lag, the last at `until`.
    fn next_look(&self, now: u64, until: u64) -> u64 {
        let step = (self.backend.list_lag_s() / 6).max(1);
        now.saturating_add(step).min(until)
    }

    /// What a backend error met while `doing` something for attempt `attempt` of `job`
    /// means: asked again (reported once), the attempt failed or blocked, or the executor
    /// stops.
    fn trouble(
        &mut self,
        job: &str,
        attempt: u32,
        doing: Doing<'_>,
        e: BackendError,
    ) -> Result<(), Interrupt> {
        let outcome = match e.kind {
            ErrorKind::Stop => return Err(Interrupt::Stop(e)),
            ErrorKind::Transient => {
                self.warn_once(job, doing.warning(job, &e));
                return Ok(());
            }
            ErrorKind::Failed => AttemptOutcome::Failure,
            ErrorKind::Blocked => AttemptOutcome::Blocked,
        };
        let reason = doing.reason(e.message);
        Ok(self.end_attempt(job, attempt, outcome, reason, e.help)?)
    }

    /// A warning, unless the same one was the last told about `key`.
    fn warn_once(&mut self, key: &str, warning: String) {
        if self.warned.get(key) != Some(&warning) {
            self.reporter.warn(&warning);
            self.warned.insert(key.to_string(), warning);
        }
    }

    /// Ends an attempt that cannot go on, with why and what the user can do about it;
    /// after a failure, retries (if any remain) start anew.
    fn end_attempt(
        &mut self,
        job: &str,
        attempt: u32,
        outcome: AttemptOutcome,
        reason: String,
        help: Option<String>,
    ) -> Result<(), JournalError> {
        let at = self.backend.now();
        self.record(Event::AttemptFinished {
            job: job.to_string(),
            attempt,
            outcome,
            at,
            reason: Some(reason),
            help,
            url: None,
        })
    }

    /// The release job: collect the publishing jobs' artifacts, journal the assets, publish.
    async fn publish(&mut self, i: usize) -> Result<(), Interrupt> {
        let release_job = self.machine.job(i).clone();
        let Some(attempt) = self.machine.run(i).current().cloned() else {
            return Ok(());
        };
        let (id, number) = (release_job.id.as_str(), attempt.number);
        let mut files = Vec::new();
        for j in self.machine.publishers(i).collect::<Vec<_>>() {
            let job = self.machine.job(j).clone();
            let Some(run) = self.machine.run(j).current().and_then(|a| a.run.clone()) else {
                continue;
            };
            match self.backend.artifacts(&job, &run).await {
                Ok(artifacts) => files.extend(artifacts),
                Err(e) => return self.trouble(id, number, Doing::Artifacts(&job.id), e),
            }
        }
        let assets = match release_assets::assemble(files) {
            Ok(assets) => assets,
            Err(clashes) => {
                let reason = release_assets::clashes_message(&clashes);
                let outcome = AttemptOutcome::Failure;
                return Ok(self.end_attempt(
                    id,
                    number,
                    outcome,
                    reason,
                    Some(CLASH_HELP.into()),
                )?);
            }
        };
        let digests: Vec<AssetDigest> = assets.iter().map(AssetDigest::from).collect();
        match &attempt.assets {
            None => self.record(Event::PublishIntent {
                job: release_job.id.clone(),
                attempt: attempt.number,
                assets: digests.clone(),
            })?,
            Some(journaled) if *journaled != digests => {
                let reason = "the artifacts changed since the publish intent was journaled";
                let outcome = AttemptOutcome::Failure;
                return Ok(self.end_attempt(id, number, outcome, reason.into(), None)?);
            }
            Some(_) => {}
        }
        let plan_release = self.machine.plan().release.clone();
        match self.backend.publish(&plan_release, &assets).await {
            Ok(url) => {
                let outcome = AttemptOutcome::Success;
                let at = self.backend.now();
                Ok(self.record(Event::AttemptFinished {
                    job: id.to_string(),
                    attempt: number,
                    outcome,
                    at,
                    reason: None,
                    help: None,
                    url,
                })?)
            }
            Err(e) => self.trouble(id, number, Doing::Publish, e),
        }
    }
}
