//! The request budget: a whole release against the fake GitHub (tag check, dispatch,
//! discovery, a conditional listing of the repository's runs every poll interval,
//! artifacts, the release transaction), counting the requests GitHub's rate limit charges:
//! every answer but 304s, leaving out asset uploads and the storage downloads redirect to.
//! Target: at most 10 per build job, whatever the build length. Run with `--nocapture` to
//! see the figures; `cargo bench --bench github_polling` measures the same through the
//! executor, with the latency from a build's end to its dependents.

use relplan::github::GitHub;
use relplan::github::assets::JobOutput;
use relplan::github::release::ReleaseSpec;
use relplan::github::zip_check::ZipLimits;

use crate::common::github::dispatch_and_find;
use crate::fake_github::world::zip_of;
use crate::fake_github::{FakeGitHub, Script, TagTarget, build_chain, job};

/// The default `--poll-interval`; a shorter one adds only 304s, which are not charged.
const POLL_INTERVAL: u64 = 15;

struct Figures {
    charged_per_job: f64,
    polls_per_job: f64,
    /// Seconds between a run completing and relplan seeing it, per job.
    detection_delays: Vec<u64>,
}

/// Releases `jobs` builds lasting `build_s`, one after the other, on the fake clock.
async fn release(jobs: usize, build_s: u64) -> Figures {
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
        let job = job(&format!("repo{index}"), &repo, build_chain(&repo), &["*"]);
        let correlation_id = format!("relplan:repo{index}#1");
        github
            .resolve_tag(&repo, "v0.1.0", Some("c0ffee"))
            .await
            .expect("tag resolves");
        let started = fake.with(|w| w.now_s);
        let run = dispatch_and_find(&github, &fake, &job, &correlation_id).await[0];
        loop {
            fake.advance(POLL_INTERVAL);
            let listed = github
                .list_runs(&repo, "repository_dispatch", fake.epoch(), 1)
                .await
                .expect("listed");
            let seen = listed
                .iter()
                .find(|r| r.id == run)
                .expect("the run is listed");
            let state = seen.state().expect("a known state");
            if state.is_completed() {
                assert!(state.succeeded());
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
            .filter(|l| l.path.contains("/actions/runs"))
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
    for build_s in [15, 300, 3600, 4 * 3600] {
        let mut figures = release(4, build_s).await;
        println!(
            "build {build_s:>5} s: {:.1} charged requests per job, \
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
