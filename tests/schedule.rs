//! Scheduling properties on generated DAGs (proptest), through the simulator's virtual
//! clock: no job starts before its needs end, concurrency is never exceeded, with unlimited
//! concurrency the makespan is the critical path, a dead job skips exactly what depends on
//! it, and the state is a pure function of the events (replay gives the same state).

use std::collections::BTreeMap;

use proptest::prelude::*;
use relplan::compiled::{CompiledPlan, Job, JobKind, Release, Trigger};
use relplan::exec::machine::Machine;
use relplan::exec::view;
use relplan::scenario::{JobBehaviour, Outcome, Scenario};
use relplan::simulate::simulate;

/// A plan of `weights.len()` jobs where job i needs the earlier jobs listed in `needs[i]`.
fn plan(weights: &[u64], needs: &[Vec<usize>], retries: u32) -> CompiledPlan {
    let id = |i: usize| format!("j{i:03}");
    let jobs = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| Job {
            id: id(i),
            kind: JobKind::Build,
            repo: format!("o/{}", id(i)),
            git_ref: Some("v1".into()),
            commit: None,
            version: Some("1.0.0".into()),
            needs: needs[i].iter().map(|&n| id(n)).collect(),
            group: 0,
            trigger: Some(Trigger::RepositoryDispatch {
                repo: format!("o/{}", id(i)),
                event_type: "build".into(),
            }),
            payload: Default::default(),
            timeout_s: 10 * w + 10,
            retries,
            estimate_s: w,
            publish: vec!["*".into()],
            local: None,
        })
        .collect();
    let release = Release {
        name: "generated".into(),
        version: "1.0.0".into(),
        tag: "v1.0.0".into(),
        prerelease: false,
        repo: None,
        commit: None,
    };
    CompiledPlan::assemble(release, jobs, None).expect("generated DAGs are acyclic")
}

fn dag() -> impl Strategy<Value = (Vec<u64>, Vec<Vec<usize>>)> {
    (1usize..40).prop_flat_map(|n| {
        let weights = proptest::collection::vec(1u64..500, n);
        let needs = (0..n)
            .map(|i| {
                proptest::collection::btree_set(0..i.max(1), 0..4.min(i + 1))
                    .prop_map(move |s| s.into_iter().filter(|&n| n < i).collect::<Vec<_>>())
            })
            .collect::<Vec<_>>();
        (weights, needs)
    })
}

/// (start, end) of every job that ran once and succeeded, by id.
fn spans(machine: &Machine) -> BTreeMap<String, (u64, u64)> {
    view::rows(machine)
        .into_iter()
        .filter_map(|r| Some((r.id, (r.start_s?, r.end_s?))))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn jobs_start_after_their_needs_within_the_concurrency((weights, needs) in dag(), limit in proptest::option::of(1usize..5)) {
        let plan = plan(&weights, &needs, 0);
        let sim = simulate(plan.clone(), Scenario::default(), limit, false);
        prop_assert!(sim.machine.succeeded());
        let spans = spans(&sim.machine);
        for job in &plan.jobs {
            let (start, _) = spans[&job.id];
            for need in &job.needs {
                prop_assert!(spans[need].1 <= start, "{} started before {} ended", job.id, need);
            }
        }
        if let Some(limit) = limit {
            for (start, _) in spans.values() {
                let running = spans.values().filter(|(s, e)| s <= start && start < e).count();
                prop_assert!(running <= limit, "{running} running at {start}");
            }
        }
        let makespan = view::makespan_s(&sim.machine);
        prop_assert!(makespan >= plan.critical_path.estimate_s);
        match limit {
            None => prop_assert_eq!(makespan, plan.critical_path.estimate_s),
            // Graham's bound for any list schedule: never more than work/limit + critical path.
            Some(limit) => prop_assert!(makespan <= weights.iter().sum::<u64>() / limit as u64 + plan.critical_path.estimate_s),
        }
    }

    #[test]
    fn a_dead_job_skips_exactly_what_depends_on_it((weights, needs) in dag(), dead in any::<proptest::sample::Index>()) {
        let plan = plan(&weights, &needs, 1);
        let dead = dead.index(weights.len());
        let mut scenario = Scenario::default();
        scenario.jobs.insert(format!("j{dead:03}"), JobBehaviour { duration_s: None, outcomes: vec![Outcome::Failure] });
        let sim = simulate(plan.clone(), scenario, None, false);
        // Everything that transitively needs the dead job.
        let mut downstream = vec![false; weights.len()];
        for i in 0..weights.len() {
            downstream[i] = needs[i].iter().any(|&n| n == dead || downstream[n]);
        }
        for row in view::rows(&sim.machine) {
            let i: usize = row.id[1..].parse().unwrap();
            let expected = if i == dead { "failed" } else if downstream[i] { "skipped" } else { "succeeded" };
            prop_assert_eq!(row.state.as_str(), expected, "{}", row.id);
            let attempts = if i == dead { 2 } else if downstream[i] { 0 } else { 1 };
            prop_assert_eq!(row.attempts, attempts, "{}", row.id);
        }
    }

    #[test]
    fn replaying_the_events_rebuilds_the_same_state((weights, needs) in dag(), flaky in any::<proptest::sample::Index>(), limit in proptest::option::of(1usize..4)) {
        let plan = plan(&weights, &needs, 2);
        let mut scenario = Scenario { seed: 9, ..Scenario::default() };
        scenario.jobs.insert(
            format!("j{:03}", flaky.index(weights.len())),
            JobBehaviour { duration_s: Some(7), outcomes: vec![Outcome::Timeout, Outcome::Failure, Outcome::Success] },
        );
        let sim = simulate(plan, scenario, limit, false);
        let replayed = Machine::replay(&sim.events).unwrap();
        prop_assert_eq!(view::rows(&replayed), view::rows(&sim.machine));
        prop_assert_eq!(replayed.is_finished(), true);
        // Retries, timeouts and backoffs never break the concurrency limit either.
        if let Some(limit) = limit {
            let attempts: Vec<(u64, u64)> = view::rows(&sim.machine)
                .iter()
                .flat_map(|r| r.history.iter().map(|a| (a.start_s, a.end_s.unwrap_or(u64::MAX))))
                .collect();
            for &(start, _) in &attempts {
                let running = attempts.iter().filter(|&&(s, e)| s <= start && start < e).count();
                prop_assert!(running <= limit, "{running} attempts at {start}");
            }
        }
    }
}

mod replay_fuzz {
    //! Journals with arbitrary (even nonsensical) event sequences replay without panicking,
    //! and the machine's decisions always take effect: deciding and applying in a loop
    //! reaches a state with nothing to decide in a bounded number of steps.

    use proptest::prelude::*;
    use relplan::exec::event::{AdoptedAttempt, AttemptOutcome, Event, RunRef};
    use relplan::exec::machine::Machine;

    fn event() -> impl Strategy<Value = Event> {
        let job = prop::sample::select(vec!["j000", "j001", "j002", "j003", "nope"])
            .prop_map(String::from);
        let outcome = prop::sample::select(vec![
            AttemptOutcome::Success,
            AttemptOutcome::Failure,
            AttemptOutcome::TimedOut,
            AttemptOutcome::Cancelled,
            AttemptOutcome::Blocked,
        ]);
        prop_oneof![
            (job.clone(), 0u32..4, 0u64..500).prop_map(|(job, attempt, at)| {
                Event::AttemptStarting {
                    job,
                    attempt,
                    correlation_id: "c".into(),
                    at,
                }
            }),
            (job.clone(), 0u32..4, 0u64..500).prop_map(|(job, attempt, started_s)| {
                Event::AttemptDispatched {
                    job,
                    attempt,
                    run: RunRef {
                        runs: vec!["r".into()],
                        started_s,
                        urls: vec!["https://github.com/o/r/actions/runs/1".into()],
                    },
                }
            }),
            (job.clone(), 0u32..4, outcome.clone(), 0u64..500).prop_map(
                |(job, attempt, outcome, at)| {
                    Event::AttemptFinished {
                        job,
                        attempt,
                        outcome,
                        at,
                        reason: None,
                        help: None,
                        url: None,
                    }
                }
            ),
            (0u64..500).prop_map(|at| Event::Paused { at }),
            (0u64..500).prop_map(|at| Event::Resumed { at }),
            (0u64..500).prop_map(|at| Event::Interrupted { at }),
            (0u64..500).prop_map(|at| Event::CancelRequested { at }),
            (0u64..500).prop_map(|at| Event::Finished { at }),
            (prop::collection::vec(job.clone(), 0..3), 0u64..500)
                .prop_map(|(jobs, at)| Event::Retried { jobs, at }),
            (
                prop::collection::vec(
                    (
                        job.clone(),
                        0u32..4,
                        prop::option::of(outcome.clone()),
                        0u64..500
                    ),
                    0..4
                ),
                any::<bool>(),
                0u64..500,
            )
                .prop_map(|(found, published, at)| Event::Adopted {
                    at,
                    release_url: published.then(|| "https://github.com/o/r/releases/tag/v1".into()),
                    attempts: found
                        .into_iter()
                        .map(|(job, attempt, outcome, started_s)| AdoptedAttempt {
                            correlation_id: format!("{job}-{attempt}"),
                            job,
                            attempt,
                            run: RunRef {
                                runs: vec!["r".into()],
                                started_s,
                                urls: Vec::new(),
                            },
                            outcome,
                            end_s: outcome.map(|_| started_s + 5),
                            reason: None,
                        })
                        .collect(),
                    published,
                    fallback: None,
                }),
        ]
    }

    proptest! {
        #[test]
        fn any_journal_replays_and_its_decisions_take_effect(events in prop::collection::vec(event(), 0..40), fail_fast in any::<bool>(), now in 0u64..2000) {
            let plan = super::plan(&[10, 20, 30, 40], &[vec![], vec![0], vec![0], vec![1, 2]], 1);
            let settings = relplan::exec::event::Settings {
                backend: relplan::exec::event::BackendKind::Sim {
                    speed: 1.0,
                    scenario: Default::default(),
                },
                concurrency: Some(2),
                fail_fast,
                seed: 3,
                origin_unix_ms: 0,
            };
            let mut journal = vec![Event::Started { plan: Box::new(plan), settings }];
            journal.extend(events);
            let mut machine = Machine::replay(&journal).unwrap();
            let mut steps = 0;
            while let Some(decision) = machine.decide(now) {
                machine.apply(&decision);
                steps += 1;
                prop_assert!(steps < 100, "the machine keeps deciding {decision:?}");
            }
        }
    }
}
