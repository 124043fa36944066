//! `relplan diff --format markdown`: the change set as a pull-request comment or a
//! `$GITHUB_STEP_SUMMARY`. A summary table first, a graph of the changed neighbourhood when
//! small, the critical path, then every change in collapsible `<details>` sections.
//!
//! GitHub refuses comments over 65,536 characters, so the output never exceeds
//! [`MAX_CHARS`] (a [`Doc`]): past it, the remaining changes are counted, not shown, and a
//! closing note says how many were left out.

use crate::compile::duration::format_seconds;
use crate::compiled::{CriticalPath, Job};
use crate::diff::mermaid;
use crate::diff::model::{Edge, FieldChange, PlanDiff};
use crate::markdown::{Doc, MAX_CHARS, cell, code, text};
use crate::numbers::thousands;
use crate::render::describe_trigger;

/// Longest critical path written out in full; longer ones show their ends.
const PATH_JOBS_SHOWN: usize = 12;

pub fn render(diff: &PlanDiff) -> String {
    render_within(diff, MAX_CHARS)
}

/// Renders within `limit` characters (at least [`RESERVE`] plus the summary).
fn render_within(diff: &PlanDiff, limit: usize) -> String {
    let mut doc = Doc::new(limit);
    doc.push("### relplan: release plan diff\n\n");
    if !diff.is_changed() {
        doc.push(&format!(
            "No changes: both plans hash to {}.\n",
            code(&diff.new.plan_hash)
        ));
        return doc.into_string();
    }
    doc.push(&format!("**{}.**\n\n", headline(diff)));
    summary_table(&mut doc, diff);
    if let Some(graph) = mermaid::render(diff) {
        doc.push(
            "<details open><summary>Graph of the changed jobs and their neighbours</summary>\n\n",
        );
        doc.push(&format!("```mermaid\n{graph}```\n\n</details>\n\n"));
    }
    critical_path(&mut doc, diff);
    details(&mut doc, diff);
    doc.finish("changes", "relplan diff")
}

fn headline(diff: &PlanDiff) -> String {
    let mut parts = Vec::new();
    let mut count = |n: usize, one: &str, many: &str| {
        if n > 0 {
            parts.push(format!(
                "{} {}",
                thousands(n),
                if n == 1 { one } else { many }
            ));
        }
    };
    count(
        diff.release.len(),
        "release field changed",
        "release fields changed",
    );
    count(diff.jobs_added.len(), "job added", "jobs added");
    count(diff.jobs_removed.len(), "job removed", "jobs removed");
    count(diff.jobs_changed.len(), "job changed", "jobs changed");
    count(diff.edges_added.len(), "edge added", "edges added");
    count(diff.edges_removed.len(), "edge removed", "edges removed");
    count(
        diff.group_moves.len(),
        "job moved to another group",
        "jobs moved to another group",
    );
    if diff.critical_path_changed() {
        parts.push(format!(
            "critical path {} → {}",
            format_seconds(diff.old.critical_path.estimate_s),
            format_seconds(diff.new.critical_path.estimate_s)
        ));
    }
    let mut text = parts.join(", ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text
}

fn summary_table(doc: &mut Doc, diff: &PlanDiff) {
    let (old, new) = (&diff.old, &diff.new);
    let path = |cp: &CriticalPath| {
        let jobs = cp.jobs.len();
        format!(
            "{} ({} job{})",
            format_seconds(cp.estimate_s),
            thousands(jobs),
            if jobs == 1 { "" } else { "s" }
        )
    };
    doc.push("| | before | after |\n|---|---|---|\n");
    let rows = [
        ("version", text(&old.version), text(&new.version)),
        ("tag", code(&old.tag), code(&new.tag)),
        ("jobs", thousands(old.jobs), thousands(new.jobs)),
        ("groups", thousands(old.groups), thousands(new.groups)),
        (
            "critical path",
            path(&old.critical_path),
            path(&new.critical_path),
        ),
        ("plan hash", code(&old.plan_hash), code(&new.plan_hash)),
    ];
    for (label, before, after) in rows {
        let mark = if before == after { "" } else { " **changed**" };
        doc.push(&format!(
            "| {label} | {} | {}{mark} |\n",
            cell(&before),
            cell(&after)
        ));
    }
    doc.push("\n");
}

fn critical_path(doc: &mut Doc, diff: &PlanDiff) {
    let (old, new) = (&diff.old.critical_path, &diff.new.critical_path);
    if old.jobs == new.jobs {
        let estimate = if old.estimate_s == new.estimate_s {
            format!("unchanged, {}", format_seconds(new.estimate_s))
        } else {
            format!(
                "{} → {}",
                format_seconds(old.estimate_s),
                format_seconds(new.estimate_s)
            )
        };
        doc.push(&format!(
            "Critical path ({estimate}): {}\n\n",
            chain(&new.jobs)
        ));
        return;
    }
    doc.push(&format!(
        "Critical path before ({}): {}  \nCritical path after ({}): {}\n\n",
        format_seconds(old.estimate_s),
        chain(&old.jobs),
        format_seconds(new.estimate_s),
        chain(&new.jobs)
    ));
}

fn details(doc: &mut Doc, diff: &PlanDiff) {
    let field_head = "| field | before | after |\n|---|---|---|\n";
    doc.section(
        &format!("Release ({})", diff.release.len()),
        field_head,
        diff.release.iter().map(|c| field_row(None, c)),
    );
    doc.section(
        &format!("Jobs added ({})", thousands(diff.jobs_added.len())),
        JOB_HEAD,
        diff.jobs_added.iter().map(job_row),
    );
    doc.section(
        &format!("Jobs removed ({})", thousands(diff.jobs_removed.len())),
        JOB_HEAD,
        diff.jobs_removed.iter().map(job_row),
    );
    doc.section(
        &format!("Jobs changed ({})", thousands(diff.jobs_changed.len())),
        "| job | field | before | after |\n|---|---|---|---|\n",
        diff.jobs_changed.iter().map(|job| {
            let rows = job.changes.iter().enumerate();
            rows.map(|(i, c)| {
                field_row(Some(if i == 0 { code(&job.id) } else { String::new() }), c)
            })
            .collect::<String>()
        }),
    );
    let edge_line =
        |sign: &str, e: &Edge| format!("- {sign} {} → {}\n", code(&e.from), code(&e.to));
    doc.section(
        &format!(
            "Edges, needed → waiting ({} added, {} removed)",
            thousands(diff.edges_added.len()),
            thousands(diff.edges_removed.len())
        ),
        "",
        diff.edges_added
            .iter()
            .map(|e| edge_line("added", e))
            .chain(diff.edges_removed.iter().map(|e| edge_line("removed", e))),
    );
    doc.section(
        &format!("Group moves ({})", thousands(diff.group_moves.len())),
        "| job | before | after |\n|---|---|---|\n",
        diff.group_moves
            .iter()
            .map(|m| format!("| {} | {} | {} |\n", cell(&code(&m.id)), m.old, m.new)),
    );
}

const JOB_HEAD: &str = "| job | group | repository | needs | trigger | estimate | timeout | retries | publish |\n\
                        |---|---|---|---|---|---|---|---|---|\n";

/// A table row with every value of an added or removed job.
fn job_row(job: &Job) -> String {
    let at = match &job.git_ref {
        Some(git_ref) => format!("{}@{git_ref}", job.repo),
        None => job.repo.clone(),
    };
    let needs: Vec<String> = job.needs.iter().map(|n| code(n)).collect();
    let cells = [
        code(&job.id),
        job.group.to_string(),
        text(&at),
        needs.join(", "),
        text(&describe_trigger(job.trigger.as_ref())),
        format_seconds(job.estimate_s),
        format_seconds(job.timeout_s),
        job.retries.to_string(),
        text(&job.publish.join(" ")),
    ];
    let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// The table rows of one changed field (one per changed value inside it); `job` adds a
/// first column, filled on the first row.
fn field_row(job: Option<String>, change: &FieldChange) -> String {
    let mut rows = String::new();
    for (i, (what, old, new)) in change.rows().into_iter().enumerate() {
        let job = match &job {
            Some(j) => format!(" {} |", cell(if i == 0 { j } else { "" })),
            None => String::new(),
        };
        rows.push_str(&format!(
            "|{job} {what} | {} | {} |\n",
            cell(&text(old)),
            cell(&text(new))
        ));
    }
    rows
}

/// A chain of job ids, its middle elided when long.
fn chain(jobs: &[String]) -> String {
    if jobs.is_empty() {
        return "no jobs".into();
    }
    let ids: Vec<String> = jobs.iter().map(|j| code(j)).collect();
    if ids.len() <= PATH_JOBS_SHOWN {
        return ids.join(" → ");
    }
    let head = &ids[..PATH_JOBS_SHOWN - 2];
    let tail = &ids[ids.len() - 2..];
    let hidden = ids.len() - head.len() - tail.len();
    format!(
        "{} → … {} more … → {}",
        head.join(" → "),
        thousands(hidden),
        tail.join(" → ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::model::{diff, tests::default_plan};

    fn manifest(repos: usize, version: &str) -> String {
        let mut text = String::from("[versions]\n");
        for i in 0..repos {
            text.push_str(&format!(
                "r{i} = {{ version = \"{version}\", git_tag = \"v{version}\" }}\n"
            ));
        }
        text
    }

    #[test]
    fn stays_within_the_limit_and_counts_what_it_left_out() {
        let diff = diff(
            &default_plan(&manifest(300, "1.0.0")),
            &default_plan(&manifest(300, "2.0.0")),
        );
        let markdown = render_within(&diff, 6_000);
        assert!(
            markdown.chars().count() <= 6_000,
            "{}",
            markdown.chars().count()
        );
        // 300 changed jobs and the release's name, version and tag.
        assert!(
            markdown.contains(" of 303 changes are not shown"),
            "{markdown}"
        );
        assert_eq!(
            markdown.matches("<details").count(),
            markdown.matches("</details>").count()
        );
        let whole = render(&diff);
        assert!(!whole.contains("not shown"));
        assert!(
            whole.contains("| `r299` | ref | v1.0.0 | v2.0.0 |"),
            "{whole}"
        );
    }
}
