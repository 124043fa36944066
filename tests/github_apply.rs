//! `relplan apply --backend github` as a user runs it, against the fake GitHub: a whole
//! release, a missing token, a token echoed back by the server, and `kill -9` at several
//! points (after journal lines, and while a mutation GitHub performed is still waiting for
//! its answer) followed by `relplan resume`, which must dispatch every job once, upload
//! every asset once and publish one release.

use std::time::Duration;

use crate::common::github::{
    COMMIT, LIST_LAG, apply_args, apply_args_lagging, assert_two_build_release, files_under,
    kill_at_journal_lines, kill_when, output, relplan_with_token, tagged_build, two_builds,
    write_two_build_plan,
};
use crate::common::{stderr, stdout};
use crate::fake_github::{FakeGitHub, FaultKind, SECRET, Script};

#[tokio::test]
async fn apply_releases_the_plan_and_never_prints_the_token() {
    let fake = FakeGitHub::start().await;
    two_builds(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
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
    assert_two_build_release(&fake);
}

#[tokio::test]
async fn apply_without_a_token_says_how_to_give_one() {
    let fake = FakeGitHub::start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
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
        two_builds(&fake);
        let clock = fake.run_clock(Duration::from_millis(2));
        let dir = tempfile::tempdir().expect("a temporary directory");
        write_two_build_plan(dir.path());
        let args = apply_args(&fake.url);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let apply = relplan_with_token(dir.path(), &args, true);
        kill_at_journal_lines(apply, dir.path(), lines).await;
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
        assert_two_build_release(&fake);
        clock.abort();
    }
}

#[tokio::test]
async fn kill_9_right_after_a_dispatch_with_lagging_run_lists_then_resume_dispatches_once() {
    let fake = FakeGitHub::start().await;
    two_builds(&fake);
    // New runs stay out of the lists for 3 s; relplan is told lists may lag 8 s.
    fake.set_list_lag(Duration::from_secs(3));
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let args = apply_args_lagging(&fake.url, "8s");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let apply = relplan_with_token(dir.path(), &args, true);
    kill_when(&fake, apply, |fake| {
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
    assert_two_build_release(&fake);
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
        write_two_build_plan(dir.path());
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
        assert_eq!(errors[0].matches(&url).count(), 1, "named once: {stderr}");
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
    two_builds(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let wrong = apply_args("http://127.0.0.1:9");
    let wrong: Vec<&str> = wrong.iter().map(String::as_str).collect();
    let out = output(relplan_with_token(dir.path(), &wrong, false)).await;
    assert_eq!(out.status.code(), Some(1), "no token");
    assert!(!dir.path().join("state").exists(), "nothing was written");
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_two_build_release(&fake);
}

#[tokio::test]
async fn resume_may_change_the_connection_settings_and_says_so() {
    let fake = FakeGitHub::start().await;
    two_builds(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let apply = relplan_with_token(dir.path(), &args, true);
    kill_when(&fake, apply, |fake| {
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
            poll_interval_s: 2,
            app_id: None,
        }
    );
    assert_two_build_release(&fake);
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
        two_builds(&fake);
        let clock = fake.run_clock(Duration::from_millis(2));
        // GitHub performs the request, and the answer never comes: relplan is killed
        // between sending it and journaling what came of it.
        fake.fault(method, path, FaultKind::HangAfter, 1);
        let dir = tempfile::tempdir().expect("a temporary directory");
        write_two_build_plan(dir.path());
        let args = apply_args(&fake.url);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = relplan_with_token(dir.path(), &args, true)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("relplan starts");
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while fake.held().is_empty() {
            assert!(
                child.try_wait().ok().flatten().is_none(),
                "{method} {path}: relplan ended before sending it"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "{method} {path} never sent"
            );
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
        assert_two_build_release(&fake);
        assert_eq!(
            fake.count("POST", "/uploads/"),
            3,
            "killed during {method} {path}: every asset uploaded once"
        );
        clock.abort();
    }
}
