//! `relplan preflight`: the read-only checks of [`crate::preflight`] on a plan, printed as
//! text, JSON or GitHub annotations; exit 0 when all hold, 1 otherwise. Also the part
//! `apply` runs before a new run on GitHub.

use crate::cli::github_client::{GitHubArgs, config, with_github};
use crate::cli::input::{PlanArgs, compile_and_report};
use crate::cli::{Exit, output};
use crate::compiled::CompiledPlan;
use crate::exec::reporter::Reporter;
use crate::github::{ApiUrl, Credentials};
use crate::preflight::finding::{Check, Report};
use crate::preflight::{self, render};
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: PlanArgs,
    #[command(flatten)]
    github: GitHubArgs,
    /// `text` for people, `json` for programs, `github` for workflow annotations.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Github,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let Some(plan) = compile_and_report(&args.plan, "preflight") else {
        return Ok(Exit::Failure);
    };
    let report = match args.github.credentials()? {
        Some(credentials) => preflight_on_github(&plan, &args.github.api_url()?, credentials)?,
        // Missing credentials are one of the findings.
        None => preflight::without_token(&plan),
    };
    match args.format {
        Format::Text => output::line(&render::text(&report))?,
        Format::Json => output::print(&render::json(&report))?,
        Format::Github => output::print(&render::github(&report))?,
    }
    if !report.passed() {
        return Err(
            RunError::new(format!("the preflight failed: {}", render::counts(&report)))
                .with_help("fix what it found, then run `relplan preflight` again"),
        );
    }
    if let Format::Text = args.format {
        output::line(&format!("preflight passed: {}", render::counts(&report)))?;
    }
    Ok(Exit::Success)
}

fn preflight_on_github(
    plan: &CompiledPlan,
    api_url: &ApiUrl,
    credentials: Credentials,
) -> Result<Report, RunError> {
    with_github(config(plan, api_url, credentials), async |github| {
        preflight::preflight(github, plan).await
    })
}

/// For `apply --backend github` before a new run: the findings, if any, on stderr, and a
/// refusal (exit 4) when the preflight failed; nothing has been dispatched or written then.
pub(super) fn before_apply(
    plan: &CompiledPlan,
    api_url: &ApiUrl,
    credentials: Credentials,
) -> Result<(), RunError> {
    let report = preflight_on_github(plan, api_url, credentials)?;
    if report.findings.is_empty() {
        return Ok(());
    }
    // GitHub could not be reached: not a miswired plan but a start to run again, resumable
    // like any interrupted run (exit 130), said in one error.
    if let Some(unreachable) = report
        .findings
        .iter()
        .find(|f| f.check == Check::GitHubUnreachable)
    {
        let next = "run the same `relplan apply` again (nothing was started or written)";
        return Err(RunError::new(unreachable.message.clone())
            .with_help(RunError::then(Some(&unreachable.help), next))
            .with_exit(Exit::Interrupted));
    }
    // Before the progress display starts: plain lines; in CI a report that passed is
    // folded (one that failed stays open, it is what the reader needs).
    let reporter = Reporter::stderr();
    if report.passed() {
        let group = reporter.group("relplan: preflight");
        reporter.line(&render::text(&report));
        drop(group);
        reporter.line(&format!("preflight passed: {}", render::counts(&report)));
        return Ok(());
    }
    reporter.line(&render::text(&report));
    Err(RunError::new(format!(
        "the preflight failed ({}); nothing was dispatched",
        render::counts(&report)
    ))
    .with_help("fix what it found and check with `relplan preflight PLAN`, or pass `--no-preflight` to skip it")
    .with_exit(Exit::Refused))
}
