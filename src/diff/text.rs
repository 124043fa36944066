//! `relplan diff --format text`: the change set in a terminal. Added lines in green, removed
//! in red, changed in yellow, when the caller asks for colour.

use std::fmt::Write;

use crate::compile::duration::format_seconds;
use crate::compiled::Job;
use crate::diff::model::{FieldChange, PlanDiff};
use crate::render::describe_trigger;

pub fn render(diff: &PlanDiff, color: bool) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let (old, new) = (&diff.old, &diff.new);
    if !diff.is_changed() {
        let _ = writeln!(out, "no changes: both plans hash to {}", new.plan_hash);
        return out;
    }
    let _ = writeln!(out, "plan {} → {}", old.plan_hash, new.plan_hash);
    let _ = writeln!(
        out,
        "{} jobs in {} groups → {} jobs in {} groups",
        old.jobs, old.groups, new.jobs, new.groups
    );
    if !diff.release.is_empty() {
        out.push_str("\nrelease\n");
        write_fields(&mut out, &paint, &diff.release);
    }
    if !(diff.jobs_added.is_empty() && diff.jobs_removed.is_empty() && diff.jobs_changed.is_empty())
    {
        out.push_str("\njobs\n");
    }
    for job in &diff.jobs_added {
        let _ = writeln!(out, "{}", paint.green(&format!("+ {}", describe_job(job))));
    }
    for job in &diff.jobs_removed {
        let _ = writeln!(out, "{}", paint.red(&format!("- {}", describe_job(job))));
    }
    for job in &diff.jobs_changed {
        let _ = writeln!(out, "{}", paint.yellow(&format!("~ {}", job.id)));
        write_fields(&mut out, &paint, &job.changes);
    }
    if !(diff.edges_added.is_empty() && diff.edges_removed.is_empty()) {
        out.push_str("\nedges (needed → waiting)\n");
    }
    for edge in &diff.edges_added {
        let _ = writeln!(
            out,
            "{}",
            paint.green(&format!("+ {} → {}", edge.from, edge.to))
        );
    }
    for edge in &diff.edges_removed {
        let _ = writeln!(
            out,
            "{}",
            paint.red(&format!("- {} → {}", edge.from, edge.to))
        );
    }
    if !diff.group_moves.is_empty() {
        out.push_str("\ngroups\n");
    }
    for m in &diff.group_moves {
        let _ = writeln!(
            out,
            "{}",
            paint.yellow(&format!("~ {}: group {} → {}", m.id, m.old, m.new))
        );
    }
    let (old_cp, new_cp) = (&old.critical_path, &new.critical_path);
    let estimate = if old_cp.estimate_s == new_cp.estimate_s {
        format!("{} (unchanged)", format_seconds(new_cp.estimate_s))
    } else {
        let (before, after) = (
            format_seconds(old_cp.estimate_s),
            format_seconds(new_cp.estimate_s),
        );
        paint.yellow(&format!("{before} → {after}"))
    };
    let _ = writeln!(out, "\ncritical path {estimate}");
    if old_cp.jobs == new_cp.jobs {
        let _ = writeln!(out, "  {}", new_cp.jobs.join(" → "));
    } else {
        let _ = writeln!(
            out,
            "{}",
            paint.red(&format!("- {}", old_cp.jobs.join(" → ")))
        );
        let _ = writeln!(
            out,
            "{}",
            paint.green(&format!("+ {}", new_cp.jobs.join(" → ")))
        );
    }
    out
}

/// A job in one line: id, group, where it builds, what it waits for, how it starts.
fn describe_job(job: &Job) -> String {
    let mut text = format!("{} (group {}) {}", job.id, job.group, job.repo);
    if let Some(git_ref) = &job.git_ref {
        let _ = write!(text, "@{git_ref}");
    }
    if !job.needs.is_empty() {
        let _ = write!(text, ", needs {}", job.needs.join(", "));
    }
    let _ = write!(
        text,
        "; {}; estimate {}, timeout {}",
        describe_trigger(job.trigger.as_ref()),
        format_seconds(job.estimate_s),
        format_seconds(job.timeout_s)
    );
    text
}

fn write_fields(out: &mut String, paint: &Paint, changes: &[FieldChange]) {
    for (what, old, new) in changes.iter().flat_map(FieldChange::rows) {
        let line = format!("    {what}: {old} → {new}");
        let _ = writeln!(out, "{}", paint.yellow(&line));
    }
}

/// ANSI colour, or nothing.
struct Paint(bool);

impl Paint {
    fn code(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn green(&self, text: &str) -> String {
        self.code("32", text)
    }
    fn red(&self, text: &str) -> String {
        self.code("31", text)
    }
    fn yellow(&self, text: &str) -> String {
        self.code("33", text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::model::{diff, tests::default_plan};

    #[test]
    fn colours_only_when_asked() {
        let old = default_plan("[versions]\na = { version = \"1.0.0\", git_tag = \"v1.0.0\" }\n");
        let new = default_plan("[versions]\nb = { version = \"1.0.0\", git_tag = \"v1.0.0\" }\n");
        let diff = diff(&old, &new);
        let coloured = render(&diff, true);
        assert!(
            coloured.contains("\x1b[32m+ b (group 0) o/b@v1.0.0"),
            "{coloured}"
        );
        assert!(
            coloured.contains("\x1b[31m- a (group 0) o/a@v1.0.0"),
            "{coloured}"
        );
        assert!(!render(&diff, false).contains('\x1b'));
    }
}
