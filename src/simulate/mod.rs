//! `simulate`: the executor's state machine on a virtual clock. A discrete-event loop jumps
//! from one moment something happens (a run ends, a timeout or a backoff expires) to the
//! next, so a day-long release simulates in microseconds and the outcome depends only on the
//! plan, the scenario and the settings (the seed included), never on the machine.
//!
//! Runs behave as the scenario says, exactly as in `apply --backend sim`: an attempt takes
//! its duration and ends with its outcome, or never ends (`timeout`) and is timed out. The
//! release job takes its estimate and assembles its assets from the same synthetic artifacts.

pub mod render;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::compiled::{CompiledPlan, JobKind};
use crate::exec::event::{AssetDigest, AttemptOutcome, BackendKind, Event, RunRef, Settings};
use crate::exec::machine::Machine;
use crate::release_assets::{self, CLASH_HELP, Clash};
use crate::scenario::{self, Outcome, Scenario, synthetic_artifacts};

/// The end state of a simulated run.
pub struct Simulation {
    pub machine: Machine,
    /// Assets of the release, when it was published.
    pub assets: Vec<AssetDigest>,
    /// Every event applied, `Started` first: the journal `apply` would have written.
    pub events: Vec<Event>,
}

fn record(machine: &mut Machine, events: &mut Vec<Event>, event: Event) {
    machine.apply(&event);
    events.push(event);
}

/// Runs `plan` to its end in the world of `scenario`.
pub fn simulate(
    plan: CompiledPlan,
    scenario: Scenario,
    concurrency: Option<usize>,
    fail_fast: bool,
) -> Simulation {
    let settings = Settings {
        backend: BackendKind::Sim {
            speed: 1.0,
            scenario: scenario.clone(),
        },
        concurrency,
        fail_fast,
        seed: scenario.seed,
        origin_unix_ms: 0,
    };
    let mut events = vec![Event::Started {
        plan: Box::new(plan.clone()),
        settings: settings.clone(),
    }];
    let mut machine = Machine::new(plan, settings);
    // Attempt completions: (time, job, attempt, success).
    let mut ends: BinaryHeap<Reverse<(u64, usize, u32, bool)>> = BinaryHeap::new();
    let mut assets = Vec::new();
    let mut now = 0;
    loop {
        while let Some(&Reverse((at, i, attempt, success))) = ends.peek() {
            if at > now {
                break;
            }
            ends.pop();
            if let Some(mut event) = machine.run_finished(i, attempt, success, at, None) {
                if let Event::AttemptFinished {
                    outcome: AttemptOutcome::Success,
                    url,
                    ..
                } = &mut event
                    && machine.job(i).kind == JobKind::Release
                {
                    *url = Some(scenario::release_url(&machine.plan().release.tag));
                }
                record(&mut machine, &mut events, event);
            }
        }
        while let Some(event) = machine.decide(now) {
            record(&mut machine, &mut events, event.clone());
            if let Event::FallbackStarting { at, .. } = event {
                // A dry run dispatches nothing; the report says the fallback would start.
                let done = Event::FallbackFinished {
                    at,
                    run: None,
                    reason: Some("a simulation dispatches nothing".into()),
                    help: None,
                };
                record(&mut machine, &mut events, done);
                continue;
            }
            let Event::AttemptStarting {
                job,
                attempt,
                correlation_id,
                ..
            } = event
            else {
                continue;
            };
            let Some(i) = machine.index_of(&job) else {
                continue;
            };
            let (outcome, duration) = scenario.attempt(machine.job(i), attempt);
            let success = outcome == Outcome::Success;
            if machine.job(i).kind == JobKind::Release {
                match release_assets(&machine, i) {
                    Ok(digests) => {
                        assets = digests.clone();
                        let event = Event::PublishIntent {
                            job,
                            attempt,
                            assets: digests,
                        };
                        record(&mut machine, &mut events, event);
                    }
                    Err(clashes) => {
                        let event = Event::AttemptFinished {
                            job,
                            attempt,
                            outcome: AttemptOutcome::Failure,
                            at: now,
                            reason: Some(release_assets::clashes_message(&clashes)),
                            help: Some(CLASH_HELP.into()),
                            url: None,
                        };
                        record(&mut machine, &mut events, event);
                        continue;
                    }
                }
            } else {
                let event = Event::AttemptDispatched {
                    job,
                    attempt,
                    run: RunRef {
                        runs: vec![scenario::run_id(&correlation_id)],
                        started_s: now,
                        urls: vec![scenario::run_url(&correlation_id)],
                    },
                };
                record(&mut machine, &mut events, event);
            }
            if outcome == Outcome::Timeout {
                continue;
            }
            ends.push(Reverse((now.saturating_add(duration), i, attempt, success)));
        }
        if machine.is_finished() {
            break;
        }
        let next_end = ends.peek().map(|e| e.0.0);
        let next = match (next_end, machine.next_wakeup()) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            // Cannot happen (with nothing pending the machine finishes); stop rather than spin.
            (None, None) => break,
        };
        now = now.max(next);
    }
    if !machine.published() {
        assets.clear();
    }
    Simulation {
        machine,
        assets,
        events,
    }
}

/// The release's assets from the synthetic artifacts of the publishing jobs it needs.
fn release_assets(machine: &Machine, release_job: usize) -> Result<Vec<AssetDigest>, Vec<Clash>> {
    let files = machine
        .publishers(release_job)
        .flat_map(|j| synthetic_artifacts(machine.job(j)));
    let assets = release_assets::assemble(files)?;
    Ok(assets.iter().map(AssetDigest::from).collect())
}
