//! The executor driving the GitHub backend against the fake GitHub: a whole release with a
//! failed build retried in place (rerun-failed-jobs), a run stopped after every journal
//! write then resumed, and a connection dropped after every mutation GitHub performed
//! (between the request and its journaled answer), each of which must dispatch nothing
//! twice and publish one release.

use std::path::Path;
use std::time::Duration;

use relplan::backend::github::GitHubBackend;
use relplan::compiled::{CompiledPlan, Job};
use relplan::exec::backend::{Clock, ErrorKind, unix_ms};
use relplan::exec::executor::Ending;
use relplan::exec::journal::JournalError;
use relplan::exec::reporter::Reporter;

use crate::common::github::assert_one_release;
use crate::common::github_run::{SPEED, apply_reporting, plan, world_with};
use crate::fake_github::{FakeGitHub, FaultKind, SECRET, Script, TagTarget, Workflow, job};

fn world(fake: &FakeGitHub) {
    world_with(fake, &["failure", "success"]);
}

/// Applies (or resumes) `plan` in `dir`, stopping after `limit` journal writes.
async fn apply(
    fake: &FakeGitHub,
    dir: &Path,
    plan: &CompiledPlan,
    limit: Option<usize>,
) -> Result<Ending, JournalError> {
    apply_reporting(fake, dir, plan, limit, Reporter::memory()).await
}

/// What must hold after any complete run, interrupted or not.
fn check_one_release(fake: &FakeGitHub) {
    assert_eq!(
        fake.count("POST", "/rerun-failed-jobs"),
        1,
        "sdk re-run once, in place"
    );
    assert_one_release(
        fake,
        &["o/node", "o/sdk"],
        &["blvm-node-0.1.0.tar.gz", "blvm-sdk-0.1.0.tar.gz"],
    );
}

/// A backend for `fake` on the wall clock, telling `reporter` what it notes, downloading
/// into `work`.
fn backend(fake: &FakeGitHub, reporter: Reporter, work: &Path) -> GitHubBackend {
    let clock = Clock {
        origin_unix_ms: unix_ms(),
        speed: 1.0,
    };
    GitHubBackend::new(
        fake.client(),
        clock,
        "sha256:abc",
        "0.1.0",
        Duration::from_secs(5),
        reporter,
        work,
    )
}

#[tokio::test]
async fn a_release_runs_end_to_end_with_a_build_re_run_in_place() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ending = apply(&fake, dir.path(), &plan(), None).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: true }));
    check_one_release(&fake);
    assert_eq!(
        fake.run_ids("o/sdk").len(),
        1,
        "the retry re-ran the same run"
    );
    // The assets were streamed from the files the artifacts were unpacked into, which are
    // gone once the release is published.
    let release = &fake.releases()[0];
    let bytes: Vec<&[u8]> = release.assets.iter().map(|a| a.bytes.as_slice()).collect();
    assert_eq!(bytes[..2], [&b"node"[..], b"sdk"]);
    assert!(!dir.path().join("tmp/artifacts").exists());

    // The request budget through the executor: every answer but 304s, without asset
    // uploads and storage downloads (node once, sdk twice, then the release).
    let charged = fake
        .log()
        .iter()
        .filter(|l| {
            l.status != 304 && !l.path.starts_with("/uploads/") && !l.path.starts_with("/blob/")
        })
        .count();
    let (node_done, sdk_created) = fake.with(|w| {
        let node = w
            .runs
            .iter()
            .find(|r| r.repo == "o/node")
            .map(|r| w.updated_s(r));
        let sdk = w
            .runs
            .iter()
            .find(|r| r.repo == "o/sdk")
            .map(|r| r.created_s);
        (node.unwrap_or(0), sdk.unwrap_or(0))
    });
    println!(
        "{charged} charged requests for 3 build attempts and the release; \
         sdk dispatched {} s (fake time) after node completed",
        sdk_created.saturating_sub(node_done)
    );
    assert!(charged <= 3 * 10, "{charged} charged requests");
}

/// Applies `plan` once to learn how many journal writes a run takes; then, for each limit
/// that `limits` keeps, stops a fresh run after that many writes, resumes it, and hands
/// the fake (after the resumed run ended as `succeeded` says) to `check`.
async fn crash_and_resume(
    plan: &CompiledPlan,
    world: fn(&FakeGitHub),
    limits: impl Fn(usize) -> std::ops::Range<usize>,
    succeeded: bool,
    check: fn(&FakeGitHub, usize),
) {
    let writes = {
        let reference = FakeGitHub::start().await;
        world(&reference);
        let _clock = reference.run_clock(Duration::from_secs_f64(1.0 / SPEED));
        let dir = tempfile::tempdir().expect("a temporary directory");
        apply(&reference, dir.path(), plan, None)
            .await
            .expect("finished");
        relplan::exec::journal::read(dir.path()).map_or(0, |events| events.len() - 1)
    };
    assert!(writes > 5, "{writes} journal writes");
    for limit in limits(writes) {
        let fake = FakeGitHub::start().await;
        world(&fake);
        let clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
        let dir = tempfile::tempdir().expect("a temporary directory");
        let first = apply(&fake, dir.path(), plan, Some(limit)).await;
        assert!(first.is_err(), "stopped after {limit} writes");
        let second = apply(&fake, dir.path(), plan, None).await;
        assert_eq!(
            second.ok(),
            Some(Ending::Finished { succeeded }),
            "after {limit} writes"
        );
        check(&fake, limit);
        clock.abort();
    }
}

#[tokio::test]
async fn stopping_after_any_journal_write_then_resuming_does_nothing_twice() {
    crash_and_resume(
        &plan(),
        world,
        |writes| 0..writes,
        true,
        |fake, _| check_one_release(fake),
    )
    .await;
}

#[tokio::test]
async fn a_moved_tag_fails_the_attempt_for_good_and_dispatches_nothing() {
    use relplan::exec::backend::Backend;

    let fake = FakeGitHub::start().await;
    world(&fake);
    let mut node = plan().jobs[0].clone();
    node.commit = Some("deadbeef".into());
    let work = tempfile::tempdir().expect("a work directory");
    let mut backend = backend(&fake, Reporter::memory(), work.path());
    match backend.dispatch(&node, 1, "cid-moved", None).await {
        Ok(run) => panic!("dispatched {run:?}"),
        Err(e) => {
            assert_eq!(
                e.kind,
                ErrorKind::Blocked,
                "asking again cannot fix a moved tag"
            );
            let help = e.help.as_deref().unwrap_or_default();
            insta::assert_snapshot!(format!("{}\nhelp: {help}", e.message));
        }
    }
    assert_eq!(fake.count("POST", "/dispatches"), 0, "nothing dispatched");
}

#[tokio::test]
async fn a_refusal_keeps_its_help_apart_into_the_journal_and_the_log() {
    let fake = FakeGitHub::start().await;
    world(&fake);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let plan = plan();
    let mut jobs = plan.jobs.clone();
    jobs[0].commit = Some("deadbeef".into());
    jobs[0].retries = 0;
    let plan = CompiledPlan::assemble(plan.release.clone(), jobs, None)
        .unwrap_or_else(|cycles| panic!("cycles: {cycles:?}"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let reporter = Reporter::memory();
    let ending = apply_reporting(&fake, dir.path(), &plan, None, reporter.clone()).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: false }));
    let events = relplan::exec::journal::read(dir.path()).expect("the journal reads");
    let ended = events.iter().find_map(|e| match e {
        relplan::exec::event::Event::AttemptFinished {
            job, reason, help, ..
        } if job == "node" => Some((reason.clone(), help.clone())),
        _ => None,
    });
    let moved =
        "tag `v0.1.0` of `o/node` points at c0ffee, but the manifest pins deadbeef; the tag moved";
    let help = "point the tag back at the pinned commit, or update git_commit in the manifest and get the plan approved again";
    assert_eq!(
        ended,
        Some((
            Some(format!("cannot dispatch: {moved}")),
            Some(help.to_string())
        ))
    );
    let lines = reporter.lines();
    let failed = lines
        .iter()
        .position(|l| l.contains("blocked   node (attempt 1): cannot dispatch: tag"))
        .unwrap_or_else(|| panic!("no failure line in {lines:#?}"));
    assert_eq!(lines[failed + 1], format!("               help: {help}"));
}

#[tokio::test]
async fn a_run_waiting_for_an_approval_is_noted_once_through_the_reporter() {
    use relplan::exec::backend::Backend;

    let fake = FakeGitHub::start().await;
    fake.add_tag("o/node", "v0.1.0", TagTarget::Commit("c0ffee".into()));
    fake.add_build(
        "o/node",
        Script {
            outcomes: vec!["waiting".into()],
            ..Script::default()
        },
    );
    let node = plan().jobs[0].clone();
    let reporter = Reporter::memory();
    let work = tempfile::tempdir().expect("a work directory");
    let mut backend = backend(&fake, reporter.clone(), work.path());
    let run = backend
        .dispatch(&node, 1, "cid-wait", None)
        .await
        .expect("dispatched");
    fake.advance(1000);
    for _ in 0..2 {
        let status = backend.observe_now(&node, &run).await.expect("observed");
        assert_eq!(status, relplan::exec::backend::RunStatus::Running);
    }
    let id = fake.run_ids("o/node")[0];
    assert_eq!(
        reporter.lines(),
        [format!(
            "note: node run {id} is waiting for an approval: https://github.com/o/node/actions/runs/{id}"
        )]
    );
}

#[tokio::test]
async fn a_build_failing_every_attempt_skips_the_release() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["failure"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ending = apply(&fake, dir.path(), &plan(), None).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: false }));
    assert_eq!(fake.count("POST", "/repos/o/sdk/dispatches"), 1);
    assert_eq!(
        fake.count("POST", "/rerun-failed-jobs"),
        1,
        "the one retry ran in place"
    );
    assert!(fake.releases().is_empty(), "nothing was published");
    assert_eq!(
        fake.count("GET", "/artifacts"),
        0,
        "no artifacts were collected"
    );
}

#[tokio::test]
async fn a_build_that_never_ends_times_out_and_is_cancelled() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["never"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let mut plan = plan();
    let jobs = plan
        .jobs
        .iter()
        .cloned()
        .map(|mut job| {
            if job.id == "sdk" {
                job.timeout_s = 600;
                job.retries = 0;
            }
            job
        })
        .collect();
    plan = CompiledPlan::assemble(plan.release.clone(), jobs, None)
        .unwrap_or_else(|cycles| panic!("cycles: {cycles:?}"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ending = apply(&fake, dir.path(), &plan, None).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: false }));
    let sdk = fake.run_ids("o/sdk");
    assert_eq!(sdk.len(), 1);
    assert_eq!(
        fake.count("POST", &format!("/runs/{}/cancel", sdk[0])),
        1,
        "the timed-out run was cancelled"
    );
    assert!(fake.releases().is_empty());
}

#[tokio::test]
async fn a_dispatch_whose_answer_was_lost_is_found_by_its_correlation_id() {
    use relplan::exec::backend::Backend;

    let fake = FakeGitHub::start().await;
    world(&fake);
    let node = plan().jobs[0].clone();
    let work = tempfile::tempdir().expect("a work directory");
    let mut backend = backend(&fake, Reporter::memory(), work.path());

    // The dispatch went through but GitHub answered 502: the run is found, not redone.
    fake.fault("POST", "/dispatches", FaultKind::BadGatewayAfter, 1);
    let run = backend.dispatch(&node, 1, "cid-after", None).await;
    let runs = fake.run_ids("o/node");
    assert_eq!(
        run.map(|r| r.runs).ok(),
        Some(vec![format!("{}/1", runs[0])])
    );

    // The dispatch was lost before GitHub acted: after looking for a while, the error is
    // transient, and the executor's next dispatch goes through once.
    fake.fault("POST", "/dispatches", FaultKind::BadGatewayBefore, 1);
    let lost = backend.dispatch(&node, 1, "cid-before", None).await;
    assert!(lost.is_err_and(|e| e.kind == ErrorKind::Transient));
    assert!(
        backend
            .find(&node, "cid-before")
            .await
            .ok()
            .flatten()
            .is_none()
    );
    backend
        .dispatch(&node, 1, "cid-before", None)
        .await
        .expect("dispatched");
    assert_eq!(fake.run_ids("o/node").len(), 2);
    assert_eq!(fake.count("POST", "/dispatches"), 3);
}

#[tokio::test]
async fn workflow_dispatch_runs_are_known_with_or_without_return_run_details() {
    use relplan::exec::backend::Backend;

    let fake = FakeGitHub::start().await;
    fake.add_tag("o/app", "v0.1.0", TagTarget::Commit("c0ffee".into()));
    fake.add_workflow(
        "o/app",
        Workflow {
            file: "release.yml".into(),
            on_event: None,
            script: Script::default(),
        },
    );
    let trigger = relplan::compiled::Trigger::WorkflowDispatch {
        repo: "o/app".into(),
        workflow: "release.yml".into(),
        git_ref: "main".into(),
        inputs: Default::default(),
    };
    let app = job("app", "o/app", trigger, &[]);
    let work = tempfile::tempdir().expect("a work directory");
    let mut backend = backend(&fake, Reporter::memory(), work.path());
    let first = backend
        .dispatch(&app, 1, "cid-1", None)
        .await
        .expect("dispatched");
    fake.with(|w| w.reject_run_details = true);
    let second = backend
        .dispatch(&app, 1, "cid-2", None)
        .await
        .expect("dispatched");
    let runs = fake.run_ids("o/app");
    assert_eq!(first.runs, [format!("{}/1", runs[0])]);
    assert_eq!(second.runs, [format!("{}/1", runs[1])]);
    let found = backend.find(&app, "cid-1").await.ok().flatten();
    assert_eq!(found.map(|r| r.runs), Some(first.runs));
}

#[tokio::test]
async fn every_run_of_a_dispatch_must_succeed() {
    use relplan::exec::backend::{Backend, RunStatus};

    let fake = FakeGitHub::start().await;
    world(&fake);
    // A second workflow on the same event, which fails.
    fake.add_build(
        "o/node",
        Script {
            outcomes: vec!["failure".into()],
            ..Script::default()
        },
    );
    let node = plan().jobs[0].clone();
    let work = tempfile::tempdir().expect("a work directory");
    let mut backend = backend(&fake, Reporter::memory(), work.path());
    let run = backend
        .dispatch(&node, 1, "cid-two", None)
        .await
        .expect("dispatched");
    assert_eq!(run.runs.len(), 2, "{run:?}");
    fake.advance(100);
    let status = backend.observe(&node, &run).await.expect("observed");
    assert!(
        matches!(status, RunStatus::Finished { success: false, .. }),
        "{status:?}"
    );
}

/// [`plan`] with a `[fallback]` that dispatches the orchestrator workflow of `o/blvm`.
fn plan_with_fallback() -> CompiledPlan {
    let plan = plan();
    let fallback = relplan::compiled::Trigger::WorkflowDispatch {
        repo: "o/blvm".into(),
        workflow: "release_orchestrator.yml".into(),
        git_ref: "main".into(),
        inputs: Default::default(),
    };
    CompiledPlan::assemble(plan.release.clone(), plan.jobs.clone(), Some(fallback))
        .unwrap_or_else(|cycles| panic!("cycles: {cycles:?}"))
}

fn world_failing_with_fallback(fake: &FakeGitHub) {
    world_with(fake, &["failure"]);
    fake.add_workflow(
        "o/blvm",
        Workflow {
            file: "release_orchestrator.yml".into(),
            on_event: None,
            script: Script::default(),
        },
    );
}

const FALLBACK_DISPATCH: &str =
    "/repos/o/blvm/actions/workflows/release_orchestrator.yml/dispatches";

#[tokio::test]
async fn a_release_that_cannot_complete_dispatches_the_fallback_once() {
    let fake = FakeGitHub::start().await;
    world_failing_with_fallback(&fake);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plan = plan_with_fallback();
    let ending = apply(&fake, dir.path(), &plan, None).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: false }));
    assert!(fake.releases().is_empty(), "nothing was published");
    assert_eq!(fake.count("POST", FALLBACK_DISPATCH), 1);
    assert_eq!(fake.run_ids("o/blvm").len(), 1);
    let events = relplan::exec::journal::read(dir.path()).expect("the journal reads");
    let finished = events.iter().find_map(|e| match e {
        relplan::exec::event::Event::FallbackFinished { run, .. } => Some(run.clone()),
        _ => None,
    });
    assert!(
        matches!(finished, Some(Some(_))),
        "the fallback run is journaled"
    );
}

#[tokio::test]
async fn a_crash_around_the_fallback_never_dispatches_it_twice() {
    // The last three writes: fallback intent, its result, finished.
    crash_and_resume(
        &plan_with_fallback(),
        world_failing_with_fallback,
        |writes| writes.saturating_sub(3)..writes,
        false,
        |fake, limit| {
            assert_eq!(
                fake.count("POST", FALLBACK_DISPATCH),
                1,
                "after {limit} writes"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_token_echoed_back_in_error_answers_is_masked_in_the_journal_and_the_log() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["success"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    // Refusals a retry may get past (400): 403 and 422 would block the job instead.
    fake.fault(
        "GET",
        "/repos/o/node/git/ref/tags/",
        FaultKind::EchoToken(400),
        1,
    );
    fake.fault(
        "POST",
        "/repos/o/sdk/dispatches",
        FaultKind::EchoToken(400),
        1,
    );
    fake.fault(
        "POST",
        "/repos/o/blvm/releases",
        FaultKind::EchoToken(400),
        1,
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let reporter = Reporter::memory();
    let ending = apply_reporting(&fake, dir.path(), &plan(), None, reporter.clone()).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: true }));
    let journal = fs_err::read_to_string(dir.path().join("journal.jsonl")).expect("a journal");
    assert!(!journal.contains(SECRET), "{journal}");
    assert_eq!(
        journal.matches("Authorization: Bearer ***").count(),
        3,
        "the tag check, the dispatch and the draft were refused, masked: {journal}"
    );
    let lines = reporter.lines().join("\n");
    assert!(!lines.contains(SECRET), "{lines}");
    assert!(lines.contains("Authorization: Bearer ***"), "{lines}");
}

#[tokio::test]
async fn transient_answers_inside_the_release_are_waited_out_even_without_retries() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["success"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    fake.fault("POST", "/uploads/", FaultKind::BadGatewayAfter, 1);
    fake.fault(
        "PATCH",
        "/repos/o/blvm/releases/",
        FaultKind::SecondaryLimit(2),
        1,
    );
    let plan = plan();
    let jobs = plan
        .jobs
        .iter()
        .cloned()
        .map(|mut job| {
            job.retries = 0;
            job
        })
        .collect();
    let plan = CompiledPlan::assemble(plan.release.clone(), jobs, None)
        .unwrap_or_else(|cycles| panic!("cycles: {cycles:?}"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ending = apply(&fake, dir.path(), &plan, None).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: true }));
    assert_one_release(
        &fake,
        &["o/node", "o/sdk"],
        &["blvm-node-0.1.0.tar.gz", "blvm-sdk-0.1.0.tar.gz"],
    );
    assert_eq!(
        fake.count("POST", "/uploads/"),
        3,
        "no asset uploaded twice"
    );
}

#[tokio::test]
async fn a_release_tag_moved_after_the_builds_fails_for_good_and_keeps_the_draft() {
    use relplan::exec::backend::Backend;
    use relplan::release_assets::Asset;

    let fake = FakeGitHub::start().await;
    world(&fake);
    fake.add_tag("o/blvm", "v0.1.0-test.1", TagTarget::Commit("beef".into()));
    let mut release = plan().release.clone();
    release.commit = Some("c0ffee".into());
    let work = tempfile::tempdir().expect("a work directory");
    let mut backend = backend(&fake, Reporter::memory(), work.path());
    let assets = [Asset::new(
        "blvm-node-0.1.0.tar.gz",
        b"node".to_vec(),
        "a test",
    )];
    let err = backend
        .publish(&release, &assets)
        .await
        .expect_err("refused");
    assert_eq!(
        err.kind,
        ErrorKind::Blocked,
        "asking again cannot fix a moved tag"
    );
    assert_eq!(
        err.message,
        "tag `v0.1.0-test.1` of `o/blvm` points at beef, but the manifest pins c0ffee; the tag moved"
    );
    let releases = fake.releases();
    assert_eq!(releases.len(), 1);
    assert!(
        releases[0].draft,
        "the draft is left for when the tag is back"
    );
}

/// Every mutation of [`plan`]'s release: the two dispatches, the re-run, the draft, the
/// first upload, publishing.
const MUTATIONS: [(&str, &str); 6] = [
    ("POST", "/repos/o/node/dispatches"),
    ("POST", "/repos/o/sdk/dispatches"),
    ("POST", "/rerun-failed-jobs"),
    ("POST", "/repos/o/blvm/releases"),
    ("POST", "/uploads/"),
    ("PATCH", "/repos/o/blvm/releases/"),
];

#[tokio::test]
async fn a_connection_dropped_after_any_mutation_is_looked_up_and_nothing_is_done_twice() {
    {
        // What the client makes of it: the dispatch may or may not have happened.
        let fake = FakeGitHub::start().await;
        world(&fake);
        fake.fault("POST", "/dispatches", FaultKind::DropAfter, 1);
        let node = plan().jobs[0].clone();
        let sent = fake
            .client()
            .dispatch(&crate::common::github::attempt(&node, "cid-drop"))
            .await;
        assert!(sent.is_err_and(|e| e.is_uncertain()));
        assert_eq!(fake.run_ids("o/node").len(), 1, "it did happen");
    }
    for (method, path) in MUTATIONS {
        let fake = FakeGitHub::start().await;
        world(&fake);
        let clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
        fake.fault(method, path, FaultKind::DropAfter, 1);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ending = apply(&fake, dir.path(), &plan(), None).await;
        assert_eq!(
            ending.ok(),
            Some(Ending::Finished { succeeded: true }),
            "{method} {path}"
        );
        assert!(
            fake.log()
                .iter()
                .any(|l| l.method == method && l.path.contains(path)),
            "{method} {path} was sent"
        );
        check_one_release(&fake);
        assert_eq!(fake.count("POST", "/uploads/"), 3, "{method} {path}");
        clock.abort();
    }
}

#[tokio::test]
async fn the_runs_of_one_repository_are_watched_through_one_listing_per_poll() {
    use relplan::exec::backend::{Backend, RunStatus};

    let fake = FakeGitHub::start().await;
    world(&fake);
    let jobs: Vec<Job> = ["node-a", "node-b", "node-c"]
        .iter()
        .map(|id| Job {
            id: id.to_string(),
            ..plan().jobs[0].clone()
        })
        .collect();
    let work = tempfile::tempdir().expect("a work directory");
    // An hour between polls: none falls due while the test runs, however slow the
    // machine; `observe_now` polls at once.
    let mut backend = GitHubBackend::new(
        fake.client(),
        Clock {
            origin_unix_ms: unix_ms(),
            speed: 1.0,
        },
        "sha256:abc",
        "0.1.0",
        Duration::from_secs(3600),
        Reporter::memory(),
        work.path(),
    );
    let mut runs = Vec::new();
    for job in &jobs {
        let cid = format!("cid-{}", job.id);
        runs.push(
            backend
                .dispatch(job, 1, &cid, None)
                .await
                .expect("dispatched"),
        );
    }
    fake.advance(100);
    let before = fake.log().len();
    let mut statuses = vec![backend.observe_now(&jobs[0], &runs[0]).await];
    for (job, run) in jobs.iter().zip(&runs).skip(1) {
        statuses.push(backend.observe(job, run).await);
    }
    for status in statuses {
        assert!(
            matches!(status, Ok(RunStatus::Finished { success: true, .. })),
            "{status:?}"
        );
    }
    let sent: Vec<String> = fake.log()[before..]
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l.method,
                l.path.split('&').next().unwrap_or(""),
                l.status
            )
        })
        .collect();
    assert_eq!(
        sent,
        ["GET /repos/o/node/actions/runs?event=repository_dispatch 200"],
        "three runs, one listing"
    );
    assert_eq!(
        backend.next_change(),
        None,
        "nothing left running to poll for"
    );
    backend
        .observe_now(&jobs[1], &runs[1])
        .await
        .expect("observed");
    assert_eq!(
        fake.log().last().map(|l| l.status),
        Some(304),
        "an unchanged listing is not charged"
    );
}
