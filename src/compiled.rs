//! The compiled plan: the single contract between the compiler and everything after it
//! (renderers, diff, simulation, the executor, other tools reading the JSON).
//!
//! It is deliberately flat and concrete: every job carries its repository, ref, trigger,
//! timeout, retries, estimate and publish globs, so nothing downstream needs the inputs.
//! `plan_hash` covers everything that changes behaviour (see [`CompiledPlan::compute_hash`]).

use crate::bounds::{
    MAX_ARTIFACT_GLOBS, MAX_DURATION_S, MAX_JOBS, MAX_LOCAL_RUN_BYTES, MAX_PUBLISH_GLOBS,
    MAX_RETRIES,
};
use crate::dag;
use crate::digest::sha256_hex;
use crate::glob::artifact_glob;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bumped whenever a field changes meaning; readers refuse other versions.
pub const FORMAT_VERSION: u32 = 1;

pub type Payload = serde_json::Map<String, serde_json::Value>;

/// The id of the plan's `[fallback]` when it runs as a job ([`CompiledPlan::fallback_job`]).
pub const FALLBACK_JOB: &str = "fallback";

/// The prefix of every plan hash.
pub const HASH_PREFIX: &str = "sha256:";

/// A plan hash as a person gives it (`--expect-hash`): `sha256:` and 64 hex digits, or the
/// 64 hex digits alone; the canonical `sha256:<lowercase hex>`, or why it is not one.
pub fn parse_plan_hash(text: &str) -> Result<String, String> {
    let hex = text.strip_prefix(HASH_PREFIX).unwrap_or(text);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(format!("{HASH_PREFIX}{}", hex.to_ascii_lowercase()))
    } else {
        Err(format!(
            "`{text}` is not a plan hash: give `sha256:` and its 64 hex digits, or the 64 hex digits alone (`relplan compile --format json` shows it as `plan_hash`)"
        ))
    }
}

/// A validated, lowered release plan: an execution DAG with its groups and critical path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "relplan compiled plan")]
pub struct CompiledPlan {
    pub format_version: u32,
    /// `sha256:<hex>` over the canonical form of `format_version`, `release`, `jobs`, `fallback`.
    pub plan_hash: String,
    pub release: Release,
    /// Ordered by group, then id.
    #[schemars(length(max = MAX_JOBS))]
    pub jobs: Vec<Job>,
    /// Depth levels: group n holds the jobs whose longest chain of needs has length n.
    pub groups: Vec<Vec<String>>,
    pub critical_path: CriticalPath,
    /// Started when the release cannot finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Trigger>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub name: String,
    pub version: String,
    pub tag: String,
    pub prerelease: bool,
    /// `owner/name` receiving the unified release; `None` publishes nothing.
    pub repo: Option<String>,
    /// Commit the release tag points at, when the manifest pins it.
    pub commit: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Builds one repository (or one stage of it) of the manifest.
    Build,
    /// A `[[step]]` of the plan.
    Step,
    /// Collects artifacts, writes SHA256SUMS and publishes the unified release.
    Release,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    /// `owner/name` on GitHub.
    pub repo: String,
    /// Git ref to build (the manifest's git_tag); `None` for steps.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// Pinned commit, when the manifest has one.
    pub commit: Option<String>,
    /// The repository's version in the manifest.
    pub version: Option<String>,
    /// Ids of the jobs that must succeed first, sorted.
    pub needs: Vec<String>,
    pub group: usize,
    /// How the job is started; `None` for the built-in release job.
    pub trigger: Option<Trigger>,
    /// Extra values sent with the trigger.
    pub payload: Payload,
    #[schemars(range(max = MAX_DURATION_S))]
    pub timeout_s: u64,
    /// Further attempts after the first.
    #[schemars(range(max = MAX_RETRIES))]
    pub retries: u32,
    #[schemars(range(max = MAX_DURATION_S))]
    pub estimate_s: u64,
    /// Artifact-name globs published into the unified release.
    #[schemars(length(max = MAX_PUBLISH_GLOBS))]
    pub publish: Vec<String>,
    /// How `apply --backend local` builds the job; absent when the plan does not say (then
    /// the job cannot be built locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalBuild>,
}

/// A build on this machine (`apply --backend local`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalBuild {
    /// Command line run by `sh -c` in a clean worktree at the job's tag (for a step: in an
    /// empty directory).
    #[schemars(length(max = MAX_LOCAL_RUN_BYTES))]
    pub run: String,
    /// Globs of the files it leaves, relative to the worktree (see `relplan::glob`).
    #[schemars(length(max = MAX_ARTIFACT_GLOBS))]
    pub artifacts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    RepositoryDispatch {
        /// `owner/name` receiving the event.
        repo: String,
        event_type: String,
    },
    WorkflowDispatch {
        /// `owner/name` of the workflow.
        repo: String,
        workflow: String,
        #[serde(rename = "ref")]
        git_ref: String,
        inputs: Payload,
    },
}

impl Trigger {
    pub fn repo(&self) -> &str {
        match self {
            Trigger::RepositoryDispatch { repo, .. } | Trigger::WorkflowDispatch { repo, .. } => {
                repo
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriticalPath {
    /// The longest chain by estimate, first job first.
    pub jobs: Vec<String>,
    /// Sum of the chain's estimates: the best possible makespan.
    pub estimate_s: u64,
}

impl CompiledPlan {
    /// Derives needs order, groups, the critical path and the hash from the jobs, or returns
    /// every dependency cycle as a path of job ids (`a, b, …, a`, each needing the next).
    pub fn assemble(
        release: Release,
        mut jobs: Vec<Job>,
        fallback: Option<Trigger>,
    ) -> Result<CompiledPlan, Vec<Vec<String>>> {
        jobs.sort_by(|a, b| a.id.cmp(&b.id));
        let index: std::collections::HashMap<&str, usize> = jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.id.as_str(), i))
            .collect();
        let needs: Vec<Vec<usize>> = jobs
            .iter()
            .map(|j| {
                j.needs
                    .iter()
                    .filter_map(|n| index.get(n.as_str()).copied())
                    .collect()
            })
            .collect();
        let ids = |path: Vec<usize>| -> Vec<String> {
            path.into_iter().map(|i| jobs[i].id.clone()).collect()
        };
        let order = match dag::topological_order(&needs) {
            Ok(order) => order,
            Err(cycles) => return Err(cycles.into_iter().map(ids).collect()),
        };
        let depth = dag::depths(&needs, &order);
        let weights: Vec<u64> = jobs.iter().map(|j| j.estimate_s).collect();
        let (path, estimate_s) = dag::critical_path(&needs, &weights, &order);
        let critical_path = CriticalPath {
            jobs: ids(path),
            estimate_s,
        };
        let group_count = depth.iter().max().map_or(0, |d| d + 1);
        let mut groups = vec![Vec::new(); group_count];
        for (job, d) in jobs.iter_mut().zip(&depth) {
            job.group = *d;
            job.needs.sort();
            job.needs.dedup();
            groups[*d].push(job.id.clone());
        }
        jobs.sort_by(|a, b| (a.group, &a.id).cmp(&(b.group, &b.id)));
        let mut plan = CompiledPlan {
            format_version: FORMAT_VERSION,
            plan_hash: String::new(),
            release,
            jobs,
            groups,
            critical_path,
            fallback,
        };
        plan.plan_hash = plan.compute_hash();
        Ok(plan)
    }

    /// Reads a compiled plan written by `relplan compile --format json`, refusing one whose
    /// hash, groups or critical path do not match its jobs (edited by hand, or truncated).
    pub fn from_json(text: &str) -> Result<CompiledPlan, String> {
        let plan: CompiledPlan = serde_json::from_str(text).map_err(|e| {
            // serde's message ends with the position; the caller points there instead.
            let message = e.to_string();
            message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string()
        })?;
        if plan.format_version != FORMAT_VERSION {
            return Err(format!(
                "format_version {} is not supported (this relplan reads {FORMAT_VERSION}); recompile the plan",
                plan.format_version
            ));
        }
        let ids: std::collections::HashSet<&str> =
            plan.jobs.iter().map(|j| j.id.as_str()).collect();
        if ids.len() != plan.jobs.len() {
            return Err("two jobs share an id".into());
        }
        for job in &plan.jobs {
            if let Some(need) = job.needs.iter().find(|n| !ids.contains(n.as_str())) {
                return Err(format!(
                    "job `{}` needs `{need}`, which is not a job",
                    job.id
                ));
            }
            if job.needs.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!(
                    "the needs of job `{}` are not sorted and unique",
                    job.id
                ));
            }
        }
        let rebuilt = CompiledPlan::assemble(
            plan.release.clone(),
            plan.jobs.clone(),
            plan.fallback.clone(),
        )
        .map_err(|cycles| dag::describe_cycle(&cycles[0]))?;
        if rebuilt.plan_hash != plan.plan_hash {
            return Err(format!(
                "plan_hash is {} but the content hashes to {}; the file was changed after compiling",
                plan.plan_hash, rebuilt.plan_hash
            ));
        }
        if rebuilt != plan {
            return Err(
                "groups or critical_path do not follow from the jobs; recompile the plan".into(),
            );
        }
        check_bounds(&plan)?;
        Ok(plan)
    }

    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }

    /// The plan's `[fallback]` as a job a backend dispatches like any build (the same
    /// correlation ids and lookups), carrying the release version and the plan hash for a
    /// workflow that finishes the release by other means.
    pub fn fallback_job(&self) -> Option<Job> {
        let trigger = self.fallback.clone()?;
        let mut payload = Payload::new();
        payload.insert("version".into(), self.release.version.clone().into());
        payload.insert("plan_hash".into(), self.plan_hash.clone().into());
        Some(Job {
            id: FALLBACK_JOB.into(),
            kind: JobKind::Step,
            repo: trigger.repo().to_string(),
            git_ref: None,
            commit: None,
            version: Some(self.release.version.clone()),
            needs: Vec::new(),
            group: 0,
            trigger: Some(trigger),
            payload,
            timeout_s: 0,
            retries: 0,
            estimate_s: 0,
            publish: Vec::new(),
            local: None,
        })
    }

    /// SHA-256 over the canonical JSON (sorted keys, jobs sorted by id) of what changes
    /// behaviour. Groups and the critical path are left out: they follow from the jobs.
    pub fn compute_hash(&self) -> String {
        let mut jobs: Vec<&Job> = self.jobs.iter().collect();
        jobs.sort_by(|a, b| a.id.cmp(&b.id));
        let content = serde_json::json!({
            "format_version": self.format_version,
            "release": self.release,
            "jobs": jobs,
            "fallback": self.fallback,
        });
        let mut canonical = String::new();
        write_canonical(&content, &mut canonical);
        format!("{HASH_PREFIX}{}", sha256_hex(canonical.as_bytes()))
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a compiled plan serialises");
        text.push('\n');
        text
    }
}

/// The counts of `bounds`, which a compiled plan written by hand could exceed.
fn check_bounds(plan: &CompiledPlan) -> Result<(), String> {
    if plan.jobs.len() > MAX_JOBS {
        return Err(format!(
            "{} jobs; relplan runs at most {MAX_JOBS}",
            plan.jobs.len()
        ));
    }
    for job in &plan.jobs {
        let problem = if job.retries > MAX_RETRIES {
            format!("{} retries; at most {MAX_RETRIES}", job.retries)
        } else if job.timeout_s > MAX_DURATION_S || job.estimate_s > MAX_DURATION_S {
            "a timeout or estimate over 35 days".to_string()
        } else if job.publish.len() > MAX_PUBLISH_GLOBS {
            format!(
                "{} publish globs; at most {MAX_PUBLISH_GLOBS}",
                job.publish.len()
            )
        } else if let Some(problem) = job.local.as_ref().and_then(local_problem) {
            problem
        } else {
            continue;
        };
        return Err(format!("job `{}` has {problem}", job.id));
    }
    Ok(())
}

/// What is wrong with a job's `local` build, which the compiler would have refused.
fn local_problem(local: &LocalBuild) -> Option<String> {
    if local.run.trim().is_empty() || local.run.len() > MAX_LOCAL_RUN_BYTES {
        return Some(format!(
            "a `local.run` that is empty or longer than {} KiB",
            MAX_LOCAL_RUN_BYTES / 1024
        ));
    }
    if local.artifacts.len() > MAX_ARTIFACT_GLOBS {
        return Some(format!(
            "{} local.artifacts globs; at most {MAX_ARTIFACT_GLOBS}",
            local.artifacts.len()
        ));
    }
    local.artifacts.iter().find_map(|pattern| {
        artifact_glob(pattern)
            .err()
            .map(|why| format!("an artifact glob `{pattern}` that {why}"))
    })
}

/// JSON with object keys sorted at every level, whatever map type serde_json uses.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
