//! How a simulation is shown: a text table for people, JSON for programs (its field names
//! are a contract: never renamed, only added) and a Mermaid gantt chart that renders on
//! GitHub.

use std::fmt::Write;

use serde::Serialize;

use crate::compile::duration::format_seconds;
use crate::compiled::CriticalPath;
use crate::exec::event::{AssetDigest, AttemptOutcome};
use crate::exec::view::{self, JobRow};
use crate::simulate::Simulation;

#[derive(Serialize)]
struct Report<'a> {
    plan_hash: &'a str,
    release: &'a str,
    tag: &'a str,
    succeeded: bool,
    published: bool,
    /// Whether the plan's `[fallback]` would be started (the release did not complete).
    fallback: bool,
    makespan_s: u64,
    critical_path: &'a CriticalPath,
    seed: u64,
    concurrency: Option<usize>,
    fail_fast: bool,
    jobs: Vec<JobRow>,
    assets: &'a [AssetDigest],
}

fn report(sim: &Simulation) -> Report<'_> {
    let plan = sim.machine.plan();
    let settings = sim.machine.settings();
    Report {
        plan_hash: &plan.plan_hash,
        release: &plan.release.name,
        tag: &plan.release.tag,
        succeeded: sim.machine.succeeded(),
        published: sim.machine.published(),
        fallback: plan.fallback.is_some() && !sim.machine.succeeded(),
        makespan_s: view::makespan_s(&sim.machine),
        critical_path: &plan.critical_path,
        seed: settings.seed,
        concurrency: settings.concurrency,
        fail_fast: settings.fail_fast,
        jobs: view::rows(&sim.machine),
        assets: &sim.assets,
    }
}

pub fn json(sim: &Simulation) -> String {
    let mut text = serde_json::to_string_pretty(&report(sim))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

pub fn text(sim: &Simulation) -> String {
    let r = report(sim);
    let mut out = String::new();
    let plan = sim.machine.plan();
    let concurrency = r
        .concurrency
        .map_or("unlimited".to_string(), |c| c.to_string());
    let _ = writeln!(
        out,
        "{} {} (tag {}): simulated with seed {}, concurrency {concurrency}{}",
        plan.release.name,
        plan.release.version,
        plan.release.tag,
        r.seed,
        if r.fail_fast { ", fail-fast" } else { "" }
    );
    let verdict = if r.succeeded {
        "succeeded"
    } else {
        "did not complete"
    };
    let release = match (&plan.release.repo, r.published) {
        (Some(repo), true) => format!(
            "published to {repo} ({} assets + SHA256SUMS)",
            r.assets.len()
        ),
        (Some(repo), false) => format!("NOT published to {repo}"),
        (None, _) => "nothing to publish (no publish_to)".to_string(),
    };
    let _ = writeln!(out, "  release {verdict}; {release}");
    if let Some(fallback) = plan.fallback.as_ref().filter(|_| r.fallback) {
        let _ = writeln!(
            out,
            "  fallback would start: {}",
            crate::render::describe_trigger(Some(fallback))
        );
    }
    let ratio = if r.critical_path.estimate_s == 0 {
        1.0
    } else {
        r.makespan_s as f64 / r.critical_path.estimate_s as f64
    };
    let _ = writeln!(
        out,
        "  makespan {} against a critical path of {} ({ratio:.2}×)\n",
        format_seconds(r.makespan_s),
        format_seconds(r.critical_path.estimate_s)
    );
    out.push_str(&view::table(&r.jobs, true));
    out
}

/// A gantt chart: one bar per attempt, grouped by the plan's groups; failed attempts red.
pub fn mermaid(sim: &Simulation) -> String {
    let plan = sim.machine.plan();
    let rows = view::rows(&sim.machine);
    let mut out = String::new();
    let _ = writeln!(out, "gantt");
    let _ = writeln!(
        out,
        "    title {} {}: simulated release",
        clean(&plan.release.name),
        clean(&plan.release.version)
    );
    let _ = writeln!(out, "    dateFormat X");
    let _ = writeln!(out, "    axisFormat %Hh%M");
    for (group, ids) in plan.groups.iter().enumerate() {
        let _ = writeln!(out, "    section group {group}");
        for row in rows.iter().filter(|r| ids.contains(&r.id)) {
            if row.history.is_empty() {
                let _ = writeln!(
                    out,
                    "    %% {}: {}, never started",
                    clean(&row.id),
                    row.state.as_str()
                );
            }
            for attempt in &row.history {
                let tag = match attempt.outcome {
                    Some(AttemptOutcome::Success) => "done, ",
                    Some(
                        AttemptOutcome::Failure
                        | AttemptOutcome::TimedOut
                        | AttemptOutcome::Blocked,
                    ) => "crit, ",
                    Some(AttemptOutcome::Cancelled) => "",
                    None => "active, ",
                };
                let end = attempt.end_s.unwrap_or(attempt.start_s);
                let _ = writeln!(
                    out,
                    "    {} attempt {} :{tag}{}, {}",
                    clean(&row.id),
                    attempt.attempt,
                    attempt.start_s,
                    end
                );
            }
        }
    }
    out
}

/// Mermaid gantt lines cannot hold `:`, `#` or `;` in names (`#` starts an entity code).
fn clean(text: &str) -> String {
    text.replace([':', ';', '#'], " ")
}
