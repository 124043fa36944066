//! `relplan preflight`: the read-only checks of [`crate::preflight`] on a plan, printed as
//! text, JSON or GitHub annotations; exit 0 when all hold, 1 otherwise. Also the part
//! `apply` runs before a new run on GitHub.

use crate::cli::github_client::{api_url, with_github};
use crate::cli::input::{PlanArgs, compile_and_report};
use crate::cli::{Exit, print_error};
use crate::compiled::CompiledPlan;
use crate::github::{ApiUrl, GitHubError, Token};
use crate::preflight::finding::Report;
use crate::preflight::{self, render};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: PlanArgs,
    /// The REST API root (default: GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
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

pub fn run(args: Args) -> Exit {
    let Some(plan) = compile_and_report(&args.plan) else {
        return Exit::Failure;
    };
    let report = match check(&plan, &api_url(args.api_url.as_deref())) {
        Ok(report) => report,
        Err(exit) => return exit,
    };
    match args.format {
        Format::Text => {
            print!("{}", render::text(&report));
            println!();
            if report.passed() {
                println!("preflight passed: {}", render::counts(&report));
            } else {
                println!("error: the preflight failed: {}", render::counts(&report));
                println!("help: fix what it found, then run `relplan preflight` again");
            }
        }
        Format::Json => print!("{}", render::json(&report)),
        Format::Github => print!("{}", render::github(&report)),
    }
    if report.passed() {
        Exit::Success
    } else {
        Exit::Failure
    }
}

/// The preflight of `plan` against `api_url` with the environment's token (a missing token
/// is one of its findings).
fn check(plan: &CompiledPlan, api_url: &ApiUrl) -> Result<Report, Exit> {
    let Some(token) = Token::from_env() else {
        return Ok(preflight::without_token(plan));
    };
    preflight_on_github(plan, api_url, token).map_err(|e| {
        print_error(&e.to_string(), Some(&e.hint()));
        Exit::Failure
    })
}

fn preflight_on_github(
    plan: &CompiledPlan,
    api_url: &ApiUrl,
    token: Token,
) -> Result<Report, GitHubError> {
    with_github(api_url, token, async |github| {
        preflight::preflight(github, plan).await
    })
}

/// For `apply --backend github` before a new run: `None` when the preflight passed
/// (warnings and notes are shown), else the exit code after the report was shown on
/// stderr: nothing has been dispatched or written.
pub(super) fn before_apply(plan: &CompiledPlan, api_url: &ApiUrl, token: Token) -> Option<Exit> {
    let report = match preflight_on_github(plan, api_url, token) {
        Ok(report) => report,
        Err(e) => {
            print_error(&e.to_string(), Some(&e.hint()));
            return Some(Exit::Failure);
        }
    };
    if report.findings.is_empty() {
        return None;
    }
    eprint!("{}", render::text(&report));
    eprintln!();
    if report.passed() {
        eprintln!("preflight passed: {}", render::counts(&report));
        return None;
    }
    print_error(
        &format!(
            "the preflight failed ({}); nothing was dispatched",
            render::counts(&report)
        ),
        Some(
            "fix what it found and check with `relplan preflight PLAN`, or pass `--no-preflight` to skip it",
        ),
    );
    Some(Exit::Refused)
}
