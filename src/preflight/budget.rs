//! What a plan will spend of the token's rate limit, to hold against what is left. The
//! figures come from `tests/github_requests.rs`, which measures a whole release against the
//! fake GitHub: at most 10 charged requests per dispatched attempt (tag check, dispatch,
//! discovery, polls, artifacts), whatever the build length, and about as many for the
//! release transaction, asset uploads aside.

use crate::compiled::CompiledPlan;

/// Charged requests per attempt of a dispatched job (measured bound).
pub const REQUESTS_PER_ATTEMPT: u64 = 10;
/// Charged requests of the release transaction, uploads aside.
pub const REQUESTS_PER_RELEASE: u64 = 10;

/// Requests a release of the plan spends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    /// When every job succeeds at its first attempt.
    pub expected: u64,
    /// When every job uses every retry and the fallback starts.
    pub worst: u64,
}

pub fn estimate(plan: &CompiledPlan) -> Estimate {
    let dispatched = plan.jobs.iter().filter(|j| j.trigger.is_some());
    let (mut expected, mut worst) = (0, 0);
    for job in dispatched {
        expected += REQUESTS_PER_ATTEMPT;
        worst += REQUESTS_PER_ATTEMPT * (1 + u64::from(job.retries));
    }
    if plan.release.repo.is_some() {
        expected += REQUESTS_PER_RELEASE;
        worst += REQUESTS_PER_RELEASE;
    }
    if plan.fallback.is_some() {
        worst += REQUESTS_PER_ATTEMPT;
    }
    Estimate { expected, worst }
}
