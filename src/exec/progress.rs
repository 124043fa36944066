//! What a person watching `apply` sees: on a terminal, an overall bar and one spinner line
//! per running job (indicatif); otherwise, or under CI, one plain log line per event on
//! stderr, so logs stay greppable. Lines go through the run's [`Reporter`], which prints
//! above the bars when they are shown.

use std::collections::HashMap;
use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::compile::duration::format_seconds;
use crate::exec::event::{AdoptedAttempt, AttemptOutcome, Event};
use crate::exec::machine::{JobState, Machine};
use crate::exec::reporter::{self, Reporter};
use crate::numbers::{NAMED, few};

/// The progress display of one run. Every line it prints, and every message of the
/// executor and the backends, goes through its [`Reporter`].
pub struct Progress {
    reporter: Reporter,
    bars: Option<Bars>,
    /// The time of the last line: lines never go back in time.
    stamp: u64,
}

struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    jobs: HashMap<String, ProgressBar>,
}

impl Progress {
    /// Bars on a terminal outside CI, lines otherwise.
    pub fn for_stderr(total_jobs: usize) -> Progress {
        if reporter::in_ci() || !std::io::stderr().is_terminal() {
            return Progress::lines(Reporter::stderr());
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(total_jobs as u64));
        overall.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} jobs done {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Progress {
            reporter: Reporter::above(multi.clone()),
            bars: Some(Bars {
                multi,
                overall,
                jobs: HashMap::new(),
            }),
            stamp: 0,
        }
    }

    /// One log line per event, no bars, through `reporter`.
    pub fn lines(reporter: Reporter) -> Progress {
        Progress {
            reporter,
            bars: None,
            stamp: 0,
        }
    }

    /// The channel for everything else the run tells the watcher (give it to backends).
    pub fn reporter(&self) -> Reporter {
        self.reporter.clone()
    }

    /// Tells the watcher about an event that was just applied to `machine`. Lines are
    /// stamped with the event's time, never earlier than the line before (an event can
    /// carry an earlier time: a run found after a crash, a timeout judged late).
    pub fn event(&mut self, machine: &Machine, event: &Event) {
        let (Some(at), Some(what)) = (event_time(event), what(machine, event)) else {
            return;
        };
        self.stamp = self.stamp.max(at);
        let mut line = stamped(self.stamp, &what);
        if matches!(event, Event::Resumed { .. }) {
            for running in still_running(machine) {
                line.push('\n');
                line.push_str(&running);
            }
        }
        let Some(Bars {
            multi,
            overall,
            jobs,
        }) = &mut self.bars
        else {
            self.reporter.line(&line);
            return;
        };
        match event {
            // A spinner says it instead of a line (once: an intent may be renewed).
            Event::AttemptStarting { job, .. } if jobs.contains_key(job) => {}
            Event::AttemptStarting { job, attempt, .. } => {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner} {msg} {elapsed}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_message(format!("{job} (attempt {attempt})"));
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                jobs.insert(job.clone(), bar);
            }
            Event::AttemptFinished { job, .. } => {
                if let Some(bar) = jobs.remove(job) {
                    bar.finish_and_clear();
                    multi.remove(&bar);
                }
                self.reporter.line(&line);
            }
            _ => self.reporter.line(&line),
        }
        let done = (0..machine.job_count())
            .filter(|&i| {
                !matches!(
                    machine.run(i).state(),
                    JobState::Pending | JobState::Running
                )
            })
            .count();
        overall.set_position(done as u64);
    }

    /// Clears the bars.
    pub fn finish(&mut self) {
        if let Some(Bars { overall, jobs, .. }) = &self.bars {
            for bar in jobs.values() {
                bar.finish_and_clear();
            }
            overall.finish_and_clear();
        }
    }
}

/// The width of the time in a log line: every time up to 999 hours (`999h 59m 59s`, past
/// the 35 days a job may run), so the column stays straight for any run.
const STAMP_WIDTH: usize = 12;
/// What a line continuing a log line starts with: spaces as wide as `[time] `.
fn under_stamp() -> String {
    " ".repeat(STAMP_WIDTH + 3)
}

/// `[      1h 5m] what`, the one shape of a log line.
fn stamped(at: u64, what: &str) -> String {
    format!("[{:>STAMP_WIDTH$}] {what}", format_seconds(at))
}

/// ` at URL` when `url` is known: the page of a run or a release, last on its line.
fn at(url: Option<&str>) -> String {
    url.map(|url| format!(" at {url}")).unwrap_or_default()
}

/// The web page of attempt `number` of `job` in `machine`.
fn link<'a>(machine: &'a Machine, job: &str, number: u32) -> Option<&'a str> {
    let i = machine.index_of(job)?;
    machine
        .run(i)
        .attempts
        .iter()
        .find(|a| a.number == number)?
        .link()
}

/// The time an event carries (when it happened on the backend's clock).
fn event_time(event: &Event) -> Option<u64> {
    Some(match event {
        Event::Started { .. } | Event::PublishIntent { .. } | Event::Connection { .. } => {
            return None;
        }
        Event::AttemptDispatched { run, .. } => run.started_s,
        Event::AttemptStarting { at, .. }
        | Event::AttemptFinished { at, .. }
        | Event::Paused { at }
        | Event::Resumed { at }
        | Event::Interrupted { at }
        | Event::Halted { at, .. }
        | Event::FallbackStarting { at, .. }
        | Event::FallbackFinished { at, .. }
        | Event::Finished { at }
        | Event::Adopted { at, .. }
        | Event::Retried { at, .. }
        | Event::CancelRequested { at } => *at,
    })
}

/// What the log line of an event says, without its time; `machine` has applied it.
fn what(machine: &Machine, event: &Event) -> Option<String> {
    Some(match event {
        Event::Started { .. } | Event::PublishIntent { .. } | Event::Connection { .. } => {
            return None;
        }
        Event::AttemptStarting { job, attempt, .. } => {
            format!("start     {job} (attempt {attempt})")
        }
        Event::AttemptDispatched { job, attempt, run } => format!(
            "running   {job} (attempt {attempt}, {}){}",
            run.runs.join(", "),
            at(run.urls.first().map(String::as_str))
        ),
        Event::AttemptFinished {
            job,
            attempt,
            outcome,
            reason,
            help,
            ..
        } => {
            let word = match outcome {
                AttemptOutcome::Success => "succeeded",
                AttemptOutcome::Failure => "failed   ",
                AttemptOutcome::TimedOut => "timed out",
                AttemptOutcome::Cancelled => "cancelled",
                AttemptOutcome::Blocked => "blocked  ",
            };
            let reason = reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            let at = at(link(machine, job, *attempt));
            with_help(
                format!("{word} {job} (attempt {attempt}){at}{reason}"),
                help.as_deref(),
            )
        }
        Event::Paused { .. } => "paused: running jobs finish, nothing new starts".to_string(),
        Event::Resumed { .. } => "resumed".to_string(),
        Event::Interrupted { .. } => "interrupted: the journal is consistent".to_string(),
        Event::Halted { reason, help, .. } => {
            with_help(format!("stopped: {reason}"), help.as_deref())
        }
        Event::FallbackStarting { .. } => {
            "the release did not complete: starting the plan's [fallback]".to_string()
        }
        Event::FallbackFinished {
            run, reason, help, ..
        } => match (run, reason) {
            (Some(run), _) => format!(
                "fallback dispatched ({}){}",
                run.runs.join(", "),
                at(run.urls.first().map(String::as_str))
            ),
            (None, reason) => with_help(
                format!(
                    "fallback not dispatched: {}",
                    reason.as_deref().unwrap_or("no reason given")
                ),
                help.as_deref(),
            ),
        },
        Event::Finished { .. } => "finished".to_string(),
        Event::Adopted {
            attempts,
            published,
            release_url,
            fallback,
            ..
        } => adopted(
            attempts,
            published.then(|| at(release_url.as_deref())),
            fallback.is_some(),
        ),
        Event::Retried { jobs, .. } => retried(jobs),
        Event::CancelRequested { .. } => {
            "cancel requested: running attempts are cancelled, nothing new starts".to_string()
        }
    })
}

/// What a retry made pending again, in one line however many jobs it names.
fn retried(jobs: &[String]) -> String {
    format!(
        "retry     {}: pending again with a fresh retry budget, and the jobs {} skipped",
        few(jobs.iter().cloned(), NAMED),
        if jobs.len() == 1 { "it" } else { "they" }
    )
}

/// What an adoption found, in one line; `published` is ` at URL` (or nothing) when the
/// release is published.
fn adopted(attempts: &[AdoptedAttempt], published: Option<String>, fallback: bool) -> String {
    let mut found = Vec::new();
    if !attempts.is_empty() {
        let mut jobs: Vec<&str> = attempts.iter().map(|a| a.job.as_str()).collect();
        jobs.dedup();
        let running = match attempts.iter().filter(|a| a.outcome.is_none()).count() {
            0 => "none".to_string(),
            n => n.to_string(),
        };
        found.push(format!(
            "{} attempt{} of {} job{} ({running} still running)",
            attempts.len(),
            plural(attempts.len()),
            jobs.len(),
            plural(jobs.len())
        ));
    }
    if let Some(at) = published {
        found.push(format!("the release (already published){at}"));
    }
    if fallback {
        found.push("the fallback's run".to_string());
    }
    if found.is_empty() {
        "adopted   nothing: the backend holds no run of this plan yet".to_string()
    } else {
        format!("adopted   from the backend: {}", found.join(", "))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The attempts still in flight when an executor continues a run, one line each.
pub fn still_running(machine: &Machine) -> Vec<String> {
    machine
        .active()
        .filter_map(|i| {
            let attempt = machine.run(i).current()?;
            let job = &machine.job(i).id;
            Some(match &attempt.run {
                Some(run) => format!(
                    "{}still running from before: {job} (attempt {}, {}){}",
                    under_stamp(),
                    attempt.number,
                    run.runs.join(", "),
                    at(attempt.link())
                ),
                None => format!(
                    "{}not confirmed before the stop: {job} (attempt {}), looked up by its correlation id",
                    under_stamp(),
                    attempt.number
                ),
            })
        })
        .collect()
}

/// `what`, and under it the `help:` line of the one error style, indented past the time.
fn with_help(what: String, help: Option<&str>) -> String {
    match help {
        Some(help) => format!("{what}\n{}help: {help}", under_stamp()),
        None => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_time_up_to_999_hours_fills_the_same_column() {
        let widest = 999 * 3600 + 59 * 60 + 59;
        let lines: Vec<String> = [0, 59, 3_725, 19_825, widest]
            .into_iter()
            .map(|at| stamped(at, "x"))
            .collect();
        assert_eq!(lines[0], "[          0s] x");
        assert_eq!(lines[4], "[999h 59m 59s] x");
        assert!(
            lines.iter().all(|l| l.len() == lines[0].len()),
            "{lines:#?}"
        );
        assert_eq!(
            with_help("what".into(), Some("do this")),
            "what\n               help: do this",
            "a help starts under the text of its line"
        );
    }

    #[test]
    fn a_retry_of_many_jobs_is_one_short_line() {
        let jobs: Vec<String> = (0..300).map(|i| format!("r{i}")).collect();
        assert_eq!(
            retried(&jobs),
            "retry     r0, r1, r2, … and 297 more: pending again with a fresh retry budget, and the jobs they skipped"
        );
        assert_eq!(
            retried(&jobs[..1]),
            "retry     r0: pending again with a fresh retry budget, and the jobs it skipped"
        );
    }
}
