//! The real-time driver: runs a [`Machine`] against a [`Backend`] on tokio, journaling every
//! decision before its side effect and every backend answer after it.
//!
//! Each turn it (1) follows the pause request file, (2) advances every attempt in flight:
//! an intent without a run is looked up by correlation id (after a crash) and dispatched
//! only when the backend has never seen it, a run is observed, the release job collects and
//! publishes, (3) takes every decision the machine has, then (4) sleeps until the next
//! timeout or backoff, or the poll interval, whichever comes first, or until Ctrl-C.

use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::compiled::{Job, JobKind};
use crate::exec::backend::{Backend, Clock, RunStatus};
use crate::exec::event::{AssetDigest, AttemptOutcome, Event, RunRef};
use crate::exec::journal::{Journal, JournalError};
use crate::exec::machine::Fallback;
use crate::exec::machine::Machine;
use crate::exec::progress::Progress;
use crate::exec::reporter::Reporter;
use crate::release_assets::{self, CLASH_HELP};

/// `relplan pause` creates this file in the state directory; `resume` removes it.
pub const PAUSE_FILE: &str = "pause";

/// How a call to [`Executor::run`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Nothing is left to do.
    Finished { succeeded: bool },
    /// Paused and every running attempt finished.
    Paused,
    /// Ctrl-C.
    Interrupted,
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
    /// Attempts dispatched by this process (no need to look them up before dispatching).
    fresh: HashSet<(usize, u32)>,
    /// Runs whose attempt was journaled as timed out or cancelled before this process
    /// started: the cancel may not have reached the backend, so it is sent again (it is
    /// harmless twice).
    recancel: Vec<usize>,
}

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
            fresh: HashSet::new(),
            recancel: Vec::new(),
        }
        .with_recancel()
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

    /// Runs until the release is finished, paused with nothing running, or `interrupt` fires.
    /// An error is a journal write that failed: the process must stop, and `resume` continues.
    pub async fn run(
        &mut self,
        interrupt: impl Future<Output = ()>,
    ) -> Result<Ending, JournalError> {
        tokio::pin!(interrupt);
        let ending = loop {
            self.turn().await?;
            if self.machine.is_finished() {
                break Ending::Finished {
                    succeeded: self.machine.succeeded(),
                };
            }
            if self.machine.is_paused() && self.machine.active().next().is_none() {
                break Ending::Paused;
            }
            let wake = [self.machine.next_wakeup(), self.backend.next_change()]
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

    async fn turn(&mut self) -> Result<(), JournalError> {
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
        let pause_requested = self.dir.join(PAUSE_FILE).exists();
        let at = self.backend.now();
        if pause_requested && !self.machine.is_paused() {
            self.record(Event::Paused { at })?;
        } else if !pause_requested && (self.machine.is_paused() || self.machine.was_interrupted()) {
            self.record(Event::Resumed { at })?;
        }
        let active: Vec<usize> = self.machine.active().collect();
        for i in active {
            self.advance(i).await?;
        }
        if let Fallback::Starting { correlation_id } = self.machine.fallback().clone() {
            // Journaled by an earlier turn or process: look it up before dispatching.
            self.fallback(&correlation_id, false).await?;
        }
        while let Some(event) = self.machine.decide(self.backend.now()) {
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
                    self.fallback(&correlation_id, true).await?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Dispatches the plan's `[fallback]` (looking it up first unless this process just
    /// journaled the intent) and journals the result. A temporary backend error leaves the
    /// intent open, so the next turn asks again.
    async fn fallback(&mut self, correlation_id: &str, fresh: bool) -> Result<(), JournalError> {
        let Some(job) = self.machine.plan().fallback_job() else {
            return Ok(());
        };
        let found = match fresh {
            true => Ok(None),
            false => self.backend.find(&job, correlation_id).await,
        };
        let dispatched = match found {
            Ok(Some(run)) => Ok(run),
            Ok(None) => self.backend.dispatch(&job, 1, correlation_id, None).await,
            Err(e) => Err(e),
        };
        let at = self.backend.now();
        match dispatched {
            Ok(run) => self.record(Event::FallbackFinished {
                at,
                run: Some(run),
                reason: None,
                help: None,
            }),
            Err(e) if e.permanent => self.record(Event::FallbackFinished {
                at,
                run: None,
                reason: Some(e.message),
                help: e.help,
            }),
            Err(e) => {
                self.reporter.warn(&format!(
                    "cannot start the fallback yet ({e}); trying again"
                ));
                Ok(())
            }
        }
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
            Ok(RunStatus::Finished { success, at }) => self
                .machine
                .run_finished(i, attempt, success, at)
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
    async fn advance(&mut self, i: usize) -> Result<(), JournalError> {
        let job = self.machine.job(i).clone();
        let Some(attempt) = self.machine.run(i).current().cloned() else {
            return Ok(());
        };
        let attempts = &self.machine.run(i).attempts;
        let previous = attempts
            .len()
            .checked_sub(2)
            .and_then(|p| attempts[p].run.clone());
        if attempt.outcome.is_some() {
            return Ok(());
        }
        if job.kind == JobKind::Release {
            return self.publish(i).await;
        }
        let run = match attempt.run {
            Some(run) => run,
            None => {
                let found = if self.fresh.contains(&(i, attempt.number)) {
                    Ok(None)
                } else {
                    self.backend.find(&job, &attempt.correlation_id).await
                };
                let run = match found {
                    Ok(Some(run)) => run,
                    Ok(None) => match self
                        .backend
                        .dispatch(
                            &job,
                            attempt.number,
                            &attempt.correlation_id,
                            previous.as_ref(),
                        )
                        .await
                    {
                        Ok(run) => run,
                        Err(e) if e.permanent => {
                            return self.fail_attempt(
                                &job.id,
                                attempt.number,
                                format!("cannot dispatch: {e}"),
                                e.help,
                            );
                        }
                        Err(e) => {
                            // It may have gone through: look it up before dispatching again.
                            self.fresh.remove(&(i, attempt.number));
                            self.reporter.warn(&format!(
                                "dispatch of {} failed, will check and retry: {e}",
                                job.id
                            ));
                            return Ok(());
                        }
                    },
                    Err(e) if e.permanent => {
                        return self.fail_attempt(
                            &job.id,
                            attempt.number,
                            format!("cannot look it up: {e}"),
                            e.help,
                        );
                    }
                    Err(e) => {
                        self.reporter.warn(&format!(
                            "cannot look up {} on the backend, will retry: {e}",
                            job.id
                        ));
                        return Ok(());
                    }
                };
                self.record(Event::AttemptDispatched {
                    job: job.id.clone(),
                    attempt: attempt.number,
                    run: run.clone(),
                })?;
                // Observed at once: after a crash the run may have ended long ago, and its
                // timeout must be judged by when it ended, not by when relplan looked.
                run
            }
        };
        match self.backend.observe(&job, &run).await {
            Ok(RunStatus::Running) => Ok(()),
            Ok(RunStatus::Finished { success, at }) => {
                match self.machine.run_finished(i, attempt.number, success, at) {
                    Some(event) => self.record(event),
                    None => Ok(()),
                }
            }
            Err(e) if e.permanent => self.fail_attempt(&job.id, attempt.number, e.message, e.help),
            Err(e) => {
                self.reporter
                    .warn(&format!("cannot observe {}, will retry: {e}", job.id));
                Ok(())
            }
        }
    }

    /// Ends an attempt that cannot go on, with why and what the user can do about it;
    /// retries (if any remain) start anew.
    fn fail_attempt(
        &mut self,
        job: &str,
        attempt: u32,
        reason: String,
        help: Option<String>,
    ) -> Result<(), JournalError> {
        let at = self.backend.now();
        self.record(Event::AttemptFinished {
            job: job.to_string(),
            attempt,
            outcome: AttemptOutcome::Failure,
            at,
            reason: Some(reason),
            help,
        })
    }

    /// The release job: collect the publishing jobs' artifacts, journal the assets, publish.
    async fn publish(&mut self, i: usize) -> Result<(), JournalError> {
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
                Err(e) => {
                    let reason = format!("cannot list the artifacts of {}: {e}", job.id);
                    return self.fail_attempt(id, number, reason, e.help);
                }
            }
        }
        let assets = match release_assets::assemble(files) {
            Ok(assets) => assets,
            Err(clashes) => {
                let reason = release_assets::clashes_message(&clashes);
                return self.fail_attempt(id, number, reason, Some(CLASH_HELP.into()));
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
                return self.fail_attempt(id, number, reason.into(), None);
            }
            Some(_) => {}
        }
        let plan_release = self.machine.plan().release.clone();
        match self.backend.publish(&plan_release, &assets).await {
            Ok(()) => {
                let at = self.backend.now();
                self.record(Event::AttemptFinished {
                    job: id.to_string(),
                    attempt: number,
                    outcome: AttemptOutcome::Success,
                    at,
                    reason: None,
                    help: None,
                })
            }
            Err(e) => {
                let reason = format!("publishing failed: {e}");
                self.fail_attempt(id, number, reason, e.help)
            }
        }
    }
}
