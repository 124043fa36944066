//! The command line: argument definitions and dispatch. Each command lives in its own file
//! and only glues library calls together; no compiler or executor logic lives here.

mod check;
mod compile;
mod diff;
mod input;
mod schema;

use clap::{Parser, Subcommand};

/// Documented exit codes (README "Exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// Invalid input, or a release that did not complete.
    Failure = 1,
    /// Usage error (clap's own code).
    Usage = 2,
    /// `diff --exit-code` found changes.
    Changed = 3,
    /// `apply` refused: hash mismatch, journal locked, journal of another plan.
    Refused = 4,
    /// Interrupted; the journal is consistent and the run resumable.
    Interrupted = 130,
}

#[derive(Debug, Parser)]
#[command(
    name = "relplan",
    version,
    about = "Compile, review and run multi-repository release plans"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a plan and its manifest; exit 1 when invalid.
    Check(check::Args),
    /// Compile a plan into its execution DAG and print or write it.
    Compile(compile::Args),
    /// Show what changes between two plans, or between a plan and a git revision of it.
    Diff(diff::Args),
    /// Write, or check, the JSON Schemas in schema/.
    Schema(schema::Args),
}

/// Parses the arguments, runs the command and returns the process exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Schema(args) => schema::run(args),
    };
    exit as i32
}

/// Prints an error in the one style of every command: `error: what` then `help: next step`
/// (the word miette uses under diagnostics).
pub fn print_error(what: &str, hint: Option<&str>) {
    eprintln!("error: {what}");
    if let Some(hint) = hint {
        eprintln!("help: {hint}");
    }
}
