//! The supervisor of one attempt: a small process (the relplan binary itself, run as
//! `relplan __supervise <attempt folder>`) that outlives the executor which started it, so
//! a build goes on when the executor is interrupted or killed, and what happened to it is
//! on disk for the next executor to read.
//!
//! In order, it: leaves the executor's session; takes the attempt's `lock` (held until it
//! exits, which is how others know it lives) and so is the only one running this attempt;
//! gives up when the attempt already ended, and records an attempt whose earlier
//! supervisor died mid-build as failed; starts `sh -c <run>` in the attempt's worktree, in
//! a process group of its own, output into `output.log`; records its pid; waits for it;
//! kills whatever the build left running in its group; on success collects the artifacts;
//! removes the worktree; and records how it ended (`status`), last.
//!
//! The build is held at its start until its pid is recorded: its shell first reads a line
//! from a pipe the supervisor holds, and exits unrun when the pipe closes without one. So a
//! supervisor that dies before recording the pid leaves no build behind, and the next
//! supervisor of the attempt may start it; one that dies after leaves a pid by which its
//! build is found and killed. Either way no build runs twice.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::backend::local::collect;
use crate::backend::local::layout::{
    ARTIFACTS_DIR, AttemptDir, LOG_FILE, Spec, Status, WORK_DIR, io_error,
};
use crate::backend::local::process;
use crate::backend::local::workspace::Workspace;
use crate::exec::backend::{BackendError, unix_ms};

/// The hidden command line that runs a supervisor: `relplan __supervise <attempt folder>`.
pub const SUPERVISE_COMMAND: &str = "__supervise";

/// The build's shell, run as `sh -c HELD_START relplan-build <run>`: it waits for the
/// supervisor's line, then becomes `sh -c <run>` (same pid, so the same process group),
/// with its input from `/dev/null`.
const HELD_START: &str = "IFS= read -r _ || exit 125; exec sh -c \"$1\" < /dev/null";

/// Supervises the attempt in `folder` from start to end.
pub fn supervise(folder: &Path) -> Result<(), BackendError> {
    process::detach();
    let dir = AttemptDir(folder.to_path_buf());
    let lock = dir.lock_file()?;
    lock.lock().map_err(|e| io_error(&dir.file("lock"), &e))?;
    if dir.status()?.is_some() {
        return Ok(());
    }
    let Some(spec) = dir.spec()? else {
        return Err(BackendError::failed(format!(
            "`{}` holds no attempt to run",
            folder.display()
        )));
    };
    let mut log = open_log(&dir)?;
    if dir.pid().is_some() {
        let status = abandon(&dir, &spec, "its supervisor stopped before the build ended");
        note(&mut log, status.reason.as_deref().unwrap_or_default());
        return dir.write_status(&status);
    }
    let status = run(&dir, &spec, &mut log);
    let cleaned = clean(&spec);
    if let Err(why) = &cleaned {
        note(
            &mut log,
            &format!("cannot remove `{}`: {why}", spec.workdir.display()),
        );
    }
    note(
        &mut log,
        &match &status.reason {
            Some(reason) => format!("attempt failed: {reason}"),
            None => "attempt succeeded".into(),
        },
    );
    let written = dir.write_status(&status);
    drop(lock);
    written
}

/// Runs the build and, when it succeeded, collects its artifacts.
fn run(dir: &AttemptDir, spec: &Spec, log: &mut File) -> Status {
    note(
        log,
        &format!(
            "job `{}` attempt {} in `{}`: sh -c {:?}",
            spec.job,
            spec.attempt,
            spec.workdir.display(),
            spec.run
        ),
    );
    let (stdout, stderr) = match (log.try_clone(), log.try_clone()) {
        (Ok(out), Ok(err)) => (Stdio::from(out), Stdio::from(err)),
        (Err(e), _) | (_, Err(e)) => return failed(format!("cannot share `{LOG_FILE}`: {e}")),
    };
    let mut command = Command::new("sh");
    command
        .args(["-c", HELD_START, "relplan-build"])
        .arg(&spec.run)
        .current_dir(&spec.workdir)
        .envs(&spec.env)
        // relplan never hands a GitHub token on: a build that prints its environment must
        // not put one into its log.
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(stderr);
    process::own_process_group(&mut command);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return failed(format!("cannot start `sh`: {e}")),
    };
    let pgid = child.id();
    let hold = child.stdin.take();
    if let Err(e) = dir.write_pid(pgid) {
        let _ = process::kill_group(pgid as i32);
        return failed(format!("cannot record the build's pid: {e}"));
    }
    // A cancel that came before the pid was there: the executor could not kill the group.
    if dir.cancel_requested() {
        let _ = process::kill_group(pgid as i32);
    } else if let Some(mut hold) = hold {
        // Released; a build that is gone already is waited for below.
        let _ = hold.write_all(b"go\n");
    }
    let exit = child.wait();
    // Whatever the build left running in its group goes with it.
    let _ = process::kill_group(pgid as i32);
    let exit = match exit {
        Ok(exit) => exit,
        Err(e) => return failed(format!("cannot wait for the build: {e}")),
    };
    let mut status = Status {
        success: exit.success(),
        exit_code: exit.code(),
        signal: process::signal_of(&exit),
        cancelled: dir.cancel_requested(),
        reason: None,
        finished_unix_ms: unix_ms(),
    };
    if status.cancelled {
        status.success = false;
        status.reason = Some("stopped by relplan (timeout, cancel or --fail-fast)".into());
    } else if let Some(signal) = status.signal {
        status.reason = Some(format!("the build was killed by signal {signal}"));
    } else if !status.success {
        let code = status.exit_code.map_or("?".into(), |c| c.to_string());
        status.reason = Some(format!("the build exited with status {code}"));
    } else {
        let into = dir.file(ARTIFACTS_DIR);
        let collected = fs_err::create_dir_all(&into)
            .map_err(|e| e.to_string())
            .and_then(|()| collect::collect(&spec.workdir, &spec.artifacts, &into));
        match collected {
            Ok(files) => note(log, &describe_collected(&files)),
            Err(why) => {
                status.success = false;
                status.reason = Some(why);
            }
        }
        status.finished_unix_ms = unix_ms();
    }
    status
}

/// How an attempt that was started stands, as anyone but its supervisor sees it: its
/// `status` once it ended; `None` while a supervisor holds its lock; and when neither (its
/// supervisor died: killed, or the machine restarted) it is recorded as failed, whatever is
/// left of its build killed, and that record returned.
pub fn ending(dir: &AttemptDir) -> Result<Option<Status>, BackendError> {
    if let Some(status) = dir.status()? {
        return Ok(Some(status));
    }
    if dir.supervised()? {
        return Ok(None);
    }
    // It may have ended between the two looks.
    if let Some(status) = dir.status()? {
        return Ok(Some(status));
    }
    let Some(spec) = dir.spec()? else {
        return Err(BackendError::failed(format!(
            "`{}` holds no attempt",
            dir.path().display()
        )));
    };
    let why = "its supervisor stopped before the build ended (killed, or the machine restarted)";
    let status = abandon(dir, &spec, why);
    dir.write_status(&status)?;
    Ok(Some(status))
}

/// The record of an attempt whose supervisor died: whatever of the build still runs is
/// killed and its worktree removed. Used by a later supervisor and by the backend.
pub fn abandon(dir: &AttemptDir, spec: &Spec, why: &str) -> Status {
    if let Some(pid) = dir.pid() {
        let _ = process::kill_group(pid);
    }
    let _ = clean(spec);
    failed(why.to_string())
}

/// Removes where the build ran: its worktree, or a step's empty folder.
fn clean(spec: &Spec) -> Result<(), String> {
    match &spec.clone {
        Some(clone) => Workspace::remove_worktree(clone, &spec.workdir),
        None if spec.workdir.ends_with(WORK_DIR) && spec.workdir.exists() => {
            fs_err::remove_dir_all(&spec.workdir).map_err(|e| e.to_string())
        }
        None => Ok(()),
    }
}

fn failed(reason: String) -> Status {
    Status {
        success: false,
        exit_code: None,
        signal: None,
        cancelled: false,
        reason: Some(reason),
        finished_unix_ms: unix_ms(),
    }
}

fn describe_collected(files: &[String]) -> String {
    match files.len() {
        0 => "collected no files (the job has no `local.artifacts`)".into(),
        1 => format!("collected 1 file: {}", files[0]),
        n => format!("collected {n} files: {}", files.join(", ")),
    }
}

fn open_log(dir: &AttemptDir) -> Result<File, BackendError> {
    let path = dir.file(LOG_FILE);
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| io_error(&path, &e))
}

/// A line of relplan's own in the attempt's log, marked so it stands out from the build's.
fn note(log: &mut File, text: &str) {
    let _ = writeln!(log, "relplan: {text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build whose supervisor is gone before releasing it never runs.
    #[test]
    fn a_held_build_runs_only_when_released() {
        let dir = tempfile::tempdir().unwrap();
        let held = |release: bool| {
            let mut child = Command::new("sh")
                .args(["-c", HELD_START, "relplan-build", "touch ran"])
                .current_dir(dir.path())
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let mut hold = child.stdin.take().unwrap();
            if release {
                hold.write_all(b"go\n").unwrap();
            }
            drop(hold);
            child.wait().unwrap().code()
        };
        assert_eq!(held(false), Some(125));
        assert!(!dir.path().join("ran").exists());
        assert_eq!(held(true), Some(0));
        assert!(dir.path().join("ran").exists());
    }
}
