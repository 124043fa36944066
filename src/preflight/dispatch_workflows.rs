//! `workflow_dispatch` jobs and the `[fallback]`: the workflow exists and is active (GitHub
//! knows it from the default branch), and its file at the ref the job is dispatched on
//! declares `workflow_dispatch` with every input relplan sends (GitHub refuses undeclared
//! ones), `relplan_correlation_id` included; no required input is left out; the run-name
//! shows the correlation id; and the number of inputs fits the server (GitHub takes 25 per
//! dispatch, older GitHub Enterprise Servers 10).

use std::collections::BTreeSet;

use crate::compiled::{Job, Trigger};
use crate::github::dispatch::{Attempt, workflow_inputs};
use crate::github::server::Server;
use crate::preflight::facts::{Facts, Read};
use crate::preflight::finding::{Check, Finding, Report};
use crate::preflight::fixes;
use crate::preflight::repositories::default_branch;
use crate::preflight::run_name::{self, Carried, INPUT_IDS};
use crate::preflight::workflow_file::WorkflowFile;

/// Inputs GitHub accepts in one dispatch.
pub const MAX_INPUTS: usize = 25;
/// The same on GitHub Enterprise Server releases from before the limit was raised.
pub const MAX_INPUTS_OLDER_ENTERPRISE: usize = 10;

pub async fn check(facts: &mut Facts<'_>, job: &Job, report: &mut Report) {
    let Some(Trigger::WorkflowDispatch {
        repo,
        workflow,
        git_ref,
        inputs,
    }) = &job.trigger
    else {
        return;
    };
    let Some(branch) = default_branch(facts, repo).await else {
        return;
    };
    let on = |finding: Finding| finding.repo(repo).job(&job.id);
    let listed = match facts.workflows(repo).await {
        Read::Found(listed) => listed,
        Read::Absent => Vec::new(),
        Read::Failed(failure) => {
            report.add(on(Finding::new(
                Check::WorkflowsUnreadable,
                failure.message,
                failure.help,
            )));
            return;
        }
    };
    let Some(known) = listed.into_iter().find(|w| w.is_named(workflow)) else {
        report.add(on(Finding::new(
            Check::WorkflowMissing,
            format!("`{repo}` has no workflow `{workflow}`"),
            format!("add `.github/workflows/{workflow}` on `{branch}` (GitHub dispatches only workflows it knows from the default branch), or fix `workflow` in the plan's trigger"),
        )));
        return;
    };
    if !known.is_active() {
        report.add(on(Finding::new(
            Check::WorkflowDisabled,
            format!(
                "`{}` of `{repo}` is {}, so it cannot be dispatched",
                known.path, known.state
            ),
            format!(
                "enable it: `gh workflow enable {} --repo {repo}`",
                known.file_name()
            ),
        )));
    }
    let path = &known.path;
    let where_ = format!("`{path}` of `{repo}` at `{git_ref}`");
    let file = match facts.workflow_file(repo, path, git_ref).await {
        Read::Found(Ok(file)) => file,
        Read::Found(Err(why)) => {
            report.add(on(Finding::new(
                Check::WorkflowUnreadable,
                format!("{where_} is {why}"),
                "fix the workflow file; GitHub refuses to dispatch an invalid workflow",
            )));
            return;
        }
        Read::Absent => {
            report.add(on(Finding::new(
                Check::WorkflowFileMissing,
                format!("`{repo}` has no `{path}` at `{git_ref}`, the ref the job is dispatched on"),
                "push the ref, move it to a commit that has the workflow, or set the trigger's `ref` to one that has it",
            )));
            return;
        }
        Read::Failed(failure) => {
            report.add(on(Finding::new(
                Check::WorkflowUnreadable,
                failure.message,
                failure.help,
            )));
            return;
        }
    };
    let sent = sent_inputs(job, inputs);
    for finding in check_file(&file, &where_, &sent, report.server.as_ref()) {
        report.add(on(finding));
    }
}

/// The names of the inputs relplan sends for this job: the one definition in
/// [`workflow_inputs`], so the check cannot drift from the dispatch.
fn sent_inputs(job: &Job, inputs: &crate::compiled::Payload) -> BTreeSet<String> {
    let attempt = Attempt {
        job,
        correlation_id: "",
        plan_hash: "",
        release_version: "",
    };
    match workflow_inputs(&attempt, inputs) {
        Ok(serde_json::Value::Object(sent)) => sent.keys().cloned().collect(),
        // A payload relplan refuses to send: the compiler reports it already.
        _ => BTreeSet::new(),
    }
}

fn check_file(
    file: &WorkflowFile,
    where_: &str,
    sent: &BTreeSet<String>,
    server: Option<&Server>,
) -> Vec<Finding> {
    let mut found = Vec::new();
    let names: Vec<&str> = sent.iter().map(String::as_str).collect();
    let Some(declared) = &file.workflow_dispatch else {
        found.push(Finding::new(
            Check::NoWorkflowDispatch,
            format!("{where_} does not declare `workflow_dispatch`, so it cannot be dispatched"),
            "add this trigger and run-name (`relplan generate` writes a whole workflow into relplan/build-workflows/):",
        )
        .paste(fixes::dispatchable(&names)));
        return found;
    };
    let undeclared: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !declared.iter().any(|d| d.name == *name))
        .collect();
    if !undeclared.is_empty() {
        found.push(
            Finding::new(
                Check::InputUndeclared,
                format!(
                    "{where_} does not declare {} relplan sends, so GitHub refuses the dispatch",
                    list("the input", &undeclared)
                ),
                if undeclared.len() == 1 {
                    "declare it:"
                } else {
                    "declare them:"
                },
            )
            .paste(fixes::inputs(&undeclared)),
        );
    }
    for input in declared
        .iter()
        .filter(|i| i.must_be_sent() && !sent.contains(&i.name))
    {
        found.push(Finding::new(
            Check::RequiredInputMissing,
            format!("{where_} requires the input `{}`, which the plan does not send, so GitHub refuses the dispatch", input.name),
            format!("add `{} = \"…\"` to the trigger's `inputs` in the plan, or make the input optional:", input.name),
        )
        .paste(fixes::optional_input(&input.name)));
    }
    if sent.len() > MAX_INPUTS {
        found.push(Finding::new(
            Check::TooManyInputs,
            format!(
                "relplan sends {} inputs to {where_}; GitHub accepts at most {MAX_INPUTS}",
                sent.len()
            ),
            "send fewer: fold several values into one JSON input",
        ));
    } else if sent.len() > MAX_INPUTS_OLDER_ENTERPRISE
        && matches!(server, Some(Server::Enterprise { .. }))
    {
        found.push(Finding::new(
            Check::EnterpriseInputLimit,
            format!("relplan sends {} inputs to {where_}; GitHub Enterprise Server releases before the limit was raised accept at most {MAX_INPUTS_OLDER_ENTERPRISE}", sent.len()),
            "if the dispatch is refused, send fewer: fold several values into one JSON input",
        ));
    }
    match run_name::carried(file.run_name.as_deref(), &INPUT_IDS) {
        Carried::Separate => {}
        Carried::Missing => found.push(Finding::new(
            Check::RunNameMissingId,
            format!("{where_} does not show `inputs.relplan_correlation_id` in its run-name, so relplan cannot find its runs after a restart"),
            "set its run-name:",
        )
        .paste(fixes::input_run_name())),
        Carried::Joined => found.push(Finding::new(
            Check::RunNameIdJoined,
            format!("{where_} shows the correlation id in its run-name glued to other text, so relplan cannot find its runs after a restart"),
            "put spaces or brackets around it:",
        )
        .paste(fixes::input_run_name())),
    }
    found
}

/// "the input `a`" or "the inputs `a`, `b`".
fn list(what: &str, names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let plural = if names.len() == 1 { "" } else { "s" };
    format!("{what}{plural} {}", quoted.join(", "))
}
