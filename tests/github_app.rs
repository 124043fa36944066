//! GitHub App authentication against the fake GitHub, which checks it as GitHub does (the
//! JWT's RS256 signature with the test key's public half and its times, installations,
//! token expiry, repositories and permissions): the installation of each owner is found
//! and its token minted for the plan's repositories and relplan's permissions; tokens are
//! renewed before they expire and at once when GitHub revokes one, the refused request
//! sent once more; and a release whose tokens live 20 seconds runs for over a minute of
//! (fake) time with no 401 at all.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use relplan::backend::github::GitHubBackend;
use relplan::compiled::{CompiledPlan, Job, JobKind, Release};
use relplan::exec::backend::{Clock, unix_ms};
use relplan::exec::event::{BackendKind, Settings};
use relplan::exec::executor::Ending;
use relplan::exec::reporter::Reporter;
use relplan::exec::temp_dir;
use relplan::github::app::App;
use relplan::github::{GitHubError, Token};
use relplan::run_error::RunError;

use crate::common::executor;
use crate::common::github::{attempt, tagged_build};
use crate::fake_github::app::{APP_ID, app_credentials};
use crate::fake_github::world::zip_of;
use crate::fake_github::{FakeGitHub, Logged, Script, build_chain, job};

const ALL: &[(&str, &str)] = &[
    ("actions", "write"),
    ("contents", "write"),
    ("metadata", "read"),
];

/// `method path status` of every request logged.
fn requests(log: &[Logged]) -> Vec<String> {
    log.iter()
        .map(|l| format!("{} {} {}", l.method, l.path, l.status))
        .collect()
}

/// o/node and o/sdk with tagged builds, p/tools with a repository only.
fn world(fake: &FakeGitHub) {
    for repo in ["o/node", "o/sdk"] {
        tagged_build(fake, repo, "v0.1.0", "c0ffee", Script::default());
    }
    fake.with(|w| {
        w.repos.entry("p/tools".into()).or_default();
        w.repos.entry("o/unrelated".into()).or_default();
    });
}

#[tokio::test]
async fn each_owner_gets_a_token_of_its_installation_for_the_plan_repositories_only() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    fake.auth_on_fake_clock();
    let o = fake.install_app("o", None, ALL);
    let p = fake.install_app("p", Some(&["tools"]), ALL);
    let github = fake.app_client(&["o/node", "o/sdk", "p/tools"]);
    for repo in ["o/node", "p/tools", "o/sdk"] {
        let found = github.repository(repo).await.expect("read");
        assert_eq!(found.map(|r| r.full_name), Some(repo.to_string()));
    }
    assert_eq!(
        requests(&fake.log()),
        [
            "GET /repos/o/node/installation 200".to_string(),
            format!("POST /app/installations/{o}/access_tokens 201"),
            "GET /repos/o/node 200".into(),
            "GET /repos/p/tools/installation 200".into(),
            format!("POST /app/installations/{p}/access_tokens 201"),
            "GET /repos/p/tools 200".into(),
            "GET /repos/o/sdk 200".into(),
        ]
    );
    let issued = fake.issued();
    let scopes: Vec<(u64, Vec<String>)> = issued
        .iter()
        .map(|i| (i.installation, i.repositories.clone()))
        .collect();
    assert_eq!(
        scopes,
        [
            (o, vec!["o/node".to_string(), "o/sdk".into()]),
            (p, vec!["p/tools".to_string()]),
        ]
    );
    for token in &issued {
        let permissions: Vec<(&str, &str)> = token
            .permissions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(permissions, ALL);
    }
    // One JWT for both lookups and mints: issued a minute back, nine minutes to live.
    let jwts = fake.with(|w| w.auth.jwts.clone());
    assert_eq!(jwts.len(), 4);
    assert!(
        jwts.iter()
            .all(|j| j.iat == j.now - 60 && j.exp == j.now + 540)
    );

    // The fake refuses a token outside its installation's repositories, and after expiry.
    let o_token = fake.client_with(|c| c.credentials = Token::new(&issued[0].token).into());
    assert_eq!(o_token.repository("o/unrelated").await.ok(), Some(None));
    assert!(o_token.repository("p/tools").await.expect("read").is_none());
    fake.advance(3600);
    let expired = o_token.repository("o/node").await.expect_err("refused");
    assert!(expired.is_credentials(), "{expired:?}");
}

#[tokio::test]
async fn tokens_are_renewed_a_third_of_their_life_before_they_expire() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    fake.auth_on_fake_clock();
    fake.set_token_lifetime(20);
    fake.install_app("o", None, ALL);
    let github = fake.app_client(&["o/node"]);
    for _ in 0..=12 {
        github.repository("o/node").await.expect("read");
        fake.advance(5);
    }
    // Reads at 0, 5, … 60 s; a token minted at t lives until t + 20 and is renewed from
    // t + 13.3 on: minted at 0, 15, 30, 45 and 60.
    let mints = fake.count("POST", "/access_tokens");
    assert_eq!(mints, 5);
    assert!(fake.log().iter().all(|l| l.status != 401));
    assert_eq!(fake.issued().len(), 5);
}

#[tokio::test]
async fn a_revoked_token_is_renewed_at_once_and_the_refused_request_sent_once_more() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    fake.auth_on_fake_clock();
    let installation = fake.install_app("o", None, ALL);
    let github = fake.app_client(&["o/node"]);
    github.repository("o/node").await.expect("read");

    // A mutation: GitHub refused it, so it happened once, with the new token.
    fake.revoke_installation_tokens();
    let before = fake.log().len();
    let node = job("node", "o/node", build_chain("o/node"), &[]);
    github
        .dispatch(&attempt(&node, "cid-revoked"))
        .await
        .expect("dispatched");
    assert_eq!(
        requests(&fake.log()[before..]),
        [
            "POST /repos/o/node/dispatches 401".to_string(),
            format!("POST /app/installations/{installation}/access_tokens 201"),
            "POST /repos/o/node/dispatches 204".into(),
        ]
    );
    assert_eq!(fake.run_ids("o/node").len(), 1, "dispatched once");

    // A read the same way.
    fake.revoke_installation_tokens();
    let before = fake.log().len();
    github.repository("o/node").await.expect("read");
    assert_eq!(
        requests(&fake.log()[before..]),
        [
            "GET /repos/o/node 401".to_string(),
            format!("POST /app/installations/{installation}/access_tokens 201"),
            "GET /repos/o/node 200".into(),
        ]
    );
}

#[tokio::test]
async fn an_installation_without_a_repository_or_a_permission_is_a_credentials_error() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    fake.install_app(
        "o",
        Some(&["node"]),
        &[
            ("actions", "read"),
            ("contents", "write"),
            ("metadata", "read"),
        ],
    );
    let not_installed = fake.app_client(&["o/sdk"]);
    let error = not_installed
        .repository("o/sdk")
        .await
        .expect_err("refused");
    let shown = RunError::from(error).render();
    assert_eq!(
        shown,
        "error: GitHub App 4242 is not installed on `o/sdk`\nhelp: install the App on `o` with access to the plan's repositories (the App's page → Install App, or `o`'s Settings → GitHub Apps → Configure)\n"
    );

    let lacking = fake.app_client(&["o/node"]);
    let error = lacking.repository("o/node").await.expect_err("refused");
    assert!(error.is_credentials(), "{error:?}");
    assert_eq!(
        error.to_string(),
        "GitHub App 4242 may not act on `o/node` with actions: write, contents: write, metadata: read (The permissions requested are not granted to this installation.)"
    );

    // A token with fewer permissions is refused what it may not do.
    let installation = fake.with(|w| w.auth.installations[0].id);
    let narrow = fake.with(|w| {
        let token = "ghs_fakeNarrowToken000001".to_string();
        w.auth.issued.push(crate::fake_github::app::Issued {
            token: token.clone(),
            installation,
            repositories: vec!["o/node".into()],
            permissions: [("metadata".to_string(), "read".to_string())].into(),
            expires_at: i64::MAX,
            revoked: false,
        });
        token
    });
    let reader = fake.client_with(|c| c.credentials = Token::new(narrow).into());
    assert!(reader.repository("o/node").await.expect("read").is_some());
    let node = job("node", "o/node", build_chain("o/node"), &[]);
    match reader.dispatch(&attempt(&node, "cid")).await {
        Err(GitHubError::Status {
            status: 403,
            message,
            ..
        }) => {
            assert_eq!(message, "Resource not accessible by integration");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_fake_checks_the_jwt_signature_issuer_and_times() {
    let fake = FakeGitHub::start().await;
    fake.auth_on_fake_clock();
    let relplan::github::Credentials::App(app) = app_credentials() else {
        panic!("the test App");
    };
    let now = std::time::UNIX_EPOCH + Duration::from_secs(fake.with(|w| w.auth_now()) as u64);
    let as_token = |jwt: String| fake.client_with(|c| c.credentials = Token::new(jwt).into());
    let jwt = app.jwt(now).expect("signed");
    assert!(
        as_token(jwt.expose().into())
            .get("app", "/app")
            .await
            .is_ok()
    );

    // Claims changed after signing.
    let (header, rest) = jwt.expose().split_once('.').expect("parts");
    let (_, signature) = rest.split_once('.').expect("parts");
    let forged_claims = serde_json::json!({"iat": 0, "exp": i64::MAX, "iss": APP_ID});
    let forged = format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(forged_claims.to_string())
    );
    let error = as_token(forged)
        .get("app", "/app")
        .await
        .expect_err("refused");
    assert!(error.is_credentials(), "{error:?}");

    // Another App, a JWT from the future and one that expired.
    let other = App {
        id: octocrab::models::AppId(1),
        ..app.clone()
    };
    for jwt in [
        other.jwt(now),
        app.jwt(now + Duration::from_secs(120)),
        app.jwt(now - Duration::from_secs(600)),
    ] {
        let jwt = jwt.expect("signed").expose().to_string();
        let error = as_token(jwt).get("app", "/app").await.expect_err("refused");
        assert!(error.is_credentials(), "{error:?}");
    }
    assert_eq!(
        fake.with(|w| w.auth.jwts.len()),
        1,
        "only the first was accepted"
    );
}

/// Backend seconds per real second; the fake's clock runs as fast.
const SPEED: f64 = 500.0;

/// node → sdk → release into `p/blvm`: two owners, so two installations.
fn two_owner_plan() -> CompiledPlan {
    let mut node = job("node", "o/node", build_chain("o/node"), &["*"]);
    node.timeout_s = 86_400;
    node.estimate_s = 30;
    let mut sdk = job("sdk", "o/sdk", build_chain("o/sdk"), &["*"]);
    sdk.needs = vec!["node".into()];
    sdk.timeout_s = 86_400;
    sdk.estimate_s = 30;
    let release = Job {
        id: "release".into(),
        kind: JobKind::Release,
        repo: "p/blvm".into(),
        git_ref: None,
        commit: None,
        version: None,
        needs: vec!["node".into(), "sdk".into()],
        group: 0,
        trigger: None,
        payload: Default::default(),
        timeout_s: 86_400,
        retries: 1,
        estimate_s: 30,
        publish: Vec::new(),
        local: None,
    };
    CompiledPlan::assemble(
        Release {
            name: "Bitcoin Commons".into(),
            version: "0.1.0".into(),
            tag: "v0.1.0".into(),
            prerelease: true,
            repo: Some("p/blvm".into()),
            commit: None,
        },
        vec![node, sdk, release],
        None,
    )
    .unwrap_or_else(|cycles| panic!("the test plan has cycles: {cycles:?}"))
}

#[tokio::test]
async fn a_release_whose_tokens_live_20_seconds_runs_over_a_minute_without_a_401() {
    let fake = FakeGitHub::start().await;
    for (repo, file) in [("o/node", "node.tar.gz"), ("o/sdk", "sdk.tar.gz")] {
        let script = Script {
            queued_s: 5,
            duration_s: 30,
            artifacts: vec![("dist".into(), zip_of(&[(file, file.as_bytes())]))],
            ..Script::default()
        };
        tagged_build(&fake, repo, "v0.1.0", "c0ffee", script);
    }
    fake.with(|w| {
        w.repos.entry("p/blvm".into()).or_default();
    });
    fake.auth_on_fake_clock();
    fake.set_token_lifetime(20);
    fake.install_app("o", None, ALL);
    fake.install_app("p", Some(&["blvm"]), ALL);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let plan = two_owner_plan();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let settings = Settings {
        backend: BackendKind::GitHub {
            api_url: fake.url.clone(),
            poll_interval_s: 5,
            app_id: Some(APP_ID),
        },
        concurrency: None,
        fail_fast: false,
        seed: 1,
        origin_unix_ms: unix_ms(),
    };
    let reporter = Reporter::memory();
    let ending = executor::apply(
        dir.path(),
        &plan,
        settings,
        None,
        reporter.clone(),
        |journaled, reporter| {
            let clock = Clock {
                origin_unix_ms: journaled.origin_unix_ms,
                speed: SPEED,
            };
            let github = fake.app_client(&["o/node", "o/sdk", "p/blvm"]);
            let backend = GitHubBackend::new(
                github,
                clock,
                &plan.plan_hash,
                &plan.release.version,
                Duration::from_secs(5),
                reporter,
                &temp_dir::ensure(dir.path()).expect("a temporary directory"),
            );
            (backend, clock)
        },
    )
    .await;
    assert_eq!(
        ending.ok(),
        Some(Ending::Finished { succeeded: true }),
        "{:?}",
        reporter.lines()
    );
    let releases = fake.releases();
    assert_eq!(releases.len(), 1);
    assert!(!releases[0].draft);
    let (ran_s, sdk_done) = fake.with(|w| {
        let sdk = w
            .runs
            .iter()
            .find(|r| r.repo == "o/sdk")
            .map(|r| w.updated_s(r));
        (w.now_s, sdk.unwrap_or(0))
    });
    assert!(
        sdk_done > 60,
        "the builds ended {sdk_done} s in (fake time)"
    );
    assert!(ran_s > 60);
    let refused: Vec<Logged> = fake
        .log()
        .into_iter()
        .filter(|l| l.status == 401 || l.status == 403)
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    // Both owners' tokens were renewed as the run went on: over a minute of 20 s tokens.
    let issued = fake.issued();
    let per_installation = |id: u64| issued.iter().filter(|i| i.installation == id).count();
    println!(
        "{} tokens of `o`, {} of `p` over {ran_s} s (fake time)",
        per_installation(100),
        per_installation(101)
    );
    assert!(
        per_installation(100) >= 4,
        "{} tokens of `o`",
        per_installation(100)
    );
    assert!(per_installation(101) >= 1);
}
