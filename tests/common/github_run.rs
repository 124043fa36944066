//! The release the executor tests of the GitHub backend drive, in process against the fake
//! GitHub: node → sdk → release into `o/blvm`, its world (tagged builds with artifacts),
//! and the executor applying it (adopting on a fresh directory, resuming otherwise) on a
//! clock [`SPEED`] times faster than real time, as fast as the fake's.

use std::path::Path;
use std::time::Duration;

use relplan::backend::github::GitHubBackend;
use relplan::compiled::{CompiledPlan, Job, JobKind, Release};
use relplan::exec::backend::{Clock, unix_ms};
use relplan::exec::event::{BackendKind, Settings};
use relplan::exec::executor::Ending;
use relplan::exec::journal::JournalError;
use relplan::exec::reporter::Reporter;
use relplan::exec::temp_dir;

use crate::common::executor;
use crate::common::github::tagged_build;
use crate::fake_github::world::zip_of;
use crate::fake_github::{FakeGitHub, Script, build_chain, job};

/// Backend seconds per real second; the fake's clock runs as fast.
pub const SPEED: f64 = 500.0;

/// Job timeouts, in backend seconds: days, so that no pause of a loaded machine (at
/// [`SPEED`]) ever times a job out.
pub const TIMEOUT_S: u64 = 30 * 86_400;

/// node → sdk → release into `o/blvm`; sdk fails its first attempt.
pub fn plan() -> CompiledPlan {
    let mut node = job("node", "o/node", build_chain("o/node"), &["*"]);
    node.timeout_s = TIMEOUT_S;
    let mut sdk = job("sdk", "o/sdk", build_chain("o/sdk"), &["blvm-sdk-*"]);
    sdk.needs = vec!["node".into()];
    sdk.timeout_s = TIMEOUT_S;
    let release = Job {
        id: "release".into(),
        kind: JobKind::Release,
        repo: "o/blvm".into(),
        git_ref: None,
        commit: None,
        version: None,
        needs: vec!["node".into(), "sdk".into()],
        group: 0,
        trigger: None,
        payload: Default::default(),
        timeout_s: TIMEOUT_S,
        retries: 1,
        estimate_s: 120,
        publish: Vec::new(),
        local: None,
    };
    CompiledPlan::assemble(
        Release {
            name: "Bitcoin Commons".into(),
            version: "0.1.0-test.1".into(),
            tag: "v0.1.0-test.1".into(),
            prerelease: true,
            repo: Some("o/blvm".into()),
            commit: None,
        },
        vec![node, sdk, release],
        None,
    )
    .unwrap_or_else(|cycles| panic!("the test plan has cycles: {cycles:?}"))
}

/// The world of [`plan`], the sdk build concluding `sdk_outcomes` per attempt.
pub fn world_with(fake: &FakeGitHub, sdk_outcomes: &[&str]) {
    tagged_build(
        fake,
        "o/node",
        "v0.1.0",
        "c0ffee",
        Script {
            artifacts: vec![(
                "dist".into(),
                zip_of(&[("bin/blvm-node-0.1.0.tar.gz", b"node")]),
            )],
            ..Script::default()
        },
    );
    tagged_build(
        fake,
        "o/sdk",
        "v0.1.0",
        "c0ffee",
        Script {
            outcomes: sdk_outcomes.iter().map(|o| o.to_string()).collect(),
            artifacts: vec![
                (
                    "sdk-linux".into(),
                    zip_of(&[("blvm-sdk-0.1.0.tar.gz", b"sdk")]),
                ),
                ("logs".into(), zip_of(&[("build.log", b"not published")])),
            ],
            ..Script::default()
        },
    );
    fake.with(|w| {
        w.repos.entry("o/blvm".into()).or_default();
    });
}

/// Applies (or resumes) `plan` in `dir` against `fake`, stopping after `limit` journal
/// writes, telling `reporter` what the run says.
pub async fn apply_reporting(
    fake: &FakeGitHub,
    dir: &Path,
    plan: &CompiledPlan,
    limit: Option<usize>,
    reporter: Reporter,
) -> Result<Ending, JournalError> {
    apply_lagging(fake, dir, plan, limit, reporter, None).await
}

/// [`apply_reporting`] with a backend that expects run lists to lag `list_lag_s` backend
/// seconds (instead of the default).
pub async fn apply_lagging(
    fake: &FakeGitHub,
    dir: &Path,
    plan: &CompiledPlan,
    limit: Option<usize>,
    reporter: Reporter,
    list_lag_s: Option<u64>,
) -> Result<Ending, JournalError> {
    let settings = Settings {
        backend: BackendKind::GitHub {
            api_url: fake.url.clone(),
            poll_interval_s: 5,
        },
        concurrency: None,
        fail_fast: false,
        seed: 1,
        origin_unix_ms: unix_ms(),
    };
    executor::apply(
        dir,
        plan,
        settings,
        limit,
        reporter,
        |journaled, reporter| {
            let clock = Clock {
                origin_unix_ms: journaled.origin_unix_ms,
                speed: SPEED,
            };
            let backend = GitHubBackend::new(
                fake.client(),
                clock,
                &plan.plan_hash,
                &plan.release.version,
                Duration::from_secs(5),
                reporter,
                &temp_dir::ensure(dir).expect("a temporary directory"),
            );
            match list_lag_s {
                Some(lag) => (backend.with_list_lag(lag), clock),
                None => (backend, clock),
            }
        },
    )
    .await
}
