//! `relplan retry [JOB...]`: continue a run from the jobs that did not complete. The named
//! jobs (default: every failed, blocked or cancelled one) and the jobs they skipped become
//! pending again with a fresh retry budget; what succeeded is kept and never dispatched
//! again; attempt numbers go on. The request is journaled, then the run continues as
//! `resume` does, or, when an executor is running there, that executor takes it up.

use std::path::Path;

use crate::cli::Exit;
use crate::cli::drive::{self, ConnectionArgs};
use crate::cli::state_dir::StateDirArg;
use crate::compile::suggest::did_you_mean;
use crate::exec::machine::{JobState, Machine};
use crate::exec::requests::{self, Request};
use crate::exec::{journal, session};
use crate::numbers::{NAMED, few};
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Jobs to retry (default: every job that failed, was blocked or was cancelled).
    #[arg(value_name = "JOB")]
    jobs: Vec<String>,
    #[command(flatten)]
    state_dir: StateDirArg,
    #[command(flatten)]
    connection: ConnectionArgs,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let dir = &args.state_dir.state_dir;
    let shown = dir.display();
    let machine = session::read(dir)?;
    let jobs = jobs_to_retry(&machine, &args.jobs, dir, &shown.to_string())?;
    if jobs.is_empty() {
        if machine.succeeded() {
            eprintln!("every job succeeded in `{shown}`; there is nothing to retry");
        } else {
            eprintln!(
                "no job failed, was blocked or was cancelled in `{shown}`; there is nothing to retry"
            );
            eprintln!("help: {}", unfinished_help(dir, &shown.to_string()));
        }
        return Ok(Exit::Success);
    }
    let request = Request::Retry { jobs: jobs.clone() };
    if journal::is_locked(dir) {
        requests::send(dir, &request)?;
        eprintln!(
            "retry requested: the executor running on `{shown}` continues {}",
            few(jobs.iter().cloned(), NAMED)
        );
        return Ok(Exit::Success);
    }
    let (mut machine, mut journal) = session::open_existing(dir)?;
    // Credentials of another kind than the run's are refused before the retry is journaled.
    let again = format!(
        "relplan retry {}--state-dir {shown}",
        jobs_named(&args.jobs)
    );
    args.connection
        .credentials_for(dir, machine.settings(), &again)?;
    let event = request.event(machine.settings().clock().now().max(machine.last_at()));
    journal.append(&event)?;
    machine.apply(&event);
    requests::withdraw_pause(dir)?;
    drive::resume(dir, machine, journal, &args.connection, vec![event])
}

/// The jobs named on the command line, each followed by a space.
fn jobs_named(named: &[String]) -> String {
    named.iter().map(|name| format!("{name} ")).collect()
}

/// The jobs a retry of `named` continues: all retryable ones when none is named; a name
/// that is not a job, or a job that is not failed, blocked or cancelled, is refused.
fn jobs_to_retry(
    machine: &Machine,
    named: &[String],
    dir: &Path,
    shown: &str,
) -> Result<Vec<String>, RunError> {
    if named.is_empty() {
        return Ok(machine
            .retryable()
            .map(|i| machine.job(i).id.clone())
            .collect());
    }
    let ids = (0..machine.job_count()).map(|i| machine.job(i).id.as_str());
    let mut jobs = Vec::new();
    for name in named {
        let Some(i) = machine.index_of(name) else {
            let help = did_you_mean(name, ids.clone()).unwrap_or_else(|| {
                format!("see the jobs with `relplan status --state-dir {shown}`")
            });
            return Err(RunError::new(format!("the plan has no job `{name}`"))
                .with_help(help)
                .with_exit(Exit::Usage));
        };
        let state = machine.run(i).state();
        let listed = || {
            format!(
                "retry failed, blocked or cancelled jobs; see them with `relplan status --state-dir {shown}`"
            )
        };
        let (refusal, help) = match state {
            JobState::Failed | JobState::Blocked | JobState::Cancelled => {
                if !jobs.contains(name) {
                    jobs.push(name.clone());
                }
                continue;
            }
            JobState::Succeeded => (
                "it succeeded, and what succeeded is never dispatched again".to_string(),
                listed(),
            ),
            JobState::Skipped => match stopped_need(machine, i) {
                Some(need) => (
                    format!("it was skipped because `{need}` did not complete"),
                    format!(
                        "`relplan retry {need} --state-dir {shown}` retries `{need}`, and `{name}` follows"
                    ),
                ),
                None => (
                    "it was skipped; retry the failed or blocked job it needs, and it follows"
                        .to_string(),
                    listed(),
                ),
            },
            JobState::Running | JobState::Pending => (
                format!("it is {}", state.as_str()),
                unfinished_help(dir, shown),
            ),
        };
        return Err(
            RunError::new(format!("`{name}` cannot be retried: {refusal}")).with_help(help),
        );
    }
    Ok(jobs)
}

/// The first job that job `i` needs, directly or not, which failed, was blocked or was
/// cancelled: what a retry of `i`, skipped because of it, must name.
fn stopped_need(machine: &Machine, i: usize) -> Option<String> {
    let mut stack = vec![i];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(job) = stack.pop() {
        for need in machine.job(job).needs.iter().rev() {
            let Some(n) = machine.index_of(need) else {
                continue;
            };
            if !seen.insert(n) {
                continue;
            }
            if matches!(
                machine.run(n).state(),
                JobState::Failed | JobState::Blocked | JobState::Cancelled
            ) {
                return Some(need.clone());
            }
            stack.push(n);
        }
    }
    None
}

/// What moves a run on whose jobs are still pending or running: its executor, or, when none
/// runs (interrupted, killed) or it is pausing, `relplan resume`.
fn unfinished_help(dir: &Path, shown: &str) -> String {
    if journal::is_locked(dir) && !requests::pause_requested(dir) {
        format!(
            "the executor running on `{shown}` goes on with pending and running jobs; follow it with `relplan status --state-dir {shown}`"
        )
    } else {
        format!("pending and running jobs go on with `relplan resume --state-dir {shown}`")
    }
}
