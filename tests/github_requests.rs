//! The request budget: a whole release against the fake GitHub (tag check, dispatch,
//! discovery, adaptive conditional polling, artifacts, the release transaction), counting
//! the requests GitHub's rate limit charges: every answer but 304s, leaving out asset
//! uploads and the storage downloads redirect to. Target: at most 10 per build job,
//! whatever the build length. Run with `--nocapture` to see the figures.

use std::time::Duration;

use relplan::github::GitHub;
use relplan::github::assets::JobOutput;
use relplan::github::release::ReleaseSpec;
use relplan::github::runs::next_poll;
use relplan::github::zip_check::ZipLimits;

use crate::common::github::dispatch_and_find;
use crate::fake_github::world::zip_of;
use crate::fake_github::{FakeGitHub, Script, TagTarget, build_chain, job};

const POLL_INTERVAL: Duration = Duration::from_secs(15);

struct Figures {
    charged_per_job: f64,
    polls_per_job: f64,
    /// Seconds between a run completing and relplan seeing it, per job.
    detection_delays: Vec<u64>,
}

/// Releases `jobs` builds lasting `build_s` (estimated at `estimate_s`), one after the
/// other, on the fake clock.
async fn release(jobs: usize, build_s: u64, estimate_s: u64) -> Figures {
    let fake = FakeGitHub::start().await;
    let github: GitHub = fake.client();
    let work = tempfile::tempdir().expect("a work directory");
    let mut outputs = Vec::new();
    let mut delays = Vec::new();
    for index in 0..jobs {
        let repo = format!("o/repo{index}");
        let file = format!("repo{index}-0.1.0.tar.gz");
        fake.add_build(
            &repo,
            Script {
                queued_s: 20,
                duration_s: build_s,
                artifacts: vec![("dist".into(), zip_of(&[(file.as_str(), file.as_bytes())]))],
                ..Script::default()
            },
        );
        fake.add_tag(&repo, "v0.1.0", TagTarget::Commit("c0ffee".into()));
        let mut job = job(&format!("repo{index}"), &repo, build_chain(&repo), &["*"]);
        job.estimate_s = estimate_s;
        let correlation_id = format!("relplan:repo{index}#1");
        github
            .resolve_tag(&repo, "v0.1.0", Some("c0ffee"))
            .await
            .expect("tag resolves");
        let started = fake.with(|w| w.now_s);
        let run = dispatch_and_find(&github, &fake, &job, &correlation_id).await[0];
        loop {
            let elapsed = Duration::from_secs(fake.with(|w| w.now_s) - started);
            fake.advance(
                next_poll(elapsed, Duration::from_secs(estimate_s), POLL_INTERVAL).as_secs(),
            );
            let observed = github.observe_run(&repo, run).await.expect("observed");
            if observed.state.is_completed() {
                assert!(observed.state.succeeded());
                let done_at = started + 20 + build_s;
                delays.push(fake.with(|w| w.now_s) - done_at);
                break;
            }
        }
        outputs.push(JobOutput {
            job: job.id.clone(),
            repo,
            runs: vec![run],
            publish: job.publish.clone(),
        });
    }
    let assets = github
        .collect_assets(&outputs, ZipLimits::default(), work.path())
        .await
        .expect("collected");
    fake.with(|w| {
        w.repos.entry("o/repo0".into()).or_default();
    });
    github
        .publish_release(
            &ReleaseSpec {
                repo: "o/repo0".into(),
                tag: "v0.1.0".into(),
                name: "v0.1.0".into(),
                prerelease: false,
                commit: None,
            },
            &assets,
        )
        .await
        .expect("published");
    let log = fake.log();
    let charged = log
        .iter()
        .filter(|l| {
            l.status != 304 && !l.path.starts_with("/uploads/") && !l.path.starts_with("/blob/")
        })
        .count();
    Figures {
        charged_per_job: charged as f64 / jobs as f64,
        polls_per_job: log
            .iter()
            .filter(|l| l.path.contains("/actions/runs/"))
            .count() as f64
            / jobs as f64,
        detection_delays: delays,
    }
}

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

#[tokio::test]
async fn at_most_ten_charged_requests_per_build_job_whatever_the_build_length() {
    for (build_s, estimate_s) in [
        (300, 300),
        (3600, 3600),
        (3600, 1800),
        (1800, 3600),
        (4 * 3600, 3600),
    ] {
        let mut figures = release(6, build_s, estimate_s).await;
        println!(
            "build {build_s:>5} s, estimate {estimate_s:>5} s: {:.1} charged requests per job, \
             {:.1} run requests per job (304s included), median detection delay {} s",
            figures.charged_per_job,
            figures.polls_per_job,
            median(&mut figures.detection_delays)
        );
        assert!(
            figures.charged_per_job <= 10.0,
            "{} charged requests per job",
            figures.charged_per_job
        );
    }
}
