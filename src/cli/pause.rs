//! `relplan pause`: ask the run in a state directory to start nothing new. Running jobs
//! finish, then the executor stops (exit 130); `relplan resume` continues.

use std::path::PathBuf;

use crate::atomic_file;
use crate::cli::apply::{DEFAULT_STATE_DIR, session_error};
use crate::cli::{Exit, print_error};
use crate::exec::event::Event;
use crate::exec::executor::PAUSE_FILE;
use crate::exec::{journal, session};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of the run (as given to `apply`).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
}

pub fn run(args: Args) -> Exit {
    let dir = &args.state_dir;
    let shown = dir.display();
    let events = match journal::read(dir) {
        Ok(events) => events,
        Err(e) => {
            print_error(
                &e.to_string(),
                Some("give the --state-dir of a run started with `relplan apply`"),
            );
            return Exit::Failure;
        }
    };
    if events.iter().any(|e| matches!(e, Event::Finished { .. })) {
        eprintln!("the run in `{shown}` has finished; there is nothing to pause");
        return Exit::Success;
    }
    if let Err(e) = atomic_file::write(
        &dir.join(PAUSE_FILE),
        b"pause requested by `relplan pause`\n",
    ) {
        print_error(
            &e.to_string(),
            Some("check that the state directory is writable"),
        );
        return Exit::Failure;
    }
    if journal::is_locked(dir) {
        eprintln!(
            "pause requested: running jobs finish, nothing new starts; continue with `relplan resume --state-dir {shown}`"
        );
        return Exit::Success;
    }
    // No executor is running: journal the pause now.
    match session::open_existing(dir) {
        Ok((machine, mut journal)) => {
            if !machine.is_paused()
                && let Err(e) = journal.append(&Event::Paused {
                    at: machine.last_at(),
                })
            {
                print_error(
                    &e.to_string(),
                    Some("check that the state directory is writable"),
                );
                return Exit::Failure;
            }
            eprintln!(
                "paused (no executor was running); continue with `relplan resume --state-dir {shown}`"
            );
            Exit::Success
        }
        Err(e) => session_error(e),
    }
}
