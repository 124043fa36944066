//! `relplan pause`: ask the run in a state directory to start nothing new. Running jobs
//! finish, then the executor stops (exit 130); `relplan resume` continues.

use crate::cli::Exit;
use crate::cli::state_dir::StateDirArg;
use crate::exec::event::Event;
use crate::exec::{journal, requests, session};
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    state_dir: StateDirArg,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let dir = &args.state_dir.state_dir;
    let shown = dir.display();
    // A run that finished and was then retried is running again: ask the replayed run.
    if session::read(dir)?.is_finished() {
        eprintln!("the run in `{shown}` has finished; there is nothing to pause");
        return Ok(Exit::Success);
    }
    requests::request_pause(dir)?;
    if journal::is_locked(dir) {
        eprintln!(
            "pause requested: running jobs finish, nothing new starts; continue with `relplan resume --state-dir {shown}`"
        );
        return Ok(Exit::Success);
    }
    // No executor is running: journal the pause now.
    let (machine, mut journal) = session::open_existing(dir)?;
    if !machine.is_paused() {
        journal.append(&Event::Paused {
            at: machine.last_at(),
        })?;
    }
    eprintln!(
        "paused (no executor was running); continue with `relplan resume --state-dir {shown}`"
    );
    Ok(Exit::Success)
}
