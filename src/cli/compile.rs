//! `relplan compile`: print or write the compiled plan in one of its renderings.

use std::path::PathBuf;

use crate::atomic_file;
use crate::cli::input::{PlanArgs, compile_and_report};
use crate::cli::{Exit, print_error};
use crate::render;

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

pub fn run(args: Args) -> Exit {
    let Some(plan) = compile_and_report(&args.plan, "compile") else {
        return Exit::Failure;
    };
    let text = match args.format {
        Format::Text => render::text::render(&plan),
        Format::Json => plan.to_json(),
        Format::Mermaid => render::mermaid::render(&plan),
        Format::Dot => render::dot::render(&plan),
    };
    match &args.output {
        None => {
            print!("{text}");
            Exit::Success
        }
        Some(path) => match atomic_file::write(path, text.as_bytes()) {
            Ok(()) => Exit::Success,
            Err(e) => {
                print_error(
                    &e.to_string(),
                    Some("check that the directory exists and is writable"),
                );
                Exit::Failure
            }
        },
    }
}
