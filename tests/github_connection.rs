//! How every command that talks to GitHub is told where and as whom (`--api-url`, a GitHub
//! App, a token), as a user meets it: an API root that is not an http(s) URL is a usage
//! error naming the flag (or `GITHUB_API_URL`) and the value, on every such command; missing
//! credentials are one error, whose help asks for what the command needs; and the help of a
//! GitHub error fits the command that met it (a read-only command is never told to
//! resume).

use std::path::Path;

use crate::common::github::{output, relplan_with_token, two_builds, write_two_build_plan};
use crate::common::{stderr, stdout};
use crate::fake_github::{FakeGitHub, FaultKind, SECRET};

/// Every command that takes the GitHub flags, with the arguments it needs to get that far.
const COMMANDS: &[&[&str]] = &[
    &[
        "apply",
        "plan.toml",
        "--backend",
        "github",
        "--state-dir",
        "state",
    ],
    &["resume", "--state-dir", "state"],
    &["retry", "--state-dir", "state"],
    &["cancel", "--state-dir", "state"],
    &["preflight", "plan.toml"],
    &["pin", "plan.toml"],
    &["verify", "o/node@v0.1.0"],
    &["compare", "o/node@v0.1.0", "o/sdk@v0.1.0"],
];

fn plan_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_two_build_plan(dir.path());
    dir
}

#[tokio::test]
async fn an_api_url_that_is_not_an_http_url_is_a_usage_error_on_every_command() {
    let dir = plan_dir();
    for bad in [
        "ftp://ghe.example/api",
        "not a url",
        "https://ghe.example/api?x=1",
    ] {
        let why = relplan::github::ApiUrl::parse(bad).expect_err("refused");
        for command in COMMANDS {
            let mut args = command.to_vec();
            args.extend(["--api-url", bad]);
            let out = output(relplan_with_token(dir.path(), &args, true)).await;
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            let first = stderr(&out).lines().next().unwrap_or_default().to_string();
            assert_eq!(
                first,
                format!("error: invalid value '{bad}' for '--api-url <URL>': {why}"),
                "{args:?}"
            );
            assert!(!stderr(&out).contains(SECRET) && !stdout(&out).contains(SECRET));
        }
    }
    assert_eq!(
        relplan::github::ApiUrl::parse("ftp://ghe.example/api"),
        Err("not an http(s) URL (its scheme is `ftp`)".to_string())
    );
    assert!(!dir.path().join("state").exists(), "nothing was written");
}

#[tokio::test]
async fn a_github_api_url_that_is_not_an_http_url_is_a_usage_error_naming_the_variable() {
    let dir = plan_dir();
    for command in [
        &[
            "apply",
            "plan.toml",
            "--backend",
            "github",
            "--state-dir",
            "state",
        ][..],
        &["pin", "plan.toml"],
        &["verify", "o/node@v0.1.0"],
    ] {
        let mut relplan = relplan_with_token(dir.path(), command, true);
        relplan.env("GITHUB_API_URL", "ftp://ghe.example/api");
        let out = output(relplan).await;
        assert_eq!(out.status.code(), Some(2), "{command:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            "error: GITHUB_API_URL `ftp://ghe.example/api` is not an http(s) URL (its scheme is `ftp`)\n\
             help: set GITHUB_API_URL to the REST API root (https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server), or pass `--api-url URL`\n",
            "{command:?}"
        );
    }
    assert!(!dir.path().join("state").exists(), "nothing was written");
}

/// The error of missing credentials, asking for a token that may do `what`.
fn no_credentials(what: &str) -> String {
    format!(
        "error: no GitHub token: neither GITHUB_TOKEN nor GH_TOKEN is set, and no GitHub App is given\n\
         help: export GITHUB_TOKEN (or GH_TOKEN) with a token that may {what}, or pass a GitHub App's `--app-id ID --app-key FILE`\n"
    )
}

#[tokio::test]
async fn missing_credentials_are_one_error_asking_for_what_the_command_needs() {
    let fake = FakeGitHub::start().await;
    let dir = plan_dir();
    let url = fake.url.as_str();
    for (args, what) in [
        (
            &[
                "apply",
                "plan.toml",
                "--backend",
                "github",
                "--state-dir",
                "state",
                "--api-url",
                url,
            ][..],
            "dispatch workflows and write releases",
        ),
        (
            &["pin", "plan.toml", "--api-url", url],
            "read the repositories' contents (their tags)",
        ),
        (
            &["verify", "o/node@v0.1.0", "--api-url", url],
            "read the repositories' releases",
        ),
        (
            &["compare", "o/node@v0.1.0", "o/sdk@v0.1.0", "--api-url", url],
            "read the repositories' releases",
        ),
    ] {
        let out = output(relplan_with_token(dir.path(), args, false)).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&out), no_credentials(what), "{args:?}");
    }
    // The preflight reports the same error as its finding.
    let out = output(relplan_with_token(
        dir.path(),
        &[
            "preflight",
            "plan.toml",
            "--api-url",
            url,
            "--format",
            "json",
        ],
        false,
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let finding = &report["findings"][0];
    assert_eq!(finding["code"], "preflight::token-missing");
    let expected = no_credentials("dispatch workflows and write releases");
    let (message, help) = expected.trim_end().split_once('\n').expect("two lines");
    assert_eq!(finding["message"], message.trim_start_matches("error: "));
    assert_eq!(finding["help"], help.trim_start_matches("help: "));
    assert!(fake.log().is_empty(), "nothing was sent");
    assert!(!dir.path().join("state").exists(), "nothing was written");
}

/// `args` in `dir` with the test token against a fake whose reads matching `path` are
/// answered 400.
async fn refused_read(dir: &Path, fake: &FakeGitHub, path: &str, args: &[&str]) -> String {
    fake.fault("GET", path, FaultKind::EchoToken(400), 1000);
    let mut args = args.to_vec();
    args.extend(["--api-url", fake.url.as_str()]);
    let out = output(relplan_with_token(dir, &args, true)).await;
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    format!("{}{}", stdout(&out), stderr(&out))
}

#[tokio::test]
async fn a_read_only_command_s_github_errors_never_say_resume() {
    let help = "check the API URL (--api-url, GITHUB_API_URL) and GitHub's status page";

    let fake = FakeGitHub::start().await;
    two_builds(&fake);
    let dir = plan_dir();
    let pinned = refused_read(dir.path(), &fake, "/git/ref/tags/", &["pin", "plan.toml"]).await;
    assert!(pinned.contains(&format!("\nhelp: {help}\n")), "{pinned}");
    assert!(
        pinned.ends_with("help: fix the problems above, then run `relplan pin` again\n"),
        "{pinned}"
    );

    let fake = FakeGitHub::start().await;
    two_builds(&fake);
    let verified = refused_read(dir.path(), &fake, "/releases", &["verify", "o/node@v0.1.0"]).await;
    assert!(
        verified.ends_with(&format!("\nhelp: {help}\n")),
        "{verified}"
    );

    let fake = FakeGitHub::start().await;
    two_builds(&fake);
    let checked = refused_read(dir.path(), &fake, "/repos/o/", &["preflight", "plan.toml"]).await;
    assert!(checked.contains(help), "{checked}");

    for (command, text) in [
        ("pin", pinned),
        ("verify", verified),
        ("preflight", checked),
    ] {
        assert!(!text.contains("resume"), "{command}: {text}");
        assert!(!text.contains(SECRET), "{command}: {text}");
    }
}

/// A usage error echoes the value given: a token pasted into it is masked there too.
#[tokio::test]
async fn a_usage_error_never_shows_the_token_even_when_the_value_holds_it() {
    let dir = plan_dir();
    let bad = format!("https://ghe.example/api?token={SECRET}");
    let out = output(relplan_with_token(
        dir.path(),
        &["verify", "o/node@v0.1.0", "--api-url", &bad],
        true,
    ))
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().next().unwrap_or_default(),
        "error: invalid value 'https://ghe.example/api?token=***' for '--api-url <URL>': not an API root (it has a query or a fragment)"
    );
    assert!(!stderr(&out).contains(SECRET) && !stdout(&out).contains(SECRET));
}
