//! `relplan status`: where the run in a state directory stands, per job and per attempt
//! (how each ended, on which run and its web page, whether it was adopted), with the
//! retries and cancels asked for, for people (text, or Markdown for a step summary or an
//! issue) or programs (`--format json`). Reads the journal without taking the lock.
//! `--watch` shows it again every interval until the run ends (or no executor is left to
//! move it), and `--exit-status` then exits with how the run ended.

use std::fmt::Write;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::backend::local::{AttemptDir, LOG_FILE, release_path};
use crate::cli::Exit;
use crate::cli::state_dir::StateDirArg;
use crate::cli::{output, release_place};
use crate::compile::duration::format_seconds;
use crate::exec::event::{AttemptOutcome, BackendKind};
use crate::exec::machine::{Machine, Request};
use crate::exec::view::{self, AttemptRow, JobRow};
use crate::exec::{journal, session};
use crate::exec::{report, requests};
use crate::numbers::{NAMED, few};
use crate::run_error::RunError;
use crate::secrets;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    state_dir: StateDirArg,
    /// `markdown` is for a step summary or an issue.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Show the status again every `--interval` until the run ends (like `gh run watch`),
    /// or until no executor is left to move it (paused, interrupted, stopped).
    #[arg(long)]
    watch: bool,
    /// With `--watch`: exit with how the run ended (0 succeeded, 1 failed or cancelled,
    /// 130 not over but no executor runs it).
    #[arg(long, requires = "watch")]
    exit_status: bool,
    /// With `--watch`: how long between two looks, e.g. `10s`.
    #[arg(long, value_name = "DURATION", default_value = "3s", requires = "watch",
          value_parser = crate::compile::duration::parse_seconds)]
    interval: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
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
    /// The published release's web page, when the backend gave one (the local backend's:
    /// a `file://` URL of the release folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    release_url: Option<&'a str>,
    /// Local backend: the folder holding the published release, as the state directory
    /// was given.
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
    let dir = &args.state_dir.state_dir;
    if !args.watch {
        let machine = session::read(dir)?;
        output::print(&render(&machine, dir, args.format)?)?;
        return Ok(Exit::Success);
    }
    let clear = std::io::stdout().is_terminal();
    let mut first = true;
    loop {
        let machine = session::read(dir)?;
        let shown = render(&machine, dir, args.format)?;
        let state = view::run_state(&machine, journal::is_locked(dir));
        if clear {
            // What `clear` prints: the cursor home, the screen erased.
            output::print("\x1b[H\x1b[2J")?;
        } else if !first {
            output::print("\n")?;
        }
        output::print(&shown)?;
        first = false;
        if let Some(exit) = watched_to(state) {
            return Ok(if args.exit_status {
                exit
            } else {
                Exit::Success
            });
        }
        std::thread::sleep(Duration::from_secs(args.interval.max(1)));
    }
}

/// How the watch of a run in `state` ends, or `None` while an executor moves it on.
fn watched_to(state: &str) -> Option<Exit> {
    match state {
        "succeeded" => Some(Exit::Success),
        "failed" | "cancelled" => Some(Exit::Failure),
        "paused" | "interrupted" | "stopped" => Some(Exit::Interrupted),
        _ => None,
    }
}

/// The status of the run in `dir` in `format`, secrets masked.
fn render(machine: &Machine, dir: &Path, format: Format) -> Result<String, RunError> {
    let shown = dir.display().to_string();
    let state = view::run_state(machine, journal::is_locked(dir));
    let text = match format {
        Format::Markdown => {
            report::markdown(machine, state, &shown, release_place::of(machine, &shown))
        }
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&status(machine, dir, state))
                .map_err(|e| RunError::new(format!("cannot write the status as JSON: {e}")))?;
            json.push('\n');
            json
        }
        Format::Text => text(&status(machine, dir, state), &shown),
    };
    Ok(secrets::redact(&text).into_owned())
}

fn status<'a>(machine: &'a Machine, dir: &Path, state: &'static str) -> Status<'a> {
    let mut jobs = view::status_rows(machine);
    let local = matches!(machine.settings().backend, BackendKind::Local { .. });
    if local {
        add_local_logs(dir, &mut jobs);
    }
    let release_dir = release_path(dir, &machine.plan().release.tag)
        .ok()
        .filter(|folder| local && folder.exists())
        .map(|folder| folder.display().to_string());
    Status {
        plan_hash: &machine.plan().plan_hash,
        release: &machine.plan().release.name,
        tag: &machine.plan().release.tag,
        status: state,
        published: machine.published(),
        release_url: machine.release_url(),
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
    }
}

/// The output log of every attempt the local backend ran (`local/<job>/<attempt>/output.log`),
/// as the state directory was given: the JSON's `log` (the text shows the attempt's
/// `file://` URL instead).
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
    match (report.published, report.release_url) {
        (true, Some(url)) => {
            let _ = writeln!(out, "  release published at {url}");
        }
        (true, None) => {
            let _ = writeln!(out, "  release published");
        }
        (false, _) => {}
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
                "retry" => format!("retry {}", few(request.jobs.iter().cloned(), NAMED)),
                other => other.to_string(),
            };
            let _ = writeln!(out, "  {:>10}  {what}", format_seconds(request.at));
        }
        for kind in &report.waiting {
            let _ = writeln!(out, "  {:>10}  {kind} (waiting for the executor)", "-");
        }
    }
    if let Some(next) = view::next_step(&report.jobs, report.status, dir) {
        let _ = writeln!(out, "\n{next}");
    }
    out
}

/// `attempt 2 failed 1h 5m → 1h 40m (run 123/2, adopted) at URL: reason`, and its help.
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
    let at = attempt
        .url
        .as_ref()
        .map(|url| format!(" at {url}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "      attempt {} {ended} {when}{about}{at}{reason}",
        attempt.attempt
    );
    if let Some(help) = &attempt.help {
        let _ = writeln!(out, "        help: {help}");
    }
}
