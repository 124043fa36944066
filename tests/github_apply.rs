//! `relplan apply --backend github` as a user runs it, against the fake GitHub: a whole
//! release, a missing token, a token echoed back by the server, and `kill -9` at several
//! points (after journal lines, and while a mutation GitHub performed is still waiting for
//! its answer) followed by `relplan resume`, which must dispatch every job once, upload
//! every asset once and publish one release.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::github::{assert_one_release, output, relplan_with_token, tagged_build};
use crate::common::{stderr, stdout};
use crate::fake_github::world::zip_of;
use crate::fake_github::{FakeGitHub, FaultKind, SECRET, Script};

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
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    let (stdout, stderr) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with(
            "3 succeeded, 0 failed, 0 skipped, 0 cancelled, release v0.1.0-test.1 published"
        ),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().next(),
        Some(
            "3 succeeded, 0 failed, 0 skipped, 0 cancelled, release v0.1.0-test.1 published at https://github.com/o/node/releases/tag/v0.1.0-test.1; see `relplan status --state-dir state`"
        ),
        "the release's page ends the run"
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
    let out = output(relplan_with_token(dir.path(), &args, false)).await;
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
            let mut child = relplan_with_token(&path, &args, true)
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
        let out = output(relplan_with_token(
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
        relplan_with_token(&path, &args, true)
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
    let out = output(relplan_with_token(
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
    // First contact is the preflight, or with `--no-preflight` the adoption.
    for skip in [false, true] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        write_plan(dir.path());
        let mut args = apply_args(&url);
        if skip {
            args.push("--no-preflight".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = output(relplan_with_token(dir.path(), &args, true)).await;
        assert_eq!(out.status.code(), Some(130), "resumable");
        let stderr = stderr(&out);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(
            errors[0].contains(&format!("cannot reach the GitHub API at {url}: "))
                && errors[0].to_lowercase().contains("refused"),
            "{stderr}"
        );
        assert!(
            stderr.contains(
                "; then run the same `relplan apply` again (nothing was started or written)"
            ),
            "{stderr}"
        );
        assert!(!dir.path().join("state").exists(), "nothing was written");
    }
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
    let out = output(relplan_with_token(dir.path(), &wrong, false)).await;
    assert_eq!(out.status.code(), Some(1), "no token");
    assert!(!dir.path().join("state").exists(), "nothing was written");
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
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
    let out = output(relplan_with_token(
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

/// Every file under `dir`, recursively, with its contents.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
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

#[tokio::test]
async fn a_token_echoed_back_by_the_server_is_masked_in_output_and_state() {
    let fake = FakeGitHub::start().await;
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let versions: String = ["a", "b", "c"]
        .iter()
        .map(|name| {
            format!(
                "{name} = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"{COMMIT}\" }}\n"
            )
        })
        .collect();
    fs_err::write(
        dir.path().join("versions.toml"),
        format!("[versions]\n{versions}"),
    )
    .expect("versions written");
    let plan = "[release]\nname = \"Test\"\nowner = \"o\"\nversions = \"versions.toml\"\n\
                version = \"0.1.0\"\npublish_to = \"c\"\n\n\
                [defaults]\ntrigger = { repository_dispatch = { event_type = \"build-chain\" } }\n\
                timeout = \"24h\"\nretries = 0\nestimate = \"1s\"\npublish = [\"*\"]\n";
    fs_err::write(dir.path().join("plan.toml"), plan).expect("plan written");
    for repo in ["o/a", "o/b", "o/c"] {
        tagged_build(&fake, repo, "v0.1.0", COMMIT, Script::default());
    }
    fake.fault(
        "GET",
        "/repos/o/a/git/ref/tags/",
        FaultKind::EchoToken(403),
        1,
    );
    fake.fault(
        "POST",
        "/repos/o/b/dispatches",
        FaultKind::EchoToken(422),
        1,
    );
    // Without the preflight, whose own reading of the tag would meet the echo first: the
    // echoed answers must reach the journal's reasons, masked.
    let mut args = apply_args(&fake.url);
    args.push("--no-preflight".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    let status = output(relplan_with_token(
        dir.path(),
        &["status", "--state-dir", "state"],
        true,
    ))
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let journal =
        fs_err::read_to_string(dir.path().join("state/journal.jsonl")).unwrap_or_default();
    assert_eq!(
        journal.matches("Authorization: Bearer ***").count(),
        2,
        "both echoing answers reached the journal, masked: {journal}"
    );
    for text in [stdout(&out), stderr(&out), stdout(&status), stderr(&status)] {
        assert!(!text.contains(SECRET), "the token leaked: {text}");
    }
    assert!(stderr(&out).contains("Authorization: Bearer ***"));
    for (path, bytes) in files_under(&dir.path().join("state")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(SECRET), "the token is in {}", path.display());
    }
}

#[tokio::test]
async fn kill_9_while_a_mutation_is_in_flight_then_resume_does_nothing_twice() {
    for (method, path) in [
        ("POST", "/repos/o/node/dispatches"),
        ("POST", "/repos/o/sdk/dispatches"),
        ("POST", "/repos/o/node/releases"),
        ("POST", "/uploads/"),
        ("PATCH", "/repos/o/node/releases/"),
    ] {
        let fake = FakeGitHub::start().await;
        world(&fake);
        let clock = fake.run_clock(Duration::from_millis(2));
        // GitHub performs the request, and the answer never comes: relplan is killed
        // between sending it and journaling what came of it.
        fake.fault(method, path, FaultKind::HangAfter, 1);
        let dir = tempfile::tempdir().expect("a temporary directory");
        write_plan(dir.path());
        let args = apply_args(&fake.url);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = relplan_with_token(dir.path(), &args, true)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("relplan starts");
        let deadline = Instant::now() + Duration::from_secs(120);
        while fake.held().is_empty() {
            assert!(
                child.try_wait().ok().flatten().is_none(),
                "{method} {path}: relplan ended before sending it"
            );
            assert!(Instant::now() < deadline, "{method} {path} never sent");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let out = output(relplan_with_token(
            dir.path(),
            &["resume", "--state-dir", "state", "--list-lag", LIST_LAG],
            true,
        ))
        .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "killed during {method} {path}: {}\n{}",
            stdout(&out),
            stderr(&out)
        );
        check_one_release(&fake);
        assert_eq!(
            fake.count("POST", "/uploads/"),
            3,
            "killed during {method} {path}: every asset uploaded once"
        );
        clock.abort();
    }
}
