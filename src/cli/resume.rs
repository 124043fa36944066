//! `relplan resume`: continue a paused, interrupted or crashed run from its state directory
//! alone. When an executor still holds the directory (paused, waiting for running jobs), the
//! pause request is withdrawn and that executor continues.

use std::path::PathBuf;

use crate::cli::apply::{DEFAULT_STATE_DIR, drive, session_error};
use crate::cli::{Exit, print_error};
use crate::exec::executor::PAUSE_FILE;
use crate::exec::journal;
use crate::exec::session;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of the run (as given to `apply`).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
}

pub fn run(args: Args) -> Exit {
    let dir = &args.state_dir;
    let pause = dir.join(PAUSE_FILE);
    let was_paused = pause.exists();
    if was_paused && let Err(e) = fs_err::remove_file(&pause) {
        print_error(
            &e.to_string(),
            Some("remove the file by hand, then run `relplan resume` again"),
        );
        return Exit::Failure;
    }
    if was_paused && journal::is_locked(dir) {
        eprintln!("the executor running on `{}` continues", dir.display());
        return Exit::Success;
    }
    match session::open_existing(dir) {
        Ok((machine, journal)) => drive(dir, machine, journal),
        Err(e) => session_error(e),
    }
}
