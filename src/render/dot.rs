//! The plan as a Graphviz digraph: clusters per group, edges from each need to the job
//! waiting for it, the critical path in bold.

use std::collections::HashSet;
use std::fmt::Write;

use crate::compile::duration::format_seconds;
use crate::compiled::CompiledPlan;

pub fn render(plan: &CompiledPlan) -> String {
    let critical: Vec<&str> = plan.critical_path.jobs.iter().map(String::as_str).collect();
    let critical_edges: HashSet<(&str, &str)> = critical.windows(2).map(|w| (w[0], w[1])).collect();
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(&plan.release.name));
    out.push_str("  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    for (n, group) in plan.groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{n} {{\n    label=\"group {n}\";");
        for id in group {
            let Some(job) = plan.job(id) else { continue };
            let label = format!("{id}\n{}", format_seconds(job.estimate_s));
            let style = if critical.contains(&id.as_str()) {
                ", penwidth=3"
            } else {
                ""
            };
            let _ = writeln!(out, "    {} [label={}{style}];", quote(id), quote(&label));
        }
        out.push_str("  }\n");
    }
    for job in &plan.jobs {
        for need in &job.needs {
            let style = if critical_edges.contains(&(need.as_str(), job.id.as_str())) {
                " [penwidth=3]"
            } else {
                ""
            };
            let _ = writeln!(out, "  {} -> {}{style};", quote(need), quote(&job.id));
        }
    }
    out.push_str("}\n");
    out
}

fn quote(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}
