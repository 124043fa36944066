//! A Mermaid flowchart of the changed neighbourhood, for the markdown diff: the jobs that
//! changed and the jobs next to them. Added jobs are green and marked `+`, removed ones red
//! and marked `−`, changed ones yellow and marked `~`; added edges are thick, removed edges
//! dotted. Only drawn when small enough to read.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use crate::diff::model::{Edge, PlanDiff};
use crate::render::mermaid::escape;

/// Above this many jobs a graph stops helping a reviewer; the markdown lists the change instead.
pub const MAX_NODES: usize = 30;

/// The flowchart, or `None` when nothing changed in the graph or it would be too large.
pub fn render(diff: &PlanDiff) -> Option<String> {
    let lists: [(&[Edge], &str); 3] = [
        (&diff.context_edges, "-->"),
        (&diff.edges_added, "==>"),
        (&diff.edges_removed, "-.->"),
    ];
    let mut nodes: BTreeSet<&str> = diff.touched_jobs();
    for edge in lists.iter().flat_map(|(list, _)| list.iter()) {
        nodes.insert(&edge.from);
        nodes.insert(&edge.to);
    }
    if nodes.is_empty() || nodes.len() > MAX_NODES {
        return None;
    }
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut out = String::from("flowchart LR\n");
    for (i, id) in nodes.iter().enumerate() {
        let (mark, class) = status(diff, id);
        let _ = writeln!(out, "  n{i}[\"{mark}{}\"]{class}", escape(id));
    }
    for (list, arrow) in lists {
        for edge in list {
            let _ = writeln!(
                out,
                "  n{} {arrow} n{}",
                index[edge.from.as_str()],
                index[edge.to.as_str()]
            );
        }
    }
    out.push_str("  classDef added fill:#d3f9d8,stroke:#2b8a3e\n");
    out.push_str("  classDef removed fill:#ffe3e3,stroke:#c92a2a,stroke-dasharray:4 4\n");
    out.push_str("  classDef changed fill:#fff3bf,stroke:#e67700\n");
    Some(out)
}

/// A text mark (readable without colour) and the node's class.
fn status(diff: &PlanDiff, id: &str) -> (&'static str, &'static str) {
    if diff.jobs_added.iter().any(|j| j.id == id) {
        ("+ ", ":::added")
    } else if diff.jobs_removed.iter().any(|j| j.id == id) {
        ("− ", ":::removed")
    } else if diff.jobs_changed.iter().any(|j| j.id == id)
        || diff.group_moves.iter().any(|m| m.id == id)
    {
        ("~ ", ":::changed")
    } else {
        ("", "")
    }
}
