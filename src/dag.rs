//! Graph facts about a set of jobs and their needs: topological order, cycles, depth groups,
//! the critical path and each job's remaining path. Shared by lowering, by the loader of
//! compiled plans (which re-derives and checks them) and by the executor's scheduler.
//!
//! Jobs are indices `0..n`; `needs[i]` lists the jobs that job `i` waits for.

use petgraph::algo::{kosaraju_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::numbers::thousands;

fn graph(needs: &[Vec<usize>]) -> DiGraph<(), ()> {
    let mut g = DiGraph::with_capacity(needs.len(), needs.iter().map(Vec::len).sum());
    for _ in needs {
        g.add_node(());
    }
    for (job, job_needs) in needs.iter().enumerate() {
        for &need in job_needs {
            g.add_edge(NodeIndex::new(job), NodeIndex::new(need), ());
        }
    }
    g
}

/// Jobs so that every job comes after all its needs, or every cycle (one per strongly
/// connected component), each as a path `a, b, …, a` where each job needs the next.
pub fn topological_order(needs: &[Vec<usize>]) -> Result<Vec<usize>, Vec<Vec<usize>>> {
    let g = graph(needs);
    match toposort(&g, None) {
        Ok(order) => Ok(order.into_iter().rev().map(|n| n.index()).collect()),
        Err(_) => Err(cycles(needs, &g)),
    }
}

fn cycles(needs: &[Vec<usize>], g: &DiGraph<(), ()>) -> Vec<Vec<usize>> {
    // Kosaraju's search is iterative (petgraph's Tarjan recurses, and overflows the stack on
    // a long chain). The component of every job is kept, so that "is this job in the
    // component?" is one lookup: a search through the members made a 20,000-job cycle
    // take minutes.
    let mut component_of = vec![usize::MAX; needs.len()];
    let mut found = Vec::new();
    for (c, component) in kosaraju_scc(g).into_iter().enumerate() {
        for node in &component {
            component_of[node.index()] = c;
        }
        let start = component
            .iter()
            .map(|n| n.index())
            .min()
            .expect("components are not empty");
        let is_cycle = component.len() > 1 || needs[start].contains(&start);
        if is_cycle {
            found.push(cycle_through(start, needs, |job| component_of[job] == c));
        }
    }
    found.sort();
    found
}

/// Shortest path from `start` back to itself through the jobs of its component.
fn cycle_through(
    start: usize,
    needs: &[Vec<usize>],
    in_component: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut previous = std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(job) = queue.pop_front() {
        let mut next: Vec<usize> = needs[job].clone();
        next.sort_unstable();
        for need in next {
            if need == start {
                let mut path = vec![start, job];
                let mut at = job;
                while at != start {
                    at = previous[&at];
                    path.push(at);
                }
                path.reverse();
                return path;
            }
            if in_component(need) && !previous.contains_key(&need) {
                previous.insert(need, job);
                queue.push_back(need);
            }
        }
    }
    vec![start, start]
}

/// How many jobs of a cycle its description names before eliding the middle.
pub const CYCLE_JOBS_SHOWN: usize = 8;

/// A cycle `a, b, …, a` as people read it: `dependency cycle: a → b → a`. A long one names
/// its first jobs and its last, with its length:
/// `dependency cycle of 20,000 jobs: a → b → c → d → e → f → … → z → a`.
pub fn describe_cycle(path: &[String]) -> String {
    let jobs = path.len().saturating_sub(1);
    if path.len() <= CYCLE_JOBS_SHOWN + 1 {
        return format!("dependency cycle: {}", path.join(" → "));
    }
    let head = &path[..CYCLE_JOBS_SHOWN - 2];
    let tail = &path[path.len() - 2..];
    format!(
        "dependency cycle of {} jobs: {} → … → {}",
        thousands(jobs),
        head.join(" → "),
        tail.join(" → ")
    )
}

/// Depth of every job: 0 without needs, else one more than its deepest need.
pub fn depths(needs: &[Vec<usize>], order: &[usize]) -> Vec<usize> {
    let mut depth = vec![0; needs.len()];
    for &job in order {
        depth[job] = needs[job].iter().map(|&n| depth[n] + 1).max().unwrap_or(0);
    }
    depth
}

/// The longest chain by weight, first job first, and its total. Ties go to the lower index,
/// so the result is deterministic when indices follow a deterministic order.
pub fn critical_path(needs: &[Vec<usize>], weights: &[u64], order: &[usize]) -> (Vec<usize>, u64) {
    let mut finish = vec![0u64; needs.len()];
    let mut via: Vec<Option<usize>> = vec![None; needs.len()];
    for &job in order {
        let best = needs[job]
            .iter()
            .copied()
            .max_by(|&a, &b| finish[a].cmp(&finish[b]).then(b.cmp(&a)));
        via[job] = best;
        finish[job] = weights[job].saturating_add(best.map_or(0, |b| finish[b]));
    }
    let Some(end) = (0..needs.len()).max_by(|&a, &b| finish[a].cmp(&finish[b]).then(b.cmp(&a)))
    else {
        return (Vec::new(), 0);
    };
    let mut path = vec![end];
    while let Some(prev) = via[*path.last().expect("path is not empty")] {
        path.push(prev);
    }
    path.reverse();
    (path, finish[end])
}

/// For every job, the longest chain by weight from it (included) to the end of the DAG:
/// the scheduler starts the ready job with the most remaining work first.
pub fn remaining_path(needs: &[Vec<usize>], weights: &[u64], order: &[usize]) -> Vec<u64> {
    let mut remaining: Vec<u64> = weights.to_vec();
    for &job in order.iter().rev() {
        for &need in &needs[job] {
            remaining[need] = remaining[need].max(weights[need].saturating_add(remaining[job]));
        }
    }
    remaining
}

#[cfg(test)]
mod tests {
    use super::*;

    // 0 ← 1 ← 3, 0 ← 2 ← 3 (3 needs 1 and 2, both need 0)
    fn diamond() -> Vec<Vec<usize>> {
        vec![vec![], vec![0], vec![0], vec![1, 2]]
    }

    #[test]
    fn orders_and_groups_a_diamond() {
        let needs = diamond();
        let order = topological_order(&needs).unwrap();
        for (pos, &job) in order.iter().enumerate() {
            for need in &needs[job] {
                assert!(order[..pos].contains(need));
            }
        }
        assert_eq!(depths(&needs, &order), vec![0, 1, 1, 2]);
    }

    #[test]
    fn critical_path_takes_the_heavier_branch() {
        let needs = diamond();
        let order = topological_order(&needs).unwrap();
        assert_eq!(
            critical_path(&needs, &[10, 5, 7, 1], &order),
            (vec![0, 2, 3], 18)
        );
        assert_eq!(
            remaining_path(&needs, &[10, 5, 7, 1], &order),
            vec![18, 6, 8, 1]
        );
    }

    #[test]
    fn a_long_cycle_is_found_and_described_short() {
        let n = 20_000;
        let needs: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
        let cycles = topological_order(&needs).unwrap_err();
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].len(), n + 1);
        let ids: Vec<String> = cycles[0].iter().map(|i| format!("r{i}")).collect();
        assert_eq!(
            describe_cycle(&ids),
            "dependency cycle of 20,000 jobs: r0 → r1 → r2 → r3 → r4 → r5 → … → r19999 → r0"
        );
        let short: Vec<String> = ["a", "b", "a"].map(String::from).to_vec();
        assert_eq!(describe_cycle(&short), "dependency cycle: a → b → a");
    }

    #[test]
    fn reports_every_cycle_with_its_path() {
        let needs = vec![vec![1], vec![2], vec![0], vec![3], vec![]];
        assert_eq!(
            topological_order(&needs),
            Err(vec![vec![0, 1, 2, 0], vec![3, 3]])
        );
    }
}
