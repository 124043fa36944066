//! What a person watching `apply` sees: on a terminal, an overall bar and one spinner line
//! per running job (indicatif); otherwise, or under CI, one plain log line per event on
//! stderr, so logs stay greppable. Lines go through the run's [`Reporter`], which prints
//! above the bars when they are shown.

use std::collections::HashMap;
use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::compile::duration::format_seconds;
use crate::exec::event::{AttemptOutcome, Event};
use crate::exec::machine::{JobState, Machine};
use crate::exec::reporter::Reporter;

/// The progress display of one run. Every line it prints, and every message of the
/// executor and the backends, goes through its [`Reporter`].
pub struct Progress {
    reporter: Reporter,
    bars: Option<Bars>,
}

struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    jobs: HashMap<String, ProgressBar>,
}

impl Progress {
    /// Bars on a terminal outside CI, lines otherwise.
    pub fn for_stderr(total_jobs: usize) -> Progress {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        if ci || !std::io::stderr().is_terminal() {
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
        }
    }

    /// One log line per event, no bars, through `reporter`.
    pub fn lines(reporter: Reporter) -> Progress {
        Progress {
            reporter,
            bars: None,
        }
    }

    /// The channel for everything else the run tells the watcher (give it to backends).
    pub fn reporter(&self) -> Reporter {
        self.reporter.clone()
    }

    /// Tells the watcher about an event that was just applied to `machine`.
    pub fn event(&mut self, machine: &Machine, event: &Event) {
        let Some(line) = describe(event) else { return };
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
            // A spinner says it instead of a line.
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

/// One log line per event worth telling, with the run time in front.
pub fn describe(event: &Event) -> Option<String> {
    let (at, what) = match event {
        Event::Started { .. } | Event::PublishIntent { .. } => return None,
        Event::AttemptStarting {
            job, attempt, at, ..
        } => (*at, format!("start     {job} (attempt {attempt})")),
        Event::AttemptDispatched { job, attempt, run } => (
            run.started_s,
            format!(
                "running   {job} (attempt {attempt}, {})",
                run.runs.join(", ")
            ),
        ),
        Event::AttemptFinished {
            job,
            attempt,
            outcome,
            at,
            reason,
            help,
        } => {
            let word = match outcome {
                AttemptOutcome::Success => "succeeded",
                AttemptOutcome::Failure => "failed   ",
                AttemptOutcome::TimedOut => "timed out",
                AttemptOutcome::Cancelled => "cancelled",
            };
            let reason = reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            let what = format!("{word} {job} (attempt {attempt}){reason}");
            (*at, with_help(what, help.as_deref()))
        }
        Event::Paused { at } => (
            *at,
            "paused: running jobs finish, nothing new starts".to_string(),
        ),
        Event::Resumed { at } => (*at, "resumed".to_string()),
        Event::Interrupted { at } => (*at, "interrupted: the journal is consistent".to_string()),
        Event::FallbackStarting { at, .. } => (
            *at,
            "the release did not complete: starting the plan's [fallback]".to_string(),
        ),
        Event::FallbackFinished {
            at,
            run,
            reason,
            help,
        } => (
            *at,
            match (run, reason) {
                (Some(run), _) => format!("fallback dispatched ({})", run.runs.join(", ")),
                (None, reason) => with_help(
                    format!(
                        "fallback not dispatched: {}",
                        reason.as_deref().unwrap_or("no reason given")
                    ),
                    help.as_deref(),
                ),
            },
        ),
        Event::Finished { at } => (*at, "finished".to_string()),
    };
    Some(format!("[{:>8}] {what}", format_seconds(at)))
}

/// `what`, and under it the `help:` line of the one error style, indented past the time.
fn with_help(what: String, help: Option<&str>) -> String {
    match help {
        Some(help) => format!("{what}\n           help: {help}"),
        None => what,
    }
}
