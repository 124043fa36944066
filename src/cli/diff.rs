//! `relplan diff`: compile two plans, or a plan and its state at a git revision, and show what
//! will happen differently. Exit codes: 0 after a diff, 3 with `--exit-code` when the plans
//! differ, 1 when a side is invalid (its diagnostics are printed, naming the side).

use std::path::{Path, PathBuf};

use crate::cli::input::{DIAGNOSTIC_WIDTH, colour, stderr_style};
use crate::cli::{Exit, output, report};
use crate::compile::Compilation;
use crate::compile::Options;
use crate::compiled::CompiledPlan;
use crate::diagnostic;
use crate::diff::side::{self, Kind, Shared};
use crate::diff::{self as plan_diff, git};
use crate::numbers::count;
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
#[command(
    override_usage = "relplan diff [OPTIONS] OLD NEW\n       relplan diff [OPTIONS] PLAN --against GIT_REV",
    after_help = "Each side is one of:
  a plan TOML      has a [release] table; --versions and --owner override it
  a compiled plan  *.json, written by `relplan compile --format json`
  a manifest       versions.toml (no [release]), under the default plan; needs --owner

Examples:
  relplan diff plans/release.toml --against origin/main --format markdown
  relplan diff versions.toml --against HEAD~1 --owner BTCDecoded --exit-code
  relplan diff plan.json plans/release.toml --format json

Exit codes: 0 diff shown; 3 with --exit-code when the plans differ; 1 invalid input; 2 usage error."
)]
pub struct Args {
    /// The old side; with --against, the PLAN in the working tree.
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The new side.
    #[arg(value_name = "NEW", required_unless_present = "against")]
    new: Option<PathBuf>,
    /// Compare PLAN (and every file it reads) with the same paths at this git revision.
    #[arg(long, value_name = "GIT_REV", conflicts_with = "new")]
    against: Option<String>,
    /// Manifest for plan sides on both sides (overrides each plan's `release.versions`).
    #[arg(long, value_name = "FILE")]
    versions: Option<PathBuf>,
    /// GitHub owner on both sides (overrides `release.owner`; needed for manifest sides).
    #[arg(long, value_name = "OWNER")]
    owner: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 3 when the plans differ and 0 when they are the same.
    #[arg(long)]
    exit_code: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    /// For terminals; coloured unless NO_COLOR is set or stdout is not a terminal.
    Text,
    /// For a pull-request comment or $GITHUB_STEP_SUMMARY; at most 65,536 characters.
    Markdown,
    /// For other tools; see docs/plan-review.md.
    Json,
}

/// One compiled side and how to name it in messages.
struct Side {
    /// `old` or `new`.
    label: &'static str,
    /// The path, and the revision it was read at.
    name: String,
    /// What to do when the side is invalid.
    help: String,
    kind: Kind,
    compilation: Compilation,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let shared = Shared {
        versions: args.versions.clone(),
        options: Options {
            owner: args.owner.clone(),
            ..Options::default()
        },
    };
    let mut from_disk = |path: &Path| fs_err::read_to_string(path);
    let (old, new) = match (&args.new, &args.against) {
        (Some(new), _) => (
            compile_side("old", &args.old, None, &shared, &mut from_disk),
            compile_side("new", new, None, &shared, &mut from_disk),
        ),
        (None, Some(rev)) => {
            let revision = git::Revision::open(rev, &args.old)?;
            (
                compile_side("old", &args.old, Some(rev), &shared, &mut |path: &Path| {
                    revision.read(path)
                }),
                compile_side("new", &args.old, None, &shared, &mut from_disk),
            )
        }
        (None, None) => {
            return Err(RunError::new("nothing to compare with")
                .with_help("pass OLD and NEW, or PLAN --against GIT_REV")
                .with_exit(Exit::Usage));
        }
    };
    let manifest_side = [&old, &new].into_iter().find(|s| s.kind == Kind::Manifest);
    if let (Some(_), Some(manifest)) = (&args.versions, manifest_side) {
        return Err(RunError::new(format!(
            "--versions overrides a plan's manifest, but {} is a manifest itself",
            manifest.name
        ))
        .with_help("leave out --versions, or pass plan files")
        .with_exit(Exit::Usage));
    }
    if let (None, Some(manifest)) = (&args.owner, manifest_side) {
        return Err(RunError::new(format!(
            "{} is a manifest, compiled under the default plan, which needs a GitHub owner",
            manifest.name
        ))
        .with_help("pass `--owner OWNER`, the GitHub user or organisation of the repositories")
        .with_exit(Exit::Usage));
    }
    let (old, new) = (plan_or_report(old), plan_or_report(new));
    let (Some(old), Some(new)) = (old, new) else {
        return Ok(Exit::Failure);
    };
    let diff = plan_diff::diff(&old, &new);
    let text = match args.format {
        Format::Text => plan_diff::text::render(&diff, colour(&std::io::stdout())),
        Format::Markdown => plan_diff::markdown::render(&diff),
        Format::Json => plan_diff::json::render(&diff),
    };
    output::print(&text)?;
    Ok(match args.exit_code && diff.is_changed() {
        true => Exit::Changed,
        false => Exit::Success,
    })
}

fn compile_side(
    label: &'static str,
    path: &Path,
    rev: Option<&str>,
    shared: &Shared,
    read: &mut crate::compile::ReadFile<'_>,
) -> Side {
    let (kind, compilation) = side::compile(path, shared, read);
    let (name, help) = match rev {
        Some(rev) => (
            format!("`{}` at `{rev}`", path.display()),
            format!(
                "this side is read from git at `{rev}`; pass another GIT_REV, or compare two files with `relplan diff OLD NEW`"
            ),
        ),
        None => (
            format!("`{}`", path.display()),
            format!("fix the {label} side and run `relplan diff` again"),
        ),
    };
    Side {
        label,
        name,
        help,
        kind,
        compilation,
    }
}

/// The side's plan; or its diagnostics on stderr (repeated warnings grouped, as every
/// command shows them), under a line naming the side.
fn plan_or_report(side: Side) -> Option<CompiledPlan> {
    let c = side.compilation;
    if c.plan.is_some() {
        return c.plan;
    }
    let diagnostics = c.diagnostics.grouped();
    eprint!(
        "{}",
        diagnostic::render(&diagnostics, &c.sources, stderr_style(), DIAGNOSTIC_WIDTH)
    );
    let problems = count(c.diagnostics.error_count().max(1), "problem");
    report(
        &RunError::new(format!(
            "the {} side, {}, is invalid ({problems})",
            side.label, side.name
        ))
        .with_help(side.help),
    );
    None
}
