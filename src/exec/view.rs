//! Per-job rows of a run, as `status` and `simulate` show them (text and JSON). The JSON
//! field names are a contract for programs (never renamed, only added): `id`, `state`,
//! `attempts`, `start_s`, `end_s`, `history` (`attempt`, `start_s`, `end_s`, `outcome`,
//! `reason`, `help`, and for `status` `runs`, `url`, `urls`, `adopted` and `log`, left out
//! when empty or false).

use std::fmt::Write;

use serde::Serialize;

use crate::compile::duration::format_seconds;

use crate::exec::event::AttemptOutcome;
use crate::exec::machine::{JobState, Machine};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobRow {
    pub id: String,
    pub state: JobState,
    pub attempts: u32,
    /// When the first attempt started.
    pub start_s: Option<u64>,
    /// When the last attempt ended.
    pub end_s: Option<u64>,
    pub history: Vec<AttemptRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttemptRow {
    pub attempt: u32,
    pub start_s: u64,
    pub end_s: Option<u64>,
    pub outcome: Option<AttemptOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the user can do about `reason`, when the backend knew.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The backend's run references (`status` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<String>,
    /// The attempt's web page (`status` only): its run's (the first of `runs`), or for the
    /// release job the published release's; when the backend has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The web page of each of `runs`, in their order (`status` only), when the backend
    /// has them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Found on the backend when the journal was started, not dispatched by this journal.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
    /// Where the attempt's output is kept, for backends that keep it on this machine
    /// (filled in by the command that knows the backend: `status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

/// One row per job, in plan order (group, then id).
pub fn rows(machine: &Machine) -> Vec<JobRow> {
    rows_of(machine, false)
}

/// [`rows`] with each attempt's run references, for `status`.
pub fn status_rows(machine: &Machine) -> Vec<JobRow> {
    rows_of(machine, true)
}

fn rows_of(machine: &Machine, with_runs: bool) -> Vec<JobRow> {
    (0..machine.job_count())
        .map(|i| {
            let run = machine.run(i);
            let state = run.state();
            JobRow {
                id: machine.job(i).id.clone(),
                state,
                attempts: run.attempts.len() as u32,
                start_s: run.attempts.first().map(|a| a.started_s),
                end_s: match state {
                    JobState::Running => None,
                    _ => run.attempts.last().and_then(|a| a.end_s),
                },
                history: run
                    .attempts
                    .iter()
                    .map(|a| AttemptRow {
                        attempt: a.number,
                        start_s: a.started_s,
                        end_s: a.end_s,
                        outcome: a.outcome,
                        reason: a.reason.clone(),
                        help: a.help.clone(),
                        runs: match (&a.run, with_runs) {
                            (Some(run), true) => run.runs.clone(),
                            _ => Vec::new(),
                        },
                        url: a.link().filter(|_| with_runs).map(str::to_string),
                        urls: match (&a.run, with_runs) {
                            (Some(run), true) => run.urls.clone(),
                            _ => Vec::new(),
                        },
                        adopted: a.adopted,
                        log: None,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Where a run stands, one word: running, pausing, cancelling (an executor holds the state
/// directory, `locked`), paused, interrupted, stopped (none does, and the run is not over:
/// the executor was killed or crashed), succeeded, failed or cancelled.
pub fn run_state(machine: &Machine, locked: bool) -> &'static str {
    if machine.is_finished() {
        if machine.succeeded() {
            "succeeded"
        } else if machine.is_cancelled() {
            "cancelled"
        } else {
            "failed"
        }
    } else if locked {
        if machine.is_cancelled() {
            "cancelling"
        } else if machine.is_paused() {
            "pausing"
        } else {
            "running"
        }
    } else if machine.is_paused() {
        "paused"
    } else if machine.was_interrupted() {
        "interrupted"
    } else {
        "stopped"
    }
}

/// What moves a run in `state` (a [`run_state`]) on, as a sentence ending in the command
/// to run for the state directory `dir`; `None` when nothing is left to do (it succeeded,
/// or an executor is on it).
pub fn next_step(rows: &[JobRow], state: &str, dir: &str) -> Option<String> {
    let blocked = rows.iter().any(|j| j.state == JobState::Blocked);
    let retryable = rows.iter().any(|j| {
        matches!(
            j.state,
            JobState::Failed | JobState::Blocked | JobState::Cancelled
        )
    });
    match state {
        "paused" | "interrupted" | "stopped" => {
            Some(format!("continue with `relplan resume --state-dir {dir}`"))
        }
        "failed" | "cancelled" if blocked => Some(format!(
            "fix what blocks the blocked jobs, then continue with `relplan retry --state-dir {dir}`"
        )),
        "failed" | "cancelled" if retryable => Some(format!(
            "continue from the jobs that did not complete with `relplan retry --state-dir {dir}`"
        )),
        _ => None,
    }
}

/// The time the last attempt ended: the run's makespan once it finished.
pub fn makespan_s(machine: &Machine) -> u64 {
    (0..machine.job_count())
        .flat_map(|i| machine.run(i).attempts.iter().filter_map(|a| a.end_s))
        .max()
        .unwrap_or(0)
}

/// The job table of `status` and `simulate`: id, state, attempts, first start, last end;
/// with `reasons`, each attempt that ended with a reason on a line of its own (and its help
/// under it).
pub fn table(rows: &[JobRow], reasons: bool) -> String {
    let mut out = String::new();
    let width = rows.iter().map(|j| j.id.len()).max().unwrap_or(3).max(3);
    let _ = writeln!(
        out,
        "  {:width$}  {:9}  {:>8}  {:>10}  {:>10}",
        "job", "state", "attempts", "start", "end"
    );
    let time = |t: Option<u64>| t.map_or("-".to_string(), format_seconds);
    for job in rows {
        let _ = writeln!(
            out,
            "  {:width$}  {:9}  {:>8}  {:>10}  {:>10}",
            job.id,
            job.state.as_str(),
            job.attempts,
            time(job.start_s),
            time(job.end_s)
        );
        for attempt in job.history.iter().filter(|_| reasons) {
            if let Some(reason) = &attempt.reason {
                let _ = writeln!(
                    out,
                    "  {:width$}    attempt {}: {reason}",
                    "", attempt.attempt
                );
            }
            if let Some(help) = attempt.help.as_ref().filter(|_| attempt.reason.is_some()) {
                let _ = writeln!(out, "  {:width$}      help: {help}", "");
            }
        }
    }
    out
}
