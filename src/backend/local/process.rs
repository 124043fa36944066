//! The operating-system side of supervised builds: a supervisor detached from the executor
//! (its own session, so neither Ctrl-C in the executor's terminal nor the executor's death
//! reaches it), each build in its own process group, and that whole group killed on
//! timeout or cancel. Unix only; elsewhere the local backend reports that it cannot run.

use std::process::{Child, Command, Stdio};

use crate::exec::backend::BackendError;

/// Starts `command` (a supervisor) with no terminal input or output; it detaches itself
/// into a session of its own with [`detach`].
pub fn spawn_supervisor(mut command: Command) -> Result<Child, BackendError> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.spawn().map_err(|e| {
        BackendError::transient(format!("cannot start the build supervisor: {e}"))
            .with_help("check that the relplan binary is still where it was started from")
    })
}

/// Makes the calling process (a supervisor) the leader of a new session, away from the
/// executor's terminal and process group.
pub fn detach() {
    #[cfg(unix)]
    {
        // Fails only when it already leads a process group, which a freshly spawned
        // process does not; a supervisor still runs without it.
        let _ = rustix::process::setsid();
    }
}

/// Puts the build started by `command` in a process group of its own, whose id is the
/// build's pid, so that the group can be killed as one.
pub fn own_process_group(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// Kills every process of the group `pgid` (SIGKILL). A group that is already gone is fine.
pub fn kill_group(pgid: i32) -> Result<(), BackendError> {
    #[cfg(unix)]
    {
        use rustix::process::{Pid, Signal, kill_process_group};
        let Some(pid) = Pid::from_raw(pgid).filter(|_| pgid > 1) else {
            return Err(BackendError::failed(format!(
                "`{pgid}` is not a build's process group"
            )));
        };
        match kill_process_group(pid, Signal::KILL) {
            Ok(()) => Ok(()),
            Err(e) if e == rustix::io::Errno::SRCH => Ok(()),
            Err(e) => Err(BackendError::transient(format!(
                "cannot kill process group {pgid}: {e}"
            ))),
        }
    }
    #[cfg(not(unix))]
    Err(BackendError::blocked(format!(
        "cannot kill process group {pgid}: the local backend needs a Unix system"
    )))
}

/// The signal that ended a process, if one did.
pub fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal()
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        None
    }
}
