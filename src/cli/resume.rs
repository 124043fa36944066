//! `relplan resume`: continue a paused, interrupted, halted or crashed run from its state
//! directory alone (with this command's connection settings, if given). When an executor
//! still holds the directory (paused, waiting for running jobs), the pause request is
//! withdrawn and that executor continues.

use crate::cli::Exit;
use crate::cli::drive::{self, ConnectionArgs};
use crate::cli::state_dir::StateDirArg;
use crate::exec::{journal, requests, session};
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    state_dir: StateDirArg,
    #[command(flatten)]
    connection: ConnectionArgs,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let dir = &args.state_dir.state_dir;
    let was_paused = requests::withdraw_pause(dir)?;
    if was_paused && journal::is_locked(dir) {
        eprintln!("the executor running on `{}` continues", dir.display());
        return Ok(Exit::Success);
    }
    let (machine, journal) = session::open_existing(dir)?;
    drive::resume(dir, machine, journal, &args.connection, Vec::new())
}
