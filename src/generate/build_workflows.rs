//! `relplan/build-workflows/<repository>.yml`: the receiving side of the protocol
//! (docs/build-workflow-protocol.md), one workflow per build repository, to copy into that
//! repository's `.github/workflows/`. Each has the trigger the plan sends, the `run-name`
//! carrying the correlation id, a checkout of what relplan asks for, a marked place for the
//! build, and an `actions/upload-artifact@v4` step per publish glob whose artifact name the
//! glob selects.
//!
//! A repository receives one workflow per trigger kind: all its `repository_dispatch` event
//! types in one, and one per `workflow_dispatch` workflow file (the plan names that file, so
//! it must be installed under that name). When a repository needs several, the files are
//! `<repository>.<workflow>.yml`. Two repositories of one name under different owners are
//! told apart as `<owner>-<repository>`.
//!
//! Nothing of one release (version, tag, commit, hash) is in the workflow itself, so it does
//! not change from one release to the next; only the header names the plan it came from.

use std::collections::{BTreeMap, BTreeSet};

use crate::compiled::{CompiledPlan, Job, Trigger};
use crate::generate::job_ids::JobIds;
use crate::generate::yaml::{self, Map, Node};
use crate::generate::{
    BUILD_WORKFLOWS_DIR, CHECKOUT, File, RUNNER, Settings, UPLOAD_ARTIFACT, expression_string,
    header,
};
use crate::github::dispatch::CORRELATION_INPUT;

/// Where a plan job's trigger arrives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Receiver {
    RepositoryDispatch,
    WorkflowDispatch(String),
}

/// One receiving workflow: its repository, trigger kind, and the plan jobs it serves.
struct Receiving<'a> {
    repo: String,
    receiver: Receiver,
    jobs: Vec<&'a Job>,
}

pub fn generate(plan: &CompiledPlan, settings: &Settings) -> Vec<File> {
    let mut receiving: BTreeMap<(String, Receiver), Vec<&Job>> = BTreeMap::new();
    for job in &plan.jobs {
        let Some(trigger) = &job.trigger else {
            continue;
        };
        let receiver = match trigger {
            Trigger::RepositoryDispatch { .. } => Receiver::RepositoryDispatch,
            Trigger::WorkflowDispatch { workflow, .. } => {
                Receiver::WorkflowDispatch(workflow.clone())
            }
        };
        receiving
            .entry((trigger.repo().to_string(), receiver))
            .or_default()
            .push(job);
    }
    let receiving: Vec<Receiving<'_>> = receiving
        .into_iter()
        .map(|((repo, receiver), jobs)| Receiving {
            repo,
            receiver,
            jobs,
        })
        .collect();
    let names = file_names(&receiving);
    receiving
        .iter()
        .zip(names)
        .map(|(r, name)| File {
            path: format!("{BUILD_WORKFLOWS_DIR}/{name}"),
            contents: workflow(plan, settings, r),
        })
        .collect()
}

/// `<repository>.yml`, or `<repository>.<workflow>.yml` for repositories that receive
/// several workflows; `<owner>-<repository>` when two owners have a repository of that name.
fn file_names(receiving: &[Receiving<'_>]) -> Vec<String> {
    let name_of = |repo: &str| repo.rsplit('/').next().unwrap_or(repo).to_string();
    let mut owners_of: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let mut per_repo: BTreeMap<&str, usize> = BTreeMap::new();
    for r in receiving {
        owners_of
            .entry(name_of(&r.repo))
            .or_default()
            .insert(&r.repo);
        *per_repo.entry(&r.repo).or_default() += 1;
    }
    receiving
        .iter()
        .map(|r| {
            let name = name_of(&r.repo);
            let base = if owners_of[&name].len() > 1 {
                sanitize_file(&r.repo.replace('/', "-"))
            } else {
                sanitize_file(&name)
            };
            if per_repo[r.repo.as_str()] == 1 {
                return format!("{base}.yml");
            }
            let suffix = match &r.receiver {
                Receiver::RepositoryDispatch => "repository-dispatch".to_string(),
                Receiver::WorkflowDispatch(w) => sanitize_file(workflow_stem(w)),
            };
            format!("{base}.{suffix}.yml")
        })
        .collect()
}

fn workflow_stem(workflow: &str) -> &str {
    workflow
        .strip_suffix(".yml")
        .or_else(|| workflow.strip_suffix(".yaml"))
        .unwrap_or(workflow)
}

fn sanitize_file(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn workflow(plan: &CompiledPlan, settings: &Settings, r: &Receiving<'_>) -> String {
    let job_list: Vec<String> = r.jobs.iter().map(|j| format!("`{}`", j.id)).collect();
    let install = match &r.receiver {
        Receiver::RepositoryDispatch => format!(
            "Install as `.github/workflows/relplan-build.yml` (any name works) in {}.",
            r.repo
        ),
        Receiver::WorkflowDispatch(w) if w.chars().all(|c| c.is_ascii_digit()) => format!(
            "Install in {} as the workflow with id {w}, which the plan dispatches.",
            r.repo
        ),
        Receiver::WorkflowDispatch(w) => format!(
            "Install as `.github/workflows/{w}` in {}: the plan dispatches that file.",
            r.repo
        ),
    };
    let purpose = format!(
        "The build workflow relplan (and relplan-fallback.yml) starts in {} for {}.\n\
         {install}\n\
         Fill in the marked build step; keep the trigger, the run-name and the upload steps.",
        r.repo,
        job_list.join(", ")
    );
    let (on, run_name, jobs) = match &r.receiver {
        Receiver::RepositoryDispatch => repository_dispatch(r),
        Receiver::WorkflowDispatch(_) => workflow_dispatch(r),
    };
    let doc = Map::new()
        .str("name", "relplan build")
        .comment("relplan finds this run by the correlation id in its run-name: keep it there, as a word\nof its own.")
        .str("run-name", run_name)
        .blank()
        .map("on", on)
        .blank()
        .map("permissions", Map::new().str("contents", "read"))
        .blank()
        .map("jobs", jobs);
    header(plan, settings, &purpose) + &yaml::document(&doc)
}

fn repository_dispatch(r: &Receiving<'_>) -> (Map, String, Map) {
    let types: BTreeSet<&str> = r
        .jobs
        .iter()
        .filter_map(|j| match &j.trigger {
            Some(Trigger::RepositoryDispatch { event_type, .. }) => Some(event_type.as_str()),
            _ => None,
        })
        .collect();
    let on = Map::new().map(
        "repository_dispatch",
        Map::new().set("types", yaml::strings(types)),
    );
    let run_name =
        "relplan ${{ github.event.action }} ${{ github.event.client_payload.relplan.correlation_id }}"
            .to_string();
    let payload = "github.event.client_payload.relplan";
    let ids = JobIds::new(r.jobs.iter().map(|j| j.id.as_str()), &[]);
    let mut jobs = Map::new();
    for (i, job) in r.jobs.iter().enumerate() {
        let env = Map::new()
            .str("RELPLAN_JOB", format!("${{{{ {payload}.job }}}}"))
            .str("RELPLAN_VERSION", format!("${{{{ {payload}.version }}}}"))
            .str("RELPLAN_REF", format!("${{{{ {payload}.ref }}}}"))
            .str("RELPLAN_COMMIT", format!("${{{{ {payload}.commit }}}}"))
            .str(
                "RELPLAN_CORRELATION_ID",
                format!("${{{{ {payload}.correlation_id }}}}"),
            );
        let checkout = Map::new()
            .str("name", "Check out the commit (else the ref) relplan sends")
            .str("uses", CHECKOUT)
            .map(
                "with",
                Map::new().str(
                    "ref",
                    format!("${{{{ {payload}.commit || {payload}.ref }}}}"),
                ),
            );
        let mut steps = vec![Node::Map(checkout), build_step(job)];
        steps.extend(upload_steps(job));
        let body = Map::new()
            .str("name", &job.id)
            .comment(&format!(
                "relplan sends one event per plan job; this job answers `{}`.",
                job.id
            ))
            .str(
                "if",
                format!("{payload}.job == {}", expression_string(&job.id)),
            )
            .str("runs-on", RUNNER)
            .map("env", env)
            .list("steps", steps);
        if i > 0 {
            jobs = jobs.blank();
        }
        jobs = jobs.map(ids.get(&job.id), body);
    }
    (on, run_name, jobs)
}

fn workflow_dispatch(r: &Receiving<'_>) -> (Map, String, Map) {
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for job in &r.jobs {
        if let Some(Trigger::WorkflowDispatch { inputs, .. }) = &job.trigger {
            keys.extend(inputs.keys().map(String::as_str));
        }
        keys.extend(job.payload.keys().map(String::as_str));
    }
    let mut inputs = Map::new();
    for key in keys {
        inputs = inputs.map(
            key,
            Map::new()
                .str(
                    "description",
                    "Sent by relplan (the plan's inputs and payload).",
                )
                .raw("required", false)
                .str("type", "string"),
        );
    }
    inputs = inputs.map(
        CORRELATION_INPUT,
        Map::new()
            .str(
                "description",
                "Sent by relplan: the correlation id it finds this run by.",
            )
            .raw("required", false)
            .str("type", "string"),
    );
    let on = Map::new().map("workflow_dispatch", Map::new().map("inputs", inputs));
    let run_name = format!("relplan ${{{{ inputs.{CORRELATION_INPUT} }}}}");
    let checkout = Map::new()
        .str("name", "Check out the ref relplan dispatched on")
        .str("uses", CHECKOUT);
    let mut steps = vec![Node::Map(checkout)];
    for job in &r.jobs {
        steps.push(build_step(job));
        steps.extend(upload_steps(job));
    }
    let served: Vec<&str> = r.jobs.iter().map(|j| j.id.as_str()).collect();
    let mut body = Map::new().str("name", served.join(", "));
    if served.len() > 1 {
        body = body.comment(
            "Several plan jobs dispatch this workflow; RELPLAN_CORRELATION_ID names the job it was\ndispatched for.",
        );
    }
    let body = body
        .str("runs-on", RUNNER)
        .map(
            "env",
            Map::new().str(
                "RELPLAN_CORRELATION_ID",
                format!("${{{{ inputs.{CORRELATION_INPUT} }}}}"),
            ),
        )
        .list("steps", steps);
    (on, run_name, Map::new().map("build", body))
}

/// The marked place for the build: a step that fails until it is filled in, so a template
/// never publishes an empty release.
fn build_step(job: &Job) -> Node {
    let mut script = format!("# ==== Build `{}` here ====\n", job.id);
    match job.trigger {
        Some(Trigger::RepositoryDispatch { .. }) => script.push_str(
            "# relplan sends RELPLAN_JOB, RELPLAN_VERSION, RELPLAN_REF (the tag) and RELPLAN_COMMIT\n\
             # (empty when the manifest does not pin one); the commit (else the ref) is checked out.\n",
        ),
        _ => script.push_str(
            "# relplan dispatched this workflow on the job's ref, with the plan's inputs\n\
             # (the `inputs` context) and RELPLAN_CORRELATION_ID.\n",
        ),
    }
    if job.publish.is_empty() {
        script.push_str("# Nothing of this job is published into the release.\n");
    } else {
        for glob in &job.publish {
            let name = artifact_name(job, glob);
            script.push_str(&format!(
                "# Put what `{glob}` publishes in dist/{name}/: each file becomes a release asset\n# named by its file name.\n"
            ));
        }
    }
    script.push_str(&format!(
        "echo \"::error::the build of {} is not written yet: fill in this step\"\nexit 1\n",
        job.id.replace(['"', '$', '`', '\\'], "-")
    ));
    Node::Map(
        Map::new()
            .str("name", format!("Build {} (fill in)", job.id))
            .script("run", script),
    )
}

fn upload_steps(job: &Job) -> Vec<Node> {
    job.publish
        .iter()
        .map(|glob| {
            let name = artifact_name(job, glob);
            Node::Map(
                Map::new()
                    .str("name", format!("Upload {name}"))
                    .comment(&format!(
                        "The artifact name matches the plan's publish glob `{glob}`."
                    ))
                    .str("uses", UPLOAD_ARTIFACT)
                    .map(
                        "with",
                        Map::new()
                            .str("name", &name)
                            .str("path", format!("dist/{name}/"))
                            .str("if-no-files-found", "error"),
                    ),
            )
        })
        .collect()
}

/// An artifact name the glob selects: each `*` becomes the job's id (`/` as `-`), each `?`
/// an `x`.
pub fn artifact_name(job: &Job, glob: &str) -> String {
    let word = job.id.replace('/', "-");
    let mut name = String::new();
    for c in glob.chars() {
        match c {
            '*' => name.push_str(&word),
            '?' => name.push('x'),
            c => name.push(c),
        }
    }
    name
}
