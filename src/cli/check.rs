//! `relplan check`: validate, print diagnostics, exit 0 or 1.

use crate::cli::Exit;
use crate::cli::input::{BackendName, PlanArgs, report, stderr_style};
use crate::cli::output;
use crate::compile;
use crate::compile::duration::format_seconds;
use crate::diagnostic::Style;
use crate::numbers::count;
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: PlanArgs,
    /// How to print diagnostics: for people, or as GitHub Actions annotations.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
    /// Also check what this backend needs of the plan (`local`: a `local.run` for every
    /// build and step).
    #[arg(long, value_enum, value_name = "BACKEND")]
    backend: Option<BackendName>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum CheckFormat {
    Human,
    Github,
}

pub fn run(mut args: Args) -> Result<Exit, RunError> {
    args.plan.require_local = args.backend == Some(BackendName::Local);
    let compilation = compile::compile_from_disk(&args.plan.request());
    let style = match args.format {
        CheckFormat::Human => stderr_style(),
        CheckFormat::Github => Style::Github,
    };
    report(&compilation, &args.plan, style, "check");
    match &compilation.plan {
        Some(plan) => {
            output::line(&format!(
                "ok: {} in {}, critical path {} ({})",
                count(plan.jobs.len(), "job"),
                count(plan.groups.len(), "group"),
                format_seconds(plan.critical_path.estimate_s),
                plan.plan_hash
            ))?;
            Ok(Exit::Success)
        }
        None => Ok(Exit::Failure),
    }
}
