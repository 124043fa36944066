//! `.github/workflows/relplan-fallback.yml`: the plan as a plain Actions workflow that
//! needs no relplan, for when relplan cannot run. One job per plan job, `needs:` mirroring
//! the DAG; each dispatches its repository's workflow with the very body relplan sends
//! (built by the GitHub layer, so the two cannot differ), finds the run by the correlation
//! id in its run-name, and waits for it with `gh run watch`, retrying as the plan says. The
//! release job downloads the artifacts of the publishing jobs' runs, selects files by the
//! publish globs, writes SHA256SUMS and publishes the release with `gh`.
//!
//! Correlation ids follow relplan's format ([`crate::correlation`]) with an attempt of
//! their own, `relplan-<12 hex of the plan hash>-<job>-fallback-<run id>.<run attempt>.<try>`:
//! they end in `.<digits>`, relplan's in `-<digits>` (or `-fallback`), so a run started
//! here is never taken for one of relplan's attempts, nor the other way round.
//!
//! The workflow accepts `workflow_dispatch` with `version`, `plan_hash` and
//! `relplan_correlation_id`, so the plan's `[fallback]` may name it; it refuses a
//! `plan_hash` other than the one it was generated from.

use serde_json::{Value, json};

use crate::compiled::{CompiledPlan, Job, JobKind, Trigger};
use crate::correlation;
use crate::generate::job_ids::JobIds;
use crate::generate::yaml::{self, Map, Node};
use crate::generate::{
    FALLBACK_WORKFLOW, File, RUNNER, Settings, TOKEN_SECRET, header, shell_word,
};
use crate::github::dispatch::{self, Attempt, CORRELATION_INPUT};
use crate::run_error::RunError;

/// The workflow's own job that checks the requested plan hash.
const CHECK_JOB: &str = "check-plan";
/// GitHub-hosted runners stop a job after six hours.
const MAX_JOB_MINUTES: u64 = 360;
/// Finding a dispatched run takes up to 10 minutes, plus the wait between tries.
const SLACK_MINUTES: u64 = 12;

/// Dispatch, discovery by run-name and watching, the same for every job; the job's values
/// come in through the environment.
const DISPATCH_AND_WAIT: &str = r#"set -euo pipefail
for attempt in $(seq 1 "$ATTEMPTS"); do
  id="$ID_PREFIX-fallback-$GITHUB_RUN_ID.$GITHUB_RUN_ATTEMPT.$attempt"
  since="$(date -u -d '-2 minutes' +%Y-%m-%dT%H:%M:%SZ)"
  jq --arg id "$id" "$ID_PATH = \$id" <<<"$BODY" | gh api --method POST "$DISPATCH" --input - >/dev/null
  echo "dispatched to $REPO with correlation id $id"
  # The run carries the correlation id as a word of its own in its run-name.
  runs=""
  for _ in $(seq 1 60); do
    runs="$(gh run list --repo "$REPO" --event "$EVENT" --created ">=$since" --limit 100 --json databaseId,displayTitle \
      | jq -r --arg id "$id" '.[] | select(any(.displayTitle | scan("[A-Za-z0-9_./#-]+"); . == $id)) | .databaseId')"
    if [ -n "$runs" ]; then break; fi
    sleep 10
  done
  if [ -z "$runs" ]; then
    echo "::error::no run in $REPO has $id in its run-name after 10 minutes; its workflow must put the correlation id in run-name"
    exit 1
  fi
  ok=true
  for run in $runs; do
    echo "watching $(gh run view "$run" --repo "$REPO" --json url --jq .url)"
    status=0
    timeout "$TIMEOUT_S" gh run watch "$run" --repo "$REPO" --exit-status --interval 30 >/dev/null || status=$?
    if [ "$status" = 124 ]; then
      echo "::warning::run $run ran past the job's timeout; cancelling it"
      gh run cancel "$run" --repo "$REPO" || true
    fi
    if [ "$status" != 0 ]; then ok=false; fi
  done
  if [ "$ok" = true ]; then
    echo "run_ids=${runs//$'\n'/ }" >> "$GITHUB_OUTPUT"
    exit 0
  fi
  if [ "$attempt" -lt "$ATTEMPTS" ]; then
    echo "::warning::attempt $attempt of $ATTEMPTS failed; trying again in 30 s"
    sleep 30
  fi
done
echo "::error::failed after $ATTEMPTS attempt(s)"
exit 1
"#;

/// Collects the files a job publishes from its runs' artifacts.
const COLLECT: &str = r#"set -euo pipefail
export LC_ALL=C
shopt -s nullglob
mkdir -p artifacts assets sources
# collect JOB REPO "RUN IDS" GLOB...: every file of the runs' artifacts that a publish glob
# selects, by the artifact's name or the file's own, becomes the asset named by the file.
collect() {
  local job="$1" repo="$2" runs="$3"
  shift 3
  local run artifact_dir artifact file name glob selected
  for run in $runs; do
    if [ "$(gh api "repos/$repo/actions/runs/$run/artifacts" --jq .total_count)" = 0 ]; then
      continue
    fi
    gh run download "$run" --repo "$repo" --dir "artifacts/$run"
    for artifact_dir in "artifacts/$run"/*/; do
      artifact="$(basename "$artifact_dir")"
      while IFS= read -r -d '' file; do
        name="$(basename "$file")"
        selected=false
        for glob in "$@"; do
          # shellcheck disable=SC2254
          case "$artifact" in $glob) selected=true ;; esac
          # shellcheck disable=SC2254
          case "$name" in $glob) selected=true ;; esac
        done
        if [ "$selected" != true ]; then continue; fi
        if [ "$name" = SHA256SUMS ] || [ -e "assets/$name" ]; then
          echo "::error::two files would be the release asset $name: $(cat "sources/$name" 2>/dev/null || echo "the checksum file") and $job (run $run, artifact $artifact)"
          exit 1
        fi
        cp "$file" "assets/$name"
        echo "$job (run $run, artifact $artifact)" > "sources/$name"
      done < <(find "$artifact_dir" -type f -print0)
    done
  done
}
"#;

/// SHA256SUMS and the release transaction: a draft, the missing assets, then publish.
const PUBLISH: &str = r#"files=(assets/*)
if [ "${#files[@]}" -gt 0 ]; then
  (cd assets && sha256sum -- *) > SHA256SUMS
else
  : > SHA256SUMS
fi
if ! gh release view "$TAG" --repo "$REPO" >/dev/null 2>&1; then
  create=(--draft --title "$TITLE" --notes "")
  if [ -n "$TARGET" ]; then create+=(--target "$TARGET"); fi
  gh release create "$TAG" --repo "$REPO" "${create[@]}"
fi
existing="$(gh release view "$TAG" --repo "$REPO" --json assets --jq '.assets[].name')"
for file in assets/* SHA256SUMS; do
  name="$(basename "$file")"
  if grep -qxF -- "$name" <<<"$existing"; then
    echo "kept $name: already uploaded"
  else
    gh release upload "$TAG" "$file" --repo "$REPO"
  fi
done
gh release edit "$TAG" --repo "$REPO" --draft=false --prerelease="$PRERELEASE"
echo "published $(gh release view "$TAG" --repo "$REPO" --json url --jq .url)"
"#;

pub fn generate(plan: &CompiledPlan, settings: &Settings) -> Result<File, RunError> {
    let ids = JobIds::new(plan.jobs.iter().map(|j| j.id.as_str()), &[CHECK_JOB]);
    let purpose = format!(
        "The plan of {} as a plain GitHub Actions workflow that needs no relplan: one job per\n\
         plan job, each dispatching its repository's workflow and waiting for its run, then the\n\
         release. Start it by hand, or name it in the plan's [fallback]. Needs the secret\n\
         {TOKEN_SECRET} (a token that may dispatch workflows and read runs in the build\n\
         repositories, and write releases).",
        plan.release.name
    );
    let mut jobs = Map::new().map(CHECK_JOB, check_job());
    for job in &plan.jobs {
        let body = match job.kind {
            JobKind::Release => release_job(plan, job, &ids),
            JobKind::Build | JobKind::Step => dispatch_job(plan, job, &ids)?,
        };
        jobs = jobs.blank().map(ids.get(&job.id), body);
    }
    let concurrency_group = format!(
        "relplan-fallback-{}",
        settings.watched.first().map_or("plan", String::as_str)
    );
    let doc = Map::new()
        .str("name", format!("relplan fallback: {}", plan.release.name))
        .str(
            "run-name",
            format!("relplan fallback ${{{{ inputs.{CORRELATION_INPUT} }}}}"),
        )
        .blank()
        .map(
            "on",
            Map::new().map("workflow_dispatch", Map::new().map("inputs", inputs(plan))),
        )
        .blank()
        .comment(&format!(
            "The workflow's own token only reads this repository; `gh` acts with {TOKEN_SECRET}."
        ))
        .map("permissions", Map::new().str("contents", "read"))
        .blank()
        .map(
            "concurrency",
            Map::new()
                .str("group", concurrency_group)
                .raw("cancel-in-progress", false),
        )
        .blank()
        .map(
            "env",
            Map::new()
                .str("GH_TOKEN", format!("${{{{ secrets.{TOKEN_SECRET} }}}}"))
                .str("PLAN_HASH", &plan.plan_hash),
        )
        .blank()
        .map("jobs", jobs);
    Ok(File {
        path: FALLBACK_WORKFLOW.into(),
        contents: header(plan, settings, &purpose) + &yaml::document(&doc),
    })
}

/// `version`, `plan_hash` and the correlation id (what relplan sends a `[fallback]`), plus
/// the inputs of the plan's `[fallback]` when it names this workflow.
fn inputs(plan: &CompiledPlan) -> Map {
    let input = |description: &str| {
        Map::new()
            .str("description", description)
            .raw("required", false)
            .str("type", "string")
    };
    let mut inputs = Map::new()
        .map("version", input("The release version (sent by relplan)."))
        .map(
            "plan_hash",
            input("The plan hash; refused unless it is the one this workflow was generated from."),
        );
    if let Some(Trigger::WorkflowDispatch {
        workflow,
        inputs: extra,
        ..
    }) = &plan.fallback
        && FALLBACK_WORKFLOW.ends_with(&format!("/{workflow}"))
    {
        for key in extra.keys() {
            if !matches!(key.as_str(), "version" | "plan_hash" | CORRELATION_INPUT) {
                inputs = inputs.map(key, input("An input of the plan's [fallback]."));
            }
        }
    }
    inputs.map(
        CORRELATION_INPUT,
        input("Sent by relplan: the correlation id it finds this run by."),
    )
}

fn check_job() -> Map {
    let script = "if [ -n \"$REQUESTED\" ] && [ \"$REQUESTED\" != \"$PLAN_HASH\" ]; then\n  \
        echo \"::error::this workflow was generated from plan $PLAN_HASH, not $REQUESTED; run \\`relplan generate\\` and commit the result\"\n  \
        exit 1\nfi\necho \"plan $PLAN_HASH\"\n";
    Map::new()
        .str("name", "Check the plan hash")
        .str("runs-on", RUNNER)
        .list(
            "steps",
            vec![Node::Map(
                Map::new()
                    .str("name", "Refuse another plan")
                    .map(
                        "env",
                        Map::new().str("REQUESTED", "${{ inputs.plan_hash }}"),
                    )
                    .script("run", script),
            )],
        )
}

fn needs(job: &Job, ids: &JobIds) -> Node {
    if job.needs.is_empty() {
        return yaml::strings([CHECK_JOB]);
    }
    yaml::strings(job.needs.iter().map(|n| ids.get(n)))
}

fn dispatch_job(plan: &CompiledPlan, job: &Job, ids: &JobIds) -> Result<Map, RunError> {
    let Some(trigger) = &job.trigger else {
        return Err(RunError::new(format!("job `{}` has no trigger", job.id))
            .with_help("compile the plan again with `relplan compile`"));
    };
    let attempt = Attempt {
        job,
        correlation_id: "",
        plan_hash: &plan.plan_hash,
        release_version: &plan.release.version,
    };
    let problem = RunError::from;
    let (event, path, body, id_path) = match trigger {
        Trigger::RepositoryDispatch { repo, event_type } => (
            "repository_dispatch",
            format!("repos/{repo}/dispatches"),
            json!({
                "event_type": event_type,
                "client_payload": dispatch::client_payload(&attempt).map_err(problem)?,
            }),
            ".client_payload.relplan.correlation_id".to_string(),
        ),
        Trigger::WorkflowDispatch {
            repo,
            workflow,
            git_ref,
            inputs,
        } => (
            "workflow_dispatch",
            format!("repos/{repo}/actions/workflows/{workflow}/dispatches"),
            json!({
                "ref": git_ref,
                "inputs": dispatch::workflow_inputs(&attempt, inputs).map_err(problem)?,
            }),
            format!(".inputs.{CORRELATION_INPUT}"),
        ),
    };
    let attempts = u64::from(job.retries) + 1;
    let minutes = attempts * (job.timeout_s.div_ceil(60) + SLACK_MINUTES);
    let env = Map::new()
        .str("REPO", trigger.repo())
        .str("EVENT", event)
        .str("DISPATCH", path)
        .str("BODY", Value::to_string(&body))
        .str("ID_PATH", id_path)
        .str(
            "ID_PREFIX",
            format!("{}{}", correlation::prefix(&plan.plan_hash), job.id),
        )
        .str("ATTEMPTS", attempts.to_string())
        .str("TIMEOUT_S", job.timeout_s.to_string());
    Ok(Map::new()
        .str("name", &job.id)
        .set("needs", needs(job, ids))
        .str("runs-on", RUNNER)
        .raw("timeout-minutes", minutes.min(MAX_JOB_MINUTES))
        .map(
            "outputs",
            Map::new().str("run_ids", "${{ steps.run.outputs.run_ids }}"),
        )
        .list(
            "steps",
            vec![Node::Map(
                Map::new()
                    .str("name", format!("Dispatch {} and wait for its run", job.id))
                    .str("id", "run")
                    .map("env", env)
                    .script("run", DISPATCH_AND_WAIT),
            )],
        ))
}

fn release_job(plan: &CompiledPlan, job: &Job, ids: &JobIds) -> Map {
    let release = &plan.release;
    let mut env = Map::new()
        .str("REPO", release.repo.as_deref().unwrap_or(&job.repo))
        .str("TAG", &release.tag)
        .str("TITLE", &release.name)
        .str("TARGET", release.commit.as_deref().unwrap_or_default())
        .str("PRERELEASE", release.prerelease.to_string());
    let mut script = String::from(COLLECT);
    for (i, need) in job.needs.iter().enumerate() {
        let Some(source) = plan.job(need) else {
            continue;
        };
        let var = format!("RUNS_{}", i + 1);
        env = env.str(
            var.as_str(),
            format!("${{{{ needs.{}.outputs.run_ids }}}}", ids.get(need)),
        );
        let repo = source
            .trigger
            .as_ref()
            .map_or(source.repo.as_str(), Trigger::repo);
        let mut line = format!(
            "collect {} {} \"${var}\"",
            shell_word(&source.id),
            shell_word(repo)
        );
        for glob in &source.publish {
            line.push(' ');
            line.push_str(&format!("'{}'", glob.replace('\'', r"'\''")));
        }
        script.push_str(&line);
        script.push('\n');
    }
    script.push_str(PUBLISH);
    Map::new()
        .str("name", &job.id)
        .set("needs", needs(job, ids))
        .str("runs-on", RUNNER)
        .raw(
            "timeout-minutes",
            job.timeout_s.div_ceil(60).min(MAX_JOB_MINUTES),
        )
        .list(
            "steps",
            vec![Node::Map(
                Map::new()
                    .str("name", format!("Publish {} {}", release.name, release.tag))
                    .map("env", env)
                    .script("run", script),
            )],
        )
}
