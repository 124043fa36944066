//! Noticing builds in time, and what it costs (a benchmark: it prints figures and asserts
//! nothing).
//!
//! The executor drives the GitHub backend against the fake GitHub (tests/fake_github) on a
//! clock running faster than real time, the fake's clock following the backend's, with
//! `--poll-interval 2s`. The plan is a chain of builds, each needing the one before, then
//! the release; every build takes the same time and has the same estimate. For each case
//! it prints:
//!
//! - the latency from a build's run completing to the next job starting (its dispatch, or
//!   the release), the largest and the mean over the chain (run seconds, from the
//!   journal: the finished attempt's end as GitHub reports it, and the next attempt's
//!   start);
//! - the requests GitHub's rate limit charges per build job over the whole release (every
//!   answer but 304s, leaving out asset uploads and the storage downloads redirect to),
//!   and how many were sent in all.
//!
//! Latency is measured on a chain of four builds with the clock at ×50 (a millisecond of
//! scheduling noise is 0.05 s of run time), for builds 100× shorter and 8× longer than
//! estimated. Cost is measured on a chain of two builds (the release's own requests shared
//! by fewer jobs) with the clock at ×500, for builds of 15 s to 4 h estimated at 30
//! minutes; there each millisecond of noise is half a second of latency. Targets (issue
//! 11): latency ≤ 5 s, ≤ 10 charged requests per build job. One run takes about two
//! minutes. Run: `cargo bench --bench github_polling`.

#[allow(dead_code)]
#[path = "../tests/fake_github/mod.rs"]
mod fake_github;

use std::time::Duration;

use relplan::backend::github::GitHubBackend;
use relplan::compiled::{CompiledPlan, Job, JobKind, Release};
use relplan::exec::backend::{Clock, unix_ms};
use relplan::exec::event::{BackendKind, Event, Settings};
use relplan::exec::executor::{Ending, Executor};
use relplan::exec::journal::{self, Journal};
use relplan::exec::machine::Machine;
use relplan::exec::progress::Progress;
use relplan::exec::reporter::Reporter;
use relplan::exec::temp_dir;

use fake_github::world::zip_of;
use fake_github::{FakeGitHub, Script, TagTarget, build_chain, job};

const POLL_INTERVAL_S: u64 = 2;
/// Seconds a run stays queued on the fake.
const QUEUED_S: u64 = 5;

/// One case: `builds` builds in a chain, each lasting `build_s` and estimated at
/// `estimate_s`, with the clock at `speed` run seconds per real second.
#[derive(Clone, Copy)]
struct Case {
    builds: usize,
    build_s: u64,
    estimate_s: u64,
    speed: f64,
}

fn build_id(index: usize) -> String {
    format!("b{index}")
}

fn plan(case: Case) -> CompiledPlan {
    let mut jobs: Vec<Job> = (0..case.builds)
        .map(|index| {
            let id = build_id(index);
            let repo = format!("o/{id}");
            let mut job = job(&id, &repo, build_chain(&repo), &["*"]);
            job.needs = index.checked_sub(1).map(build_id).into_iter().collect();
            job.estimate_s = case.estimate_s;
            job.timeout_s = 30 * 86_400;
            job.retries = 0;
            job
        })
        .collect();
    jobs.push(Job {
        id: "release".into(),
        kind: JobKind::Release,
        repo: "o/blvm".into(),
        git_ref: None,
        commit: None,
        version: None,
        needs: (0..case.builds).map(build_id).collect(),
        group: 0,
        trigger: None,
        payload: Default::default(),
        timeout_s: 30 * 86_400,
        retries: 0,
        estimate_s: 120,
        publish: Vec::new(),
        local: None,
    });
    let release = Release {
        name: "Bench".into(),
        version: "0.1.0".into(),
        tag: "v0.1.0".into(),
        prerelease: false,
        repo: Some("o/blvm".into()),
        commit: None,
    };
    CompiledPlan::assemble(release, jobs, None).expect("an acyclic plan")
}

fn world(fake: &FakeGitHub, case: Case) {
    for index in 0..case.builds {
        let repo = format!("o/{}", build_id(index));
        let file = format!("{}-0.1.0.tar.gz", build_id(index));
        fake.add_tag(&repo, "v0.1.0", TagTarget::Commit("c0ffee".into()));
        fake.add_build(
            &repo,
            Script {
                queued_s: QUEUED_S,
                duration_s: case.build_s,
                artifacts: vec![("dist".into(), zip_of(&[(file.as_str(), file.as_bytes())]))],
                ..Script::default()
            },
        );
    }
    fake.with(|w| {
        w.repos.entry("o/blvm".into()).or_default();
    });
}

/// Puts fake time zero at `clock`'s origin (whole seconds, for exact timestamps) and the
/// fake clock at its time, so that the run times the fake reports and the backend's clock
/// agree to the second.
fn align(fake: &FakeGitHub, clock: Clock) {
    let origin_s = (clock.origin_unix_ms / 1000) as i64;
    fake.with(|w| {
        w.epoch = jiff::Timestamp::from_second(origin_s).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        w.now_s = clock.now();
    });
}

/// Keeps the fake clock on `clock`'s time, updated every millisecond. Never returns.
async fn follow(fake: &FakeGitHub, clock: Clock) {
    loop {
        tokio::time::sleep(Duration::from_millis(1)).await;
        fake.with(|w| w.now_s = clock.now());
    }
}

struct Figures {
    /// From each build's end to the next job's start, run seconds.
    latencies: Vec<u64>,
    charged_per_job: f64,
    sent: usize,
}

async fn release(case: Case) -> Figures {
    let fake = FakeGitHub::start().await;
    world(&fake, case);
    let origin_unix_ms = unix_ms() / 1000 * 1000;
    let clock = Clock {
        origin_unix_ms,
        speed: case.speed,
    };
    align(&fake, clock);
    let plan = plan(case);
    let dir = tempfile::tempdir().expect("a state directory");
    let settings = Settings {
        backend: BackendKind::GitHub {
            api_url: fake.url.clone(),
            poll_interval_s: POLL_INTERVAL_S,
        },
        concurrency: None,
        fail_fast: false,
        seed: 1,
        origin_unix_ms,
    };
    // A journal of its own, without the adoption a fresh `apply` starts with (its listings
    // are not part of what is measured here).
    let started = Event::Started {
        plan: Box::new(plan.clone()),
        settings: settings.clone(),
    };
    let journal = Journal::create(dir.path(), &started).expect("a state directory");
    let machine = Machine::new(plan.clone(), settings);
    let reporter = Reporter::memory();
    let backend = GitHubBackend::new(
        fake.client(),
        clock,
        &plan.plan_hash,
        &plan.release.version,
        Duration::from_secs(POLL_INTERVAL_S),
        reporter.clone(),
        &temp_dir::ensure(dir.path()).expect("a temporary directory"),
    );
    // The executor turns at least once a second of run time, as `apply` does.
    let turn = Duration::from_secs_f64(1.0 / case.speed);
    let mut executor = Executor::new(
        machine,
        journal,
        backend,
        clock,
        dir.path(),
        Progress::lines(reporter),
        turn,
    );
    let ending = tokio::select! {
        ending = executor.run(std::future::pending()) => ending,
        () = follow(&fake, clock) => panic!("the fake's clock stopped"),
    };
    assert_eq!(
        ending.ok(),
        Some(Ending::Finished { succeeded: true }),
        "the release ran"
    );
    let events = journal::read(dir.path()).expect("the journal");
    let at = |wanted: &str, starting: bool| {
        events
            .iter()
            .find_map(|e| match e {
                Event::AttemptStarting { job, at, .. } if starting && job == wanted => Some(*at),
                Event::AttemptFinished { job, at, .. } if !starting && job == wanted => Some(*at),
                _ => None,
            })
            .unwrap_or(0)
    };
    let latencies = (0..case.builds)
        .map(|index| {
            let next = match index + 1 {
                n if n < case.builds => build_id(n),
                _ => "release".to_string(),
            };
            at(&next, true).saturating_sub(at(&build_id(index), false))
        })
        .collect();
    let log = fake.log();
    let charged = log
        .iter()
        .filter(|l| {
            l.status != 304 && !l.path.starts_with("/uploads/") && !l.path.starts_with("/blob/")
        })
        .count();
    Figures {
        latencies,
        charged_per_job: charged as f64 / case.builds as f64,
        sent: log.len(),
    }
}

fn duration(s: u64) -> String {
    match s {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let case = |builds, build_s, estimate_s, speed| Case {
        builds,
        build_s,
        estimate_s,
        speed,
    };
    let tables = [
        (
            "latency: 4 builds in a chain, clock ×50",
            vec![
                case(4, 18, 30 * 60, 50.0),
                case(4, 5 * 60, 5 * 60, 50.0),
                case(4, 4 * 60, 30, 50.0),
            ],
        ),
        (
            "cost: 2 builds in a chain, clock ×500",
            vec![
                case(2, 15, 30 * 60, 500.0),
                case(2, 5 * 60, 30 * 60, 500.0),
                case(2, 3600, 30 * 60, 500.0),
                case(2, 4 * 3600, 30 * 60, 500.0),
            ],
        ),
    ];
    println!("poll interval {POLL_INTERVAL_S} s");
    for (title, cases) in tables {
        println!("\n{title}");
        println!("build      estimate   latency max   mean   charged/job    sent");
        for case in cases {
            let figures = runtime.block_on(release(case));
            let max = figures.latencies.iter().max().copied().unwrap_or(0);
            let mean = figures.latencies.iter().sum::<u64>() as f64
                / figures.latencies.len().max(1) as f64;
            println!(
                "{:<10} {:<10} {:>9} s {:>5.1} s {:>13.1} {:>7}",
                duration(case.build_s),
                duration(case.estimate_s),
                max,
                mean,
                figures.charged_per_job,
                figures.sent
            );
        }
    }
}
