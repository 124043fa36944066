//! Scenario files: how the simulated world behaves, for `simulate` and `apply --backend sim`.
//!
//! ```toml
//! seed = 42                           # jitter of retry backoff; same seed, same output
//! [job.blvm-node]
//! duration = "35m"                    # instead of the plan's estimate
//! outcomes = ["failure", "success"]   # per attempt; the last one repeats
//! ```
//! The file is read with [`crate::compile::toml_reader`] so every problem (an unknown key, a job the
//! plan does not have, a bad duration) is reported at once with its span and a did-you-mean.
//! Without a scenario every job succeeds after its estimate. What a job's build produces
//! there is [`synthetic_artifacts`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compile::duration::parse_seconds;
use crate::compile::suggest::did_you_mean;
use crate::compile::toml_reader::{Cx, Fields, parse_document};
use crate::compiled::{CompiledPlan, Job};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::glob;
use crate::release_assets::Asset;
use crate::source::Sources;

/// What one attempt of a job does in the simulated world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    /// Never completes: the job's timeout decides.
    Timeout,
}

/// How one job behaves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobBehaviour {
    /// Seconds each attempt takes; the plan's estimate when absent.
    pub duration_s: Option<u64>,
    /// Outcome per attempt; the last repeats; success when empty.
    pub outcomes: Vec<Outcome>,
}

/// A whole simulated world. Journaled with the run, so a resumed apply behaves the same.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub seed: u64,
    pub jobs: BTreeMap<String, JobBehaviour>,
}

impl Scenario {
    /// Outcome and duration of attempt `attempt` (1-based) of `job`.
    pub fn attempt(&self, job: &Job, attempt: u32) -> (Outcome, u64) {
        let behaviour = self.jobs.get(&job.id);
        let duration = behaviour
            .and_then(|b| b.duration_s)
            .unwrap_or(job.estimate_s);
        let outcome = behaviour
            .and_then(|b| {
                let index = (attempt.max(1) as usize - 1).min(b.outcomes.len().checked_sub(1)?);
                b.outcomes.get(index).copied()
            })
            .unwrap_or(Outcome::Success);
        (outcome, duration)
    }
}

/// The simulated world's reference to the run of `correlation_id` (its run id), the same
/// for `simulate` and `apply --backend sim`.
pub fn run_id(correlation_id: &str) -> String {
    format!("{RUN_ID_PREFIX}{correlation_id}")
}

/// What every run id of the simulated world starts with, before its correlation id.
pub const RUN_ID_PREFIX: &str = "sim:";

/// The simulated world's stand-in for a run's web page.
pub fn run_url(correlation_id: &str) -> String {
    format!("sim://run/{correlation_id}")
}

/// The simulated world's stand-in for the web page of the release of `tag` (its files are
/// in the state directory's `sim-release/<tag>/`).
pub fn release_url(tag: &str) -> String {
    format!("sim://release/{tag}")
}

/// What a job's build produces in the simulated world: two files with deterministic bytes,
/// of which its `publish` globs select, named as in the release. The same for `simulate` and
/// `apply --backend sim`.
pub fn synthetic_artifacts(job: &Job) -> Vec<Asset> {
    let stem = job.id.replace('/', "-");
    let version = job.version.as_deref().unwrap_or("0.0.0");
    ["x86_64-linux.tar.gz", "sbom.json"]
        .into_iter()
        .map(|suffix| format!("{stem}-{version}-{suffix}"))
        .filter(|name| glob::matches_any(&job.publish, name))
        .map(|name| {
            let bytes = format!(
                "relplan simulated artifact\njob {}\nrepo {}\nname {name}\n",
                job.id, job.repo
            )
            .into_bytes();
            Asset::new(name, bytes, format!("job `{}`", job.id))
        })
        .collect()
}

/// Reads a scenario for `plan`; every problem is added to `diags` (with the file in `sources`).
pub fn read(
    name: &str,
    text: &str,
    plan: &CompiledPlan,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Scenario {
    let file = sources.add(name, text);
    let mut cx = Cx { file, diags };
    let mut scenario = Scenario::default();
    let Some(document) = parse_document(text, &mut cx) else {
        return scenario;
    };
    let mut top = Fields::new(&document, "the scenario");
    if let Some(seed) = top.count(&mut cx, "seed", u32::MAX) {
        scenario.seed = u64::from(seed.value);
    }
    if let Some(jobs) = top.get("job").and_then(|v| cx.table(v, "`job`")) {
        let ids: Vec<&str> = plan.jobs.iter().map(|j| j.id.as_str()).collect();
        for (key, value) in jobs.iter() {
            let id: &str = key.get_ref();
            if !ids.contains(&id) {
                let help = did_you_mean(id, ids.iter().copied())
                    .unwrap_or_else(|| format!("the plan's jobs are: {}", ids.join(", ")));
                cx.report(
                    Diagnostic::error(Code::UnknownJob, format!("the plan has no job `{id}`"))
                        .at(file, key.span(), "not a job of the plan")
                        .help(help),
                );
                continue;
            }
            let Some(table) = cx.table(value, &format!("[job.{id}]")) else {
                continue;
            };
            let mut fields = Fields::new(table, format!("[job.{id}]"));
            let mut behaviour = JobBehaviour::default();
            if let Some(duration) = fields.string(&mut cx, "duration") {
                match parse_seconds(&duration.value) {
                    Ok(seconds) => behaviour.duration_s = Some(seconds),
                    Err(message) => cx.report(
                        Diagnostic::error(Code::InvalidDuration, message)
                            .at(file, duration.span.clone(), "not a duration")
                            .help("write a duration such as \"35m\", \"1h30m\" or \"90s\""),
                    ),
                }
            }
            if let Some(outcomes) = fields.string_list(&mut cx, "outcomes") {
                for outcome in outcomes.value {
                    match outcome.value.as_str() {
                        "success" => behaviour.outcomes.push(Outcome::Success),
                        "failure" => behaviour.outcomes.push(Outcome::Failure),
                        "timeout" => behaviour.outcomes.push(Outcome::Timeout),
                        other => {
                            let help = did_you_mean(other, ["success", "failure", "timeout"])
                                .unwrap_or_else(|| {
                                    "an outcome is one of: success, failure, timeout".into()
                                });
                            cx.report(
                                Diagnostic::error(
                                    Code::InvalidValue,
                                    format!("`{other}` is not an outcome"),
                                )
                                .at(file, outcome.span.clone(), "unknown outcome")
                                .help(help),
                            );
                        }
                    }
                }
            }
            fields.finish(&mut cx, Severity::Error);
            scenario.jobs.insert(id.to_string(), behaviour);
        }
    }
    top.finish(&mut cx, Severity::Error);
    scenario
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{Request, compile};

    fn plan() -> CompiledPlan {
        let manifest = "[versions]\na = { version = \"1.0.0\", git_tag = \"v1.0.0\", git_commit = \"abcdef1\" }\n";
        let request = Request {
            versions: Some("versions.toml".into()),
            options: crate::compile::Options {
                owner: Some("o".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let compilation = compile(&request, &mut |_| Ok(manifest.to_string()));
        let diagnostics = format!("{:?}", compilation.diagnostics);
        compilation.plan.expect(&diagnostics)
    }

    #[test]
    fn last_outcome_repeats_and_duration_overrides_the_estimate() {
        let plan = plan();
        let mut diags = Diagnostics::default();
        let text = "seed = 7\n[job.a]\nduration = \"5m\"\noutcomes = [\"failure\", \"success\"]\n";
        let scenario = read("s.toml", text, &plan, &mut Sources::default(), &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
        assert_eq!(scenario.seed, 7);
        let job = &plan.jobs[0];
        assert_eq!(scenario.attempt(job, 1), (Outcome::Failure, 300));
        assert_eq!(scenario.attempt(job, 2), (Outcome::Success, 300));
        assert_eq!(scenario.attempt(job, 9), (Outcome::Success, 300));
    }

    #[test]
    fn reports_every_problem_at_once() {
        let plan = plan();
        let mut diags = Diagnostics::default();
        let text = "sed = 1\n[job.b]\n[job.a]\nduration = \"soon\"\noutcomes = [\"sucess\"]\nretries = 2\n";
        read("s.toml", text, &plan, &mut Sources::default(), &mut diags);
        let codes: Vec<&str> = diags.items.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "relplan::unknown-job",
                "relplan::invalid-duration",
                "relplan::invalid-value",
                "relplan::unknown-key",
                "relplan::unknown-key"
            ]
        );
    }
}
