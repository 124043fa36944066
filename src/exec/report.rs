//! A run as Markdown for people: `relplan status --format markdown`, and the step summary
//! that `apply`, `resume` and `retry` append to `$GITHUB_STEP_SUMMARY`. A headline (how
//! the run stands, whether the release is published, with its link, and the makespan
//! against the critical path), one table row per job (state, attempts, the last attempt's
//! duration against the estimate, the link to its run), what did not complete and why, and
//! the next command to run. Written through [`markdown::Doc`], so it never grows past what
//! GitHub shows.

use crate::compile::duration::format_seconds;
use crate::compiled::JobKind;
use crate::exec::machine::{Fallback, JobState, Machine};
use crate::exec::view::{self, JobRow};
use crate::markdown::{self, Doc, MAX_CHARS, cell, code, text};

/// Where the run's backend puts the release, as the headline names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleasePlace<'a> {
    /// On GitHub, in this repository (`owner/name`).
    Repository(&'a str),
    /// The sim backend's stand-in for the repository `repo`: its files are in `folder`.
    Simulated { repo: &'a str, folder: String },
    /// A folder of this machine (the local backend).
    Folder(String),
}

/// The report of the run in `machine`, which stands as `state` (a [`view::run_state`]),
/// kept in the state directory `dir` (as the commands it names should be given it), its
/// release published (or to be) at `place`.
pub fn markdown(machine: &Machine, state: &str, dir: &str, place: Option<ReleasePlace>) -> String {
    let plan = machine.plan();
    let release = &plan.release;
    let rows = view::status_rows(machine);
    let mut doc = Doc::new(MAX_CHARS);
    doc.push(&format!(
        "## {} {} {}: {}\n\n",
        mark(state),
        text(&release.name),
        text(&release.version),
        said(state)
    ));
    doc.push(&format!("{}\n\n", published(machine, place)));
    doc.push(&format!("{}\n\n", makespan(machine, state)));
    if let Some(halt) = machine.halt().filter(|_| !machine.is_finished()) {
        doc.push(&format!(
            "Stopped at {}: {}{}\n\n",
            format_seconds(halt.at),
            text(&halt.reason),
            help(halt.help.as_deref())
        ));
    }
    doc.push(
        "| job | state | attempts | duration | estimate | run |\n|---|---|---:|---:|---:|---|\n",
    );
    for (i, row) in rows.iter().enumerate() {
        doc.item(&job_row(machine, i, row));
    }
    doc.push("\n");
    let trouble = did_not_complete(machine, &rows);
    if !trouble.is_empty() {
        doc.push("### What did not complete\n\n");
        for item in trouble {
            doc.item(&item);
        }
        doc.push("\n");
    }
    if let Some(fallback) = fallback(machine) {
        doc.push(&format!("{fallback}\n\n"));
    }
    doc.push(&format!("**Next:** {}\n", next(&rows, state, dir)));
    doc.finish("rows", &format!("relplan status --state-dir {dir}"))
}

fn mark(state: &str) -> &'static str {
    match state {
        "succeeded" => "✅",
        "failed" | "cancelled" => "❌",
        "running" | "pausing" | "cancelling" => "🔄",
        _ => "⏸️",
    }
}

fn said(state: &str) -> &'static str {
    match state {
        "succeeded" => "released",
        "failed" => "the release did not complete",
        "cancelled" => "cancelled",
        "running" => "running",
        "pausing" => "pausing",
        "cancelling" => "cancelling",
        "paused" => "paused",
        "interrupted" => "interrupted",
        _ => "stopped (no executor is running)",
    }
}

/// Whether the release is published, with its link and where it is.
fn published(machine: &Machine, place: Option<ReleasePlace>) -> String {
    let plan = machine.plan();
    if !plan.jobs.iter().any(|j| j.kind == JobKind::Release) {
        return "This plan publishes no release.".to_string();
    }
    let tag = code(&plan.release.tag);
    let repo = match place {
        Some(ReleasePlace::Repository(repo)) => format!(" in {}", code(repo)),
        Some(ReleasePlace::Simulated { repo, folder }) => {
            format!(" of {}, simulated in {},", code(repo), code(&folder))
        }
        Some(ReleasePlace::Folder(folder)) => format!(" in the folder {}", code(&folder)),
        None => String::new(),
    };
    match (machine.published(), machine.release_url()) {
        (true, Some(url)) => format!(
            "The release {}{repo} is **published**.",
            markdown::link(&tag, url)
        ),
        (true, None) => format!("The release {tag}{repo} is **published**."),
        (false, _) => format!("The release {tag}{repo} is **not published**."),
    }
}

/// The makespan (so far) against the critical path of the estimates.
fn makespan(machine: &Machine, state: &str) -> String {
    let critical = &machine.plan().critical_path;
    let finished = matches!(state, "succeeded" | "failed" | "cancelled");
    let (took, so_far) = if finished {
        (view::makespan_s(machine), "")
    } else {
        (machine.last_at(), " so far")
    };
    let ratio = match critical.estimate_s {
        0 => String::new(),
        estimate => format!(" ({:.2}×)", took as f64 / estimate as f64),
    };
    format!(
        "Makespan **{}**{so_far} against a critical path of **{}**{ratio}: {}.",
        format_seconds(took),
        format_seconds(critical.estimate_s),
        critical
            .jobs
            .iter()
            .map(|id| code(id))
            .collect::<Vec<_>>()
            .join(" → ")
    )
}

/// `| id | state | attempts | duration | estimate | link |`.
fn job_row(machine: &Machine, i: usize, row: &JobRow) -> String {
    let job = machine.job(i);
    let last = machine.run(i).attempts.last();
    let duration = match last {
        Some(a) => match a.end_s {
            Some(end) => format_seconds(end.saturating_sub(a.started_s)),
            None => "running".to_string(),
        },
        None => "–".to_string(),
    };
    let label = if job.kind == JobKind::Release {
        "release"
    } else {
        "run"
    };
    let link = last
        .and_then(|a| a.link())
        .map(|url| markdown::link(label, url))
        .unwrap_or_default();
    format!(
        "| {} | {} {} | {} | {duration} | {} | {} |\n",
        cell(&code(&row.id)),
        state_mark(row.state),
        row.state.as_str(),
        row.attempts,
        format_seconds(job.estimate_s),
        cell(&link)
    )
}

fn state_mark(state: JobState) -> &'static str {
    match state {
        JobState::Succeeded => "✅",
        JobState::Failed => "❌",
        JobState::Blocked => "⛔",
        JobState::Skipped => "⏭️",
        JobState::Running => "🔄",
        JobState::Pending => "⏳",
        JobState::Cancelled => "🚫",
    }
}

/// One list item per job that failed, was blocked or cancelled (its last attempt's reason
/// and help, and its run), then one for the jobs skipped because of them.
fn did_not_complete(machine: &Machine, rows: &[JobRow]) -> Vec<String> {
    let mut items = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if !matches!(
            row.state,
            JobState::Failed | JobState::Blocked | JobState::Cancelled
        ) {
            continue;
        }
        let Some(last) = machine.run(i).attempts.last() else {
            items.push(format!("- {} {}\n", code(&row.id), row.state.as_str()));
            continue;
        };
        let reason = last
            .reason
            .as_deref()
            .map(|r| format!(": {}", text(r)))
            .unwrap_or_default();
        let link = last
            .link()
            .map(|url| format!(" ({})", markdown::link("run", url)))
            .unwrap_or_default();
        let attempts = match row.attempts {
            1 => "1 attempt".to_string(),
            n => format!("{n} attempts"),
        };
        items.push(format!(
            "- {} {} after {attempts}{reason}{link}{}\n",
            code(&row.id),
            row.state.as_str(),
            help(last.help.as_deref())
        ));
    }
    let skipped: Vec<String> = rows
        .iter()
        .filter(|r| r.state == JobState::Skipped)
        .map(|r| code(&r.id))
        .collect();
    if !skipped.is_empty() {
        items.push(format!(
            "- skipped, because a job they need did not complete: {}\n",
            skipped.join(", ")
        ));
    }
    items
}

/// ` (help: …)`, the help of the one error style, when there is one.
fn help(help: Option<&str>) -> String {
    help.map(|h| format!(" (help: {})", text(h)))
        .unwrap_or_default()
}

/// What became of the plan's `[fallback]`, once it was started.
fn fallback(machine: &Machine) -> Option<String> {
    match machine.fallback() {
        Fallback::NotStarted => None,
        Fallback::Starting { .. } => Some("The plan's fallback is being dispatched.".into()),
        Fallback::Done { run: Some(run), .. } => Some(match run.urls.first() {
            Some(url) => format!(
                "The plan's fallback was dispatched ({}).",
                markdown::link("run", url)
            ),
            None => format!(
                "The plan's fallback was dispatched ({}).",
                text(&run.runs.join(", "))
            ),
        }),
        Fallback::Done { run: None, reason } => Some(format!(
            "The plan's fallback was not dispatched: {}.",
            text(reason.as_deref().unwrap_or("no reason given"))
        )),
    }
}

/// The next command, or why there is none.
fn next(rows: &[JobRow], state: &str, dir: &str) -> String {
    match view::next_step(rows, state, dir) {
        Some(step) => step,
        None if state == "succeeded" => "nothing: the release is complete.".to_string(),
        None => format!(
            "nothing: an executor is on it (`relplan status --watch --state-dir {dir}` follows it)."
        ),
    }
}
