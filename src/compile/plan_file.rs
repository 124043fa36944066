//! The release-plan file format, as written by users (`plans/*.toml`).
//!
//! These types are the documented contract of the file: `relplan schema` derives
//! `schema/release-plan.schema.json` from them, so editors complete plans. They keep spans
//! so that `validate` and `lower` can point at the exact spot of a problem. They are filled
//! by `plan_reader`, never used past lowering.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::JsonSchema;

use crate::bounds;
use crate::source::Sp;

/// Free-form values passed on to a workflow; strings may use `{version}`, `{tag}`, `{name}`,
/// `{job}`, `{repo}` and `{ref}`.
pub type Payload = serde_json::Map<String, serde_json::Value>;

/// A relplan release plan: how each repository of a versions.toml is built and released.
#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(title = "relplan release plan", deny_unknown_fields)]
pub struct PlanFile {
    /// What is released, from which manifest, and where it is published.
    pub release: ReleaseSection,
    /// Settings for every job unless a repository, stage or step overrides them.
    #[serde(default)]
    pub defaults: JobSettings,
    /// Per-repository settings; each key names an entry of `[versions]` (or of `[modules]`,
    /// which adds that module to the release).
    #[serde(default)]
    pub repo: NamedTables<RepoSection>,
    /// Jobs that are not repositories of the manifest, such as a deployment signal.
    #[serde(default)]
    pub step: Vec<StepSection>,
    /// What to start when the release cannot finish.
    pub fallback: Option<Sp<Trigger>>,
}

#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReleaseSection {
    /// Human name of the release, e.g. "Bitcoin Commons". Defaults to the tag.
    pub name: Option<Sp<String>>,
    /// Default GitHub owner (user or organisation) of every repository.
    pub owner: Option<Sp<String>>,
    /// Path of the versions.toml manifest, relative to this file.
    pub versions: Option<Sp<String>>,
    /// Manifest entry whose version is the release version.
    pub version_from: Option<Sp<String>>,
    /// The release version, when not taken from a manifest entry.
    pub version: Option<Sp<String>>,
    /// Tag of the unified release; `{version}` is replaced. Defaults to "v{version}".
    pub tag: Option<Sp<String>>,
    /// Repository that receives the unified release. Without it nothing is published.
    pub publish_to: Option<Sp<String>>,
    /// Whether the release is a pre-release; "auto" (the default) follows the version.
    pub prerelease: Option<Sp<Prerelease>>,
}

#[derive(Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum Prerelease {
    Flag(bool),
    Mode(PrereleaseMode),
}

#[derive(Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrereleaseMode {
    /// A pre-release when the version has a semver pre-release part (`1.0.0-rc.1`).
    Auto,
}

/// Settings that every kind of job accepts.
#[derive(Clone, Debug, Default, JsonSchema)]
pub struct JobSettings {
    /// How the job's workflow is started.
    pub trigger: Option<Sp<Trigger>>,
    /// Longest a job attempt may run, e.g. "60m"; at most 35 days ("840h").
    pub timeout: Option<Sp<Seconds>>,
    /// Further attempts after the first failed one, at most 20.
    #[schemars(range(max = bounds::MAX_RETRIES))]
    pub retries: Option<Sp<u32>>,
    /// Expected duration, for the critical path and simulation, e.g. "20m"; at most 35 days.
    pub estimate: Option<Sp<Seconds>>,
    /// Globs of artifact names published into the unified release, at most 100.
    /// Repositories default to ["*"]; steps publish only what they set themselves (not
    /// `[defaults]`).
    #[schemars(length(max = bounds::MAX_PUBLISH_GLOBS))]
    pub publish: Option<Sp<Vec<Sp<String>>>>,
    /// Extra values sent with the trigger (client_payload or inputs).
    pub payload: Option<Sp<Payload>>,
    /// How `relplan apply --backend local` builds the job on this machine. Merged key by
    /// key over the layers; steps do not inherit `[defaults].local`.
    pub local: Option<Sp<LocalSettings>>,
}

/// A build on this machine: a command run in a clean worktree of the repository at the
/// job's tag, and the files it leaves.
#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LocalSettings {
    /// Command line run by `sh -c` in the worktree, e.g. "cargo build --release --locked".
    pub run: Option<Sp<String>>,
    /// Globs of the files the command leaves, relative to the worktree, at most 100: `*`,
    /// `?` and `[...]` match within one directory, `**` any number of directories, `{a,b}`
    /// either; no absolute paths or `..`. Each must match at least one file.
    #[schemars(length(max = bounds::MAX_ARTIFACT_GLOBS))]
    pub artifacts: Option<Sp<Vec<Sp<String>>>>,
}

/// A duration written as text ("90m", "1h30m", "45s"), held in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seconds(pub u64);

impl JsonSchema for Seconds {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration such as \"90m\", \"1h30m\" or \"45s\".",
            "type": "string",
            "pattern": "^\\s*[0-9]",
            "examples": ["20m", "1h30m"]
        })
    }
}

/// How a job's workflow is started. Exactly one key.
#[derive(Clone, Debug, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// `POST /repos/{owner}/{repo}/dispatches`.
    RepositoryDispatch(RepositoryDispatch),
    /// `POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches`.
    WorkflowDispatch(WorkflowDispatch),
}

#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RepositoryDispatch {
    /// Repository that receives the event ("name" or "owner/name"); defaults to the job's.
    pub repo: Option<Sp<String>>,
    /// The event type the workflows listen to.
    pub event_type: Sp<String>,
}

#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WorkflowDispatch {
    /// Repository of the workflow ("name" or "owner/name"); defaults to the job's.
    pub repo: Option<Sp<String>>,
    /// Workflow file name (e.g. "build.yml") or id.
    pub workflow: Sp<String>,
    /// Git ref the workflow runs on; defaults to the job's tag.
    #[serde(rename = "ref")]
    pub git_ref: Option<Sp<String>>,
    /// Workflow inputs.
    pub inputs: Option<Sp<Payload>>,
}

#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RepoSection {
    /// GitHub repository ("name" or "owner/name") when it differs from the manifest key.
    pub github: Option<Sp<String>>,
    /// Several jobs for this repository, run in this order; each may have a `[stage.NAME]`.
    #[schemars(length(max = bounds::MAX_STAGES))]
    pub stages: Option<Sp<Vec<Sp<String>>>>,
    /// Settings per stage.
    #[serde(default)]
    pub stage: NamedTables<StageSection>,
    /// Jobs that must succeed before this repository's first job starts.
    pub after: Option<Sp<Vec<Sp<String>>>>,
    #[serde(flatten)]
    pub settings: JobSettings,
}

#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StageSection {
    /// Jobs that must succeed before this stage starts.
    pub after: Option<Sp<Vec<Sp<String>>>>,
    #[serde(flatten)]
    pub settings: JobSettings,
}

#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StepSection {
    /// Job id; must not collide with another job.
    pub id: Sp<String>,
    /// Jobs that must succeed before this step starts (may include "release").
    pub after: Option<Sp<Vec<Sp<String>>>>,
    #[serde(flatten)]
    pub settings: JobSettings,
}

/// A table of named sub-tables, in source order, each name with its span.
#[derive(Clone, Debug)]
pub struct NamedTables<T>(pub Vec<(Sp<String>, T)>);

impl<T> Default for NamedTables<T> {
    fn default() -> Self {
        NamedTables(Vec::new())
    }
}

impl<T> NamedTables<T> {
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| **k == name).map(|(_, v)| v)
    }
}

impl<T: JsonSchema> JsonSchema for NamedTables<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        <BTreeMap<String, T>>::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, T>>::json_schema(generator)
    }
}
