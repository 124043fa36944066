//! `relplan verify RELEASE [--plan PLAN]`: the checks of [`crate::verify`] on a published
//! release (on GitHub, or a directory), printed as text or JSON; exit 0 when all hold, 1
//! otherwise.

use std::path::PathBuf;

use crate::cli::input::{PlanArgs, compile_and_report};
use crate::cli::releases;
use crate::cli::{Exit, output};
use crate::run_error::RunError;
use crate::verify::{self, render};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "RELEASE is a directory of assets (a local release such as \
`.relplan/sim-release/v1.0.0`, or downloaded assets) or a GitHub release `owner/repo@tag` \
(token from GITHUB_TOKEN, else GH_TOKEN).

Exit codes: 0 every check holds; 1 a check failed or the release cannot be read; 2 usage error."
)]
pub struct Args {
    /// A directory of assets, or `owner/repo@tag` on GitHub.
    #[arg(value_name = "RELEASE")]
    release: String,
    /// Check against this plan (TOML or compiled JSON): tag, prerelease flag, commit and
    /// the assets its `publish` globs call for.
    #[arg(long, value_name = "PLAN")]
    plan: Option<PathBuf>,
    /// The REST API root (default: GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let plan = match &args.plan {
        None => None,
        Some(path) => {
            let plan_args = PlanArgs {
                plan: Some(path.clone()),
                versions: None,
                owner: None,
                release_version: None,
                require_pinned: false,
                all_warnings: false,
                require_local: false,
            };
            match compile_and_report(&plan_args, "verify") {
                Some(plan) => Some(plan),
                None => return Ok(Exit::Failure),
            }
        }
    };
    let side = releases::read(&[args.release.as_str()], args.api_url.as_deref())?
        .into_iter()
        .next()
        .ok_or_else(|| {
            RunError::new("no release was read").with_help("report this as a relplan bug")
        })?;
    let report = verify::verify(side, plan.as_ref());
    let text = match args.format {
        Format::Text => render::text(&report),
        Format::Json => render::json(&report),
    };
    output::print(&text)?;
    if !report.passed() {
        return Err(RunError::new(format!(
            "the verification of `{}` failed: {}",
            report.release,
            render::counts(&report)
        ))
        .with_help("fix what it found, then run `relplan verify` again"));
    }
    if let Format::Text = args.format {
        output::line(&format!("\nverify passed: {}", render::counts(&report)))?;
    }
    Ok(Exit::Success)
}
