//! Recovering a release on GitHub, in process against the fake GitHub: `relplan retry`
//! after a build failed for good (re-run in place at attempt 3), a cancel during a build
//! that never ends, a job blocked by a missing tag (no retry spent, no fallback) and
//! continued once the tag exists, a 404 that says it may be missing access, adoption after
//! a crash at any journal write into a brand-new state directory, a finished release
//! applied from a new directory, and an API that stays unreachable.

use std::path::Path;
use std::time::Duration;

use relplan::compiled::{CompiledPlan, Trigger};
use relplan::exec::backend::{Backend, ErrorKind};
use relplan::exec::event::{AttemptOutcome, Event};
use relplan::exec::executor::Ending;
use relplan::exec::journal;
use relplan::exec::machine::{JobState, Machine};
use relplan::exec::reporter::Reporter;
use relplan::exec::requests::{self, Request};

use crate::common::github::assert_one_release;
use crate::common::github_run::{SPEED, apply_reporting, plan, world_with};
use crate::fake_github::{FakeGitHub, FaultKind, Script, TagTarget, Workflow, job};

async fn apply(fake: &FakeGitHub, dir: &Path, plan: &CompiledPlan) -> Option<Ending> {
    apply_reporting(fake, dir, plan, None, Reporter::memory())
        .await
        .ok()
}

fn machine(dir: &Path) -> Machine {
    Machine::replay(&journal::read(dir).expect("the journal reads")).expect("a run")
}

fn state(dir: &Path, job: &str) -> JobState {
    let m = machine(dir);
    m.run(m.index_of(job).expect("a job of the plan")).state()
}

fn retry(dir: &Path, jobs: &[&str]) {
    let request = Request::Retry {
        jobs: jobs.iter().map(|j| j.to_string()).collect(),
    };
    requests::send(dir, &request).expect("the request is written");
}

/// [`plan`] with a `[fallback]` that dispatches the orchestrator workflow of `o/blvm`.
fn with_fallback(plan: CompiledPlan) -> CompiledPlan {
    let fallback = Trigger::WorkflowDispatch {
        repo: "o/blvm".into(),
        workflow: "release_orchestrator.yml".into(),
        git_ref: "main".into(),
        inputs: Default::default(),
    };
    CompiledPlan::assemble(plan.release.clone(), plan.jobs.clone(), Some(fallback))
        .unwrap_or_else(|cycles| panic!("cycles: {cycles:?}"))
}

const FALLBACK_DISPATCH: &str =
    "/repos/o/blvm/actions/workflows/release_orchestrator.yml/dispatches";

fn add_fallback_workflow(fake: &FakeGitHub) {
    fake.add_workflow(
        "o/blvm",
        Workflow {
            file: "release_orchestrator.yml".into(),
            on_event: None,
            script: Script::default(),
        },
    );
}

#[tokio::test]
async fn retry_after_both_attempts_failed_succeeds_at_attempt_3_and_publishes_once() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["failure", "failure", "success"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plan = plan();
    assert_eq!(
        apply(&fake, dir.path(), &plan).await,
        Some(Ending::Finished { succeeded: false })
    );
    assert_eq!(state(dir.path(), "sdk"), JobState::Failed);
    assert_eq!(state(dir.path(), "release"), JobState::Skipped);
    assert!(fake.releases().is_empty());

    retry(dir.path(), &["sdk"]);
    assert_eq!(
        apply(&fake, dir.path(), &plan).await,
        Some(Ending::Finished { succeeded: true })
    );
    let m = machine(dir.path());
    let sdk = m.run(m.index_of("sdk").expect("sdk"));
    let attempts: Vec<(u32, Option<AttemptOutcome>)> =
        sdk.attempts.iter().map(|a| (a.number, a.outcome)).collect();
    assert_eq!(
        attempts,
        [
            (1, Some(AttemptOutcome::Failure)),
            (2, Some(AttemptOutcome::Failure)),
            (3, Some(AttemptOutcome::Success))
        ]
    );
    let sdk_run = fake.run_ids("o/sdk")[0];
    assert_eq!(
        sdk.attempts[2].run.as_ref().map(|r| r.runs.clone()),
        Some(vec![format!("{sdk_run}/3")])
    );
    assert_eq!(m.requests()[0].jobs, ["sdk"]);
    // node (which had succeeded) was not dispatched again; sdk re-ran in place twice.
    assert_eq!(fake.count("POST", "/rerun-failed-jobs"), 2);
    assert_one_release(
        &fake,
        &["o/node", "o/sdk"],
        &["blvm-node-0.1.0.tar.gz", "blvm-sdk-0.1.0.tar.gz"],
    );
}

#[tokio::test]
async fn cancel_during_a_hanging_build_cancels_its_run_and_dispatches_none_of_its_dependents() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["never"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Cancel once sdk runs.
    let canceller = {
        let dir = dir.path().to_path_buf();
        let world = fake.handle();
        tokio::spawn(async move {
            world.run_of("o/sdk").await;
            requests::send(&dir, &Request::Cancel).expect("the request is written");
        })
    };
    assert_eq!(
        apply(&fake, dir.path(), &plan()).await,
        Some(Ending::Finished { succeeded: false })
    );
    canceller.abort();
    let sdk = fake.run_ids("o/sdk");
    assert_eq!(sdk.len(), 1);
    assert_eq!(
        fake.count("POST", &format!("/runs/{}/cancel", sdk[0])),
        1,
        "the hanging run was cancelled"
    );
    assert!(fake.releases().is_empty(), "the release was never started");
    assert_eq!(state(dir.path(), "sdk"), JobState::Cancelled);
    assert_eq!(state(dir.path(), "release"), JobState::Cancelled);
    assert_eq!(state(dir.path(), "node"), JobState::Succeeded);
    let events = journal::read(dir.path()).expect("the journal reads");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::CancelRequested { .. }))
    );
    assert!(matches!(events.last(), Some(Event::Finished { .. })));
    assert!(
        requests::pending(dir.path()).is_empty(),
        "the request was taken"
    );
}

#[tokio::test]
async fn a_missing_tag_blocks_the_job_without_spending_retries_or_starting_the_fallback() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["success"]);
    add_fallback_workflow(&fake);
    // node's tag was never pushed.
    fake.with(|w| {
        if let Some(node) = w.repos.get_mut("o/node") {
            node.tags.clear();
        }
    });
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plan = with_fallback(plan());
    let reporter = Reporter::memory();
    let ending = apply_reporting(&fake, dir.path(), &plan, None, reporter.clone()).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: false }));
    let m = machine(dir.path());
    let node = m.run(m.index_of("node").expect("node"));
    assert_eq!(node.state(), JobState::Blocked);
    assert_eq!(
        node.attempts.len(),
        1,
        "no retry was spent (the plan allows one)"
    );
    let blocked = &node.attempts[0];
    assert_eq!(blocked.outcome, Some(AttemptOutcome::Blocked));
    assert_eq!(
        blocked.reason.as_deref(),
        Some("cannot dispatch: `o/node` has no tag `v0.1.0`")
    );
    assert_eq!(
        blocked.help.as_deref(),
        Some("push the tag named by git_tag in the manifest, then `relplan retry`")
    );
    assert_eq!(state(dir.path(), "sdk"), JobState::Skipped);
    assert_eq!(fake.count("POST", "/repos/o/node/dispatches"), 0);
    assert_eq!(
        fake.count("POST", FALLBACK_DISPATCH),
        0,
        "no fallback for a blocked job"
    );
    assert!(
        reporter.lines().iter().any(|l| l
            .contains("blocked   node (attempt 1): cannot dispatch: `o/node` has no tag `v0.1.0`")),
        "{:#?}",
        reporter.lines()
    );

    // The tag is pushed; the retry continues from node.
    fake.add_tag("o/node", "v0.1.0", TagTarget::Commit("c0ffee".into()));
    retry(dir.path(), &["node"]);
    assert_eq!(
        apply(&fake, dir.path(), &plan).await,
        Some(Ending::Finished { succeeded: true })
    );
    assert_eq!(fake.count("POST", FALLBACK_DISPATCH), 0);
    assert_one_release(
        &fake,
        &["o/node", "o/sdk"],
        &["blvm-node-0.1.0.tar.gz", "blvm-sdk-0.1.0.tar.gz"],
    );
}

#[tokio::test]
async fn a_404_blocks_the_job_and_says_it_may_be_a_missing_permission() {
    let fake = FakeGitHub::start().await;
    fake.add_tag("o/app", "v0.1.0", TagTarget::Commit("c0ffee".into()));
    let trigger = Trigger::WorkflowDispatch {
        repo: "o/app".into(),
        workflow: "release.yml".into(),
        git_ref: "main".into(),
        inputs: Default::default(),
    };
    let app = job("app", "o/app", trigger, &[]);
    let clock = relplan::exec::backend::Clock {
        origin_unix_ms: relplan::exec::backend::unix_ms(),
        speed: 1.0,
    };
    let work = tempfile::tempdir().expect("a work directory");
    let mut backend = relplan::backend::github::GitHubBackend::new(
        fake.client(),
        clock,
        "sha256:abc",
        "0.1.0",
        Duration::from_secs(5),
        Reporter::memory(),
        work.path(),
    );
    match backend.dispatch(&app, 1, "cid-404", None).await {
        Ok(run) => panic!("dispatched {run:?}"),
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Blocked);
            insta::assert_snapshot!(format!(
                "{}\nhelp: {}",
                e.message,
                e.help.unwrap_or_default()
            ));
        }
    }
}

/// Runs [`plan`] in the world `world` once to count its journal writes; then, for every
/// write N, stops a run after N writes, and applies the plan again from a brand-new state
/// directory, which must adopt what the first one started and finish the release without
/// dispatching anything twice.
#[tokio::test]
async fn a_crash_at_any_point_then_a_new_state_directory_dispatches_every_build_once() {
    let plan = plan();
    let world = |fake: &FakeGitHub| world_with(fake, &["failure", "success"]);
    let writes = {
        let fake = FakeGitHub::start().await;
        world(&fake);
        let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
        let dir = tempfile::tempdir().expect("a temporary directory");
        apply(&fake, dir.path(), &plan).await.expect("finished");
        journal::read(dir.path()).map_or(0, |events| events.len())
    };
    assert!(writes > 8, "{writes} journal writes");
    for limit in 2..writes {
        let fake = FakeGitHub::start().await;
        world(&fake);
        let clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
        let first = tempfile::tempdir().expect("a temporary directory");
        let stopped = apply_reporting(&fake, first.path(), &plan, Some(limit), Reporter::memory());
        assert!(stopped.await.is_err(), "stopped after {limit} writes");
        drop(first);
        let second = tempfile::tempdir().expect("a temporary directory");
        assert_eq!(
            apply(&fake, second.path(), &plan).await,
            Some(Ending::Finished { succeeded: true }),
            "after {limit} writes"
        );
        assert_eq!(
            fake.count("POST", "/rerun-failed-jobs"),
            1,
            "after {limit} writes"
        );
        let release = assert_one_release(
            &fake,
            &["o/node", "o/sdk"],
            &["blvm-node-0.1.0.tar.gz", "blvm-sdk-0.1.0.tar.gz"],
        );
        let sums = String::from_utf8(release.assets.last().expect("SHA256SUMS").bytes.clone())
            .expect("text");
        for asset in &release.assets[..release.assets.len() - 1] {
            let line = format!(
                "{}  {}",
                relplan::digest::sha256_hex(&asset.bytes),
                asset.name
            );
            assert!(sums.lines().any(|l| l == line), "{line} in {sums}");
        }
        clock.abort();
    }
}

#[tokio::test]
async fn a_finished_release_applied_from_a_new_directory_dispatches_nothing() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["success"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let plan = plan();
    let first = tempfile::tempdir().expect("a temporary directory");
    assert_eq!(
        apply(&fake, first.path(), &plan).await,
        Some(Ending::Finished { succeeded: true })
    );
    let requests_before = fake.log().iter().filter(|l| l.method != "GET").count();
    let second = tempfile::tempdir().expect("a temporary directory");
    let reporter = Reporter::memory();
    let ending = apply_reporting(&fake, second.path(), &plan, None, reporter.clone()).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: true }));
    let mutations = fake.log().iter().filter(|l| l.method != "GET").count();
    assert_eq!(
        mutations, requests_before,
        "nothing was dispatched, uploaded or published"
    );
    assert!(
        reporter.lines().iter().any(|l| l.contains(
            "adopted   from the backend: 2 attempts of 2 jobs (none still running), the release (already published)"
        )),
        "{:#?}",
        reporter.lines()
    );
    assert!(machine(second.path()).published());
}

#[tokio::test]
async fn an_api_that_stays_unreachable_stops_the_executor_resumably() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["success"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    // Reading a run's artifacts (or the run on its own) fails (502) from the start;
    // listing runs and dispatching work.
    fake.fault(
        "GET",
        "/actions/runs/",
        FaultKind::BadGatewayBefore,
        1_000_000,
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plan = plan();
    let reporter = Reporter::memory();
    let ending = apply_reporting(&fake, dir.path(), &plan, None, reporter.clone()).await;
    let Some(Ending::Halted { reason, help }) = ending.ok() else {
        panic!("not halted: {:#?}", reporter.lines());
    };
    assert!(
        reason.contains("gave up after 6 attempts; last: GitHub answered 502")
            && reason.contains("(GitHub has not been reachable for 10m"),
        "{reason}"
    );
    assert!(help.is_some_and(|h| h.contains("then resume")));
    let warnings = reporter
        .lines()
        .iter()
        .filter(|l| l.starts_with("warning:"))
        .count();
    assert_eq!(
        warnings,
        1,
        "the outage is told once: {:#?}",
        reporter.lines()
    );
    let events = journal::read(dir.path()).expect("the journal reads");
    assert!(matches!(events.last(), Some(Event::Halted { .. })));
    assert_eq!(
        machine(dir.path()).halt().map(|h| h.reason.clone()),
        Some(reason)
    );

    // GitHub answers again: the run continues where it stopped.
    fake.with(|w| w.faults.clear());
    assert_eq!(
        apply(&fake, dir.path(), &plan).await,
        Some(Ending::Finished { succeeded: true })
    );
    assert_one_release(
        &fake,
        &["o/node", "o/sdk"],
        &["blvm-node-0.1.0.tar.gz", "blvm-sdk-0.1.0.tar.gz"],
    );
}
