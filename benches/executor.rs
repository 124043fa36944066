//! Executor benchmarks (not tests: they print figures, they assert nothing about time).
//!
//! 1. Simulating 10,000 jobs on the virtual clock: wall time (target ≤ 2 s).
//! 2. 300 jobs of mixed durations at concurrency 4: the executor's makespan against an
//!    independent longest-remaining-path-first list schedule, and against the lower bound
//!    max(critical path, work / 4) (target: within 5% of the list schedule).
//! 3. The Bitcoin Commons plan: the executor's makespan against the old workflow's strictly
//!    sequential run and the old orchestrator's group barriers (each group waits for the
//!    slowest job of the previous one).
//!
//! Run: `cargo bench --bench executor`.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::path::Path;
use std::time::Instant;

use relplan::compile::{Request, compile_from_disk};
use relplan::compiled::{CompiledPlan, Job, JobKind, Release, Trigger};
use relplan::dag;
use relplan::exec::view;
use relplan::scenario::Scenario;
use relplan::simulate::simulate;

/// xorshift64: deterministic inputs without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `n` jobs, each needing up to 3 of the 50 jobs before it, durations from 1 to 120 minutes.
fn generated(n: usize, seed: u64) -> CompiledPlan {
    let mut rng = Rng(seed);
    let id = |i: usize| format!("job-{i:05}");
    let jobs = (0..n)
        .map(|i| {
            let mut needs = BTreeSet::new();
            for _ in 0..(rng.next() % 4) {
                if i > 0 {
                    let back = 1 + (rng.next() as usize % i.min(50));
                    needs.insert(id(i - back));
                }
            }
            Job {
                id: id(i),
                kind: JobKind::Build,
                repo: format!("o/{}", id(i)),
                git_ref: Some("v1".into()),
                commit: None,
                version: Some("1.0.0".into()),
                needs: needs.into_iter().collect(),
                group: 0,
                trigger: Some(Trigger::RepositoryDispatch {
                    repo: format!("o/{}", id(i)),
                    event_type: "build".into(),
                }),
                payload: Default::default(),
                timeout_s: 86_400,
                retries: 0,
                estimate_s: 60 * (1 + rng.next() % 120),
                publish: Vec::new(),
                local: None,
            }
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
    CompiledPlan::assemble(release, jobs, None).expect("generated plans are acyclic")
}

/// A textbook list schedule, written independently of the executor: whenever a machine is
/// free, start the ready job with the longest remaining path (ties: lower index).
fn list_schedule(plan: &CompiledPlan, machines: usize) -> u64 {
    let index: std::collections::HashMap<&str, usize> = plan
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.id.as_str(), i))
        .collect();
    let needs: Vec<Vec<usize>> = plan
        .jobs
        .iter()
        .map(|j| j.needs.iter().map(|n| index[n.as_str()]).collect())
        .collect();
    let weights: Vec<u64> = plan.jobs.iter().map(|j| j.estimate_s).collect();
    let order = dag::topological_order(&needs).expect("acyclic");
    let remaining = dag::remaining_path(&needs, &weights, &order);
    let mut dependents = vec![Vec::new(); needs.len()];
    for (j, ns) in needs.iter().enumerate() {
        for &n in ns {
            dependents[n].push(j);
        }
    }
    let mut unmet: Vec<usize> = needs.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<(u64, Reverse<usize>)> = (0..needs.len())
        .filter(|&j| unmet[j] == 0)
        .map(|j| (remaining[j], Reverse(j)))
        .collect();
    let mut running: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    let mut now = 0;
    loop {
        while running.len() < machines {
            let Some((_, Reverse(j))) = ready.pop() else {
                break;
            };
            running.push(Reverse((now + weights[j], j)));
        }
        let Some(Reverse((end, j))) = running.pop() else {
            break;
        };
        now = end;
        for &d in &dependents[j] {
            unmet[d] -= 1;
            if unmet[d] == 0 {
                ready.push((remaining[d], Reverse(d)));
            }
        }
    }
    now
}

fn hours(s: u64) -> String {
    format!("{:.2} h", s as f64 / 3600.0)
}

fn main() {
    // 1. 10,000 jobs.
    let plan = generated(10_000, 0x5EED);
    for concurrency in [None, Some(64)] {
        let mut times = Vec::new();
        let mut makespan = 0;
        for _ in 0..5 {
            let start = Instant::now();
            let sim = simulate(plan.clone(), Scenario::default(), concurrency, false);
            times.push(start.elapsed());
            makespan = view::makespan_s(&sim.machine);
        }
        times.sort();
        let label = concurrency.map_or("unlimited".to_string(), |c| c.to_string());
        println!(
            "simulate 10,000 jobs, concurrency {label}: median {:.0} ms (min {:.0} ms), makespan {}",
            times[2].as_secs_f64() * 1000.0,
            times[0].as_secs_f64() * 1000.0,
            hours(makespan)
        );
    }

    // 2. 300 mixed jobs at concurrency 4.
    let mut worst: f64 = 0.0;
    for seed in 1..=10u64 {
        let plan = generated(300, seed * 7919);
        let sim = simulate(plan.clone(), Scenario::default(), Some(4), false);
        let ours = view::makespan_s(&sim.machine);
        let reference = list_schedule(&plan, 4);
        let work: u64 = plan.jobs.iter().map(|j| j.estimate_s).sum();
        let bound = plan.critical_path.estimate_s.max(work.div_ceil(4));
        let ratio = ours as f64 / reference as f64;
        worst = worst.max(ratio);
        if seed <= 3 {
            println!(
                "300 jobs, concurrency 4, seed {seed}: executor {} vs LRPF list schedule {} (×{ratio:.3}); lower bound {} (×{:.3})",
                hours(ours),
                hours(reference),
                hours(bound),
                ours as f64 / bound as f64
            );
        }
    }
    println!("300 jobs, concurrency 4, 10 seeds: worst executor / list-schedule ratio ×{worst:.3}");

    // 3. Bitcoin Commons.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compiled = compile_from_disk(&Request {
        plan: Some(root.join("plans/bitcoin-commons.toml")),
        ..Request::default()
    });
    let Some(plan) = compiled.plan else {
        println!("plans/bitcoin-commons.toml does not compile; skipping");
        return;
    };
    let sim = simulate(plan.clone(), Scenario::default(), None, false);
    let ours = view::makespan_s(&sim.machine);
    let sequential: u64 = plan.jobs.iter().map(|j| j.estimate_s).sum();
    let barrier: u64 = plan
        .groups
        .iter()
        .map(|g| {
            g.iter()
                .filter_map(|id| plan.job(id))
                .map(|j| j.estimate_s)
                .max()
                .unwrap_or(0)
        })
        .sum();
    println!(
        "Bitcoin Commons: executor {} (critical path {}); strictly sequential {} (×{:.2}); group barriers {} (×{:.2})",
        hours(ours),
        hours(plan.critical_path.estimate_s),
        hours(sequential),
        sequential as f64 / ours as f64,
        hours(barrier),
        barrier as f64 / ours as f64
    );
}
