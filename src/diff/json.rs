//! `relplan diff --format json`: the change set for other tools. The shape is a contract,
//! documented in docs/plan-review.md; values are those of the compiled plan JSON (durations
//! in seconds, triggers as objects), so tools that read compiled plans read this too.

use serde_json::{Value, json};

use crate::diff::model::{Edge, FieldChange, PlanDiff, Summary};

/// Bumped whenever a field of this output changes meaning.
pub const DIFF_FORMAT_VERSION: u32 = 1;

pub fn render(diff: &PlanDiff) -> String {
    let value = json!({
        "diff_format_version": DIFF_FORMAT_VERSION,
        "changed": diff.is_changed(),
        "old": summary(&diff.old),
        "new": summary(&diff.new),
        "release": diff.release.iter().map(field).collect::<Vec<_>>(),
        "jobs_added": diff.jobs_added,
        "jobs_removed": diff.jobs_removed,
        "jobs_changed": diff.jobs_changed.iter().map(|j| json!({
            "id": j.id,
            "changes": j.changes.iter().map(field).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "edges_added": diff.edges_added.iter().map(edge).collect::<Vec<_>>(),
        "edges_removed": diff.edges_removed.iter().map(edge).collect::<Vec<_>>(),
        "group_moves": diff.group_moves.iter().map(|m| json!({
            "id": m.id,
            "old": m.old,
            "new": m.new,
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn summary(side: &Summary) -> Value {
    json!({
        "plan_hash": side.plan_hash,
        "name": side.release_name,
        "version": side.version,
        "tag": side.tag,
        "jobs": side.jobs,
        "groups": side.groups,
        "critical_path": side.critical_path,
    })
}

fn field(change: &FieldChange) -> Value {
    json!({ "field": change.field, "old": change.old, "new": change.new })
}

fn edge(edge: &Edge) -> Value {
    json!({ "from": edge.from, "to": edge.to })
}
