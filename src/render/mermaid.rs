//! The plan as a Mermaid flowchart, which GitHub renders in markdown: one box per group,
//! edges from each need to the job waiting for it, the critical path drawn thick.

use std::collections::HashMap;
use std::fmt::Write;

use crate::compile::duration::format_seconds;
use crate::compiled::CompiledPlan;

pub fn render(plan: &CompiledPlan) -> String {
    let node: HashMap<&str, String> = plan
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.id.as_str(), format!("j{i}")))
        .collect();
    let estimates: HashMap<&str, u64> = plan
        .jobs
        .iter()
        .map(|j| (j.id.as_str(), j.estimate_s))
        .collect();
    let mut out = String::from("flowchart LR\n");
    for (n, group) in plan.groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph g{n}[\"group {n}\"]");
        for id in group {
            let estimate = estimates.get(id.as_str()).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "    {}[\"{}<br/>{}\"]",
                node[id.as_str()],
                escape(id),
                format_seconds(estimate)
            );
        }
        out.push_str("  end\n");
    }
    for job in &plan.jobs {
        for need in &job.needs {
            let _ = writeln!(
                out,
                "  {} --> {}",
                node[need.as_str()],
                node[job.id.as_str()]
            );
        }
    }
    let critical: Vec<&str> = plan
        .critical_path
        .jobs
        .iter()
        .map(|id| node[id.as_str()].as_str())
        .collect();
    if !critical.is_empty() {
        out.push_str("  classDef critical stroke-width:3px,stroke:#d9480f\n");
        let _ = writeln!(out, "  class {} critical", critical.join(","));
    }
    out
}

/// Mermaid labels are quoted; quotes and angle brackets become entity codes.
pub fn escape(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}
