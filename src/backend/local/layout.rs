//! Where the local backend keeps each attempt, inside the state directory, and the small
//! files through which the executor and an attempt's supervisor talk. Everything here is
//! written atomically (temporary file, sync, rename), so a reader sees a whole file or none.
//! The temporary files are made inside the attempt folder, not in the run's `tmp/`: a
//! supervisor outlives the executor that started it, and the next executor empties `tmp/`
//! when it takes the state directory, possibly while a supervisor is writing.
//!
//! ```text
//! <state-dir>/local/<job>/<attempt>/
//!     spec.json     what to run (written by dispatch, before the supervisor starts)
//!     lock          held by the supervisor while it lives (an OS file lock)
//!     pid           the build's process id, which is also its process group id
//!     output.log    everything the build wrote to stdout and stderr, then relplan's notes
//!     status        how it ended (JSON), written last
//!     cancel        present once the executor asked for the build to stop
//!     worktree/     the clean checkout the build runs in (removed when it ends)
//!     work/         a step's empty directory (removed when it ends)
//!     needs/        one link per job it needs, to that job's collected files
//!     artifacts/    the files its `local.artifacts` globs collected, paths kept
//! ```
//!
//! `<job>` is the job id with every character other than ASCII letters, digits, `-` and `_`
//! written as `%XX` (`blvm-consensus/build` → `blvm-consensus%2Fbuild`), so any id is one
//! directory name.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::atomic_file;
use crate::exec::backend::BackendError;
use crate::exec::event::RunRef;

/// The local backend's folder in the state directory.
pub const LOCAL_DIR: &str = "local";
pub const SPEC_FILE: &str = "spec.json";
pub const LOCK_FILE: &str = "lock";
pub const PID_FILE: &str = "pid";
pub const LOG_FILE: &str = "output.log";
pub const STATUS_FILE: &str = "status";
pub const CANCEL_FILE: &str = "cancel";
pub const WORKTREE_DIR: &str = "worktree";
pub const WORK_DIR: &str = "work";
pub const NEEDS_DIR: &str = "needs";
pub const ARTIFACTS_DIR: &str = "artifacts";

/// What one attempt runs, fixed by dispatch before its supervisor starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    pub job: String,
    pub attempt: u32,
    pub correlation_id: String,
    /// The command line, run by `sh -c`.
    pub run: String,
    /// Globs of the files to collect from `workdir`.
    pub artifacts: Vec<String>,
    /// Where the command runs: the worktree of a build, the empty directory of a step.
    pub workdir: PathBuf,
    /// The clone `workdir` is a worktree of (to remove it afterwards); none for steps.
    pub clone: Option<PathBuf>,
    /// Set on top of the environment the supervisor inherited.
    pub env: BTreeMap<String, String>,
}

/// How an attempt ended, as its supervisor (or, when the supervisor died, the backend)
/// recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub success: bool,
    /// The command's exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// The executor asked for it to stop (timeout, cancel, `--fail-fast`).
    pub cancelled: bool,
    /// Why it failed, in words.
    pub reason: Option<String>,
    /// Wall-clock milliseconds since the Unix epoch.
    pub finished_unix_ms: u64,
}

/// The folder of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptDir(pub PathBuf);

impl AttemptDir {
    pub fn new(state_dir: &Path, job: &str, attempt: u32) -> AttemptDir {
        AttemptDir(job_dir(state_dir, job).join(attempt.to_string()))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn spec(&self) -> Result<Option<Spec>, BackendError> {
        read_json(&self.file(SPEC_FILE))
    }

    pub fn write_spec(&self, spec: &Spec) -> Result<(), BackendError> {
        write_json(&self.file(SPEC_FILE), spec)
    }

    pub fn status(&self) -> Result<Option<Status>, BackendError> {
        read_json(&self.file(STATUS_FILE))
    }

    pub fn write_status(&self, status: &Status) -> Result<(), BackendError> {
        write_json(&self.file(STATUS_FILE), status)
    }

    /// The build's process id (and process group id), once it started.
    pub fn pid(&self) -> Option<i32> {
        let text = fs_err::read_to_string(self.file(PID_FILE)).ok()?;
        text.trim().parse().ok()
    }

    pub fn write_pid(&self, pid: u32) -> Result<(), BackendError> {
        write(&self.file(PID_FILE), format!("{pid}\n").as_bytes())
    }

    /// When the build started (its `pid` file was written); for an attempt that ended
    /// without starting one, when it ended. `None` before either.
    pub fn started_unix_ms(&self) -> Result<Option<u64>, BackendError> {
        let written = fs_err::metadata(self.file(PID_FILE))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64);
        match written {
            Some(ms) => Ok(Some(ms)),
            None => Ok(self.status()?.map(|s| s.finished_unix_ms)),
        }
    }

    pub fn cancel_requested(&self) -> bool {
        self.file(CANCEL_FILE).exists()
    }

    pub fn request_cancel(&self) -> Result<(), BackendError> {
        write(&self.file(CANCEL_FILE), b"")
    }

    /// Opens the lock file, creating it if needed.
    pub fn lock_file(&self) -> Result<File, BackendError> {
        let path = self.file(LOCK_FILE);
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error(&path, &e))
    }

    /// Whether a supervisor holds this attempt's lock right now.
    pub fn supervised(&self) -> Result<bool, BackendError> {
        let file = self.lock_file()?;
        match file.try_lock() {
            Ok(()) => Ok(false),
            Err(TryLockError::WouldBlock) => Ok(true),
            Err(TryLockError::Error(e)) => Err(io_error(&self.file(LOCK_FILE), &e)),
        }
    }

    /// The reference the journal keeps: the folder relative to the state directory.
    pub fn run_name(&self, state_dir: &Path) -> String {
        let relative = self.0.strip_prefix(state_dir).unwrap_or(&self.0);
        format!("local:{}", relative.display())
    }

    /// The attempt as the journal keeps its run, started at `started_s`: its name, and
    /// its log's `file://` URL as the run's page. `state_dir` is absolute.
    pub fn run_ref(&self, state_dir: &Path, started_s: u64) -> RunRef {
        RunRef {
            runs: vec![self.run_name(state_dir)],
            started_s,
            urls: file_url(&self.file(LOG_FILE)).into_iter().collect(),
        }
    }
}

/// The `file://` URL of the absolute `path`, the local backend's web page of a run (its
/// log) or of the release (its folder); `None` for a relative path.
pub fn file_url(path: &Path) -> Option<String> {
    url::Url::from_file_path(path).ok().map(String::from)
}

/// The folder holding every attempt of `job`.
pub fn job_dir(state_dir: &Path, job: &str) -> PathBuf {
    state_dir.join(LOCAL_DIR).join(encode(job))
}

/// The attempt numbers of `job` that have a folder, in no particular order.
pub fn attempts_of(state_dir: &Path, job: &str) -> Vec<u32> {
    numbered(&job_dir(state_dir, job))
}

/// Every attempt folder of the state directory (`local/<any job>/<number>`), whatever plan
/// made it.
pub fn every_attempt(state_dir: &Path) -> Vec<AttemptDir> {
    let Ok(jobs) = fs_err::read_dir(state_dir.join(LOCAL_DIR)) else {
        return Vec::new();
    };
    let mut all = Vec::new();
    for job in jobs.flatten() {
        let folder = job.path();
        for attempt in numbered(&folder) {
            all.push(AttemptDir(folder.join(attempt.to_string())));
        }
    }
    all
}

/// The entries of `folder` named by a number.
fn numbered(folder: &Path) -> Vec<u32> {
    let Ok(entries) = fs_err::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The attempt a journaled run reference names (`local:local/<job>/<attempt>`).
pub fn attempt_of(state_dir: &Path, run: &str) -> Option<AttemptDir> {
    let relative = run.strip_prefix("local:")?;
    let path = Path::new(relative);
    // Only folders this backend makes: `local/<job>/<attempt>`, nothing that leaves it.
    let parts: Vec<&str> = relative.split('/').collect();
    let well_formed = parts.len() == 3
        && parts[0] == LOCAL_DIR
        && parts[1].chars().all(is_plain_or_escape)
        && !parts[1].is_empty()
        && parts[2].parse::<u32>().is_ok();
    well_formed.then(|| AttemptDir(state_dir.join(path)))
}

/// A job id as one directory name.
pub fn encode(job: &str) -> String {
    let mut out = String::with_capacity(job.len());
    for byte in job.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn is_plain_or_escape(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '%'
}

pub fn io_error(path: &Path, e: &std::io::Error) -> BackendError {
    BackendError::transient(format!("cannot use `{}`: {e}", path.display()))
}

/// Writes a whole file atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), BackendError> {
    atomic_file::write(path, bytes).map_err(|e| io_error(path, &e))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), BackendError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| BackendError::transient(format!("cannot write `{}`: {e}", path.display())))?;
    text.push('\n');
    write(path, text.as_bytes())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, BackendError> {
    let text = match fs_err::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, &e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        BackendError::failed(format!("`{}` is damaged: {e}", path.display())).with_help(
            "it is written only by relplan; the job's next attempt gets a folder of its own",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_job_id_is_one_directory_name() {
        assert_eq!(encode("blvm-node"), "blvm-node");
        assert_eq!(encode("blvm-consensus/build"), "blvm-consensus%2Fbuild");
        assert_eq!(encode(".."), "%2E%2E");
        assert_eq!(encode("a b"), "a%20b");
    }

    #[test]
    fn run_references_name_only_attempt_folders() {
        let state = Path::new("/state");
        let dir = AttemptDir::new(state, "core/build", 2);
        let name = dir.run_name(state);
        assert_eq!(name, "local:local/core%2Fbuild/2");
        assert_eq!(attempt_of(state, &name), Some(dir));
        assert_eq!(attempt_of(state, "local:local/../x/1"), None);
        assert_eq!(attempt_of(state, "local:/etc/1"), None);
        assert_eq!(attempt_of(state, "sim:x"), None);
    }
}
