//! `relplan cancel`: stop a run for good. Running attempts are cancelled on the backend,
//! nothing new starts, what never started is marked cancelled, and the run ends (its
//! executor exits 1: the release did not complete). When an executor is running, it is
//! asked through the state directory, as `pause` does, and `cancel` waits until it has
//! cancelled its runs; otherwise `cancel` does it itself. Exit 0 once the runs are
//! cancelled. `relplan retry` continues the cancelled jobs later.

use std::time::Duration;

use crate::cli::drive::{self, ConnectionArgs};
use crate::cli::state_dir::StateDirArg;
use crate::cli::{Exit, output};
use crate::exec::event::AttemptOutcome;
use crate::exec::executor::Ending;
use crate::exec::machine::{JobState, Machine};
use crate::exec::requests::{self, Request};
use crate::exec::{journal, session};
use crate::run_error::RunError;

/// How often `cancel` looks whether the running executor has finished.
const WAIT: Duration = Duration::from_millis(100);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    state_dir: StateDirArg,
    #[command(flatten)]
    connection: ConnectionArgs,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let dir = &args.state_dir.state_dir;
    let shown = dir.display().to_string();
    let machine = session::read(dir)?;
    if machine.is_finished() {
        eprintln!("the run in `{shown}` has finished; there is nothing to cancel");
        return Ok(Exit::Success);
    }
    if journal::is_locked(dir) {
        requests::send(dir, &Request::Cancel)?;
        eprintln!("cancel requested: the executor running on `{shown}` cancels its runs");
        while journal::is_locked(dir) {
            let machine = session::read(dir)?;
            if machine.is_finished() {
                return cancelled(&machine, &shown);
            }
            std::thread::sleep(WAIT);
        }
        // The executor stopped before it finished: finish the cancel here.
    }
    let (mut machine, mut journal) = session::open_existing(dir)?;
    // Credentials of another kind than the run's are refused before the cancel is journaled.
    let again = format!("relplan cancel --state-dir {shown}");
    args.connection
        .credentials_for(dir, machine.settings(), &again)?;
    let mut journaled = Vec::new();
    if !machine.is_cancelled() && !machine.is_finished() {
        let event = Request::Cancel.event(machine.settings().clock().now().max(machine.last_at()));
        journal.append(&event)?;
        machine.apply(&event);
        journaled.push(event);
    }
    requests::done(dir, &Request::Cancel);
    let (ending, machine) = drive::run_to_end(dir, machine, journal, &args.connection, journaled)?;
    match ending {
        Ending::Finished { .. } => cancelled(&machine, &shown),
        other => drive::ending_exit(other, &machine, &shown),
    }
}

/// What the cancel did, on stdout.
fn cancelled(machine: &Machine, shown: &str) -> Result<Exit, RunError> {
    let runs = (0..machine.job_count())
        .filter_map(|i| machine.run(i).current())
        .filter(|a| a.outcome == Some(AttemptOutcome::Cancelled) && a.run.is_some())
        .count();
    let jobs = (0..machine.job_count())
        .filter(|&i| machine.run(i).state() == JobState::Cancelled)
        .count();
    output::line(&format!(
        "cancelled: {runs} running attempt{} stopped, {jobs} job{} cancelled; `relplan retry --state-dir {shown}` continues them",
        if runs == 1 { "" } else { "s" },
        if jobs == 1 { "" } else { "s" },
    ))?;
    Ok(Exit::Success)
}
