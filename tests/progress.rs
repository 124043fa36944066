//! The log lines of a run (what `apply` prints outside a terminal), fed the events of a
//! simulated run of the example plan, whose times are fixed: the time column stays
//! straight however wide the times grow, and lines that continue one (a help) start under
//! its text.

use relplan::compile::{Request, compile_from_disk};
use relplan::exec::machine::Machine;
use relplan::exec::progress::Progress;
use relplan::exec::reporter::Reporter;
use relplan::scenario::{JobBehaviour, Outcome, Scenario};
use relplan::simulate::simulate;

use crate::common::root;

#[test]
fn the_time_column_of_the_log_lines_stays_aligned() {
    let plan = compile_from_disk(&Request {
        plan: Some(root().join("plans/bitcoin-commons.toml")),
        ..Request::default()
    })
    .plan
    .expect("the example plan compiles");
    let mut scenario = Scenario::default();
    scenario.jobs.insert(
        "blvm-node".into(),
        JobBehaviour {
            duration_s: Some(3_725),
            outcomes: vec![Outcome::Failure, Outcome::Success],
        },
    );
    let events = simulate(plan, scenario, Some(2), false).events;
    let reporter = Reporter::memory();
    let mut progress = Progress::lines(reporter.clone());
    let mut machine = Machine::replay(&events[..1]).expect("a run");
    for event in &events[1..] {
        machine.apply(event);
        progress.event(&machine, event);
    }
    let lines = reporter.lines();
    let ends: Vec<usize> = lines
        .iter()
        .filter(|l| l.starts_with('['))
        .map(|l| l.find(']').expect("a stamp"))
        .collect();
    assert!(ends.iter().all(|&end| end == ends[0]), "{lines:#?}");
    insta::assert_snapshot!(lines.join("\n"));
}
