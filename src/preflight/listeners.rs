//! `repository_dispatch` jobs: GitHub accepts any event type and starts only the workflows
//! on the default branch that listen to it, so a job whose event nobody listens to would
//! only end at its timeout. Some active workflow there must list the event type (or take
//! every type), and show `github.event.client_payload.relplan.correlation_id` in its
//! run-name as a word of its own, or relplan never finds its run. Other listeners that do
//! not show it start too, unseen by relplan: a warning.

use crate::github::workflows::Workflow;
use crate::preflight::facts::{Facts, Read};
use crate::preflight::finding::{Check, Finding, Report};
use crate::preflight::fixes;
use crate::preflight::repositories::default_branch;
use crate::preflight::run_name::{self, Carried, PAYLOAD_ID};

/// A workflow that listens to the event type, and how its run-name shows the id.
struct Listener {
    workflow: Workflow,
    carried: Carried,
}

pub async fn check(
    facts: &mut Facts<'_>,
    job: &str,
    repo: &str,
    event_type: &str,
    report: &mut Report,
) {
    let Some(branch) = default_branch(facts, repo).await else {
        return;
    };
    let workflows = match facts.workflows(repo).await {
        Read::Found(workflows) => workflows,
        Read::Absent => Vec::new(),
        Read::Failed(failure) => {
            report.add(
                Finding::new(Check::WorkflowsUnreadable, failure.message, failure.help)
                    .repo(repo)
                    .job(job),
            );
            return;
        }
    };
    let (active, inactive): (Vec<Workflow>, Vec<Workflow>) =
        workflows.into_iter().partition(Workflow::is_active);
    let mut unreadable = Vec::new();
    let active = listening(facts, repo, &branch, active, event_type, &mut unreadable).await;
    if active.is_empty() {
        // Only now are the inactive workflows worth reading: one may be the listener.
        let disabled = listening(facts, repo, &branch, inactive, event_type, &mut Vec::new()).await;
        no_active_listener(
            repo,
            job,
            event_type,
            &branch,
            &disabled,
            &unreadable,
            report,
        );
        return;
    }
    let found_by_relplan = active.iter().any(|l| l.carried == Carried::Separate);
    for listener in &active {
        let path = &listener.workflow.path;
        let finding = match (listener.carried, found_by_relplan) {
            (Carried::Separate, _) => continue,
            (_, true) => Finding::new(
                Check::ExtraListener,
                format!("`{path}` of `{repo}` also listens to `{event_type}` but its run-name does not show the correlation id: its runs start with every dispatch, and relplan does not wait for them"),
                "narrow its `types`, or put the correlation id in its run-name so relplan waits for it too",
            )
            .paste(fixes::payload_run_name()),
            (Carried::Missing, false) => Finding::new(
                Check::RunNameMissingId,
                format!("`{path}` of `{repo}` listens to `{event_type}`, but its run-name does not show the correlation id, so relplan never finds its runs"),
                format!("set its run-name on `{branch}`:"),
            )
            .paste(fixes::payload_run_name()),
            (Carried::Joined, false) => Finding::new(
                Check::RunNameIdJoined,
                format!("`{path}` of `{repo}` shows the correlation id in its run-name glued to other text, so relplan never finds its runs"),
                format!("put spaces or brackets around it in the run-name on `{branch}`:"),
            )
            .paste(fixes::payload_run_name()),
        };
        report.add(finding.repo(repo).job(job));
    }
}

/// The workflows among `workflows` that listen to `event_type` on `branch`; those that
/// cannot be read are added to `unreadable` (path, why).
async fn listening(
    facts: &mut Facts<'_>,
    repo: &str,
    branch: &str,
    workflows: Vec<Workflow>,
    event_type: &str,
    unreadable: &mut Vec<(String, String)>,
) -> Vec<Listener> {
    let mut listeners = Vec::new();
    for workflow in workflows {
        match facts.workflow_file(repo, &workflow.path, branch).await {
            Read::Found(Ok(file)) => {
                if file
                    .repository_dispatch
                    .as_ref()
                    .is_some_and(|types| types.includes(event_type))
                {
                    listeners.push(Listener {
                        carried: run_name::carried(file.run_name.as_deref(), &[PAYLOAD_ID]),
                        workflow,
                    });
                }
            }
            Read::Found(Err(why)) => unreadable.push((workflow.path, why)),
            Read::Failed(failure) => unreadable.push((workflow.path, failure.message)),
            // Not on the default branch: GitHub lists workflows of other branches too, and
            // only the default branch's start on a dispatch.
            Read::Absent => {}
        }
    }
    listeners
}

fn no_active_listener(
    repo: &str,
    job: &str,
    event_type: &str,
    branch: &str,
    inactive: &[Listener],
    unreadable: &[(String, String)],
    report: &mut Report,
) {
    if let Some(disabled) = inactive.first() {
        let file = disabled.workflow.file_name();
        report.add(
            Finding::new(
                Check::ListenerDisabled,
                format!(
                    "`{}` of `{repo}` listens to `{event_type}` but is {}, so a dispatch starts nothing",
                    disabled.workflow.path, disabled.workflow.state
                ),
                format!("enable it: `gh workflow enable {file} --repo {repo}`"),
            )
            .repo(repo)
            .job(job),
        );
        return;
    }
    for (path, why) in unreadable {
        report.add(
            Finding::new(
                Check::WorkflowUnreadable,
                format!("`{path}` of `{repo}` on `{branch}` cannot be read ({why}), so whether it listens to `{event_type}` is unknown"),
                "fix the workflow file; GitHub does not run an invalid workflow either",
            )
            .repo(repo)
            .job(job),
        );
    }
    report.add(
        Finding::new(
            Check::NoListener,
            format!("no active workflow on `{branch}` of `{repo}` listens to `repository_dispatch` of type `{event_type}`: GitHub would accept the dispatch and start nothing"),
            format!("add this trigger and run-name to the build workflow on `{branch}` (`relplan generate` writes a whole one into relplan/build-workflows/):"),
        )
        .repo(repo)
        .job(job)
        .paste(fixes::listener(event_type)),
    );
}
