//! Helpers of the GitHub tests over the fake GitHub: the attempt every protocol test
//! dispatches, a dispatch followed by finding its runs, repositories with a tagged build,
//! the check that a release happened exactly once, and the binary run as a user runs it
//! against the fake.

use std::path::Path;
use std::process::{Command, Output};

use relplan::compiled::Job;
use relplan::github::GitHub;
use relplan::github::dispatch::Attempt;

use crate::common::command;
use crate::fake_github::{FakeGitHub, Release, SECRET, Script, TagTarget};

/// Attempt `correlation_id` of `job`, for plan `sha256:abc` of release 0.1.0.
pub fn attempt<'a>(job: &'a Job, correlation_id: &'a str) -> Attempt<'a> {
    Attempt {
        job,
        correlation_id,
        plan_hash: "sha256:abc",
        release_version: "0.1.0",
    }
}

/// Dispatches `job` (a `repository_dispatch` build of `job.repo`) and returns the ids of
/// the runs its correlation id names.
pub async fn dispatch_and_find(
    github: &GitHub,
    fake: &FakeGitHub,
    job: &Job,
    correlation_id: &str,
) -> Vec<u64> {
    github
        .dispatch(&attempt(job, correlation_id))
        .await
        .expect("dispatched");
    let runs = github
        .find_runs(
            &job.repo,
            "repository_dispatch",
            correlation_id,
            fake.epoch(),
        )
        .await
        .expect("found");
    runs.iter().map(|r| r.id).collect()
}

/// `repo` with `tag` at `commit` and a `build-chain` build that runs `script`.
pub fn tagged_build(fake: &FakeGitHub, repo: &str, tag: &str, commit: &str, script: Script) {
    fake.add_tag(repo, tag, TagTarget::Commit(commit.into()));
    fake.add_build(repo, script);
}

/// What must hold after a release ran to its end, interrupted or not: each of `repos` was
/// dispatched once, and one release was published (a prerelease) holding exactly
/// `assets` and then SHA256SUMS. Returns it for further checks.
pub fn assert_one_release(fake: &FakeGitHub, repos: &[&str], assets: &[&str]) -> Release {
    for repo in repos {
        assert_eq!(
            fake.count("POST", &format!("/repos/{repo}/dispatches")),
            1,
            "{repo} dispatched once"
        );
    }
    let releases = fake.releases();
    assert_eq!(releases.len(), 1, "one release");
    let release = releases[0].clone();
    assert!(!release.draft && release.prerelease);
    let names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    let mut wanted = assets.to_vec();
    wanted.push("SHA256SUMS");
    assert_eq!(names, wanted);
    release
}

/// The relplan binary in `dir`, logging lines (CI), with the test token unless `token` is
/// false.
pub fn relplan_with_token(dir: &Path, args: &[&str], token: bool) -> Command {
    let mut command = command(dir, args);
    command.env("CI", "1");
    if token {
        command.env("GITHUB_TOKEN", SECRET);
    }
    command
}

/// Runs a command to its end without blocking the fake server.
pub async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("relplan runs"))
        .await
        .expect("the command's thread ends")
}
