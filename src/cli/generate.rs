//! `relplan generate`: write the GitHub Actions workflows that follow from a plan, or check
//! that the written ones are current (exit 1 with a diff when one is missing or stale), as
//! `relplan schema --check` does for the schemas.

use std::path::{Component, Path, PathBuf};

use crate::cli::generated_files::{self, Generated};
use crate::cli::input::{PlanArgs, report, stderr_style};
use crate::cli::{Exit, output};
use crate::compile;
use crate::generate::{self, DEFAULT_ACTION, Settings, shell_word};
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: PlanArgs,
    /// Root of the repository that holds the plan; files are written under it.
    #[arg(long, default_value = ".", value_name = "DIR")]
    out: PathBuf,
    /// Check the files instead of writing them: exit 1 with a diff when one is missing or stale.
    #[arg(long)]
    check: bool,
    /// The `uses:` reference of relplan's GitHub Action in the release workflow.
    #[arg(long, default_value = DEFAULT_ACTION, value_name = "OWNER/REPO@REF", value_parser = generate::parse_action)]
    action: String,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let compilation = compile::compile_from_disk(&args.plan.request());
    report(&compilation, &args.plan, stderr_style(), "generate");
    let Some(plan) = &compilation.plan else {
        return Ok(Exit::Failure);
    };
    let settings = settings(&args, compilation.sources.names())?;
    let files = generate::files(plan, &settings)?;
    let regenerate = format!(
        "relplan generate {}{}",
        settings.plan_args.join(" "),
        settings
            .generate_args
            .iter()
            .map(|a| format!(" {a}"))
            .collect::<String>()
    );
    if args.check {
        check(&args.out, &files, &regenerate)
    } else {
        write(&args.out, &files)
    }
}

/// Where a generated file goes; named without `./` when written to the current directory.
fn target(out: &Path, file: &generate::File) -> PathBuf {
    under(out, &file.path)
}

fn under(out: &Path, relative: &str) -> PathBuf {
    if out == Path::new(".") {
        PathBuf::from(relative)
    } else {
        out.join(relative)
    }
}

/// Build workflows under `out` that a previous `generate` wrote (they carry its header)
/// and this plan no longer produces, such as those of a repository that left the plan.
fn leftovers(out: &Path, files: &[generate::File]) -> Vec<PathBuf> {
    let Ok(entries) = fs_err::read_dir(under(out, generate::BUILD_WORKFLOWS_DIR)) else {
        return Vec::new();
    };
    let generated: Vec<PathBuf> = files.iter().map(|f| target(out, f)).collect();
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml") && !generated.contains(p))
        .filter(|p| fs_err::read_to_string(p).is_ok_and(|t| t.starts_with(generate::HEADER_START)))
        .collect();
    found.sort();
    found
}

fn check(out: &Path, files: &[generate::File], regenerate: &str) -> Result<Exit, RunError> {
    let leftovers = leftovers(out, files);
    for path in &leftovers {
        eprintln!("{} is no longer generated from this plan", path.display());
    }
    let stale = leftovers.len() + generated_files::check(&generated(out, files));
    if stale > 0 {
        return Err(generated_files::stale_error(
            stale,
            "generated file",
            regenerate,
        ));
    }
    output::line("generated workflows are up to date")?;
    Ok(Exit::Success)
}

fn write(out: &Path, files: &[generate::File]) -> Result<Exit, RunError> {
    for path in leftovers(out, files) {
        fs_err::remove_file(&path)
            .map_err(|e| RunError::new(e.to_string()).with_help("delete the file by hand"))?;
        output::line(&format!("removed {}", path.display()))?;
    }
    generated_files::write(
        &generated(out, files),
        "check that --out names the root of the repository that holds the plan",
    )?;
    Ok(Exit::Success)
}

fn generated<'a>(out: &Path, files: &'a [generate::File]) -> Vec<Generated<'a>> {
    files
        .iter()
        .map(|file| Generated {
            path: target(out, file),
            contents: &file.contents,
        })
        .collect()
}

/// How the workflows name the plan: the command-line arguments given here, with paths
/// relative to the repository root (the current directory).
fn settings<'a>(args: &Args, inputs: impl Iterator<Item = &'a str>) -> Result<Settings, RunError> {
    let plan = &args.plan;
    let mut plan_args = Vec::new();
    if let Some(path) = &plan.plan {
        plan_args.push(repository_path(path)?);
    }
    if let Some(path) = &plan.versions {
        plan_args.push("--versions".into());
        plan_args.push(repository_path(path)?);
    }
    if let Some(owner) = &plan.owner {
        plan_args.extend(["--owner".into(), owner.clone()]);
    }
    if let Some(version) = &plan.release_version {
        plan_args.extend(["--release-version".into(), version.clone()]);
    }
    if plan.require_pinned {
        plan_args.push("--require-pinned".into());
    }
    let watched = inputs
        .map(|name| repository_path(Path::new(name)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut generate_args = Vec::new();
    if args.out != Path::new(".") {
        generate_args.extend([
            "--out".to_string(),
            shell_word(&args.out.display().to_string()),
        ]);
    }
    if args.action != DEFAULT_ACTION {
        generate_args.extend(["--action".to_string(), shell_word(&args.action)]);
    }
    Ok(Settings {
        plan_args,
        watched,
        action: args.action.clone(),
        relplan_version: env!("CARGO_PKG_VERSION").into(),
        generate_args,
    })
}

/// A path as the workflows see it: relative to the repository root, with `/`.
fn repository_path(path: &Path) -> Result<String, RunError> {
    let relative = match std::env::current_dir() {
        Ok(cwd) if path.is_absolute() => path.strip_prefix(&cwd).ok().map(Path::to_path_buf),
        _ if path.is_absolute() => None,
        _ => Some(path.to_path_buf()),
    };
    let inside = relative.filter(|p| {
        p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    });
    match inside {
        Some(p) => Ok(p
            .components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/")),
        None => Err(RunError::new(format!(
            "`{}` is not inside the current directory, so the workflows cannot name it",
            path.display()
        ))
        .with_help(
            "run `relplan generate` from the root of the repository that holds the plan, with relative paths",
        )),
    }
}
