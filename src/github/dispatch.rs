//! Starting a job attempt on GitHub, both ways the protocol with build workflows allows
//! (docs/build-workflow-protocol.md):
//!
//! - `repository_dispatch`: `POST /repos/{o}/{r}/dispatches` with
//!   `{"event_type", "client_payload": {"relplan": {correlation_id, job, version, ref,
//!   commit, plan_hash}, …plan payload}}`. GitHub answers 204 without naming the run; the
//!   receiving workflow puts the correlation id in its `run-name` and relplan finds the run
//!   by listing runs ([`crate::github::runs`]).
//! - `workflow_dispatch`: `POST /repos/{o}/{r}/actions/workflows/{wf}/dispatches` with
//!   `{"ref", "inputs": {…inputs, …plan payload, "relplan_correlation_id"},
//!   "return_run_details": true}`. A 200 answer names the run (`workflow_run_id`); a server
//!   that rejects the field (400 or 422, older GitHub Enterprise) gets the request again
//!   without it (a rejected request did nothing, so this is not a duplicate) and the run is
//!   found by its run-name. Input values that are not strings are sent as their JSON text.
//!
//! A dispatch is sent once: an uncertain answer is returned as
//! [`GitHubError::Uncertain`] and the caller looks the correlation id up before retrying.

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::compiled::{Job, Trigger};
use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;

/// The workflow input that carries the correlation id.
pub const CORRELATION_INPUT: &str = "relplan_correlation_id";
/// The `client_payload` key relplan owns.
pub const PAYLOAD_KEY: &str = "relplan";
const MAX_PAYLOAD_KEYS: usize = 10;
const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// What identifies one attempt of one job, sent with its dispatch.
#[derive(Clone, Debug)]
pub struct Attempt<'a> {
    pub job: &'a Job,
    pub correlation_id: &'a str,
    pub plan_hash: &'a str,
    /// The release version, when the job's own is not known.
    pub release_version: &'a str,
}

/// How the dispatched run(s) will be known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dispatched {
    /// GitHub named the run (`return_run_details`).
    Run(u64),
    /// Find the run(s) whose run-name carries the correlation id, created on this event.
    Discover { event: &'static str },
}

#[derive(Deserialize)]
struct RunDetails {
    workflow_run_id: u64,
}

impl GitHub {
    /// Sends the attempt's dispatch once (twice when a server rejects
    /// `return_run_details`).
    pub async fn dispatch(&self, attempt: &Attempt<'_>) -> Result<Dispatched, GitHubError> {
        let job = attempt.job;
        let Some(trigger) = &job.trigger else {
            return Err(GitHubError::Input {
                message: format!("job `{}` has no trigger to dispatch", job.id),
                help: "only jobs with a repository_dispatch or workflow_dispatch trigger run on GitHub".into(),
            });
        };
        match trigger {
            Trigger::RepositoryDispatch { repo, event_type } => {
                let (owner, name) = split_repo(repo)?;
                let body = json!({
                    "event_type": event_type,
                    "client_payload": client_payload(attempt)?,
                });
                let action = format!(
                    "dispatching `{event_type}` to `{repo}` for job `{}`",
                    job.id
                );
                self.send_json(
                    Method::POST,
                    &action,
                    &format!("/repos/{owner}/{name}/dispatches"),
                    &body,
                )
                .await?;
                Ok(Dispatched::Discover {
                    event: "repository_dispatch",
                })
            }
            Trigger::WorkflowDispatch {
                repo,
                workflow,
                git_ref,
                inputs,
            } => {
                let (owner, name) = split_repo(repo)?;
                let path = format!("/repos/{owner}/{name}/actions/workflows/{workflow}/dispatches");
                let action = format!("dispatching `{workflow}` of `{repo}` for job `{}`", job.id);
                let inputs = workflow_inputs(attempt, inputs)?;
                let with_details = json!({
                    "ref": git_ref,
                    "inputs": inputs,
                    "return_run_details": true,
                });
                match self
                    .send_json(Method::POST, &action, &path, &with_details)
                    .await
                {
                    Ok(reply) if reply.status.as_u16() == 200 => {
                        let details: RunDetails = reply.json(&action)?;
                        Ok(Dispatched::Run(details.workflow_run_id))
                    }
                    Ok(_) => Ok(Dispatched::Discover {
                        event: "workflow_dispatch",
                    }),
                    Err(GitHubError::Status {
                        status: 400 | 422, ..
                    }) => {
                        let plain = json!({ "ref": git_ref, "inputs": inputs });
                        self.send_json(Method::POST, &action, &path, &plain).await?;
                        Ok(Dispatched::Discover {
                            event: "workflow_dispatch",
                        })
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
}

/// `{"relplan": {...}, …plan payload}`, within GitHub's limits.
pub fn client_payload(attempt: &Attempt<'_>) -> Result<Value, GitHubError> {
    let job = attempt.job;
    if job.payload.contains_key(PAYLOAD_KEY) {
        return Err(payload_error(
            job,
            "uses the key `relplan`, which relplan sends itself",
        ));
    }
    let mut payload = Map::new();
    payload.insert(
        PAYLOAD_KEY.to_string(),
        json!({
            "correlation_id": attempt.correlation_id,
            "job": job.id,
            "version": job.version.as_deref().unwrap_or(attempt.release_version),
            "ref": job.git_ref,
            "commit": job.commit,
            "plan_hash": attempt.plan_hash,
        }),
    );
    payload.extend(job.payload.clone());
    if payload.len() > MAX_PAYLOAD_KEYS {
        return Err(payload_error(job, "has more than 9 top-level keys"));
    }
    let value = Value::Object(payload);
    if value.to_string().len() >= MAX_PAYLOAD_BYTES {
        return Err(payload_error(job, "is 64 KB or more"));
    }
    Ok(value)
}

/// The trigger's inputs, the plan payload and the correlation id, as strings.
pub fn workflow_inputs(
    attempt: &Attempt<'_>,
    inputs: &Map<String, Value>,
) -> Result<Value, GitHubError> {
    let job = attempt.job;
    let mut all = Map::new();
    for (key, value) in inputs.iter().chain(job.payload.iter()) {
        if key == CORRELATION_INPUT {
            return Err(payload_error(
                job,
                "sets `relplan_correlation_id`, which relplan sends itself",
            ));
        }
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        all.insert(key.clone(), Value::String(text));
    }
    all.insert(
        CORRELATION_INPUT.to_string(),
        Value::String(attempt.correlation_id.to_string()),
    );
    Ok(Value::Object(all))
}

fn payload_error(job: &Job, problem: &str) -> GitHubError {
    GitHubError::Input {
        message: format!("the payload of job `{}` {problem}", job.id),
        help: "change the job's payload in the plan and compile it again".into(),
    }
}
