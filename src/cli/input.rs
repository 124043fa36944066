//! Arguments shared by every command that reads a plan, and how their diagnostics are shown.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::compile::Options;
use crate::compile::{self, Compilation, Request};
use crate::compiled::CompiledPlan;
use crate::diagnostic::{self, Style};
use crate::numbers::count;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["plan", "versions"])))]
pub struct PlanArgs {
    /// Plan TOML or compiled plan JSON; leave out to use the default plan over --versions.
    pub plan: Option<PathBuf>,
    /// The versions.toml manifest (overrides the plan's `release.versions`).
    #[arg(long, value_name = "FILE")]
    pub versions: Option<PathBuf>,
    /// GitHub owner of the repositories (overrides the plan's `release.owner`).
    #[arg(long, value_name = "OWNER")]
    pub owner: Option<String>,
    /// Release version (overrides the plan's `version` and `version_from`).
    #[arg(long, value_name = "VERSION")]
    pub release_version: Option<String>,
    /// Treat manifest entries without a pinned git_commit as errors.
    #[arg(long)]
    pub require_pinned: bool,
    /// Show each warning and error; by default one repeated for several entries (an
    /// unpinned git_commit, a git_tag unlike its version) is shown once.
    #[arg(long)]
    pub all_warnings: bool,
    /// Set by the command, not on the command line: the plan is for `--backend local`.
    #[arg(skip)]
    pub require_local: bool,
}

impl PlanArgs {
    pub fn request(&self) -> Request {
        Request {
            plan: self.plan.clone(),
            versions: self.versions.clone(),
            options: Options {
                owner: self.owner.clone(),
                release_version: self.release_version.clone(),
                require_pinned: self.require_pinned,
                require_local: self.require_local,
            },
        }
    }
}

/// The backends `apply` runs a plan against, and `check --backend` checks it for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendName {
    /// A simulated world in scaled real time.
    Sim,
    /// GitHub Actions.
    #[value(name = "github")]
    GitHub,
    /// This machine: each build in a worktree of a clone under `--workspace`.
    Local,
}

/// The style for diagnostics on stderr: colour only on a terminal without NO_COLOR.
pub fn stderr_style() -> Style {
    if colour(&std::io::stderr()) {
        Style::Color
    } else {
        Style::Plain
    }
}

/// Whether to colour what goes to `stream`: only a terminal, and only without NO_COLOR
/// (https://no-color.org).
pub fn colour(stream: &impl IsTerminal) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    stream.is_terminal() && !no_color
}

/// Width of rendered diagnostics; fixed so output does not depend on the terminal.
pub const DIAGNOSTIC_WIDTH: usize = 100;

/// Prints the diagnostics of a compilation on stderr (repeated warnings grouped unless
/// `--all-warnings`), then a one-line summary of errors naming the command to run again.
pub fn report(compilation: &Compilation, args: &PlanArgs, style: Style, command: &str) {
    let grouped;
    let diagnostics = if args.all_warnings {
        &compilation.diagnostics
    } else {
        grouped = compilation.diagnostics.grouped();
        &grouped
    };
    let text = diagnostic::render(diagnostics, &compilation.sources, style, DIAGNOSTIC_WIDTH);
    eprint!("{text}");
    let errors = compilation.diagnostics.error_count();
    if errors > 0 && style != Style::Github {
        let them = if errors == 1 { "it" } else { "them" };
        let problems = count(errors, "problem");
        eprintln!("error: {problems} found; fix {them} and run `relplan {command}` again");
    }
}

/// Compiles and reports for `command`; the plan when there were no errors.
pub fn compile_and_report(args: &PlanArgs, command: &str) -> Option<CompiledPlan> {
    let compilation = compile::compile_from_disk(&args.request());
    report(&compilation, args, stderr_style(), command);
    compilation.plan
}
