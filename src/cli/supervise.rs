//! `relplan __supervise DIR`: the supervisor of one attempt of the local backend (see
//! [`crate::backend::local::supervise`]). The executor starts it, never a person, so it is
//! not one of the parser's commands: no help, completion script or manual page lists it.

use std::ffi::OsString;
use std::path::Path;

use crate::backend::local::{SUPERVISE_COMMAND, supervise};
use crate::cli::Exit;
use crate::run_error::RunError;

/// Runs the supervisor when the command line is `relplan __supervise DIR`; `None` for
/// every other command line.
pub fn run_if_asked(args: &[OsString]) -> Option<Result<Exit, RunError>> {
    match args {
        [_, command, dir] if command.as_os_str() == SUPERVISE_COMMAND => Some(
            supervise(Path::new(dir))
                .map(|()| Exit::Success)
                .map_err(RunError::from),
        ),
        _ => None,
    }
}
