//! Watching runs against the fake GitHub: conditional polling (304s), every state a run
//! goes through, retry-after and backoff recorded by the pacer (never measured on the
//! wall clock), a hanging server, rerun-failed-jobs and cancel.

use std::time::Duration;

use relplan::github::GitHubError;
use relplan::github::run_state::{Conclusion, RunState};
use relplan::run_error::RunError;

use crate::common::github::{attempt, dispatch_and_find};
use crate::fake_github::{FakeGitHub, FaultKind, Script, build_chain, job};

/// Dispatches one build of `o/node` and returns its run id.
async fn one_run(fake: &FakeGitHub, script: Script) -> u64 {
    fake.add_build("o/node", script);
    let job = job("node", "o/node", build_chain("o/node"), &[]);
    dispatch_and_find(&fake.client(), fake, &job, "cid").await[0]
}

#[tokio::test]
async fn a_run_moves_from_queued_to_success_and_unchanged_polls_are_304s() {
    let fake = FakeGitHub::start().await;
    let run = one_run(&fake, Script::default()).await;
    let github = fake.client();
    let mut seen = Vec::new();
    for step in [0, 0, 10, 0, 60, 0] {
        fake.advance(step);
        let observed = github.observe_run("o/node", run).await.expect("observed");
        seen.push((observed.state.to_string(), observed.changed));
    }
    assert_eq!(
        seen,
        [
            ("queued".to_string(), true),
            ("queued".to_string(), false),
            ("in progress".to_string(), true),
            ("in progress".to_string(), false),
            ("completed: success".to_string(), true),
            ("completed: success".to_string(), false),
        ]
    );
    let run_polls: Vec<u16> = fake
        .log()
        .iter()
        .filter(|l| l.path.ends_with(&format!("/runs/{run}")))
        .map(|l| l.status)
        .collect();
    assert_eq!(run_polls, [200, 304, 200, 304, 200, 304]);
}

#[tokio::test]
async fn waiting_is_an_approval_and_failures_do_not_succeed() {
    let fake = FakeGitHub::start().await;
    let run = one_run(
        &fake,
        Script {
            outcomes: vec!["waiting".into()],
            ..Script::default()
        },
    )
    .await;
    fake.advance(1000);
    let observed = fake
        .client()
        .observe_run("o/node", run)
        .await
        .expect("observed");
    assert_eq!(observed.state, RunState::WaitingForApproval);
    assert_eq!(observed.state.to_string(), "waiting for an approval");
}

#[tokio::test]
async fn a_failed_run_is_rerun_with_rerun_failed_jobs() {
    let fake = FakeGitHub::start().await;
    let run = one_run(
        &fake,
        Script {
            outcomes: vec!["failure".into(), "success".into()],
            ..Script::default()
        },
    )
    .await;
    let github = fake.client();
    let refused = github.rerun_failed_jobs("o/node", run).await;
    assert!(
        matches!(refused, Err(GitHubError::Status { status: 403, .. })),
        "still running: {refused:?}"
    );
    fake.advance(70);
    let failed = github.observe_run("o/node", run).await.expect("observed");
    assert_eq!(failed.state, RunState::Completed(Conclusion::Failure));
    assert!(!failed.state.succeeded());

    github
        .rerun_failed_jobs("o/node", run)
        .await
        .expect("rerun accepted");
    let again = github.observe_run("o/node", run).await.expect("observed");
    assert_eq!(
        (again.run.run_attempt, again.state.clone()),
        (2, RunState::Queued("queued".into()))
    );
    fake.advance(70);
    let done = github.observe_run("o/node", run).await.expect("observed");
    assert!(done.state.succeeded());
    assert_eq!(fake.run_ids("o/node").len(), 1, "a rerun is not a new run");
}

#[tokio::test]
async fn cancelling_a_run_and_cancelling_a_finished_one() {
    let fake = FakeGitHub::start().await;
    let run = one_run(
        &fake,
        Script {
            outcomes: vec!["never".into()],
            ..Script::default()
        },
    )
    .await;
    let github = fake.client();
    github.cancel_run("o/node", run).await.expect("cancelled");
    let observed = github.observe_run("o/node", run).await.expect("observed");
    assert_eq!(observed.state, RunState::Completed(Conclusion::Cancelled));
    github
        .cancel_run("o/node", run)
        .await
        .expect("a finished run is left alone");
}

#[tokio::test]
async fn reads_wait_as_long_as_retry_after_says() {
    let fake = FakeGitHub::start().await;
    let run = one_run(&fake, Script::default()).await;
    fake.fault(
        "GET",
        &format!("/runs/{run}"),
        FaultKind::SecondaryLimit(7),
        1,
    );
    fake.fault("GET", &format!("/runs/{run}"), FaultKind::TooMany(3), 1);
    let github = fake.client();
    let observed = github
        .observe_run("o/node", run)
        .await
        .expect("observed after waiting");
    assert_eq!(observed.state.to_string(), "queued");
    assert_eq!(
        github.pacer().waits(),
        [Duration::from_secs(7), Duration::from_secs(3)]
    );
    let statuses: Vec<u16> = fake
        .log()
        .iter()
        .filter(|l| l.path.ends_with(&format!("/runs/{run}")))
        .map(|l| l.status)
        .collect();
    assert_eq!(statuses, [403, 429, 200]);
}

#[tokio::test]
async fn reads_back_off_on_server_errors_and_give_up_eventually() {
    let fake = FakeGitHub::start().await;
    let run = one_run(&fake, Script::default()).await;
    let path = format!("/runs/{run}");
    fake.fault("GET", &path, FaultKind::BadGatewayBefore, 3);
    let github = fake.client();
    github
        .observe_run("o/node", run)
        .await
        .expect("observed after backing off");
    assert_eq!(
        github.pacer().waits(),
        [
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(4)
        ]
    );

    fake.fault("GET", &path, FaultKind::BadGatewayBefore, 100);
    let err = github
        .observe_run("o/node", run)
        .await
        .expect_err("gives up");
    insta::assert_snapshot!(RunError::from(err).render());
}

#[tokio::test]
async fn a_hanging_answer_times_out_and_is_retried() {
    let fake = FakeGitHub::start().await;
    let run = one_run(&fake, Script::default()).await;
    fake.fault("GET", &format!("/runs/{run}"), FaultKind::Hang, 1);
    let github = fake.client();
    let observed = github
        .observe_run("o/node", run)
        .await
        .expect("the retry answers");
    assert_eq!(observed.state.to_string(), "queued");
    assert_eq!(github.pacer().waits(), [Duration::from_secs(1)]);
}

#[tokio::test]
async fn a_hanging_dispatch_is_uncertain_not_resent() {
    let fake = FakeGitHub::start().await;
    fake.add_build("o/node", Script::default());
    fake.fault("POST", "/dispatches", FaultKind::Hang, 1);
    let github = fake.client();
    let job = job("node", "o/node", build_chain("o/node"), &[]);
    let err = github
        .dispatch(&attempt(&job, "cid"))
        .await
        .expect_err("no answer");
    assert!(err.is_uncertain());
    assert_eq!(
        fake.count("POST", "/dispatches"),
        0,
        "the hanging request never finished"
    );
    assert!(github.pacer().waits().is_empty());
}

#[tokio::test]
async fn an_exhausted_rate_limit_is_waited_out_until_its_reset() {
    let fake = FakeGitHub::start().await;
    let run = one_run(&fake, Script::default()).await;
    let path = format!("/runs/{run}");
    let github = fake.client();
    // A 403 "rate limit exceeded": the read waits for the reset, then succeeds.
    fake.fault("GET", &path, FaultKind::Exhausted(600), 1);
    github
        .observe_run("o/node", run)
        .await
        .expect("observed after the reset");
    // A success that used the last request: the next request of any kind waits first.
    fake.fault("GET", &path, FaultKind::LastRequest(900), 1);
    github.observe_run("o/node", run).await.expect("observed");
    assert_eq!(github.pacer().waits().len(), 1);
    github
        .observe_run("o/node", run)
        .await
        .expect("observed after the reset");
    let waits: Vec<u64> = github.pacer().waits().iter().map(|w| w.as_secs()).collect();
    // Resets are wall-clock instants; allow for the seconds this test itself takes.
    assert!(waits.len() == 2, "{waits:?}");
    assert!((590..=600).contains(&waits[0]), "{waits:?}");
    assert!((890..=900).contains(&waits[1]), "{waits:?}");
}
