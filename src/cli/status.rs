//! `relplan status`: where the run in a state directory stands, per job, for people (text)
//! or programs (`--format json`). Reads the journal without taking the lock.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::backend::local::{AttemptDir, LOG_FILE, release_path};
use crate::cli::Exit;
use crate::cli::apply::DEFAULT_STATE_DIR;
use crate::exec::event::BackendKind;
use crate::exec::view::{self, JobRow};
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
    /// running, paused, interrupted, stopped (the executor died), succeeded or failed.
    status: &'static str,
    published: bool,
    /// Local backend: the folder holding the published release.
    #[serde(skip_serializing_if = "Option::is_none")]
    release_dir: Option<String>,
    /// Latest time the journal mentions, in seconds since the run began.
    last_event_s: u64,
    jobs: Vec<JobRow>,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let dir = &args.state_dir;
    let machine = session::read(dir)?;
    let status = if machine.is_finished() {
        if machine.succeeded() {
            "succeeded"
        } else {
            "failed"
        }
    } else if journal::is_locked(dir) {
        if machine.is_paused() {
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
    };
    let plan = machine.plan();
    let mut jobs = view::rows(&machine);
    let local = matches!(machine.settings().backend, BackendKind::Local { .. });
    if local {
        add_local_logs(dir, &mut jobs);
    }
    let release_dir = release_path(dir, &plan.release.tag)
        .ok()
        .filter(|folder| local && folder.exists())
        .map(|folder| folder.display().to_string());
    let report = Status {
        plan_hash: &plan.plan_hash,
        release: &plan.release.name,
        tag: &plan.release.tag,
        status,
        published: machine.published(),
        release_dir,
        last_event_s: machine.last_at(),
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

fn text(report: &Status<'_>, dir: &str) -> String {
    let mut out = String::new();
    let explained = match report.status {
        "stopped" => "stopped: no executor is running (it was killed or crashed)",
        "interrupted" => "interrupted (Ctrl-C): jobs that were running went on",
        "paused" => "paused: nothing new starts until `relplan resume`",
        "pausing" => "pausing: running jobs finish, nothing new starts",
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
    out.push('\n');
    out.push_str(&view::table(&report.jobs, false));
    let logs: Vec<(&str, u32, &str)> = report
        .jobs
        .iter()
        .flat_map(|j| {
            j.history
                .iter()
                .filter_map(|a| Some((j.id.as_str(), a.attempt, a.log.as_deref()?)))
        })
        .collect();
    if !logs.is_empty() {
        let width = logs.iter().map(|(id, _, _)| id.len()).max().unwrap_or(0);
        out.push_str("\nlogs\n");
        for (id, attempt, log) in logs {
            let _ = writeln!(out, "  {id:width$}  attempt {attempt}  {log}");
        }
    }
    match report.status {
        "paused" | "interrupted" | "stopped" => {
            let _ = writeln!(out, "\ncontinue with `relplan resume --state-dir {dir}`");
        }
        _ => {}
    }
    out
}
