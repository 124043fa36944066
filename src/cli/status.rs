//! `relplan status`: where the run in a state directory stands, per job and per attempt
//! (how each ended, on which run, whether it was adopted), with the retries and cancels
//! asked for, for people (text) or programs (`--format json`). Reads the journal without
//! taking the lock.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::backend::local::{AttemptDir, LOG_FILE, release_path};
use crate::cli::Exit;
use crate::cli::apply::DEFAULT_STATE_DIR;
use crate::compile::duration::format_seconds;
use crate::exec::event::{AttemptOutcome, BackendKind};
use crate::exec::machine::{JobState, Machine, Request};
use crate::exec::requests;
use crate::exec::view::{self, AttemptRow, JobRow};
use crate::exec::{journal, session};
use crate::run_error::RunError;
use crate::secrets;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of the run (as given to `apply`).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Serialize)]
struct Status<'a> {
    plan_hash: &'a str,
    release: &'a str,
    tag: &'a str,
    /// running, pausing, paused, cancelling, interrupted, stopped (the executor died),
    /// succeeded, failed or cancelled.
    status: &'static str,
    published: bool,
    /// Local backend: the folder holding the published release.
    #[serde(skip_serializing_if = "Option::is_none")]
    release_dir: Option<String>,
    /// Latest time the journal mentions, in seconds since the run began.
    last_event_s: u64,
    /// When the journal's adoption looked at the backend.
    #[serde(skip_serializing_if = "Option::is_none")]
    adopted_s: Option<u64>,
    /// Why the executor last stopped, when the backend made it stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    halted: Option<Halted<'a>>,
    /// The retries and cancels asked for, journaled, in order.
    requests: &'a [Request],
    /// Requests waiting in the state directory for the running executor to take them.
    waiting: Vec<&'static str>,
    jobs: Vec<JobRow>,
}

#[derive(Serialize)]
struct Halted<'a> {
    at: u64,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let dir = &args.state_dir;
    let machine = session::read(dir)?;
    let plan = machine.plan();
    let mut jobs = view::status_rows(&machine);
    let local = matches!(machine.settings().backend, BackendKind::Local { .. });
    if local {
        add_local_logs(dir, &mut jobs);
    }
    let release_dir = release_path(dir, &plan.release.tag)
        .ok()
        .filter(|folder| local && folder.exists())
        .map(|folder| folder.display().to_string());
    let report = Status {
        plan_hash: &machine.plan().plan_hash,
        release: &machine.plan().release.name,
        tag: &machine.plan().release.tag,
        status: status(&machine, journal::is_locked(dir)),
        published: machine.published(),
        release_dir,
        last_event_s: machine.last_at(),
        adopted_s: machine.adopted_at(),
        halted: machine.halt().map(|halt| Halted {
            at: halt.at,
            reason: &halt.reason,
            help: halt.help.as_deref(),
        }),
        requests: machine.requests(),
        waiting: waiting(dir),
        jobs,
    };
    match args.format {
        Format::Json => {
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| RunError::new(format!("cannot write the status as JSON: {e}")))?;
            println!("{}", secrets::redact(&text));
        }
        Format::Text => print!(
            "{}",
            secrets::redact(&text(&report, &dir.display().to_string()))
        ),
    }
    Ok(Exit::Success)
}

/// The output log of every attempt the local backend ran (`local/<job>/<attempt>/output.log`).
fn add_local_logs(dir: &Path, jobs: &mut [JobRow]) {
    for job in jobs {
        for attempt in &mut job.history {
            let log = AttemptDir::new(dir, &job.id, attempt.attempt).file(LOG_FILE);
            if log.exists() {
                attempt.log = Some(log.display().to_string());
            }
        }
    }
}

fn status(machine: &Machine, locked: bool) -> &'static str {
    if machine.is_finished() {
        if machine.succeeded() {
            "succeeded"
        } else if machine.is_cancelled() {
            "cancelled"
        } else {
            "failed"
        }
    } else if locked {
        if machine.is_cancelled() {
            "cancelling"
        } else if machine.is_paused() {
            "pausing"
        } else {
            "running"
        }
    } else if machine.is_paused() {
        "paused"
    } else if machine.was_interrupted() {
        "interrupted"
    } else {
        "stopped"
    }
}

fn waiting(dir: &Path) -> Vec<&'static str> {
    requests::pending(dir)
        .iter()
        .map(|request| match request {
            requests::Request::Cancel => "cancel",
            requests::Request::Retry { .. } => "retry",
        })
        .collect()
}

fn text(report: &Status<'_>, dir: &str) -> String {
    let mut out = String::new();
    let explained = match report.status {
        "stopped" => "stopped: no executor is running (it was killed or crashed)",
        "interrupted" if report.halted.is_some() => "interrupted: the backend made it stop",
        "interrupted" => "interrupted (Ctrl-C): jobs that were running went on",
        "paused" => "paused: nothing new starts until `relplan resume`",
        "pausing" => "pausing: running jobs finish, nothing new starts",
        "cancelling" => "cancelling: running attempts are being cancelled",
        "cancelled" => "cancelled by `relplan cancel`",
        other => other,
    };
    let _ = writeln!(out, "{} (tag {}): {explained}", report.release, report.tag);
    let _ = writeln!(out, "  plan {}", report.plan_hash);
    match (&report.release_dir, report.published) {
        (Some(folder), true) => {
            let _ = writeln!(out, "  release published in `{folder}`");
        }
        (None, true) => {
            let _ = writeln!(out, "  release published");
        }
        _ => {}
    }
    if let Some(halted) = &report.halted {
        let _ = writeln!(
            out,
            "  stopped at {}: {}",
            format_seconds(halted.at),
            halted.reason
        );
        if let Some(help) = halted.help {
            let _ = writeln!(out, "    help: {help}");
        }
    }
    out.push('\n');
    let table = view::table(&report.jobs, false);
    let mut lines = table.lines();
    if let Some(header) = lines.next() {
        let _ = writeln!(out, "{header}");
    }
    for (job, line) in report.jobs.iter().zip(lines) {
        let _ = writeln!(out, "{line}");
        for attempt in &job.history {
            attempt_lines(&mut out, attempt);
        }
    }
    if !report.requests.is_empty() || !report.waiting.is_empty() {
        let _ = writeln!(out, "\nrequests");
        for request in report.requests {
            let what = match request.kind {
                "retry" => format!("retry {}", request.jobs.join(", ")),
                other => other.to_string(),
            };
            let _ = writeln!(out, "  {:>10}  {what}", format_seconds(request.at));
        }
        for kind in &report.waiting {
            let _ = writeln!(out, "  {:>10}  {kind} (waiting for the executor)", "-");
        }
    }
    let blocked = report.jobs.iter().any(|j| j.state == JobState::Blocked);
    let retryable = report.jobs.iter().any(|j| {
        matches!(
            j.state,
            JobState::Failed | JobState::Blocked | JobState::Cancelled
        )
    });
    match report.status {
        "paused" | "interrupted" | "stopped" => {
            let _ = writeln!(out, "\ncontinue with `relplan resume --state-dir {dir}`");
        }
        "failed" | "cancelled" if blocked => {
            let _ = writeln!(
                out,
                "\nfix what blocks the blocked jobs, then continue with `relplan retry --state-dir {dir}`"
            );
        }
        "failed" | "cancelled" if retryable => {
            let _ = writeln!(
                out,
                "\ncontinue from the jobs that did not complete with `relplan retry --state-dir {dir}`"
            );
        }
        _ => {}
    }
    out
}

/// `attempt 2: failed 1h 5m → 1h 40m (run 123/2, adopted): reason`, and its help.
fn attempt_lines(out: &mut String, attempt: &AttemptRow) {
    let ended = match attempt.outcome {
        None => "running",
        Some(AttemptOutcome::Success) => "succeeded",
        Some(AttemptOutcome::Failure) => "failed",
        Some(AttemptOutcome::TimedOut) => "timed out",
        Some(AttemptOutcome::Cancelled) => "cancelled",
        Some(AttemptOutcome::Blocked) => "blocked",
    };
    let when = match attempt.end_s {
        Some(end) => format!(
            "{} → {}",
            format_seconds(attempt.start_s),
            format_seconds(end)
        ),
        None => format!("since {}", format_seconds(attempt.start_s)),
    };
    let mut about = Vec::new();
    if !attempt.runs.is_empty() {
        about.push(format!("run {}", attempt.runs.join(", ")));
    }
    if attempt.adopted {
        about.push("adopted".to_string());
    }
    let about = if about.is_empty() {
        String::new()
    } else {
        format!(" ({})", about.join(", "))
    };
    let reason = attempt
        .reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "      attempt {} {ended} {when}{about}{reason}",
        attempt.attempt
    );
    if let Some(help) = &attempt.help {
        let _ = writeln!(out, "        help: {help}");
    }
    if let Some(log) = &attempt.log {
        let _ = writeln!(out, "        log: `{log}`");
    }
}
