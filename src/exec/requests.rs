//! What other commands ask of a run (`relplan pause`, `cancel`, `retry`), as files in its
//! state directory: the one way a request reaches an executor that is running there. The
//! executor looks at them at the start of every turn, journals each request as an event
//! and then removes its file; when no executor runs, the command journals the event
//! itself (and, for `cancel` and `retry`, drives the run as `resume` does).
//!
//! - `pause`: present while a pause is asked for; `resume` removes it. The executor
//!   journals `Paused` when it appears and `Resumed` when it is gone.
//! - `cancel`: cancel what runs, start nothing more, end the run (`CancelRequested`).
//! - `retry`: `{"jobs": [...]}`, the jobs to continue (`Retried`); a second request before
//!   the executor took the first adds its jobs.
//!
//! A request whose file was journaled but not yet removed (a crash in between) is
//! journaled again by the next executor; both requests are harmless twice.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::atomic_file;
use crate::exec::event::Event;
use crate::exec::temp_dir;
use crate::run_error::RunError;

/// Present while `relplan pause` is in force.
pub const PAUSE_FILE: &str = "pause";
/// `relplan cancel` waiting for the executor.
pub const CANCEL_FILE: &str = "cancel";
/// `relplan retry` waiting for the executor.
pub const RETRY_FILE: &str = "retry";

/// A one-time request: journaled once, then its file is removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Cancel,
    Retry { jobs: Vec<String> },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RetryFile {
    jobs: Vec<String>,
}

impl Request {
    /// The event that journals the request at time `at`.
    pub fn event(&self, at: u64) -> Event {
        match self {
            Request::Cancel => Event::CancelRequested { at },
            Request::Retry { jobs } => Event::Retried {
                jobs: jobs.clone(),
                at,
            },
        }
    }

    fn file(&self) -> &'static str {
        match self {
            Request::Cancel => CANCEL_FILE,
            Request::Retry { .. } => RETRY_FILE,
        }
    }
}

pub fn pause_requested(dir: &Path) -> bool {
    dir.join(PAUSE_FILE).exists()
}

/// Asks for a pause (idempotent).
pub fn request_pause(dir: &Path) -> Result<(), RunError> {
    write(dir, PAUSE_FILE, b"pause requested by `relplan pause`\n")
}

/// Withdraws a pause request; true when there was one.
pub fn withdraw_pause(dir: &Path) -> Result<bool, RunError> {
    let path = dir.join(PAUSE_FILE);
    if !path.exists() {
        return Ok(false);
    }
    fs_err::remove_file(&path).map_err(|e| {
        RunError::new(e.to_string()).with_help(format!(
            "remove `{}` by hand, then run the command again",
            path.display()
        ))
    })?;
    Ok(true)
}

/// Leaves `request` for the executor running on `dir`.
pub fn send(dir: &Path, request: &Request) -> Result<(), RunError> {
    match request {
        Request::Cancel => write(dir, CANCEL_FILE, b"cancel requested by `relplan cancel`\n"),
        Request::Retry { jobs } => {
            let mut all = pending(dir)
                .into_iter()
                .find_map(|r| match r {
                    Request::Retry { jobs } => Some(jobs),
                    Request::Cancel => None,
                })
                .unwrap_or_default();
            for job in jobs {
                if !all.contains(job) {
                    all.push(job.clone());
                }
            }
            let text = serde_json::to_string(&RetryFile { jobs: all })
                .map_err(|e| RunError::new(format!("cannot write the retry request: {e}")))?;
            write(dir, RETRY_FILE, text.as_bytes())
        }
    }
}

/// The one-time requests waiting in `dir`, cancel first. An unreadable retry file is no
/// request (the command that wrote it reported success only once it was whole).
pub fn pending(dir: &Path) -> Vec<Request> {
    let mut requests = Vec::new();
    if dir.join(CANCEL_FILE).exists() {
        requests.push(Request::Cancel);
    }
    if let Ok(text) = fs_err::read_to_string(dir.join(RETRY_FILE))
        && let Ok(file) = serde_json::from_str::<RetryFile>(&text)
    {
        requests.push(Request::Retry { jobs: file.jobs });
    }
    requests
}

/// Removes the file of a request once it is journaled. Best effort: a file left behind is
/// journaled again, which is harmless.
pub fn done(dir: &Path, request: &Request) {
    let _ = fs_err::remove_file(dir.join(request.file()));
}

/// A request file, written through the run's temporary directory.
fn write(dir: &Path, name: &str, contents: &[u8]) -> Result<(), RunError> {
    temp_dir::ensure(dir)
        .and_then(|tmp| atomic_file::write_through(&tmp, &dir.join(name), &mut &contents[..]))
        .map_err(|e| {
            RunError::new(e.to_string()).with_help("check that the state directory is writable")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_wait_in_files_until_done() {
        let dir = tempfile::tempdir().unwrap();
        assert!(pending(dir.path()).is_empty());
        let retry = |jobs: &[&str]| Request::Retry {
            jobs: jobs.iter().map(|j| j.to_string()).collect(),
        };
        send(dir.path(), &retry(&["a", "b"])).unwrap();
        send(dir.path(), &retry(&["b", "c"])).unwrap();
        send(dir.path(), &Request::Cancel).unwrap();
        assert_eq!(
            pending(dir.path()),
            [Request::Cancel, retry(&["a", "b", "c"])]
        );
        done(dir.path(), &Request::Cancel);
        assert_eq!(pending(dir.path()), [retry(&["a", "b", "c"])]);
        assert_eq!(
            retry(&["a"]).event(5),
            Event::Retried {
                jobs: vec!["a".into()],
                at: 5
            }
        );
        request_pause(dir.path()).unwrap();
        assert!(pause_requested(dir.path()));
        assert!(withdraw_pause(dir.path()).unwrap());
        assert!(!withdraw_pause(dir.path()).unwrap());
    }
}
