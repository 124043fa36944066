//! `relplan pin`: fill the empty `git_commit`s of the manifest from the tags on GitHub.
//! Without `--write` it prints what it would change (a unified diff of the manifest); with
//! it, it writes the manifest in place, atomically. A pinned commit that disagrees with its
//! tag, a missing tag or an unreadable one stops it before anything is written (exit 1).

use std::path::PathBuf;

use crate::atomic_file;
use crate::cli::github_client::{api_url, with_github};
use crate::cli::input::{PlanArgs, report, stderr_style};
use crate::cli::{Exit, output};
use crate::compile;
use crate::github::{GitHubError, Token};
use crate::numbers::count;
use crate::pin::{self, manifest_edit};
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["plan", "versions"])))]
pub struct Args {
    /// Plan TOML; leave out to use the default plan over --versions.
    plan: Option<PathBuf>,
    /// The versions.toml manifest (overrides the plan's `release.versions`).
    #[arg(long, value_name = "FILE")]
    versions: Option<PathBuf>,
    /// GitHub owner of the repositories (overrides the plan's `release.owner`).
    #[arg(long, value_name = "OWNER")]
    owner: Option<String>,
    /// Release version (overrides the plan's `version` and `version_from`).
    #[arg(long, value_name = "VERSION")]
    release_version: Option<String>,
    /// The REST API root (default: GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Write the commits into the manifest instead of showing them.
    #[arg(long)]
    write: bool,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    // The plan as `check` reads it, except that unpinned entries are what this fixes.
    let plan_args = PlanArgs {
        plan: args.plan.clone(),
        versions: args.versions.clone(),
        owner: args.owner.clone(),
        release_version: args.release_version.clone(),
        require_pinned: false,
        all_warnings: false,
        require_local: false,
    };
    let compilation = compile::compile_from_disk(&plan_args.request());
    // Warnings about unpinned entries are what this command fixes: shown only with errors.
    let (Some(plan), Some(manifest)) = (&compilation.plan, &compilation.manifest) else {
        report(&compilation, &plan_args, stderr_style(), "pin");
        if compilation.plan.is_some() {
            return Err(RunError::new("a compiled plan names no manifest to pin")
                .with_help("pass the plan TOML, or --versions FILE"));
        }
        return Ok(Exit::Failure);
    };
    let shown = manifest.display().to_string();
    let text = fs_err::read_to_string(manifest)
        .map_err(|e| RunError::new(e.to_string()).with_help("check the path of the manifest"))?;
    let entries = manifest_edit::entries(&text).map_err(|why| {
        RunError::new(format!("`{shown}` is {why}")).with_help("run `relplan check`")
    })?;
    // Pinning only reads tags: the token needs less than apply's.
    let token = Token::from_env().ok_or_else(|| {
        RunError::new(GitHubError::NoToken.to_string()).with_help(
            "export GITHUB_TOKEN (or GH_TOKEN) with a token that may read the repositories' contents (their tags)",
        )
    })?;
    let targets = pin::targets(plan, &entries);
    let outcomes = with_github(&api_url(args.api_url.as_deref()), token, async |github| {
        pin::resolve(github, targets).await
    })?;
    let problems: Vec<(String, String)> =
        outcomes.iter().filter_map(pin::Outcome::problem).collect();
    if !problems.is_empty() {
        for (what, help) in problems {
            super::report(&RunError::new(what).with_help(help));
        }
        return Err(RunError::new(format!("nothing was written to `{shown}`"))
            .with_help("fix the problems above, then run `relplan pin` again"));
    }
    let fills = pin::fills(&outcomes);
    if fills.is_empty() {
        output::line(&format!(
            "every entry of `{shown}` is pinned to its tag's commit already"
        ))?;
        return Ok(Exit::Success);
    }
    let pinned = manifest_edit::fill(&text, &fills).map_err(|why| {
        RunError::new(format!("`{shown}`: {why}")).with_help("run `relplan check`")
    })?;
    for outcome in &outcomes {
        if let pin::Pin::Fill { commit } = &outcome.pin {
            let tag = outcome.target.tag.as_deref().unwrap_or_default();
            output::line(&format!("{}: {tag} is {commit}", outcome.target.entry))?;
        }
    }
    if !args.write {
        let diff = similar::TextDiff::from_lines(&text, &pinned);
        output::print(&diff.unified_diff().header(&shown, &shown).to_string())?;
        output::line("nothing written; run again with --write to pin these commits")?;
        return Ok(Exit::Success);
    }
    atomic_file::write(manifest, pinned.as_bytes()).map_err(|e| {
        RunError::new(e.to_string())
            .with_help("check the directory's permissions; the manifest was not changed")
    })?;
    output::line(&format!(
        "pinned {} in `{shown}`; review the change and commit it, then `relplan check --require-pinned` passes",
        count(fills.len(), "commit")
    ))?;
    Ok(Exit::Success)
}
