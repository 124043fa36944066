//! The change set between two compiled plans: what a reviewer needs to know will happen
//! differently. Computed on the compiled DAG, never on text, so reordered tables and edited
//! comments in the inputs produce no change at all.
//!
//! Each changed value is kept twice: as the compiled plan's JSON value (for `--format json`)
//! and as people read it (durations as `1h 30m`, triggers described), so every renderer shows
//! the same words. Pure: no I/O, no failure.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::compile::duration::format_seconds;
use crate::compiled::{CompiledPlan, CriticalPath, Job, LocalBuild, Trigger};
use crate::render::describe_trigger;

/// Everything that differs between an old and a new compiled plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanDiff {
    pub old: Summary,
    pub new: Summary,
    /// Release fields (`name`, `version`, `tag`, `prerelease`, `repo`, `commit`) and `fallback`.
    pub release: Vec<FieldChange>,
    /// In the new plan's order (group, then id).
    pub jobs_added: Vec<Job>,
    /// In the old plan's order.
    pub jobs_removed: Vec<Job>,
    /// Jobs in both plans whose values differ, in the new plan's order.
    pub jobs_changed: Vec<JobChange>,
    /// Sorted by (from, to).
    pub edges_added: Vec<Edge>,
    pub edges_removed: Vec<Edge>,
    /// Jobs in both plans whose depth group differs, in the new plan's order.
    pub group_moves: Vec<GroupMove>,
    /// Edges in both plans that touch a job above or an end of a changed edge: the
    /// unchanged surroundings a graph of the change needs. Sorted by (from, to).
    pub context_edges: Vec<Edge>,
}

/// The figures of one side that the summary compares.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub plan_hash: String,
    pub release_name: String,
    pub version: String,
    pub tag: String,
    pub jobs: usize,
    pub groups: usize,
    pub critical_path: CriticalPath,
}

/// One value that differs: its compiled-plan JSON key, the JSON values and their readable forms.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: Value,
    pub new: Value,
    pub old_text: String,
    pub new_text: String,
    /// For a trigger of the same kind on both sides and for a payload: each value inside it
    /// that differs (`ref`, `inputs.channel`, a payload key), which people read instead of
    /// the two whole values.
    pub details: Vec<ValueChange>,
}

/// One changed value inside a field, as people read it; `none` where a side has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueChange {
    /// Where the value is inside the field: `ref`, `inputs.channel`, `channel`.
    pub path: String,
    pub old_text: String,
    pub new_text: String,
}

impl FieldChange {
    /// The field as people say it: `estimate` for `estimate_s`.
    pub fn label(&self) -> &'static str {
        self.field.strip_suffix("_s").unwrap_or(self.field)
    }

    /// What a reader is shown, one `(what, before, after)` per line: the field itself, or
    /// each changed value inside it (`trigger.inputs.channel`).
    pub fn rows(&self) -> Vec<(String, &str, &str)> {
        if self.details.is_empty() {
            return vec![(
                self.label().to_string(),
                self.old_text.as_str(),
                self.new_text.as_str(),
            )];
        }
        self.details
            .iter()
            .map(|d| {
                (
                    format!("{}.{}", self.label(), d.path),
                    d.old_text.as_str(),
                    d.new_text.as_str(),
                )
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobChange {
    pub id: String,
    pub changes: Vec<FieldChange>,
}

/// `to` needs `from`: `from` must succeed before `to` starts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupMove {
    pub id: String,
    pub old: usize,
    pub new: usize,
}

impl PlanDiff {
    /// Whether the plans behave differently (their hashes differ).
    pub fn is_changed(&self) -> bool {
        self.old.plan_hash != self.new.plan_hash || self.change_count() > 0
    }

    /// Number of listed changes: fields, jobs, edges and group moves.
    pub fn change_count(&self) -> usize {
        self.release.len()
            + self.jobs_added.len()
            + self.jobs_removed.len()
            + self.jobs_changed.len()
            + self.edges_added.len()
            + self.edges_removed.len()
            + self.group_moves.len()
    }

    /// Ids of the jobs that are added, removed, changed, moved, or an end of a changed edge.
    pub fn touched_jobs(&self) -> BTreeSet<&str> {
        let jobs = self
            .jobs_added
            .iter()
            .chain(&self.jobs_removed)
            .map(|j| j.id.as_str());
        let changed = self.jobs_changed.iter().map(|j| j.id.as_str());
        let moved = self.group_moves.iter().map(|m| m.id.as_str());
        let edge_ends = self
            .edges_added
            .iter()
            .chain(&self.edges_removed)
            .flat_map(|e| [e.from.as_str(), e.to.as_str()]);
        jobs.chain(changed).chain(moved).chain(edge_ends).collect()
    }

    pub fn critical_path_changed(&self) -> bool {
        self.old.critical_path != self.new.critical_path
    }
}

/// Compares two compiled plans.
pub fn diff(old: &CompiledPlan, new: &CompiledPlan) -> PlanDiff {
    let old_jobs: HashMap<&str, &Job> = old.jobs.iter().map(|j| (j.id.as_str(), j)).collect();
    let new_jobs: HashMap<&str, &Job> = new.jobs.iter().map(|j| (j.id.as_str(), j)).collect();
    let old_edges = edges(old);
    let new_edges = edges(new);
    let mut diff = PlanDiff {
        old: summary(old),
        new: summary(new),
        release: release_changes(old, new),
        jobs_added: new
            .jobs
            .iter()
            .filter(|j| !old_jobs.contains_key(j.id.as_str()))
            .cloned()
            .collect(),
        jobs_removed: old
            .jobs
            .iter()
            .filter(|j| !new_jobs.contains_key(j.id.as_str()))
            .cloned()
            .collect(),
        jobs_changed: new
            .jobs
            .iter()
            .filter_map(|new_job| {
                let old_job = old_jobs.get(new_job.id.as_str())?;
                let changes = job_changes(old_job, new_job);
                (!changes.is_empty()).then(|| JobChange {
                    id: new_job.id.clone(),
                    changes,
                })
            })
            .collect(),
        edges_added: new_edges.difference(&old_edges).cloned().collect(),
        edges_removed: old_edges.difference(&new_edges).cloned().collect(),
        group_moves: new
            .jobs
            .iter()
            .filter_map(|new_job| {
                let old_job = old_jobs.get(new_job.id.as_str())?;
                (old_job.group != new_job.group).then(|| GroupMove {
                    id: new_job.id.clone(),
                    old: old_job.group,
                    new: new_job.group,
                })
            })
            .collect(),
        context_edges: Vec::new(),
    };
    let touched = diff.touched_jobs();
    diff.context_edges = old_edges
        .intersection(&new_edges)
        .filter(|e| touched.contains(e.from.as_str()) || touched.contains(e.to.as_str()))
        .cloned()
        .collect();
    diff
}

fn summary(plan: &CompiledPlan) -> Summary {
    Summary {
        plan_hash: plan.plan_hash.clone(),
        release_name: plan.release.name.clone(),
        version: plan.release.version.clone(),
        tag: plan.release.tag.clone(),
        jobs: plan.jobs.len(),
        groups: plan.groups.len(),
        critical_path: plan.critical_path.clone(),
    }
}

fn edges(plan: &CompiledPlan) -> BTreeSet<Edge> {
    plan.jobs
        .iter()
        .flat_map(|job| {
            job.needs.iter().map(|need| Edge {
                from: need.clone(),
                to: job.id.clone(),
            })
        })
        .collect()
}

fn release_changes(old: &CompiledPlan, new: &CompiledPlan) -> Vec<FieldChange> {
    let (o, n) = (&old.release, &new.release);
    let publish_target =
        |repo: &Option<String>| repo.clone().unwrap_or_else(|| "nothing published".into());
    let fallback = |t: &Option<Trigger>| match t {
        Some(t) => describe_trigger(Some(t)),
        None => "none".into(),
    };
    let mut changes = Vec::new();
    push_change(&mut changes, "name", &o.name, &n.name, |v| v.clone());
    push_change(&mut changes, "version", &o.version, &n.version, |v| {
        v.clone()
    });
    push_change(&mut changes, "tag", &o.tag, &n.tag, |v| v.clone());
    push_change(
        &mut changes,
        "prerelease",
        &o.prerelease,
        &n.prerelease,
        |v| if *v { "pre-release" } else { "release" }.into(),
    );
    push_change(&mut changes, "repo", &o.repo, &n.repo, publish_target);
    push_change(&mut changes, "commit", &o.commit, &n.commit, optional);
    push_change(
        &mut changes,
        "fallback",
        &old.fallback,
        &new.fallback,
        fallback,
    );
    with_details(&mut changes, trigger_details(&old.fallback, &new.fallback));
    changes
}

/// Every field of a job except `id`, `needs` (edges) and `group` (group moves).
fn job_changes(old: &Job, new: &Job) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let seconds = |v: &u64| format_seconds(*v);
    push_change(&mut changes, "kind", &old.kind, &new.kind, |k| {
        format!("{k:?}").to_lowercase()
    });
    push_change(&mut changes, "repo", &old.repo, &new.repo, |v| v.clone());
    push_change(&mut changes, "ref", &old.git_ref, &new.git_ref, optional);
    push_change(&mut changes, "commit", &old.commit, &new.commit, optional);
    push_change(
        &mut changes,
        "version",
        &old.version,
        &new.version,
        optional,
    );
    push_change(&mut changes, "trigger", &old.trigger, &new.trigger, |t| {
        describe_trigger(t.as_ref())
    });
    with_details(&mut changes, trigger_details(&old.trigger, &new.trigger));
    push_change(&mut changes, "payload", &old.payload, &new.payload, |p| {
        compact_json(p)
    });
    with_details(&mut changes, map_details("", &old.payload, &new.payload));
    push_change(
        &mut changes,
        "timeout_s",
        &old.timeout_s,
        &new.timeout_s,
        seconds,
    );
    push_change(&mut changes, "retries", &old.retries, &new.retries, |v| {
        v.to_string()
    });
    push_change(
        &mut changes,
        "estimate_s",
        &old.estimate_s,
        &new.estimate_s,
        seconds,
    );
    push_change(
        &mut changes,
        "publish",
        &old.publish,
        &new.publish,
        |globs| {
            if globs.is_empty() {
                "nothing".into()
            } else {
                globs.join(" ")
            }
        },
    );
    push_change(
        &mut changes,
        "local",
        &old.local,
        &new.local,
        describe_local,
    );
    with_details(&mut changes, local_details(&old.local, &new.local));
    changes
}

/// A local build in words: `sh -c "…"` and what it collects.
fn describe_local(local: &Option<LocalBuild>) -> String {
    match local {
        None => "none".into(),
        Some(l) if l.artifacts.is_empty() => format!("`{}`, collecting nothing", l.run),
        Some(l) => format!("`{}`, collecting {}", l.run, l.artifacts.join(" ")),
    }
}

/// The changed keys of two local builds (`run`, `artifacts`); none when one
/// side has no local build (then the two descriptions say it all).
fn local_details(old: &Option<LocalBuild>, new: &Option<LocalBuild>) -> Vec<ValueChange> {
    let (Some(old), Some(new)) = (old, new) else {
        return Vec::new();
    };
    let mut details = Vec::new();
    if old.run != new.run {
        details.push(ValueChange {
            path: "run".into(),
            old_text: old.run.clone(),
            new_text: new.run.clone(),
        });
    }
    let globs = |globs: &[String]| match globs.is_empty() {
        true => "nothing".to_string(),
        false => globs.join(" "),
    };
    if old.artifacts != new.artifacts {
        details.push(ValueChange {
            path: "artifacts".into(),
            old_text: globs(&old.artifacts),
            new_text: globs(&new.artifacts),
        });
    }
    details
}

/// Records a change when the values differ. When their readable forms coincide (a trigger whose
/// inputs changed but not their names), the JSON values are shown instead, so the reader sees
/// the difference.
fn push_change<T: PartialEq + serde::Serialize>(
    changes: &mut Vec<FieldChange>,
    field: &'static str,
    old: &T,
    new: &T,
    show: impl Fn(&T) -> String,
) {
    if old == new {
        return;
    }
    let (old_value, new_value) = (to_value(old), to_value(new));
    let (mut old_text, mut new_text) = (show(old), show(new));
    if old_text == new_text {
        old_text = compact_json(&old_value);
        new_text = compact_json(&new_value);
    }
    changes.push(FieldChange {
        field,
        old: old_value,
        new: new_value,
        old_text,
        new_text,
        details: Vec::new(),
    });
}

/// Attaches the values that changed inside the field just recorded (if one was).
fn with_details(changes: &mut [FieldChange], details: Vec<ValueChange>) {
    if let Some(last) = changes.last_mut().filter(|_| !details.is_empty()) {
        last.details = details;
    }
}

/// The changed values of two triggers of the same kind; none when the kind changed (then
/// the two descriptions say it all).
fn trigger_details(old: &Option<Trigger>, new: &Option<Trigger>) -> Vec<ValueChange> {
    let mut details = Vec::new();
    let mut text = |path: &str, old: &str, new: &str| {
        if old != new {
            details.push(ValueChange {
                path: path.into(),
                old_text: old.into(),
                new_text: new.into(),
            });
        }
    };
    match (old, new) {
        (
            Some(Trigger::RepositoryDispatch { repo, event_type }),
            Some(Trigger::RepositoryDispatch {
                repo: new_repo,
                event_type: new_event_type,
            }),
        ) => {
            text("repo", repo, new_repo);
            text("event_type", event_type, new_event_type);
        }
        (
            Some(Trigger::WorkflowDispatch {
                repo,
                workflow,
                git_ref,
                inputs,
            }),
            Some(Trigger::WorkflowDispatch {
                repo: new_repo,
                workflow: new_workflow,
                git_ref: new_ref,
                inputs: new_inputs,
            }),
        ) => {
            text("repo", repo, new_repo);
            text("workflow", workflow, new_workflow);
            text("ref", git_ref, new_ref);
            details.extend(map_details("inputs.", inputs, new_inputs));
        }
        _ => {}
    }
    details
}

/// Every key whose value differs between two JSON objects, in key order; values as compact
/// JSON, `none` for a key one side does not have.
fn map_details(
    prefix: &str,
    old: &serde_json::Map<String, Value>,
    new: &serde_json::Map<String, Value>,
) -> Vec<ValueChange> {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let show = |v: Option<&Value>| v.map_or_else(|| "none".to_string(), compact_json);
    keys.into_iter()
        .filter(|key| old.get(*key) != new.get(*key))
        .map(|key| ValueChange {
            path: format!("{prefix}{key}"),
            old_text: show(old.get(key)),
            new_text: show(new.get(key)),
        })
        .collect()
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn compact_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn optional(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "none".into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::compile::Options;
    use crate::compile::{self, Request};

    /// Compiles a manifest, given as text, under the default plan with owner `o`.
    pub(crate) fn default_plan(manifest: &str) -> CompiledPlan {
        let request = Request {
            plan: None,
            versions: Some("versions.toml".into()),
            options: Options {
                owner: Some("o".into()),
                ..Options::default()
            },
        };
        let compilation = compile::compile(&request, &mut |_| Ok(manifest.to_string()));
        compilation.plan.expect("the test manifest compiles")
    }

    const TWO: &str = r#"[versions]
a = { version = "1.0.0", git_tag = "v1.0.0" }
b = { version = "1.0.0", git_tag = "v1.0.0", requires = ["a=1.0.0"] }
"#;

    #[test]
    fn reordered_entries_are_no_change() {
        let reordered = r#"[versions]
b = { version = "1.0.0", git_tag = "v1.0.0", requires = ["a=1.0.0"] }
a = { version = "1.0.0", git_tag = "v1.0.0" }
"#;
        let diff = diff(&default_plan(TWO), &default_plan(reordered));
        assert!(!diff.is_changed());
        assert_eq!(diff.change_count(), 0);
    }

    #[test]
    fn dropped_requirement_removes_an_edge_and_moves_a_group() {
        let independent = TWO.replace(", requires = [\"a=1.0.0\"]", "");
        let diff = diff(&default_plan(TWO), &default_plan(&independent));
        assert_eq!(
            diff.edges_removed,
            [Edge {
                from: "a".into(),
                to: "b".into()
            }]
        );
        assert_eq!(
            diff.group_moves,
            [GroupMove {
                id: "b".into(),
                old: 1,
                new: 0
            }]
        );
        assert!(diff.jobs_changed.is_empty());
        assert_eq!(
            diff.touched_jobs().into_iter().collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn a_changed_input_and_payload_value_are_shown_alone() {
        let base = default_plan(TWO);
        let mut changed = base.clone();
        let job = changed.jobs.iter_mut().find(|j| j.id == "b").unwrap();
        job.trigger = Some(Trigger::WorkflowDispatch {
            repo: "o/b".into(),
            workflow: "build.yml".into(),
            git_ref: "v1.0.0".into(),
            inputs: serde_json::from_value(serde_json::json!({ "channel": "beta", "n": 1 }))
                .unwrap(),
        });
        let mut old = changed.clone();
        let old_job = old.jobs.iter_mut().find(|j| j.id == "b").unwrap();
        if let Some(Trigger::WorkflowDispatch {
            inputs, git_ref, ..
        }) = &mut old_job.trigger
        {
            inputs.insert("channel".into(), Value::from("stable"));
            *git_ref = "main".into();
        }
        old_job.payload.insert("kept".into(), Value::from(true));
        let diff = diff(&old, &changed);
        let rows: Vec<(String, String, String)> = diff.jobs_changed[0]
            .changes
            .iter()
            .flat_map(|c| c.rows())
            .map(|(what, o, n)| (what, o.to_string(), n.to_string()))
            .collect();
        let row = |what: &str, o: &str, n: &str| (what.to_string(), o.to_string(), n.to_string());
        assert_eq!(
            rows,
            [
                row("trigger.ref", "main", "v1.0.0"),
                row("trigger.inputs.channel", "\"stable\"", "\"beta\""),
                row("payload.kept", "true", "none"),
            ]
        );
    }

    #[test]
    fn changed_tag_shows_ref_and_keeps_json_values() {
        let retagged = TWO.replace(
            "b = { version = \"1.0.0\", git_tag = \"v1.0.0\"",
            "b = { version = \"1.0.0\", git_tag = \"v1.0.1\"",
        );
        let diff = diff(&default_plan(TWO), &default_plan(&retagged));
        assert_eq!(diff.jobs_changed.len(), 1);
        let change = &diff.jobs_changed[0].changes[0];
        assert_eq!((change.field, change.label()), ("ref", "ref"));
        assert_eq!(
            (&change.old, &change.new),
            (&Value::from("v1.0.0"), &Value::from("v1.0.1"))
        );
        assert_eq!(
            (change.old_text.as_str(), change.new_text.as_str()),
            ("v1.0.0", "v1.0.1")
        );
    }
}
