//! Lowering one job's concrete values from its settings layers (stage, repository,
//! `[defaults]`, built-in defaults): trigger, payload and inputs with placeholders filled,
//! timeout, retries, estimate and publish globs, and GitHub's limits on what a dispatch
//! may carry.

use std::collections::BTreeSet;

use super::{
    DEFAULT_ESTIMATE_S, DEFAULT_EVENT_TYPE, DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, Lowerer,
    placeholder_values, trigger_repo,
};
use crate::bounds::{MAX_PAYLOAD_BYTES, MAX_PAYLOAD_KEYS, MAX_WORKFLOW_INPUTS};
use crate::compile::placeholder::{fill, fill_json};
use crate::compile::plan_file::{self, JobSettings};
use crate::compiled::{self, Job, JobKind, LocalBuild, Payload, Release};
use crate::diagnostic::Code;
use crate::source::{Sp, Span};

/// Everything one job is lowered from.
pub(super) struct JobSpec<'a> {
    pub(super) id: String,
    pub(super) kind: JobKind,
    pub(super) repo: String,
    pub(super) git_ref: Option<String>,
    pub(super) commit: Option<String>,
    pub(super) version: Option<String>,
    pub(super) layers: &'a [&'a JobSettings],
    pub(super) default_publish: &'a [&'a str],
    /// How many of `layers` may set what only builds inherit, `publish` and `local`: steps
    /// do not inherit them from `[defaults]`, since a step after `release` cannot publish
    /// into it and a step has no repository to run a build command in.
    pub(super) build_layers: usize,
    pub(super) release: &'a Release,
    pub(super) id_span: Option<Span>,
}

impl Lowerer<'_> {
    pub(super) fn job(&mut self, spec: JobSpec<'_>) -> Job {
        let layers = spec.layers;
        let ref_text = spec.git_ref.clone().unwrap_or_default();
        let values = placeholder_values(spec.release, &spec.id, &spec.repo, &ref_text);
        let mut payload = Payload::new();
        for layer in layers.iter().rev() {
            if let Some(p) = &layer.payload {
                for (k, v) in p.iter() {
                    payload.insert(k.clone(), fill_json(v, &values));
                }
            }
        }
        let trigger = match pick(layers, |s| s.trigger.as_ref()) {
            Some(t) => self.trigger(t, &spec.repo, spec.git_ref.as_deref(), &values),
            None => compiled::Trigger::RepositoryDispatch {
                repo: spec.repo.clone(),
                event_type: DEFAULT_EVENT_TYPE.into(),
            },
        };
        self.check_payload_limits(&spec, &trigger, &payload);
        Job {
            id: spec.id,
            kind: spec.kind,
            repo: spec.repo,
            git_ref: spec.git_ref,
            commit: spec.commit,
            version: spec.version,
            needs: Vec::new(),
            group: 0,
            trigger: Some(trigger),
            payload,
            timeout_s: pick(layers, |s| s.timeout.as_ref())
                .map_or(DEFAULT_TIMEOUT_S, |t| t.value.0),
            retries: pick(layers, |s| s.retries.as_ref()).map_or(DEFAULT_RETRIES, |r| r.value),
            estimate_s: pick(layers, |s| s.estimate.as_ref())
                .map_or(DEFAULT_ESTIMATE_S, |e| e.value.0),
            publish: pick(&layers[..spec.build_layers], |s| s.publish.as_ref()).map_or_else(
                || spec.default_publish.iter().map(|s| s.to_string()).collect(),
                |p| {
                    let globs: BTreeSet<String> = p.iter().map(|g| g.value.clone()).collect();
                    globs.into_iter().collect()
                },
            ),
            local: local_build(&layers[..spec.build_layers]),
        }
    }

    pub(super) fn trigger(
        &mut self,
        trigger: &Sp<plan_file::Trigger>,
        default_repo: &str,
        default_ref: Option<&str>,
        values: &[(&str, &str)],
    ) -> compiled::Trigger {
        let repo = trigger_repo(trigger).map_or(default_repo.to_string(), |r| self.github_repo(r));
        match &trigger.value {
            plan_file::Trigger::RepositoryDispatch(d) => compiled::Trigger::RepositoryDispatch {
                repo,
                event_type: d.event_type.value.clone(),
            },
            plan_file::Trigger::WorkflowDispatch(w) => {
                let git_ref = w
                    .git_ref
                    .as_ref()
                    .map(|r| fill(r, values))
                    .or(default_ref.map(str::to_string));
                let git_ref = git_ref.unwrap_or_else(|| {
                    self.error(
                        Code::MissingKey,
                        "workflow_dispatch needs a `ref`, and this job has no git_tag to default to",
                        self.in_plan(&trigger.span),
                        "no `ref` here",
                        Some("set `ref` in the trigger, e.g. ref = \"main\"".into()),
                    );
                    String::new()
                });
                let inputs = w
                    .inputs
                    .as_ref()
                    .map(|i| {
                        i.iter()
                            .map(|(k, v)| (k.clone(), fill_json(v, values)))
                            .collect()
                    })
                    .unwrap_or_default();
                compiled::Trigger::WorkflowDispatch {
                    repo,
                    workflow: w.workflow.value.clone(),
                    git_ref,
                    inputs,
                }
            }
        }
    }

    fn check_payload_limits(
        &mut self,
        spec: &JobSpec<'_>,
        trigger: &compiled::Trigger,
        payload: &Payload,
    ) {
        let (count, limit, what) = match trigger {
            compiled::Trigger::RepositoryDispatch { .. } => {
                (payload.len(), MAX_PAYLOAD_KEYS, "client_payload keys")
            }
            compiled::Trigger::WorkflowDispatch { inputs, .. } => {
                let keys: BTreeSet<&String> = inputs.keys().chain(payload.keys()).collect();
                (keys.len(), MAX_WORKFLOW_INPUTS, "workflow inputs")
            }
        };
        let bytes = serde_json::to_string(payload).map_or(0, |s| s.len());
        let problem = if count > limit {
            Some(format!(
                "job `{}` sends {count} {what}; GitHub allows {limit} besides relplan's own",
                spec.id
            ))
        } else if bytes > MAX_PAYLOAD_BYTES {
            Some(format!(
                "job `{}` sends a {bytes}-byte payload; GitHub allows under 64 KB",
                spec.id
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            let span = spec.id_span.clone().unwrap_or(0..0);
            self.error(
                Code::PayloadTooLarge,
                message,
                self.in_plan(&span),
                "this job",
                Some("send fewer or smaller values, e.g. one JSON object under one key".into()),
            );
        }
    }
}

/// The job's local build: `run` and `artifacts` each from the first layer that sets it;
/// none without a `run` (the job cannot be built locally, which `--backend local` reports).
fn local_build(layers: &[&JobSettings]) -> Option<LocalBuild> {
    let run = layers.iter().find_map(|l| l.local.as_ref()?.run.as_ref())?;
    let artifacts = layers
        .iter()
        .find_map(|l| l.local.as_ref()?.artifacts.as_ref())
        .map_or_else(Vec::new, |a| a.iter().map(|g| g.value.clone()).collect());
    Some(LocalBuild {
        run: run.value.clone(),
        artifacts,
    })
}

/// The first layer (stage, repository, defaults) that sets a value.
pub(super) fn pick<'a, T>(
    layers: &[&'a JobSettings],
    get: impl Fn(&'a JobSettings) -> Option<&'a T>,
) -> Option<&'a T> {
    layers.iter().find_map(|l| get(l))
}
