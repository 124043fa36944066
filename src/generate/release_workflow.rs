//! `.github/workflows/relplan-release.yml`, for the repository that holds the plan, shaped
//! like a Terraform plan/apply pipeline:
//! - `plan` compiles the plan, writes it (text and Mermaid) with its hash into the step
//!   summary and exposes the hash as an output;
//! - `apply` runs in the `release` Environment, so it waits until a reviewer, having read
//!   the plan job's summary, approves; it compiles again and applies with
//!   `--expect-hash` set to the hash the plan job showed, so a plan that changed in between
//!   is refused; the state directory is kept between re-runs in the Actions cache; `apply`
//!   itself appends the run's report (every job with its run's link, the release's link, the
//!   next command) to the step summary, however it ends.
//!
//! It runs on a push to the default branch that changes the plan or its manifest, and on
//! `workflow_dispatch`; one concurrency group per plan keeps a second executor waiting and
//! never cancels one midway.

use crate::compiled::CompiledPlan;
use crate::generate::yaml::{self, Map, Node};
use crate::generate::{
    APP_ID_VARIABLE, APP_KEY_SECRET, CHECKOUT, ENVIRONMENT, File, RELEASE_WORKFLOW, RUNNER,
    STATE_DIR, Settings, TOKEN_SECRET, header, shell_word,
};
use crate::github::credentials::{APP_ID_VARIABLE as APP_ID_ENV, APP_KEY_VARIABLE as APP_KEY_ENV};

/// GitHub-hosted runners stop a job after six hours; a longer release is continued by
/// re-running the workflow.
const APPLY_TIMEOUT_MINUTES: u32 = 360;

pub fn generate(plan: &CompiledPlan, settings: &Settings) -> File {
    let plan_args: Vec<String> = settings.plan_args.iter().map(|a| shell_word(a)).collect();
    let plan_args = plan_args.join(" ");
    let purpose = format!(
        "The release workflow of {}: the `plan` job shows the plan and its hash in its summary;\n\
         the `apply` job waits in the `{ENVIRONMENT}` environment until a reviewer approves, then\n\
         applies exactly that plan. Needs the secret {TOKEN_SECRET} (a token that may dispatch\n\
         workflows and read their runs in every build repository, and write releases in the\n\
         release repository), or the variable {APP_ID_VARIABLE} and secret {APP_KEY_SECRET} of a\n\
         GitHub App installed there, whose tokens relplan renews for as long as the release\n\
         runs: the workflow's own GITHUB_TOKEN cannot dispatch workflows in other repositories.",
        plan.release.name
    );
    let on = Map::new()
        .map(
            "push",
            Map::new().set("paths", yaml::strings(&settings.watched)),
        )
        .map("workflow_dispatch", Map::new());
    let concurrency_group = format!(
        "relplan-release-{}",
        settings.watched.first().map_or("plan", String::as_str)
    );
    let doc = Map::new()
        .str("name", format!("relplan release: {}", plan.release.name))
        .blank()
        .comment("A push to the default branch that changes the plan or its manifest plans a release;\nso does starting the workflow by hand.")
        .map("on", on)
        .blank()
        .comment("The workflow's own token only reads this repository; the release is made with the\ntoken of the apply job.")
        .map("permissions", Map::new().str("contents", "read"))
        .blank()
        .comment("One executor per plan at a time; a second run waits, and none is cancelled midway.")
        .map(
            "concurrency",
            Map::new()
                .str("group", concurrency_group)
                .raw("cancel-in-progress", false),
        )
        .blank()
        .map(
            "jobs",
            Map::new()
                .map("plan", plan_job(settings, &plan_args))
                .blank()
                .map("apply", apply_job(settings, &plan_args)),
        );
    File {
        path: RELEASE_WORKFLOW.into(),
        contents: header(plan, settings, &purpose) + &yaml::document(&doc),
    }
}

fn install_step(settings: &Settings) -> Node {
    Node::Map(
        Map::new()
            .str("name", "Install relplan")
            .str("uses", &settings.action),
    )
}

fn checkout_step() -> Node {
    Node::Map(
        Map::new()
            .str("name", "Check out the plan")
            .str("uses", CHECKOUT),
    )
}

fn plan_job(settings: &Settings, plan_args: &str) -> Map {
    let script = format!(
        r###"relplan check {plan_args} --format github
relplan compile {plan_args} --format json --output plan.json
hash="$(jq -r .plan_hash plan.json)"
echo "plan_hash=$hash" >> "$GITHUB_OUTPUT"
{{
  echo "## Release plan \`$hash\`"
  echo
  echo "Approving the \`{ENVIRONMENT}\` environment applies exactly this plan; a plan with another hash is refused."
  echo
  echo '```text'
  relplan compile {plan_args}
  echo '```'
  echo
  echo '```mermaid'
  relplan compile {plan_args} --format mermaid
  echo '```'
}} >> "$GITHUB_STEP_SUMMARY"
"###
    );
    Map::new()
        .str("name", "Plan")
        .comment("Releases are made from the default branch only.")
        .str(
            "if",
            "github.ref_name == github.event.repository.default_branch",
        )
        .str("runs-on", RUNNER)
        .map(
            "outputs",
            Map::new().str("plan_hash", "${{ steps.compile.outputs.plan_hash }}"),
        )
        .list(
            "steps",
            vec![
                checkout_step(),
                install_step(settings),
                Node::Map(
                    Map::new()
                        .str("name", "Compile the plan and show it")
                        .str("id", "compile")
                        .script("run", script),
                ),
            ],
        )
}

fn apply_job(settings: &Settings, plan_args: &str) -> Map {
    let state_key = "relplan-state-${{ needs.plan.outputs.plan_hash }}";
    let apply = format!(
        "relplan apply {plan_args} --backend github --expect-hash \"$APPROVED_HASH\" --state-dir {STATE_DIR}\n"
    );
    let restore = Map::new()
        .str("name", "Restore the state directory")
        .comment(&format!(
            "A re-run of this workflow continues the run journaled in {STATE_DIR}/ (a new key per\n\
             attempt, restored by prefix). Losing it is harmless: apply adopts what already ran\n\
             from GitHub by correlation id instead of dispatching it again."
        ))
        .str("uses", "actions/cache/restore@v4")
        .map(
            "with",
            Map::new()
                .str("path", STATE_DIR)
                .str(
                    "key",
                    format!("{state_key}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"),
                )
                .str("restore-keys", format!("{state_key}-")),
        );
    let run = Map::new()
        .str("name", "Apply the approved plan")
        .comment(
            "Compiles again and refuses (exit 4) a plan whose hash is not the one approved. However\n\
             it ends, apply appends the run's report to the step summary: every job with the link\n\
             to its run, the release's link, and the next command.",
        )
        .map(
            "env",
            Map::new()
                .comment(&format!(
                    "A GitHub App when {APP_ID_VARIABLE} is set: relplan mints its installation tokens and\n\
                     renews them for as long as the release runs (a token minted in an earlier step\n\
                     would expire after an hour). Else the token in {TOKEN_SECRET}."
                ))
                .str(APP_ID_ENV, format!("${{{{ vars.{APP_ID_VARIABLE} }}}}"))
                .str(APP_KEY_ENV, format!("${{{{ secrets.{APP_KEY_SECRET} }}}}"))
                .str("GITHUB_TOKEN", format!("${{{{ secrets.{TOKEN_SECRET} }}}}"))
                .str("APPROVED_HASH", "${{ needs.plan.outputs.plan_hash }}"),
        )
        .script("run", apply);
    let save = Map::new()
        .str("name", "Keep the state directory")
        .str("if", "always()")
        .str("uses", "actions/cache/save@v4")
        .map(
            "with",
            Map::new().str("path", STATE_DIR).str(
                "key",
                format!("{state_key}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"),
            ),
        );
    Map::new()
        .str("name", "Apply")
        .str("needs", "plan")
        .str("runs-on", RUNNER)
        .comment(&format!(
            "Reviewers of the `{ENVIRONMENT}` environment approve here, after reading the plan job's summary."
        ))
        .str("environment", ENVIRONMENT)
        .comment("GitHub-hosted runners stop a job after 6 hours: re-run the workflow to continue.")
        .raw("timeout-minutes", APPLY_TIMEOUT_MINUTES)
        .list(
            "steps",
            vec![
                checkout_step(),
                install_step(settings),
                Node::Map(restore),
                Node::Map(run),
                Node::Map(save),
            ],
        )
}
