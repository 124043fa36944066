//! The credentials of `relplan apply`, `resume`, `retry`, `cancel` and `preflight` as a
//! user gives them, against the fake GitHub: a GitHub App by `--app-id` and `--app-key
//! FILE` or by `RELPLAN_APP_ID` and `RELPLAN_APP_PRIVATE_KEY` (the PEM itself); the journal
//! keeps only the App's id, so `resume`, `retry` and `cancel` need the App again and say so
//! before they write anything; a fresh state directory adopts an App's run through the
//! App's tokens; the preflight reports each
//! repository's installation and what it lacks; a plain token revoked during a release
//! stops it (exit 130, no build failed) and `resume` with a new token finishes it. No key,
//! JWT or token ever shows up in any output or file of the state directory.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::common::github::{
    COMMIT, LIST_LAG, apply_args, assert_two_build_release, files_under, kill_at_journal_lines,
    kill_when, output, relplan_with_token, tagged_build, two_builds, write_two_build_plan,
};
use crate::common::{stderr, stdout};
use crate::fake_github::app::{APP_ID, TEST_KEY, key_lines};
use crate::fake_github::world::zip_of;
use crate::fake_github::{FakeGitHub, SECRET, Script};

const ALL: &[(&str, &str)] = &[
    ("actions", "write"),
    ("contents", "write"),
    ("metadata", "read"),
];

/// The binary in `dir` with `args`, authenticated as the test App through the
/// environment, the key's PEM itself in `RELPLAN_APP_PRIVATE_KEY`.
fn as_app_by_environment(dir: &Path, args: &[&str]) -> Command {
    let mut command = relplan_with_token(dir, args, false);
    command
        .env("RELPLAN_APP_ID", APP_ID.to_string())
        .env("RELPLAN_APP_PRIVATE_KEY", TEST_KEY);
    command
}

/// Every secret the fake handed out or saw, and every line of the test key.
fn secrets(fake: &FakeGitHub) -> Vec<String> {
    let mut all: Vec<String> = key_lines().iter().map(|l| l.to_string()).collect();
    all.extend(fake.issued().into_iter().map(|i| i.token));
    all.extend(
        fake.with(|w| w.auth.jwts.clone())
            .into_iter()
            .map(|j| j.jwt),
    );
    all
}

/// No secret in the outputs nor in any file of `state/` (when there is one).
fn assert_no_secret(fake: &FakeGitHub, dir: &Path, outputs: &[&Output]) {
    let secrets = secrets(fake);
    assert!(secrets.len() > key_lines().len(), "tokens were minted");
    let mut texts: Vec<(String, String)> = outputs
        .iter()
        .flat_map(|out| {
            [
                ("stdout".to_string(), stdout(out)),
                ("stderr".into(), stderr(out)),
            ]
        })
        .collect();
    let state = dir.join("state");
    let files = if state.exists() {
        files_under(&state)
    } else {
        Vec::new()
    };
    for (path, bytes) in files {
        texts.push((
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    for (place, text) in &texts {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret is in {place}: {text}"
            );
        }
    }
}

/// The two-build release with the App installed on `o`.
fn app_world(fake: &FakeGitHub) {
    two_builds(fake);
    fake.install_app("o", None, ALL);
}

#[tokio::test]
async fn apply_as_an_app_releases_and_journals_only_the_app_id() {
    let fake = FakeGitHub::start().await;
    app_world(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    fs_err::write(dir.path().join("app.pem"), TEST_KEY).expect("key written");
    let mut args = apply_args(&fake.url);
    args.extend([
        "--app-id".into(),
        APP_ID.to_string(),
        "--app-key".into(),
        "app.pem".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = output(relplan_with_token(dir.path(), &args, false)).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_two_build_release(&fake);
    let journal =
        fs_err::read_to_string(dir.path().join("state/journal.jsonl")).expect("a journal");
    let first: serde_json::Value =
        serde_json::from_str(journal.lines().next().expect("a first line")).expect("JSON");
    assert_eq!(
        first["settings"]["backend"]["github"]["app_id"],
        serde_json::json!(APP_ID)
    );
    assert!(fake.log().iter().all(|l| l.status != 401));
    assert_no_secret(&fake, dir.path(), &[&out]);
}

/// The refusal of a command continuing the test App's run in `state/` with a token.
fn refusal(again: &str) -> String {
    format!(
        "error: the run in `state` authenticates as GitHub App {APP_ID}, and its credentials are not given\n\
         help: pass `--app-id {APP_ID} --app-key FILE` (or set RELPLAN_APP_ID={APP_ID} and RELPLAN_APP_PRIVATE_KEY to its private key), then `{again}`\n"
    )
}

#[tokio::test]
async fn retry_of_an_app_run_needs_the_app_again() {
    let fake = FakeGitHub::start().await;
    // sdk fails both attempts of the run, and succeeds when retried.
    for (repo, file, outcomes) in [
        ("o/node", "blvm-node-0.1.0.tar.gz", vec!["success"]),
        (
            "o/sdk",
            "blvm-sdk-0.1.0.tar.gz",
            vec!["failure", "failure", "success"],
        ),
    ] {
        let script = Script {
            queued_s: 5,
            duration_s: 30,
            outcomes: outcomes.into_iter().map(String::from).collect(),
            artifacts: vec![("dist".into(), zip_of(&[(file, file.as_bytes())]))],
            ..Script::default()
        };
        tagged_build(&fake, repo, "v0.1.0-test.1", COMMIT, script);
    }
    fake.install_app("o", None, ALL);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let failed = output(as_app_by_environment(dir.path(), &args)).await;
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));

    let journal = dir.path().join("state/journal.jsonl");
    let before = fs_err::read_to_string(&journal).expect("a journal");
    let retry = [
        "retry",
        "sdk",
        "--state-dir",
        "state",
        "--list-lag",
        LIST_LAG,
    ];
    let refused = output(relplan_with_token(dir.path(), &retry, true)).await;
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert_eq!(
        stderr(&refused),
        refusal("relplan retry sdk --state-dir state")
    );
    assert_eq!(
        fs_err::read_to_string(&journal).expect("a journal"),
        before,
        "retry wrote nothing"
    );

    let retried = output(as_app_by_environment(dir.path(), &retry)).await;
    assert_eq!(retried.status.code(), Some(0), "{}", stderr(&retried));
    assert_eq!(fake.releases().len(), 1);
    assert_no_secret(&fake, dir.path(), &[&failed, &refused, &retried]);
}

#[tokio::test]
async fn resume_of_an_app_run_needs_the_app_again() {
    let fake = FakeGitHub::start().await;
    app_world(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    kill_at_journal_lines(as_app_by_environment(dir.path(), &args), dir.path(), 2).await;

    let resume = ["resume", "--state-dir", "state", "--list-lag", LIST_LAG];
    let without = output(relplan_with_token(dir.path(), &resume, true)).await;
    assert_eq!(without.status.code(), Some(4));
    insta::assert_snapshot!(stderr(&without));
    // Another App is refused too.
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/test-app-key.pem"
    );
    let mut other = resume.to_vec();
    other.extend(["--app-id", "999", "--app-key", key]);
    let other = output(relplan_with_token(dir.path(), &other, false)).await;
    assert_eq!(other.status.code(), Some(4));
    assert_eq!(
        stderr(&other),
        format!(
            "error: the run in `state` authenticates as GitHub App {APP_ID}, not as GitHub App 999\n\
             help: pass `--app-id {APP_ID} --app-key FILE` (or set RELPLAN_APP_ID={APP_ID} and RELPLAN_APP_PRIVATE_KEY to its private key), then `relplan resume --state-dir state`\n"
        )
    );
    // cancel refuses it the same way, naming itself, before journaling anything.
    let journal = dir.path().join("state/journal.jsonl");
    let before = fs_err::read_to_string(&journal).expect("a journal");
    let cancel = ["cancel", "--state-dir", "state", "--list-lag", LIST_LAG];
    let refused = output(relplan_with_token(dir.path(), &cancel, true)).await;
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert_eq!(
        stderr(&refused),
        refusal("relplan cancel --state-dir state")
    );
    assert_eq!(
        fs_err::read_to_string(&journal).expect("a journal"),
        before,
        "cancel wrote nothing"
    );

    let with = output(as_app_by_environment(dir.path(), &resume)).await;
    assert_eq!(
        with.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&with),
        stderr(&with)
    );
    assert_two_build_release(&fake);
    assert_no_secret(&fake, dir.path(), &[&without, &other, &refused, &with]);
}

#[tokio::test]
async fn preflight_reports_each_repository_s_installation_and_what_it_lacks() {
    let fake = FakeGitHub::start().await;
    two_builds(&fake);
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let args = ["preflight", "plan.toml", "--api-url", &fake.url];

    fake.install_app("o", None, ALL);
    let passed = output(as_app_by_environment(dir.path(), &args)).await;
    assert_eq!(passed.status.code(), Some(0), "{}", stderr(&passed));
    insta::assert_snapshot!("app_preflight_passed", stdout(&passed));

    fake.with(|w| {
        let installation = &mut w.auth.installations[0];
        installation.repositories = Some(vec!["node".into()]);
        installation
            .permissions
            .insert("actions".into(), "read".into());
    });
    let failed = output(as_app_by_environment(dir.path(), &args)).await;
    assert_eq!(failed.status.code(), Some(1));
    insta::assert_snapshot!("app_preflight_failed", stdout(&failed));

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json = output(as_app_by_environment(dir.path(), &json_args)).await;
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(
        report["app"],
        serde_json::json!({
            "id": APP_ID,
            "installations": [{
                "repo": "o/node",
                "installation": 100,
                "account": "o",
                "permissions": {
                    "actions": {"needed": "write", "granted": "read"},
                    "contents": {"needed": "write", "granted": "write"},
                    "metadata": {"needed": "read", "granted": "read"},
                },
            }],
        })
    );
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["preflight::app-permissions", "preflight::app-not-installed"]
    );
    assert_no_secret(&fake, dir.path(), &[&passed, &failed, &json]);
}

#[tokio::test]
async fn half_an_app_is_refused_before_anything_is_sent() {
    let fake = FakeGitHub::start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let args = apply_args(&fake.url);
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["--app-id", "4242"]);
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: GitHub App 4242 is given without its private key\nhelp: pass --app-key FILE, or set RELPLAN_APP_PRIVATE_KEY to the App's private key (PEM)\n"
    );
    args.extend(["--app-key", "missing.pem"]);
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot read the GitHub App key: "),
        "{}",
        stderr(&out)
    );
    assert!(fake.log().is_empty(), "nothing was sent");
    assert!(!dir.path().join("state").exists());
}

#[tokio::test]
async fn a_token_revoked_during_the_release_stops_it_and_resume_with_a_new_one_finishes() {
    const NEW: &str = "ghp_theNewTokenAfterRevocation01";
    let fake = FakeGitHub::start().await;
    two_builds(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut apply = relplan_with_token(dir.path(), &args, true)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("relplan starts");
    // Revoked once the first build is dispatched.
    let journal = dir.path().join("state/journal.jsonl");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while std::time::Instant::now() < deadline {
        let text = fs_err::read_to_string(&journal).unwrap_or_default();
        if text.contains("attempt_dispatched") || apply.try_wait().ok().flatten().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    fake.revoke_token(SECRET);
    let stopped = tokio::task::spawn_blocking(move || apply.wait_with_output())
        .await
        .expect("the waiting thread ends")
        .expect("relplan ends");
    assert_eq!(stopped.status.code(), Some(130), "{}", stderr(&stopped));
    // Which request met the 401 first (a poll, most likely) is left out of the snapshot.
    let tail: Vec<String> = stderr(&stopped)
        .lines()
        .filter(|l| l.starts_with("error:") || l.starts_with("help:"))
        .map(|l| match l.split_once(": GitHub answered 401") {
            Some((_, refusal)) if l.starts_with("error: the run stopped: ") => {
                format!("error: the run stopped: <request>: GitHub answered 401{refusal}")
            }
            _ => l.to_string(),
        })
        .collect();
    insta::assert_snapshot!(tail.join("\n"));
    let journaled = fs_err::read_to_string(&journal).expect("a journal");
    assert!(
        !journaled.contains("\"failure\"") && !journaled.contains("\"blocked\""),
        "no attempt failed or was blocked: {journaled}"
    );
    assert!(
        journaled
            .lines()
            .last()
            .is_some_and(|l| l.contains("\"halted\"")),
        "the stop is journaled: {journaled}"
    );

    // A run started with a token continues with a token, not as an App.
    let resume = ["resume", "--state-dir", "state", "--list-lag", LIST_LAG];
    let as_app = output(as_app_by_environment(dir.path(), &resume)).await;
    assert_eq!(as_app.status.code(), Some(4));
    assert_eq!(
        stderr(&as_app),
        format!(
            "error: the run in `state` was started with a token, not as GitHub App {APP_ID}\n\
             help: leave out --app-id and --app-key, unset RELPLAN_APP_ID and RELPLAN_APP_PRIVATE_KEY, export GITHUB_TOKEN, then `relplan resume --state-dir state`\n"
        )
    );

    fake.accept_token(NEW);
    let mut resume = relplan_with_token(dir.path(), &resume, false);
    resume.env("GITHUB_TOKEN", NEW);
    let resumed = output(resume).await;
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert_two_build_release(&fake);
    let journaled = fs_err::read_to_string(&journal).expect("a journal");
    assert!(
        !journaled.contains("\"failure\""),
        "no attempt failed: {journaled}"
    );
    for text in [
        stdout(&stopped),
        stderr(&stopped),
        stdout(&resumed),
        stderr(&resumed),
        journaled,
    ] {
        assert!(
            !text.contains(SECRET) && !text.contains(NEW),
            "a token leaked: {text}"
        );
    }
}

#[tokio::test]
async fn verify_reads_a_release_as_an_app_with_a_token_for_its_repository_only() {
    let fake = FakeGitHub::start().await;
    crate::verify::good_release(&fake, "o/node");
    fake.with(|w| {
        w.repos.entry("o/node".into()).or_default();
        w.repos.entry("o/other".into()).or_default();
    });
    fake.install_app("o", None, ALL);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let args = ["verify", "o/node@v0.1.0", "--api-url", &fake.url];
    let out = output(as_app_by_environment(dir.path(), &args)).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let scopes: Vec<Vec<String>> = fake.issued().into_iter().map(|i| i.repositories).collect();
    assert_eq!(scopes, [vec!["o/node".to_string()]]);
    assert_no_secret(&fake, dir.path(), &[&out]);
}

#[tokio::test]
async fn a_fresh_state_directory_adopts_an_app_run_through_the_app_s_tokens() {
    let fake = FakeGitHub::start().await;
    app_world(&fake);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    let args = apply_args(&fake.url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    kill_when(&fake, as_app_by_environment(dir.path(), &args), |fake| {
        fake.count("POST", "/repos/o/node/dispatches") == 1
    })
    .await;
    assert_eq!(fake.count("POST", "/repos/o/node/dispatches"), 1);
    // The runner's cache is gone: a new one starts from what GitHub holds.
    fs_err::remove_dir_all(dir.path().join("state")).expect("the state directory removed");
    let listed = fake.count("GET", "/actions/runs?event=");
    let again = output(as_app_by_environment(dir.path(), &args)).await;
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&again),
        stderr(&again)
    );
    assert_two_build_release(&fake);
    let journal =
        fs_err::read_to_string(dir.path().join("state/journal.jsonl")).expect("a journal");
    let adopted: serde_json::Value = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "adopted")
        .expect("an adopted event");
    assert!(
        adopted.to_string().contains("relplan-"),
        "node's run was adopted: {adopted}"
    );
    // The adoption listed the runs as the App (no token is in the environment), and
    // GitHub refused nothing.
    assert!(fake.count("GET", "/actions/runs?event=") > listed);
    assert!(
        fake.log()
            .iter()
            .all(|l| l.status != 401 && l.status != 403),
        "{:?}",
        fake.log()
    );
    assert_no_secret(&fake, dir.path(), &[&again]);
}

/// An App's token cannot be minted from an API nothing answers: one error naming the URL
/// and what to check, as with a token, not the reads' six attempts over a minute.
#[tokio::test]
async fn an_unreachable_api_stops_an_app_at_its_first_token_with_one_clear_error() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = output(as_app_by_environment(
        dir.path(),
        &["verify", "o/node@v0.1.0", "--api-url", &url],
    ))
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let error = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        error.starts_with(&format!("error: cannot reach the GitHub API at {url}: ")),
        "{err}"
    );
    assert!(!err.contains("gave up after"), "{err}");
    assert!(
        err.contains(
            "\nhelp: check the API URL (--api-url, GITHUB_API_URL), the network and the proxy or certificates in between\n"
        ),
        "{err}"
    );
}
