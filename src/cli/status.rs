//! `relplan status`: where the run in a state directory stands, per job, for people (text)
//! or programs (`--format json`). Reads the journal without taking the lock.

use std::fmt::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::cli::apply::DEFAULT_STATE_DIR;
use crate::cli::{Exit, print_error};
use crate::duration::format_seconds;
use crate::exec::journal;
use crate::exec::machine::Machine;
use crate::exec::view::{self, JobRow};

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
    /// Latest time the journal mentions, in seconds since the run began.
    last_event_s: u64,
    jobs: Vec<JobRow>,
}

pub fn run(args: Args) -> Exit {
    let dir = &args.state_dir;
    let machine = match journal::read(dir)
        .map_err(|e| e.to_string())
        .and_then(|events| Machine::replay(&events))
    {
        Ok(machine) => machine,
        Err(e) => {
            print_error(
                &e,
                Some("give the --state-dir of a run started with `relplan apply`"),
            );
            return Exit::Failure;
        }
    };
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
    let report = Status {
        plan_hash: &plan.plan_hash,
        release: &plan.release.name,
        tag: &plan.release.tag,
        status,
        published: machine.published(),
        last_event_s: machine.last_at(),
        jobs: view::rows(&machine),
    };
    match args.format {
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                print_error(&e.to_string(), None);
                return Exit::Failure;
            }
        },
        Format::Text => print!("{}", text(&report, &dir.display().to_string())),
    }
    Exit::Success
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
    if report.published {
        let _ = writeln!(out, "  release published");
    }
    let width = report
        .jobs
        .iter()
        .map(|j| j.id.len())
        .max()
        .unwrap_or(3)
        .max(3);
    let _ = writeln!(
        out,
        "\n  {:width$}  {:9}  {:>8}  {:>10}  {:>10}",
        "job", "state", "attempts", "start", "end"
    );
    for job in &report.jobs {
        let time = |t: Option<u64>| t.map_or("-".to_string(), format_seconds);
        let _ = writeln!(
            out,
            "  {:width$}  {:9}  {:>8}  {:>10}  {:>10}",
            job.id,
            job.state.as_str(),
            job.attempts,
            time(job.start_s),
            time(job.end_s)
        );
    }
    match report.status {
        "paused" | "interrupted" | "stopped" => {
            let _ = writeln!(out, "\ncontinue with `relplan resume --state-dir {dir}`");
        }
        _ => {}
    }
    out
}
