//! `relplan simulate`: dry-run a plan on a virtual clock and print what would happen.

use std::path::{Path, PathBuf};

use crate::cli::input::{DIAGNOSTIC_WIDTH, PlanArgs, compile_and_report, stderr_style};
use crate::cli::{Exit, output};
use crate::compiled::CompiledPlan;
use crate::diagnostic::{self, Diagnostics};
use crate::numbers::count;
use crate::run_error::RunError;
use crate::scenario::{self, Scenario};
use crate::simulate::{render, simulate};
use crate::source::Sources;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: PlanArgs,
    /// How the simulated world behaves (durations, outcomes per attempt, seed).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// At most N jobs at once (default: unlimited).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: Option<u32>,
    /// Stop everything at the first job that fails for good.
    #[arg(long)]
    fail_fast: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Mermaid,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let Some(plan) = compile_and_report(&args.plan, "simulate") else {
        return Ok(Exit::Failure);
    };
    let scenario = load_scenario(args.scenario.as_deref(), &plan)?;
    let sim = simulate(
        plan,
        scenario,
        args.concurrency.map(|c| c as usize),
        args.fail_fast,
    );
    let text = match args.format {
        Format::Text => render::text(&sim),
        Format::Json => render::json(&sim),
        Format::Mermaid => render::mermaid(&sim),
    };
    output::print(&text)?;
    Ok(match sim.machine.succeeded() {
        true => Exit::Success,
        false => Exit::Failure,
    })
}

/// Reads the scenario file (every job succeeds after its estimate without one); its
/// diagnostics are printed, and an error says how many there were.
pub(super) fn load_scenario(
    path: Option<&Path>,
    plan: &CompiledPlan,
) -> Result<Scenario, RunError> {
    let Some(path) = path else {
        return Ok(Scenario::default());
    };
    let text = fs_err::read_to_string(path).map_err(|e| {
        RunError::new(e.to_string()).with_help("check the path given to --scenario")
    })?;
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let scenario = scenario::read(
        &path.display().to_string(),
        &text,
        plan,
        &mut sources,
        &mut diags,
    );
    eprint!(
        "{}",
        diagnostic::render(&diags, &sources, stderr_style(), DIAGNOSTIC_WIDTH)
    );
    if diags.has_errors() {
        return Err(RunError::new(format!(
            "{} in the scenario `{}`",
            count(diags.error_count(), "problem"),
            path.display()
        ))
        .with_help("fix them and run the command again"));
    }
    Ok(scenario)
}
