//! `relplan preflight`: read-only checks, before anything is dispatched, that the
//! repositories a plan touches are wired for it. The usual way a multi-repository release
//! fails is not a broken build but wiring (a token without access, a workflow listening to
//! another event type, a run-name without the correlation id, an undeclared input, a tag
//! not pushed, a tag spent by an immutable release), and each of them can be read from
//! GitHub with a few GET requests. Every problem is reported at once, with a stable code,
//! the repository and jobs it concerns, and the fix. `apply --backend github` runs the
//! same checks before it starts a new run.
//!
//! One file per group of checks, run in this order:
//! - [`app`] (with a GitHub App): the App is accepted, installed on every repository and
//!   granted the permissions relplan needs there;
//! - [`token`]: the token is accepted, its budget covers the plan ([`budget`]), which GitHub
//!   it is;
//! - [`repositories`]: each repository exists for this token, is not archived and may be
//!   written where relplan writes;
//! - [`listeners`]: `repository_dispatch` jobs have an active listener with the right
//!   run-name on the default branch;
//! - [`dispatch_workflows`]: `workflow_dispatch` jobs and the fallback have an active
//!   workflow whose file at the job's ref declares what relplan sends;
//! - [`refs`]: tags exist and point at the pinned commits;
//! - [`existing_release`]: the release's tag is not spent.
//!
//! What the plan touches is read off the plan ([`targets`]); GitHub is read through
//! [`facts`], once per repository, file and tag; workflow files are parsed by
//! [`workflow_file`] and their run-names checked by [`run_name`]; [`fixes`] writes the YAML to
//! paste. Findings are data ([`finding`]) rendered as text, JSON or GitHub annotations
//! ([`render`]). This layer reads the plan and talks to GitHub; it knows nothing of the
//! executor or of backends.

pub mod app;
pub mod budget;
pub mod dispatch_workflows;
pub mod existing_release;
pub mod facts;
pub mod finding;
pub mod fixes;
pub mod listeners;
pub mod refs;
pub mod render;
pub mod repositories;
pub mod run_name;
pub mod targets;
pub mod token;
pub mod workflow_file;

use crate::compiled::{CompiledPlan, Trigger};
use crate::github::credentials::Identity;
use crate::github::error::Purpose;
use crate::github::{GitHub, GitHubError};
use facts::Facts;
use finding::{Check, Finding, Report};
use miette::Diagnostic;
use targets::Targets;

/// Runs every check of `plan` against GitHub.
pub async fn preflight(github: &GitHub, plan: &CompiledPlan) -> Report {
    let targets = Targets::of(plan);
    let mut report = empty_report(plan, &targets);
    if let Identity::App(id) = github.identity() {
        report.app = Some(id.0);
        if !app::check(github, github.identity(), &targets, &mut report).await {
            return report;
        }
    }
    if !token::check(github, &mut report).await {
        return report;
    }
    let mut facts = Facts::new(github);
    repositories::check(&mut facts, &targets, &mut report).await;
    for job in &targets.dispatches {
        match &job.trigger {
            Some(Trigger::RepositoryDispatch { repo, event_type }) => {
                listeners::check(&mut facts, &job.id, repo, event_type, &mut report).await;
            }
            Some(Trigger::WorkflowDispatch { .. }) => {
                dispatch_workflows::check(&mut facts, job, &mut report).await;
            }
            None => {}
        }
    }
    refs::check(&mut facts, &targets.tags, &mut report).await;
    existing_release::check(&mut facts, plan, &mut report).await;
    report
}

/// The report when there is no token to check with, nor a GitHub App.
pub fn without_token(plan: &CompiledPlan) -> Report {
    let mut report = empty_report(plan, &Targets::of(plan));
    let missing = GitHubError::NoToken {
        purpose: Purpose::Release,
    };
    let help = missing.help().map(|h| h.to_string()).unwrap_or_default();
    report.add(Finding::new(Check::TokenMissing, missing.to_string(), help));
    report
}

fn empty_report(plan: &CompiledPlan, targets: &Targets) -> Report {
    Report {
        plan_hash: plan.plan_hash.clone(),
        release: plan.release.name.clone(),
        repositories: targets.repositories.len(),
        dispatches: targets.dispatches.len(),
        server: None,
        rate_limit: None,
        app: None,
        installations: Vec::new(),
        estimate: budget::estimate(plan),
        findings: Vec::new(),
    }
}
