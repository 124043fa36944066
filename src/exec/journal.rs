//! The journal: `<state-dir>/journal.jsonl`, one JSON [`Event`] per line, each line flushed
//! to disk (fsync) before the side effect it announces. The first line holds the plan and
//! the settings, so a state directory alone is enough to resume.
//!
//! A crash can leave a torn last line; reading drops it (and opening for writing cuts it off)
//! because its event never took effect. Any other unreadable line is corruption and is
//! reported with its line number. A new journal's first lines (`started`, then `adopted`)
//! are written to a temporary file and renamed into place, so a journal never exists
//! without them; a journal without one complete event (empty, or only a torn first line, as
//! an older relplan could leave) is a run that never started: `apply` starts it anew,
//! `resume` and `status` say nothing was started.
//!
//! `<state-dir>/lock` is held (an OS file lock, released by the OS when the process dies)
//! for as long as an executor writes to the journal. Whoever takes it first empties the
//! run's temporary directory ([`temp_dir`]): what is there was left by a process that died.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::atomic_file;
use crate::exec::event::Event;
use crate::exec::temp_dir;
use crate::run_error::{Exit, RunError};
use crate::secrets;

pub const JOURNAL_FILE: &str = "journal.jsonl";
const LOCK_FILE: &str = "lock";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("another relplan is running on `{0}`")]
    Locked(PathBuf),
    #[error("no journal in `{0}`")]
    Missing(PathBuf),
    #[error("`{0}` is a file, not a state directory")]
    NotADirectory(PathBuf),
    #[error("nothing was started in `{0}`: its journal holds no event")]
    NeverStarted(PathBuf),
    #[error("`{path}` line {line} is not a journal event: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Io(String),
}

impl miette::Diagnostic for JournalError {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let help = match self {
            JournalError::Locked(dir) => format!(
                "wait for it to stop, or see what it does with `relplan status --state-dir {}`",
                dir.display()
            ),
            JournalError::Missing(dir) => format!(
                "give the --state-dir of a run started with `relplan apply`, or start one with `relplan apply PLAN --backend sim|github|local --state-dir {}`",
                dir.display()
            ),
            JournalError::NotADirectory(dir) => format!(
                "give --state-dir a directory (`relplan apply` creates it), or move `{}` away",
                dir.display()
            ),
            JournalError::NeverStarted(dir) => format!(
                "the `apply` that created it stopped before it began; start the run with `relplan apply PLAN --backend sim|github|local --state-dir {}`",
                dir.display()
            ),
            JournalError::Corrupt { path, .. } => format!(
                "check `{}`; the journal is only ever appended to, so it was edited or damaged",
                path.display()
            ),
            JournalError::Io(_) => {
                "check that the state directory exists and is writable, then run the command again"
                    .to_string()
            }
        };
        Some(Box::new(help))
    }
}

/// Another executor holding the lock is a refusal (exit 4); the rest are failures.
impl From<JournalError> for RunError {
    fn from(error: JournalError) -> RunError {
        let exit = match error {
            JournalError::Locked(_) => Exit::Refused,
            _ => Exit::Failure,
        };
        RunError::from_diagnostic(&error, exit)
    }
}

impl From<io::Error> for JournalError {
    fn from(e: io::Error) -> Self {
        JournalError::Io(e.to_string())
    }
}

/// The lock of a state directory that has no journal yet, held while a run is started
/// there (adoption looks at the backend first); taking it empties the run's temporary
/// directory. Given up without a journal, it can be [`abandon`](DirLock::abandon)ed: what
/// taking it created is removed again.
#[derive(Debug)]
pub struct DirLock {
    dir: PathBuf,
    file: File,
    created_dir: bool,
}

impl DirLock {
    /// Takes the lock of `dir`, creating the directory if needed.
    pub fn take(dir: &Path) -> Result<DirLock, JournalError> {
        refuse_a_file(dir)?;
        let created_dir = !dir.exists();
        fs_err::create_dir_all(dir)?;
        let file = lock(dir)?;
        temp_dir::clean(dir)?;
        Ok(DirLock {
            dir: dir.to_path_buf(),
            file,
            created_dir,
        })
    }

    /// Gives the lock up and removes the lock file and the temporary directory (and the
    /// state directory, if taking the lock created it): a start that failed leaves nothing
    /// behind.
    pub fn abandon(self) {
        drop(self.file);
        let _ = fs_err::remove_dir_all(self.dir.join(temp_dir::TMP_DIR));
        let _ = fs_err::remove_file(self.dir.join(LOCK_FILE));
        if self.created_dir {
            let _ = fs_err::remove_dir(&self.dir);
        }
    }
}

/// An open journal, locked against other executors, ready for appends.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    _lock: File,
    appended: usize,
    append_limit: Option<usize>,
}

pub fn journal_path(dir: &Path) -> PathBuf {
    dir.join(JOURNAL_FILE)
}

impl Journal {
    /// Starts a new journal in `dir` (created if needed) whose first event is `first`.
    pub fn create(dir: &Path, first: &Event) -> Result<Journal, JournalError> {
        Journal::create_locked(DirLock::take(dir)?, std::slice::from_ref(first))
    }

    /// Starts a new journal holding `events`, all or none, in the directory `lock` holds;
    /// refused when a run was started there meanwhile.
    pub fn create_locked(lock: DirLock, events: &[Event]) -> Result<Journal, JournalError> {
        let dir = lock.dir.clone();
        let path = journal_path(&dir);
        if path.exists() && !parse(&path, &fs_err::read(&path)?)?.0.is_empty() {
            return Err(JournalError::Io(format!(
                "`{}` holds a run started meanwhile by another relplan",
                path.display()
            )));
        }
        let mut text = String::new();
        for event in events {
            text.push_str(&encode(event)?);
        }
        atomic_file::write_through(&temp_dir::ensure(&dir)?, &path, &mut text.as_bytes())
            .map_err(|e| JournalError::Io(e.to_string()))?;
        sync_dir(&dir);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| JournalError::Io(format!("cannot open `{}`: {e}", path.display())))?;
        Ok(Journal {
            path,
            file,
            _lock: lock.file,
            appended: events.len(),
            append_limit: None,
        })
    }

    /// Opens the journal in `dir` for appending, with every event it holds. A torn last line
    /// is cut off.
    pub fn open(dir: &Path) -> Result<(Journal, Vec<Event>), JournalError> {
        refuse_a_file(dir)?;
        let path = journal_path(dir);
        if !path.exists() {
            return Err(JournalError::Missing(dir.to_path_buf()));
        }
        let lock = lock(dir)?;
        let text = fs_err::read(&path)?;
        let (events, good_len) = parse(&path, &text)?;
        if events.is_empty() {
            return Err(JournalError::NeverStarted(dir.to_path_buf()));
        }
        temp_dir::clean(dir)?;
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| JournalError::Io(format!("cannot open `{}`: {e}", path.display())))?;
        if good_len < text.len() {
            file.set_len(good_len as u64)?;
            file.sync_all()?;
        }
        drop(file);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| JournalError::Io(format!("cannot open `{}`: {e}", path.display())))?;
        let journal = Journal {
            path,
            file,
            _lock: lock,
            appended: 0,
            append_limit: None,
        };
        Ok((journal, events))
    }

    /// Test seam for crash safety: once `limit` events were written by this `Journal`
    /// (those it was created with included), every append fails, as if the process had
    /// died right there.
    pub fn set_append_limit(&mut self, limit: usize) {
        self.append_limit = Some(limit);
    }

    /// Writes one event, secrets masked ([`secrets::redact`]), and waits until it is on
    /// disk.
    pub fn append(&mut self, event: &Event) -> Result<(), JournalError> {
        if self
            .append_limit
            .is_some_and(|limit| self.appended >= limit)
        {
            return Err(JournalError::Io(
                "stopped by the append limit (simulated crash)".into(),
            ));
        }
        let line = encode(event)?;
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| {
                JournalError::Io(format!("cannot write `{}`: {e}", self.path.display()))
            })?;
        self.appended += 1;
        Ok(())
    }
}

/// One journal line: the event as JSON, secrets masked, and a newline.
fn encode(event: &Event) -> Result<String, JournalError> {
    let json = serde_json::to_string(event).map_err(|e| JournalError::Io(e.to_string()))?;
    let mut line = secrets::redact(&json).into_owned();
    line.push('\n');
    Ok(line)
}

/// Reads every event without locking (for `status`).
pub fn read(dir: &Path) -> Result<Vec<Event>, JournalError> {
    refuse_a_file(dir)?;
    let path = journal_path(dir);
    if !path.exists() {
        return Err(JournalError::Missing(dir.to_path_buf()));
    }
    let text = fs_err::read(&path)?;
    let events = parse(&path, &text)?.0;
    if events.is_empty() {
        return Err(JournalError::NeverStarted(dir.to_path_buf()));
    }
    Ok(events)
}

/// A state directory given as the path of a file (`--state-dir plan.json`) is named as such,
/// rather than reported as a journal that is missing or a folder that cannot be created.
fn refuse_a_file(dir: &Path) -> Result<(), JournalError> {
    if dir.exists() && !dir.is_dir() {
        return Err(JournalError::NotADirectory(dir.to_path_buf()));
    }
    Ok(())
}

/// Whether an executor holds the lock of `dir` right now.
pub fn is_locked(dir: &Path) -> bool {
    matches!(lock(dir), Err(JournalError::Locked(_)))
}

/// The events, and the length of the text up to the end of the last good line.
fn parse(path: &Path, text: &[u8]) -> Result<(Vec<Event>, usize), JournalError> {
    let mut events = Vec::new();
    let mut offset = 0;
    let mut line_number = 0;
    while offset < text.len() {
        line_number += 1;
        let Some(newline) = text[offset..].iter().position(|&b| b == b'\n') else {
            // No newline: the write of this line never completed.
            return Ok((events, offset));
        };
        let line = &text[offset..offset + newline];
        let end = offset + newline + 1;
        match serde_json::from_slice::<Event>(line) {
            Ok(event) => events.push(event),
            Err(e) => {
                return Err(JournalError::Corrupt {
                    path: path.to_path_buf(),
                    line: line_number,
                    message: e.to_string(),
                });
            }
        }
        offset = end;
    }
    Ok((events, offset))
}

fn lock(dir: &Path) -> Result<File, JournalError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| JournalError::Io(format!("cannot open `{}`: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(JournalError::Locked(dir.to_path_buf())),
        Err(TryLockError::Error(e)) => Err(JournalError::Io(format!(
            "cannot lock `{}`: {e}",
            path.display()
        ))),
    }
}

/// Makes a new file's directory entry durable; best effort (not every platform allows it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(at: u64) -> Event {
        Event::Finished { at }
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), &finished(1)).unwrap();
        journal.append(&finished(2)).unwrap();
        drop(journal);
        let path = journal_path(dir.path());
        let mut text = fs_err::read_to_string(&path).unwrap();
        text.push_str("{\"event\":\"finished\",\"a");
        fs_err::write(&path, &text).unwrap();
        assert_eq!(read(dir.path()).unwrap(), vec![finished(1), finished(2)]);
        let (mut journal, events) = Journal::open(dir.path()).unwrap();
        assert_eq!(events.len(), 2);
        journal.append(&finished(3)).unwrap();
        drop(journal);
        assert_eq!(
            read(dir.path()).unwrap(),
            vec![finished(1), finished(2), finished(3)]
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        drop(Journal::create(dir.path(), &finished(1)).unwrap());
        let path = journal_path(dir.path());
        let text = fs_err::read_to_string(&path).unwrap();
        fs_err::write(&path, format!("{text}garbage\n{text}")).unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(
            matches!(err, JournalError::Corrupt { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_second_executor_is_kept_out() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), &finished(1)).unwrap();
        assert!(is_locked(dir.path()));
        assert!(matches!(
            Journal::open(dir.path()),
            Err(JournalError::Locked(_))
        ));
        drop(journal);
        assert!(!is_locked(dir.path()));
        assert!(Journal::open(dir.path()).is_ok());
    }
}
