//! Helpers of the GitHub tests over the fake GitHub: the attempt every protocol test
//! dispatches, a dispatch followed by finding its runs, repositories with a tagged build,
//! the check that a release happened exactly once, the binary run as a user runs it
//! against the fake, and the two-build release the tests of the binary run (killed at a
//! journal line, or when the fake has seen what the test waits for, when they need an
//! unfinished run).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use relplan::compiled::Job;
use relplan::github::GitHub;
use relplan::github::dispatch::Attempt;

use crate::common::command;
use crate::fake_github::world::zip_of;
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

/// The commit every tag of the two-build release points at.
pub const COMMIT: &str = "c0ffee0000000000000000000000000000000001";

/// Writes a two-repository plan (sdk requires node, released into o/node) into `dir`.
pub fn write_two_build_plan(dir: &Path) {
    let versions = format!(
        "[versions]\n\
         node = {{ version = \"0.1.0-test.1\", git_tag = \"v0.1.0-test.1\", git_commit = \"{COMMIT}\" }}\n\
         sdk = {{ version = \"0.1.0-test.1\", git_tag = \"v0.1.0-test.1\", git_commit = \"{COMMIT}\", requires = [\"node=0.1.0-test.1\"] }}\n"
    );
    let plan = "[release]\nname = \"Test\"\nowner = \"o\"\nversions = \"versions.toml\"\n\
                version = \"0.1.0-test.1\"\npublish_to = \"node\"\n\n\
                [defaults]\ntrigger = { repository_dispatch = { event_type = \"build-chain\" } }\n\
                timeout = \"24h\"\nretries = 1\nestimate = \"1s\"\npublish = [\"*\"]\n";
    fs_err::write(dir.join("versions.toml"), versions).expect("versions written");
    fs_err::write(dir.join("plan.toml"), plan).expect("plan written");
}

/// The two builds of [`write_two_build_plan`]: tagged, each uploading one file.
pub fn two_builds(fake: &FakeGitHub) {
    for (repo, file) in [
        ("o/node", "blvm-node-0.1.0.tar.gz"),
        ("o/sdk", "blvm-sdk-0.1.0.tar.gz"),
    ] {
        let script = Script {
            queued_s: 5,
            duration_s: 30,
            artifacts: vec![("dist".into(), zip_of(&[(file, file.as_bytes())]))],
            ..Script::default()
        };
        tagged_build(fake, repo, "v0.1.0-test.1", COMMIT, script);
    }
}

/// `apply plan.toml --backend github` against `url`, state in `state/`, polling every
/// second, run lists lagging [`LIST_LAG`].
pub fn apply_args(url: &str) -> Vec<String> {
    apply_args_lagging(url, LIST_LAG)
}

/// The fake lists new runs at once, so relplan need not expect its lists to lag long:
/// [`LIST_LAG`] instead of the default two minutes (the window a fresh start, and a resume
/// after an unconfirmed dispatch, look for runs before dispatching).
pub const LIST_LAG: &str = "1s";

/// [`apply_args`] with run lists that may lag `list_lag`.
pub fn apply_args_lagging(url: &str, list_lag: &str) -> Vec<String> {
    [
        "apply",
        "plan.toml",
        "--backend",
        "github",
        "--api-url",
        url,
        "--state-dir",
        "state",
        "--poll-interval",
        "1s",
        "--list-lag",
        list_lag,
    ]
    .map(String::from)
    .to_vec()
}

/// The two-build release happened once, on the pinned commit.
pub fn assert_two_build_release(fake: &FakeGitHub) {
    let release = assert_one_release(
        fake,
        &["o/node", "o/sdk"],
        &["blvm-node-0.1.0.tar.gz", "blvm-sdk-0.1.0.tar.gz"],
    );
    assert_eq!(release.target_commitish.as_deref(), Some(COMMIT));
}

/// Every file under `dir`, recursively, with its contents.
pub fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in fs_err::read_dir(&next).expect("a readable directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = fs_err::read(&path).expect("a readable file");
                files.push((path, bytes));
            }
        }
    }
    files
}

/// Runs `command` (an `apply` writing `state/journal.jsonl` under `dir`) until its journal
/// holds `lines` lines (or it ends), then kills it (SIGKILL).
pub async fn kill_at_journal_lines(mut command: Command, dir: &Path, lines: usize) {
    let journal = dir.join("state/journal.jsonl");
    tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("relplan starts");
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let written = fs_err::read_to_string(&journal).map_or(0, |t| t.lines().count());
            if written >= lines || child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
    })
    .await
    .expect("the killing thread ends");
}

/// Starts `command`, kills it (SIGKILL) once `ready` says so of the fake (or after two
/// minutes), and waits for it to die.
pub async fn kill_when(
    fake: &FakeGitHub,
    mut command: Command,
    ready: impl Fn(&FakeGitHub) -> bool,
) {
    let mut child = tokio::task::spawn_blocking(move || {
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("relplan starts")
    })
    .await
    .expect("the spawning thread ends");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready(fake) && Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = child.kill();
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
}
