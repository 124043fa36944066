//! Adoption: what a backend already holds for a plan ([`Holdings`]) as the `Adopted` event
//! that makes it part of a new journal. The state directory is a cache of the backend:
//! when a plan starts where no journal is (a new CI runner), the attempts an earlier
//! executor dispatched are found by their correlation ids and continued, never redone.
//!
//! Each found attempt keeps its run; a finished one ends as its run did (after its
//! deadline: timed out), a running one is watched. Times are moved from the holdings' time
//! zero to the run's.

use crate::compiled::CompiledPlan;
use crate::exec::backend::{Holdings, RunStatus};
use crate::exec::event::{AdoptedAttempt, Event, RunRef};
use crate::exec::machine::outcome_of;

/// The `Adopted` event of `holdings` for a run of `plan` whose time zero is
/// `origin_unix_ms`, taken at `at`. The two time zeros are the same but for GitHub, whose
/// times are instants: there the difference moves every time.
pub fn event(plan: &CompiledPlan, holdings: &Holdings, origin_unix_ms: u64, at: u64) -> Event {
    let from = holdings.origin_unix_ms.unwrap_or(origin_unix_ms);
    // Holdings' seconds + offset = the run's seconds.
    let offset = (i128::from(from) - i128::from(origin_unix_ms)) / 1000;
    let moved = |s: u64| u64::try_from((i128::from(s) + offset).max(0)).unwrap_or(u64::MAX);
    let index = |job: &str| plan.jobs.iter().position(|j| j.id == job);
    let mut found: Vec<_> = holdings
        .attempts
        .iter()
        .filter_map(|a| Some((index(&a.job)?, a)))
        .collect();
    found.sort_by_key(|(i, a)| (*i, a.attempt));
    found.dedup_by_key(|(i, a)| (*i, a.attempt));
    let attempts = found
        .into_iter()
        .map(|(i, a)| {
            let run = RunRef {
                started_s: moved(a.run.started_s),
                ..a.run.clone()
            };
            let deadline = run.started_s.saturating_add(plan.jobs[i].timeout_s);
            let (outcome, end_s, reason) = match &a.status {
                RunStatus::Running => (None, None, None),
                RunStatus::Finished {
                    success,
                    at,
                    reason,
                } => {
                    let (outcome, end, reason) =
                        outcome_of(Some(deadline), *success, moved(*at), reason.as_deref());
                    (Some(outcome), Some(end), reason)
                }
            };
            AdoptedAttempt {
                job: a.job.clone(),
                attempt: a.attempt,
                correlation_id: a.correlation_id.clone(),
                run,
                outcome,
                end_s,
                reason: a.reason.clone().or(reason),
            }
        })
        .collect();
    Event::Adopted {
        at,
        attempts,
        published: holdings.published,
        release_url: holdings.release_url.clone().filter(|_| holdings.published),
        fallback: holdings.fallback.as_ref().map(|run| RunRef {
            started_s: moved(run.started_s),
            ..run.clone()
        }),
    }
}
