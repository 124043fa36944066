//! `relplan resume`: continue a paused, interrupted or crashed run from its state directory
//! alone (and, for a GitHub run, the credentials it started with: a token, or the same
//! GitHub App's id and key). When an executor still holds the directory (paused, waiting for running jobs), the
//! pause request is withdrawn and that executor continues.

use std::path::PathBuf;

use crate::cli::Exit;
use crate::cli::apply::{DEFAULT_STATE_DIR, drive};
use crate::cli::github_client::AppArgs;
use crate::exec::executor::PAUSE_FILE;
use crate::exec::journal;
use crate::exec::session;
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of the run (as given to `apply`).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
    #[command(flatten)]
    app: AppArgs,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let dir = &args.state_dir;
    let pause = dir.join(PAUSE_FILE);
    let was_paused = pause.exists();
    if was_paused {
        fs_err::remove_file(&pause).map_err(|e| {
            RunError::new(e.to_string())
                .with_help("remove the file by hand, then run `relplan resume` again")
        })?;
    }
    if was_paused && journal::is_locked(dir) {
        eprintln!("the executor running on `{}` continues", dir.display());
        return Ok(Exit::Success);
    }
    let (machine, journal) = session::open_existing(dir)?;
    drive(dir, machine, journal, &args.app)
}
