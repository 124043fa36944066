//! `relplan compile`: print or write the compiled plan in one of its renderings.

use std::path::PathBuf;

use crate::atomic_file;
use crate::cli::Exit;
use crate::cli::input::{PlanArgs, compile_and_report};
use crate::cli::output;
use crate::render;
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: PlanArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Mermaid,
    Dot,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let Some(plan) = compile_and_report(&args.plan, "compile") else {
        return Ok(Exit::Failure);
    };
    let text = match args.format {
        Format::Text => render::text::render(&plan),
        Format::Json => plan.to_json(),
        Format::Mermaid => render::mermaid::render(&plan),
        Format::Dot => render::dot::render(&plan),
    };
    match &args.output {
        None => output::print(&text)?,
        Some(path) => atomic_file::write(path, text.as_bytes()).map_err(|e| {
            RunError::new(e.to_string())
                .with_help("check that the directory exists and is writable")
        })?,
    }
    Ok(Exit::Success)
}
