//! `relplan apply --backend github` as a user runs it, against the fake GitHub: a whole
//! release, a missing token, and `kill -9` at several points followed by `relplan resume`,
//! which must dispatch every job once and publish one release.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::github::{assert_one_release, tagged_build};
use crate::common::{command, stderr, stdout};
use crate::fake_github::world::zip_of;
use crate::fake_github::{FakeGitHub, SECRET, Script};

const COMMIT: &str = "c0ffee0000000000000000000000000000000001";

/// Writes a two-repository plan (sdk requires node, released into o/node) into `dir`.
fn write_plan(dir: &Path) {
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

fn world(fake: &FakeGitHub) {
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

/// The relplan binary in `dir`, logging lines (CI), with the test token unless `token` is
/// false.
fn relplan(dir: &Path, args: &[&str], token: bool) -> Command {
    let mut command = command(dir, args);
    command.env("CI", "1");
    if token {
        command.env("GITHUB_TOKEN", SECRET);
    }
    command
}

/// The fake lists new runs at once, so relplan need not expect its lists to lag long:
/// [`LIST_LAG`] instead of the default two minutes (the window a fresh start, and a resume
/// after an unconfirmed dispatch, look for runs before dispatching).
const LIST_LAG: &str = "1s";

fn apply_args(url: &str) -> Vec<String> {
    apply_args_lagging(url, LIST_LAG)
}

fn apply_args_lagging(url: &str, list_lag: &str) -> Vec<String> {
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

/// Runs a command to its end without blocking the fake server.
async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("relplan runs"))
        .await
        .expect("the command's thread ends")
}

fn check_one_release(fake: &FakeGitHub) {
    let release = assert_one_release(
        fake,
        &["o/node", "o/sdk"],
        &["blvm-node-0.1.0.tar.gz", "blvm-sdk-0.1.0.tar.gz"],
    );
    assert_eq!(release.target_commitish.as_deref(), Some(COMMIT));
}

#[tokio::test]
async fn apply_releases_the_plan_and_never_prints_the_token() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path());
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = output(relplan(dir.path(), &args, true)).await;
    let (stdout, stderr) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with(
            "3 succeeded, 0 failed, 0 skipped, 0 cancelled, release v0.1.0-test.1 published"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    let journal =
        fs_err::read_to_string(dir.path().join("state/journal.jsonl")).unwrap_or_default();
    assert!(journal.contains("\"github\"") && !journal.contains(SECRET));
    check_one_release(&fake);
}

#[tokio::test]
async fn apply_without_a_token_says_how_to_give_one() {
    let fake = FakeGitHub::start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path());
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = output(relplan(dir.path(), &args, false)).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr(&out);
    let tail: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error:") || l.starts_with("help:"))
        .collect();
    insta::assert_snapshot!(tail.join("\n"));
    assert!(fake.log().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn kill_9_at_any_point_then_resume_dispatches_once_and_releases_once() {
    for lines in [1, 2, 3, 5, 7, 9] {
        let fake = FakeGitHub::start().await;
        world(&fake);
        let clock = fake.run_clock(Duration::from_millis(2));
        let dir = tempfile::tempdir().expect("a temporary directory");
        write_plan(dir.path());
        let args = apply_args(&fake.url);
        let path = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut child = relplan(&path, &args, true)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("relplan starts");
            let journal = path.join("state/journal.jsonl");
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
        let out = output(relplan(
            dir.path(),
            &["resume", "--state-dir", "state", "--list-lag", LIST_LAG],
            true,
        ))
        .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "killed after {lines} journal lines: {}\n{}",
            stdout(&out),
            stderr(&out)
        );
        check_one_release(&fake);
        clock.abort();
    }
}

/// Starts `args` in `dir`, kills it (SIGKILL) once `ready` says so of the fake, and waits
/// for it to die.
async fn kill_when(
    fake: &FakeGitHub,
    dir: &Path,
    args: Vec<String>,
    ready: impl Fn(&FakeGitHub) -> bool,
) {
    let path = dir.to_path_buf();
    let mut child = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        relplan(&path, &args, true)
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

#[tokio::test]
async fn kill_9_right_after_a_dispatch_with_lagging_run_lists_then_resume_dispatches_once() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    // New runs stay out of the lists for 3 s; relplan is told lists may lag 8 s.
    fake.set_list_lag(Duration::from_secs(3));
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path());
    let args = apply_args_lagging(&fake.url, "8s");
    kill_when(&fake, dir.path(), args, |fake| {
        fake.count("POST", "/repos/o/node/dispatches") == 1
    })
    .await;
    assert_eq!(fake.count("POST", "/repos/o/node/dispatches"), 1);
    let journal =
        fs_err::read_to_string(dir.path().join("state/journal.jsonl")).unwrap_or_default();
    assert!(
        !journal.contains("attempt_dispatched"),
        "killed before the run was confirmed"
    );
    let out = output(relplan(
        dir.path(),
        &["resume", "--state-dir", "state", "--list-lag", "8s"],
        true,
    ))
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("note: looking for node (attempt 1) on the backend until"),
        "{}",
        stderr(&out)
    );
    check_one_release(&fake);
}

#[tokio::test]
async fn an_unreachable_api_stops_the_start_with_one_error_and_writes_nothing() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path());
    let args = apply_args(&url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = output(relplan(dir.path(), &args, true)).await;
    assert_eq!(out.status.code(), Some(130), "resumable");
    let stderr = stderr(&out);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with(&format!(
            "error: cannot learn what the backend already holds for this plan: cannot reach the GitHub API at {url}: "
        )) && errors[0].to_lowercase().contains("refused"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "nothing was started or written; run the same `relplan apply` again once it is fixed"
        ),
        "{stderr}"
    );
    assert!(!dir.path().join("state").exists(), "nothing was written");
}

#[tokio::test]
async fn a_refused_start_writes_nothing_and_the_corrected_apply_uses_its_api_url() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path());
    let wrong = apply_args("http://127.0.0.1:9");
    let wrong: Vec<&str> = wrong.iter().map(String::as_str).collect();
    let out = output(relplan(dir.path(), &wrong, false)).await;
    assert_eq!(out.status.code(), Some(1), "no token");
    assert!(!dir.path().join("state").exists(), "nothing was written");
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = output(relplan(dir.path(), &args, true)).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    check_one_release(&fake);
}

#[tokio::test]
async fn resume_may_change_the_connection_settings_and_says_so() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path());
    kill_when(&fake, dir.path(), apply_args(&fake.url), |fake| {
        fake.count("POST", "/repos/o/node/dispatches") == 1
    })
    .await;
    // The same fake under another name.
    let other = fake.url.replace("127.0.0.1", "localhost");
    let out = output(relplan(
        dir.path(),
        &[
            "resume",
            "--state-dir",
            "state",
            "--api-url",
            &other,
            "--poll-interval",
            "2s",
            "--list-lag",
            LIST_LAG,
        ],
        true,
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stderr = stderr(&out);
    assert!(
        stderr.contains(&format!(
            "note: the run continues with the API at {other} (it used {})",
            fake.url
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("note: the run continues with --poll-interval 2s (it used 1s)"),
        "{stderr}"
    );
    let journal = relplan::exec::journal::read(&dir.path().join("state")).expect("a journal");
    let machine = relplan::exec::machine::Machine::replay(&journal).expect("a run");
    assert_eq!(
        machine.settings().backend,
        relplan::exec::event::BackendKind::GitHub {
            api_url: other.clone(),
            poll_interval_s: 2
        }
    );
    check_one_release(&fake);
}
