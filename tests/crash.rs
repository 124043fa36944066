//! Crash safety of `apply --backend sim`, in process: the executor is stopped after each
//! journal write in turn (a journal that refuses every append past the Nth, as if the process
//! died there, right before or right after a side effect), then resumed from the state
//! directory alone, or, with the journal deleted as well (a new CI runner), applied anew,
//! adopting what the simulated world holds. Every run must end as the uninterrupted one
//! does: the same states and attempts, no attempt dispatched twice, one publication, the
//! same SHA256SUMS. Each stop also leaves a half-written temporary file behind, as a kill
//! mid-write would; the next run must remove it and publish nothing but the assets and
//! SHA256SUMS.

use std::collections::BTreeMap;
use std::path::Path;

use relplan::backend::sim::{RELEASE_DIR, SimBackend, World, load_world};
use relplan::compile::{Request, compile_from_disk};
use relplan::compiled::CompiledPlan;
use relplan::exec::event::{BackendKind, Settings};
use relplan::exec::executor::Ending;
use relplan::exec::journal::JournalError;
use relplan::exec::reporter::Reporter;
use relplan::exec::temp_dir::TMP_DIR;
use relplan::exec::view;
use relplan::scenario::{JobBehaviour, Outcome, Scenario};

use crate::common::{executor, root};

/// Fast enough that a 6-hour release takes a few milliseconds; outcomes do not depend on it.
const SPEED: f64 = 2_000_000.0;

fn bitcoin_commons() -> CompiledPlan {
    let c = compile_from_disk(&Request {
        plan: Some(root().join("plans/bitcoin-commons.toml")),
        ..Request::default()
    });
    c.plan.expect("the example plan compiles")
}

fn flaky_node() -> Scenario {
    let mut scenario = Scenario {
        seed: 7,
        ..Scenario::default()
    };
    scenario.jobs.insert(
        "blvm-node".into(),
        JobBehaviour {
            duration_s: None,
            outcomes: vec![Outcome::Failure, Outcome::Success],
        },
    );
    scenario
}

fn settings(scenario: Scenario) -> Settings {
    Settings {
        seed: scenario.seed,
        backend: BackendKind::Sim {
            speed: SPEED,
            scenario,
        },
        concurrency: Some(3),
        fail_fast: false,
        origin_unix_ms: relplan::exec::backend::unix_ms(),
    }
}

/// Applies (first call) or resumes (later calls), stopping after `limit` journal appends.
fn run(
    dir: &Path,
    plan: &CompiledPlan,
    scenario: &Scenario,
    limit: Option<usize>,
) -> Result<Ending, JournalError> {
    let settings = settings(scenario.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(executor::apply(
        dir,
        plan,
        settings,
        limit,
        Reporter::memory(),
        |journaled, _| {
            let clock = journaled.clock();
            let BackendKind::Sim { scenario, .. } = &journaled.backend else {
                panic!("a sim run");
            };
            let backend =
                SimBackend::open(dir, clock, scenario.clone()).expect("the sim world opens");
            (backend, clock)
        },
    ))
}

/// What must not depend on where the executor was stopped.
#[derive(Debug, PartialEq)]
struct RunResult {
    states: Vec<(String, &'static str, u32)>,
    sums: String,
    dispatches_per_job: BTreeMap<String, usize>,
    publications: u32,
    cancelled_runs: usize,
}

fn outcome(dir: &Path) -> RunResult {
    assert_no_stray_files(dir);
    let events = relplan::exec::journal::read(dir).unwrap();
    let machine = relplan::exec::machine::Machine::replay(&events).unwrap();
    assert!(machine.is_finished());
    let world: World = load_world(dir).unwrap();
    let mut seen = std::collections::HashSet::new();
    for id in &world.dispatches {
        assert!(seen.insert(id), "{id} was dispatched twice");
    }
    // The concurrency limit (3) holds in the world itself: runs overlapping in time.
    let spans: Vec<(u64, u64)> = world
        .runs
        .values()
        .map(|r| {
            (
                r.started_s,
                r.cancelled_at.unwrap_or(r.started_s + r.duration_s),
            )
        })
        .collect();
    for &(start, _) in &spans {
        let overlapping = spans
            .iter()
            .filter(|&&(s, e)| s <= start && start < e)
            .count();
        assert!(overlapping <= 3, "{overlapping} runs at {start}");
    }
    let mut dispatches_per_job = BTreeMap::new();
    for run in world.runs.values() {
        *dispatches_per_job.entry(run.job.clone()).or_insert(0) += 1;
    }
    RunResult {
        states: view::rows(&machine)
            .into_iter()
            .map(|r| (r.id, r.state.as_str(), r.attempts))
            .collect(),
        sums: fs_err::read_to_string(dir.join(RELEASE_DIR).join("v0.1.0/SHA256SUMS"))
            .unwrap_or_default(),
        dispatches_per_job,
        publications: world.release.map_or(0, |r| r.publications),
        cancelled_runs: world
            .runs
            .values()
            .filter(|r| r.cancelled_at.is_some())
            .count(),
    }
}

/// What happens to the state directory between the stop and the next `apply`.
#[derive(Clone, Copy, PartialEq)]
enum AfterStop {
    /// Nothing: the next apply continues the journal.
    Resume,
    /// The journal is deleted, the world kept: the next apply adopts from the world.
    Adopt,
}

/// The run's temporary directory is empty, and the release directory (if any) holds
/// exactly SHA256SUMS and the files it names.
fn assert_no_stray_files(dir: &Path) {
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = fs_err::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    assert_eq!(names(&dir.join(TMP_DIR)), Vec::<String>::new());
    let release = dir.join(RELEASE_DIR).join("v0.1.0");
    if let Ok(sums) = fs_err::read_to_string(release.join("SHA256SUMS")) {
        let mut expected: Vec<String> = sums
            .lines()
            .filter_map(|l| l.split_once("  ").map(|(_, name)| name.to_string()))
            .chain(["SHA256SUMS".to_string()])
            .collect();
        expected.sort();
        assert_eq!(names(&release), expected);
    }
}

/// What a kill in the middle of writing a file leaves: a temporary file in the run's
/// temporary directory.
fn leave_a_half_written_file(dir: &Path) {
    let tmp = dir.join(TMP_DIR);
    fs_err::create_dir_all(&tmp).unwrap();
    fs_err::write(tmp.join(".tmpX7kQ2p"), b"half a file").unwrap();
}

/// Runs `scenario` once without interruption, then once per journal write N: stopped after
/// N writes and resumed. Every resumed run must end like the uninterrupted one.
fn every_stop_ends_the_same(
    plan: &CompiledPlan,
    scenario: &Scenario,
    succeeded: bool,
) -> RunResult {
    every_stop_ends_the_same_after(plan, scenario, succeeded, AfterStop::Resume)
}

fn every_stop_ends_the_same_after(
    plan: &CompiledPlan,
    scenario: &Scenario,
    succeeded: bool,
    after: AfterStop,
) -> RunResult {
    let reference_dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(reference_dir.path(), plan, scenario, None).unwrap(),
        Ending::Finished { succeeded }
    );
    let reference = outcome(reference_dir.path());
    let writes = relplan::exec::journal::read(reference_dir.path())
        .unwrap()
        .len()
        - 1;
    assert!(writes > 15, "only {writes} journal writes");
    for limit in 0..writes {
        let dir = tempfile::tempdir().unwrap();
        let first = run(dir.path(), plan, scenario, Some(limit));
        assert!(first.is_err(), "stopped after {limit} writes");
        if after == AfterStop::Adopt {
            fs_err::remove_file(relplan::exec::journal::journal_path(dir.path())).unwrap();
        }
        leave_a_half_written_file(dir.path());
        let second = run(dir.path(), plan, scenario, None).unwrap();
        assert_eq!(
            second,
            Ending::Finished { succeeded },
            "after {limit} writes"
        );
        assert_eq!(
            outcome(dir.path()),
            reference,
            "stopped after {limit} writes"
        );
    }
    reference
}

#[test]
fn stopping_after_any_journal_write_then_resuming_ends_the_same() {
    let reference = every_stop_ends_the_same(&bitcoin_commons(), &flaky_node(), true);
    assert_eq!(reference.publications, 1);
    assert_eq!(reference.dispatches_per_job["blvm-node"], 2);
    assert_eq!(
        reference.dispatches_per_job.values().sum::<usize>(),
        9,
        "8 builds, the node twice"
    );
    assert_eq!(reference.sums.lines().count(), 12);
}

#[test]
fn a_hanging_job_is_timed_out_and_cancelled_wherever_the_executor_stops() {
    let mut scenario = Scenario::default();
    scenario.jobs.insert(
        "blvm-protocol".into(),
        JobBehaviour {
            duration_s: None,
            outcomes: vec![Outcome::Timeout],
        },
    );
    let reference = every_stop_ends_the_same(&bitcoin_commons(), &scenario, false);
    assert_eq!(reference.dispatches_per_job["blvm-protocol"], 2);
    assert_eq!(
        reference.cancelled_runs, 2,
        "both timed-out runs are cancelled"
    );
    assert!(!reference.dispatches_per_job.contains_key("blvm-node"));
    assert_eq!(reference.publications, 0);
}

#[test]
fn stopping_twice_in_a_row_still_ends_the_same() {
    let plan = bitcoin_commons();
    let scenario = flaky_node();
    let dir = tempfile::tempdir().unwrap();
    for limit in [3, 0, 5, 1, 4] {
        assert!(run(dir.path(), &plan, &scenario, Some(limit)).is_err());
    }
    assert_eq!(
        run(dir.path(), &plan, &scenario, None).unwrap(),
        Ending::Finished { succeeded: true }
    );
    let result = outcome(dir.path());
    assert_eq!(result.publications, 1);
    assert_eq!(result.dispatches_per_job["blvm-node"], 2);
}

#[test]
fn deleting_the_journal_after_any_write_then_applying_again_adopts_and_ends_the_same() {
    let reference =
        every_stop_ends_the_same_after(&bitcoin_commons(), &flaky_node(), true, AfterStop::Adopt);
    assert_eq!(reference.publications, 1);
    assert_eq!(
        reference.dispatches_per_job.values().sum::<usize>(),
        9,
        "every build dispatched once in all, the node twice"
    );
}

#[test]
fn a_finished_release_applied_from_a_new_journal_dispatches_nothing() {
    let plan = bitcoin_commons();
    let scenario = flaky_node();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(dir.path(), &plan, &scenario, None).unwrap(),
        Ending::Finished { succeeded: true }
    );
    let before = load_world(dir.path()).unwrap();
    fs_err::remove_file(relplan::exec::journal::journal_path(dir.path())).unwrap();
    assert_eq!(
        run(dir.path(), &plan, &scenario, None).unwrap(),
        Ending::Finished { succeeded: true }
    );
    let after = load_world(dir.path()).unwrap();
    assert_eq!(
        after.dispatches, before.dispatches,
        "nothing dispatched again"
    );
    assert_eq!(after.release.map(|r| r.publications), Some(1));
}
