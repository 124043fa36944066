//! Dispatching against the fake GitHub: both trigger kinds, discovery by correlation id,
//! the `return_run_details` fallback, a 502 that hid a successful dispatch, rate-limited
//! dispatches, and tag resolution before dispatching.

use relplan::compiled::Trigger;
use relplan::github::GitHubError;
use relplan::github::dispatch::Dispatched;
use relplan::run_error::RunError;

use crate::common::github::attempt;
use crate::fake_github::{FakeGitHub, FaultKind, Script, TagTarget, Workflow, build_chain, job};

fn workflow_dispatch(repo: &str) -> Trigger {
    Trigger::WorkflowDispatch {
        repo: repo.into(),
        workflow: "release.yml".into(),
        git_ref: "main".into(),
        inputs: serde_json::from_value(serde_json::json!({"channel": "beta", "count": 2}))
            .unwrap_or_default(),
    }
}

fn release_workflow() -> Workflow {
    Workflow {
        file: "release.yml".into(),
        on_event: None,
        script: Script::default(),
    }
}

#[tokio::test]
async fn repository_dispatch_is_found_by_its_correlation_id() {
    let fake = FakeGitHub::start().await;
    fake.add_build("o/node", Script::default());
    let github = fake.client();
    let job = job("node", "o/node", build_chain("o/node"), &["*"]);

    let other = job.clone();
    github
        .dispatch(&attempt(&other, "relplan:other#1:aaaa"))
        .await
        .ok();
    let dispatched = github.dispatch(&attempt(&job, "relplan:node#1:bbbb")).await;
    assert!(
        matches!(
            dispatched,
            Ok(Dispatched::Discover {
                event: "repository_dispatch"
            })
        ),
        "{dispatched:?}"
    );

    let runs = github
        .find_runs(
            "o/node",
            "repository_dispatch",
            "relplan:node#1:bbbb",
            fake.epoch(),
        )
        .await
        .expect("discovery works");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].display_title, "build relplan:node#1:bbbb");
    assert_eq!(fake.count("POST", "/dispatches"), 2);
}

#[tokio::test]
async fn every_workflow_on_the_event_counts() {
    let fake = FakeGitHub::start().await;
    fake.add_build("o/node", Script::default());
    fake.add_build("o/node", Script::default());
    let github = fake.client();
    let job = job("node", "o/node", build_chain("o/node"), &[]);
    github
        .dispatch(&attempt(&job, "cid-2"))
        .await
        .expect("dispatched");
    let runs = github
        .find_runs("o/node", "repository_dispatch", "cid-2", fake.epoch())
        .await
        .expect("discovery works");
    assert_eq!(runs.len(), 2);
}

#[tokio::test]
async fn discovery_before_the_run_exists_costs_304s() {
    let fake = FakeGitHub::start().await;
    fake.add_build("o/node", Script::default());
    let github = fake.client();
    for _ in 0..3 {
        let runs = github
            .find_runs("o/node", "repository_dispatch", "cid-x", fake.epoch())
            .await
            .expect("listing works");
        assert!(runs.is_empty());
    }
    let statuses: Vec<u16> = fake.log().iter().map(|l| l.status).collect();
    assert_eq!(statuses, [200, 304, 304]);
}

#[tokio::test]
async fn a_dispatch_answered_502_after_it_happened_is_found_not_repeated() {
    let fake = FakeGitHub::start().await;
    fake.add_build("o/node", Script::default());
    fake.fault("POST", "/dispatches", FaultKind::BadGatewayAfter, 1);
    let github = fake.client();
    let job = job("node", "o/node", build_chain("o/node"), &[]);

    let first = github.dispatch(&attempt(&job, "cid-502")).await;
    let err = first.expect_err("a 502 is not a success");
    assert!(err.is_uncertain(), "{err}");
    // What the executor does before retrying: look the correlation id up.
    let runs = github
        .find_runs("o/node", "repository_dispatch", "cid-502", fake.epoch())
        .await
        .expect("discovery works");
    assert_eq!(runs.len(), 1, "the dispatch went through; no retry needed");
    assert_eq!(
        fake.count("POST", "/dispatches"),
        1,
        "the client itself never resent it"
    );
}

#[tokio::test]
async fn a_dispatch_answered_502_before_it_happened_is_retried_after_the_lookup() {
    let fake = FakeGitHub::start().await;
    fake.add_build("o/node", Script::default());
    fake.fault("POST", "/dispatches", FaultKind::BadGatewayBefore, 1);
    let github = fake.client();
    let job = job("node", "o/node", build_chain("o/node"), &[]);

    assert!(
        github
            .dispatch(&attempt(&job, "cid-b"))
            .await
            .is_err_and(|e| e.is_uncertain())
    );
    let found = github
        .find_runs("o/node", "repository_dispatch", "cid-b", fake.epoch())
        .await
        .expect("discovery works");
    assert!(found.is_empty());
    github
        .dispatch(&attempt(&job, "cid-b"))
        .await
        .expect("the retry goes through");
    assert_eq!(fake.run_ids("o/node").len(), 1);
}

#[tokio::test]
async fn a_rate_limited_dispatch_is_rejected_with_its_wait_and_not_resent() {
    let fake = FakeGitHub::start().await;
    fake.add_build("o/node", Script::default());
    fake.fault("POST", "/dispatches", FaultKind::SecondaryLimit(42), 1);
    let github = fake.client();
    let job = job("node", "o/node", build_chain("o/node"), &[]);
    match github.dispatch(&attempt(&job, "cid-r")).await {
        Err(GitHubError::Rejected { retry_after, .. }) => assert_eq!(retry_after.as_secs(), 42),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(fake.count("POST", "/dispatches"), 1);
    assert!(fake.run_ids("o/node").is_empty());
}

#[tokio::test]
async fn workflow_dispatch_returns_the_run_id() {
    let fake = FakeGitHub::start().await;
    fake.add_workflow("o/app", release_workflow());
    let github = fake.client();
    let job = job("app", "o/app", workflow_dispatch("o/app"), &[]);
    let dispatched = github
        .dispatch(&attempt(&job, "cid-w"))
        .await
        .expect("dispatched");
    let runs = fake.run_ids("o/app");
    assert_eq!(dispatched, Dispatched::Run(runs[0]));
    assert_eq!(fake.count("POST", "/dispatches"), 1);
}

#[tokio::test]
async fn a_server_rejecting_return_run_details_gets_a_plain_dispatch_and_discovery() {
    let fake = FakeGitHub::start().await;
    fake.add_workflow("o/app", release_workflow());
    fake.with(|w| w.reject_run_details = true);
    let github = fake.client();
    let job = job("app", "o/app", workflow_dispatch("o/app"), &[]);
    let dispatched = github
        .dispatch(&attempt(&job, "cid-ghe"))
        .await
        .expect("dispatched");
    assert_eq!(
        dispatched,
        Dispatched::Discover {
            event: "workflow_dispatch"
        }
    );
    let statuses: Vec<u16> = fake.log().iter().map(|l| l.status).collect();
    assert_eq!(statuses, [422, 204]);
    let runs = github
        .find_runs("o/app", "workflow_dispatch", "cid-ghe", fake.epoch())
        .await
        .expect("discovery works");
    assert_eq!(runs.len(), 1);
}

#[tokio::test]
async fn a_payload_using_relplans_key_is_refused_before_sending() {
    let fake = FakeGitHub::start().await;
    let github = fake.client();
    let mut job = job("node", "o/node", build_chain("o/node"), &[]);
    job.payload.insert("relplan".into(), serde_json::json!(1));
    let err = github
        .dispatch(&attempt(&job, "cid"))
        .await
        .expect_err("refused");
    assert_eq!(
        RunError::from(err).render().trim_end(),
        "error: the payload of job `node` uses the key `relplan`, which relplan sends itself\n\
         help: change the job's payload in the plan and compile it again"
    );
    assert!(fake.log().is_empty());
}

#[tokio::test]
async fn tags_resolve_through_annotated_tags_and_moved_tags_are_refused() {
    let fake = FakeGitHub::start().await;
    let commit = "c0ffee0000000000000000000000000000000001";
    fake.add_tag("o/node", "v0.1.0", TagTarget::Commit(commit.into()));
    fake.add_tag(
        "o/node",
        "v0.2.0",
        TagTarget::Annotated {
            object: "7a9000000000000000000000000000000000000a".into(),
            commit: commit.into(),
        },
    );
    let github = fake.client();
    let resolved = github.resolve_tag("o/node", "v0.1.0", Some(commit)).await;
    assert_eq!(resolved.ok().as_deref(), Some(commit));
    let annotated = github
        .resolve_tag("o/node", "v0.2.0", Some("c0ffee0"))
        .await;
    assert_eq!(annotated.ok().as_deref(), Some(commit));

    let moved = github
        .resolve_tag(
            "o/node",
            "v0.1.0",
            Some("deadbeef00000000000000000000000000000000"),
        )
        .await
        .expect_err("a moved tag is refused");
    insta::assert_snapshot!(RunError::from(moved).render());
    let missing = github
        .resolve_tag("o/node", "v9", None)
        .await
        .expect_err("no such tag");
    assert_eq!(missing.to_string(), "`o/node` has no tag `v9`");
}
