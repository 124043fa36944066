//! The plan as people read it in a terminal: release, groups with each job's concrete values,
//! critical path.

use std::fmt::Write;

use crate::compile::duration::format_seconds;
use crate::compiled::CompiledPlan;
use crate::numbers::count;
use crate::render::describe_trigger;

pub fn render(plan: &CompiledPlan) -> String {
    let mut out = String::new();
    let r = &plan.release;
    let _ = writeln!(out, "{} {} (tag {})", r.name, r.version, r.tag);
    let target = match &r.repo {
        Some(repo) => format!("published to {repo}"),
        None => "not published (no publish_to)".into(),
    };
    let kind = if r.prerelease {
        "pre-release"
    } else {
        "release"
    };
    let _ = writeln!(out, "  {kind}, {target}");
    let _ = writeln!(out, "  plan {}", plan.plan_hash);
    let _ = writeln!(
        out,
        "  {} in {}",
        count(plan.jobs.len(), "job"),
        count(plan.groups.len(), "group")
    );
    for (n, group) in plan.groups.iter().enumerate() {
        let _ = writeln!(out, "\ngroup {n}");
        for id in group {
            let Some(job) = plan.job(id) else { continue };
            let at = match (&job.git_ref, &job.commit) {
                (Some(r), Some(c)) => format!("{}@{r} ({c})", job.repo),
                (Some(r), None) => format!("{}@{r}", job.repo),
                _ => job.repo.clone(),
            };
            let _ = writeln!(out, "  {id}  {at}");
            if !job.needs.is_empty() {
                let _ = writeln!(out, "      needs {}", job.needs.join(", "));
            }
            let _ = writeln!(out, "      {}", describe_trigger(job.trigger.as_ref()));
            let mut facts = vec![
                format!("estimate {}", format_seconds(job.estimate_s)),
                format!("timeout {}", format_seconds(job.timeout_s)),
                format!("retries {}", job.retries),
            ];
            if !job.payload.is_empty() {
                let keys: Vec<&str> = job.payload.keys().map(String::as_str).collect();
                facts.push(format!("payload {}", keys.join(", ")));
            }
            if !job.publish.is_empty() {
                facts.push(format!("publish {}", job.publish.join(" ")));
            }
            let _ = writeln!(out, "      {}", facts.join(" · "));
        }
    }
    let cp = &plan.critical_path;
    let _ = writeln!(
        out,
        "\ncritical path ({}): {}",
        format_seconds(cp.estimate_s),
        cp.jobs.join(" → ")
    );
    if let Some(fallback) = &plan.fallback {
        let _ = writeln!(out, "fallback: {}", describe_trigger(Some(fallback)));
    }
    out
}
