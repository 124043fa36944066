//! The command line: argument definitions and dispatch. Each command lives in its own file
//! and only glues library calls together; no compiler or executor logic lives here. A
//! command returns its exit code, or the [`RunError`] that stopped it, which [`run`] prints
//! (the one place run-time errors are printed; exit codes are [`Exit`]).

mod apply;
mod cancel;
mod check;
mod compare;
mod compile;
mod completions;
mod diff;
mod drive;
mod generate;
mod generated_files;
mod github_client;
mod input;
mod man;
mod output;
mod pause;
mod pin;
mod preflight;
mod release_place;
mod releases;
mod resume;
mod retry;
mod schema;
mod simulate;
mod state_dir;
mod status;
mod step_summary;
mod supervise;
mod verify;

use clap::{Parser, Subcommand};

use crate::github::Token;
use crate::github::app::register_key;
use crate::github::credentials::APP_KEY_VARIABLE;
pub use crate::run_error::Exit;
use crate::run_error::RunError;

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
    /// Dry-run a plan on a virtual clock: timeline, makespan, failures, skips.
    Simulate(simulate::Args),
    /// Check on GitHub, reading only, that the repositories a plan touches are wired for it.
    Preflight(preflight::Args),
    /// Fill each manifest entry's empty `git_commit` with the commit its `git_tag` points at.
    Pin(pin::Args),
    /// Run a plan against a backend, journaled in a state directory (default `.relplan/`).
    Apply(apply::Args),
    /// Show where the run in a state directory stands.
    Status(status::Args),
    /// Start nothing new; running jobs finish, then the executor stops.
    Pause(pause::Args),
    /// Continue a paused, interrupted or crashed run from its state directory.
    Resume(resume::Args),
    /// Continue a run from the jobs that failed, were blocked or were cancelled.
    Retry(retry::Args),
    /// Cancel a run: its running attempts, and everything that has not started.
    Cancel(cancel::Args),
    /// Check a published release: SHA256SUMS, every asset's bytes, GitHub's digests, the plan.
    Verify(verify::Args),
    /// Show what differs between two releases: assets, SHA256SUMS, tag, prerelease, commit.
    Compare(compare::Args),
    /// Write, or check, the GitHub Actions workflows that follow from a plan.
    Generate(generate::Args),
    /// Print the shell completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(completions::Args),
    /// Print the manual page (roff), or write one page per command.
    Man(man::Args),
}

/// Parses the arguments, runs the command and returns the process exit code.
pub fn run() -> i32 {
    // Making the token registers it as a secret, so that whatever any command prints has
    // it masked, whether or not that command talks to GitHub; so is an App's key.
    let _registered = Token::from_env();
    if let Ok(pem) = std::env::var(APP_KEY_VARIABLE) {
        register_key(&pem);
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let result = match supervise::run_if_asked(&args) {
        Some(result) => result,
        None => run_command(parse(args)),
    };
    let exit = result.unwrap_or_else(|error| {
        report(&error);
        error.exit
    });
    exit as i32
}

/// The command line, parsed. A usage error echoes what was given, which may hold a
/// secret (a token pasted into `--api-url`): it is printed masked, as everything else.
fn parse(args: Vec<std::ffi::OsString>) -> Cli {
    match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let plain = error.render().to_string();
            let masked = crate::secrets::redact(&plain);
            if masked == plain {
                error.exit()
            }
            eprint!("{masked}");
            std::process::exit(error.exit_code())
        }
    }
}

fn run_command(cli: Cli) -> Result<Exit, RunError> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Preflight(args) => preflight::run(args),
        Command::Pin(args) => pin::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Status(args) => status::run(args),
        Command::Pause(args) => pause::run(args),
        Command::Resume(args) => resume::run(args),
        Command::Retry(args) => retry::run(args),
        Command::Cancel(args) => cancel::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}

/// Prints a run-time error on stderr in the one style (`error: …` then `help: …`); only
/// `diff`, which reports both invalid sides, and `pin`, which reports every entry it
/// cannot pin, call it besides [`run`].
pub(crate) fn report(error: &RunError) {
    eprint!("{}", error.render());
}
