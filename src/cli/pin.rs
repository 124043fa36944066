//! `relplan pin`: fill the empty `git_commit`s of the manifest from the tags on GitHub.
//! Without `--write` it prints what it would change (a unified diff of the manifest); with
//! it, it writes the manifest in place, atomically. A pinned commit that disagrees with its
//! tag, a missing tag or an unreadable one stops it before anything is written (exit 1).

use std::path::PathBuf;

use crate::atomic_file;
use crate::cli::github_client::{api_url, with_github};
use crate::cli::input::{report, stderr_style};
use crate::cli::{Exit, print_error};
use crate::compile::{self, Options, Request};
use crate::github::{GitHubError, Token};
use crate::pin::{self, manifest_edit};

#[derive(Debug, clap::Args)]
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

pub fn run(args: Args) -> Exit {
    let compilation = compile::compile_from_disk(&Request {
        plan: args.plan.clone(),
        versions: args.versions.clone(),
        options: Options {
            owner: args.owner.clone(),
            release_version: args.release_version.clone(),
            require_pinned: false,
        },
    });
    // Warnings about unpinned entries are what this command fixes: shown only with errors.
    let (Some(plan), Some(manifest)) = (&compilation.plan, &compilation.manifest) else {
        report(&compilation, stderr_style());
        if compilation.plan.is_some() {
            print_error(
                "a compiled plan names no manifest to pin",
                Some("pass the plan TOML, or --versions FILE"),
            );
        }
        return Exit::Failure;
    };
    let shown = manifest.display().to_string();
    let text = match fs_err::read_to_string(manifest) {
        Ok(text) => text,
        Err(e) => {
            print_error(&e.to_string(), Some("check the path of the manifest"));
            return Exit::Failure;
        }
    };
    let entries = match manifest_edit::entries(&text) {
        Ok(entries) => entries,
        Err(why) => {
            print_error(&format!("`{shown}` is {why}"), Some("run `relplan check`"));
            return Exit::Failure;
        }
    };
    let Some(token) = Token::from_env() else {
        let e = GitHubError::NoToken;
        print_error(&e.to_string(), Some(&e.hint()));
        return Exit::Failure;
    };
    let targets = pin::targets(plan, &entries);
    let outcomes = match with_github(&api_url(args.api_url.as_deref()), token, async |github| {
        pin::resolve(github, targets).await
    }) {
        Ok(outcomes) => outcomes,
        Err(e) => {
            print_error(&e.to_string(), Some(&e.hint()));
            return Exit::Failure;
        }
    };
    let problems: Vec<(String, String)> =
        outcomes.iter().filter_map(pin::Outcome::problem).collect();
    for (what, help) in &problems {
        print_error(what, Some(help));
    }
    if !problems.is_empty() {
        eprintln!("nothing was written to `{shown}`");
        return Exit::Failure;
    }
    let fills = pin::fills(&outcomes);
    if fills.is_empty() {
        println!("every entry of `{shown}` is pinned to its tag's commit already");
        return Exit::Success;
    }
    let pinned = match manifest_edit::fill(&text, &fills) {
        Ok(pinned) => pinned,
        Err(why) => {
            print_error(&format!("`{shown}`: {why}"), Some("run `relplan check`"));
            return Exit::Failure;
        }
    };
    for outcome in &outcomes {
        if let pin::Pin::Fill { commit } = &outcome.pin {
            let tag = outcome.target.tag.as_deref().unwrap_or_default();
            println!("{}: {tag} is {commit}", outcome.target.entry);
        }
    }
    if !args.write {
        let diff = similar::TextDiff::from_lines(&text, &pinned);
        print!("{}", diff.unified_diff().header(&shown, &shown));
        println!("nothing written; run again with --write to pin these commits");
        return Exit::Success;
    }
    if let Err(e) = atomic_file::write(manifest, pinned.as_bytes()) {
        print_error(
            &e.to_string(),
            Some("check the directory's permissions; the manifest was not changed"),
        );
        return Exit::Failure;
    }
    println!(
        "pinned {} in `{shown}`; review the change and commit it, then `relplan check --require-pinned` passes",
        crate::render::count(fills.len(), "commit")
    );
    Exit::Success
}
