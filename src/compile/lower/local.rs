//! What `--backend local` needs from a plan: every build and step says how it is built on
//! this machine (`local.run`). `check --backend local` and `apply --backend local` ask for
//! this check; other commands do not, so `simulate` and the GitHub backend are unaffected.
//!
//! A plan without any `local` table gets one error for the whole plan rather than one per
//! job; otherwise each job without a `run` is named where it is declared.

use super::{Draft, Lowerer, Origin};
use crate::compiled::{Job, JobKind};
use crate::diagnostic::{Code, Diagnostic};

impl Lowerer<'_> {
    pub(super) fn check_local(&mut self, drafts: &[Draft]) {
        let missing: Vec<&Draft> = drafts
            .iter()
            .filter(|d| needs_local(&d.job) && d.job.local.is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        if missing.len() == drafts.iter().filter(|d| needs_local(&d.job)).count() {
            let jobs: Vec<&Job> = missing.iter().map(|d| &d.job).collect();
            let at = self.in_plan(&(0..0));
            let help = match self.plan_file {
                Some(_) => plan_help(&jobs),
                None => DEFAULT_PLAN_HELP.into(),
            };
            self.error(
                Code::NoLocalBuild,
                no_local_at_all(&jobs),
                at,
                "no `local` table in this plan",
                Some(help),
            );
            return;
        }
        for draft in missing {
            let origin = draft
                .origin
                .clone()
                .or_else(|| self.manifest_origin(&draft.job));
            self.error(
                Code::NoLocalBuild,
                no_local(&draft.job),
                origin,
                "no `local.run` for this job",
                Some(job_help(&draft.job)),
            );
        }
    }

    /// Where a repository without a `[repo.NAME]` table is declared: its manifest entry.
    fn manifest_origin(&self, job: &Job) -> Option<Origin> {
        let entry = self.manifest.entry(&job.id)?;
        Some((self.manifest.file, entry.name.span.clone()))
    }
}

/// The same check on a compiled plan (read from JSON), where there are no spans.
pub fn check_compiled(jobs: &[Job]) -> Vec<Diagnostic> {
    let missing: Vec<&Job> = jobs
        .iter()
        .filter(|j| needs_local(j) && j.local.is_none())
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    if missing.len() == jobs.iter().filter(|j| needs_local(j)).count() {
        let help = plan_help(&missing);
        return vec![Diagnostic::error(Code::NoLocalBuild, no_local_at_all(&missing)).help(help)];
    }
    missing
        .into_iter()
        .map(|job| Diagnostic::error(Code::NoLocalBuild, no_local(job)).help(job_help(job)))
        .collect()
}

/// The release job is relplan's own; every other job runs a command of the plan.
fn needs_local(job: &Job) -> bool {
    job.kind != JobKind::Release
}

fn plan_help(jobs: &[&Job]) -> String {
    let steps = match jobs.iter().any(|j| j.kind == JobKind::Step) {
        true => " (and a `local` table to each [[step]])",
        false => "",
    };
    format!(
        "add `local = {{ run = \"cargo build --release --locked\", artifacts = [\"target/release/NAME\"] }}` to [defaults]{steps}, then `relplan check PLAN --backend local`"
    )
}

const DEFAULT_PLAN_HELP: &str = "the default plan has no `local` settings: write a plan file whose [defaults] has `local = { run = \"…\", artifacts = [\"…\"] }` (see docs/plan-format.md)";

fn no_local_at_all(jobs: &[&Job]) -> String {
    format!(
        "the plan says how to build none of its {} jobs locally, so `--backend local` cannot run it",
        jobs.len()
    )
}

fn no_local(job: &Job) -> String {
    let what = match job.kind {
        JobKind::Step => "step",
        _ => "job",
    };
    format!(
        "{what} `{}` has no `local.run`, so `--backend local` cannot build it",
        job.id
    )
}

fn job_help(job: &Job) -> String {
    match job.kind {
        JobKind::Step => format!(
            "add `local = {{ run = \"…\" }}` to the [[step]] `{}` (steps do not inherit `[defaults].local`)",
            job.id
        ),
        _ => {
            let repo = job.id.split('/').next().unwrap_or(&job.id);
            format!(
                "add `local = {{ run = \"…\" }}` to [repo.{repo}] (or its stage), or to [defaults]"
            )
        }
    }
}
