//! Correlation ids: the word every dispatch carries to the backend (GitHub: in the run's
//! run-name) so that the run can be found again, after a crash or from a state directory
//! that never saw it. They are a function of the plan alone, never of a clock, so any
//! executor of the same plan (a resumed one, one on a fresh CI runner) names the same
//! attempt the same way (docs/build-workflow-protocol.md):
//!
//! - attempt `n` of job `j`: `relplan-<first 12 hex of the plan hash>-<j>-<n>`;
//! - the plan's `[fallback]`: `relplan-<12 hex>-fallback` (no attempt: it is dispatched
//!   once), which no job's id can produce, since those end in `-<digits>`;
//! - the generated fallback workflow's own ids,
//!   `relplan-<12 hex>-<j>-fallback-<run id>.<run attempt>.<try>`, end in `.<digits>`, so
//!   they are never taken for either.
//!
//! Job ids are letters, digits, `-`, `_`, `.` and `/`, so an id is one word in the sense
//! of the run-name matching (a word of its own: not next to any of those characters).

/// The first 12 hex digits of a plan hash (`sha256:` dropped), as correlation ids carry them.
pub fn short_hash(plan_hash: &str) -> &str {
    let hex = plan_hash.strip_prefix("sha256:").unwrap_or(plan_hash);
    hex.get(..12).unwrap_or(hex)
}

/// What every correlation id of the plan begins with: `relplan-<12 hex>-`.
pub fn prefix(plan_hash: &str) -> String {
    format!("relplan-{}-", short_hash(plan_hash))
}

/// The id of attempt `attempt` (from 1) of `job`.
pub fn attempt_id(plan_hash: &str, job: &str, attempt: u32) -> String {
    format!("{}{job}-{attempt}", prefix(plan_hash))
}

/// The id of the plan's `[fallback]` dispatch.
pub fn fallback_id(plan_hash: &str) -> String {
    format!("{}fallback", prefix(plan_hash))
}

/// The job and attempt `word` names when it is an attempt id of this plan: the text after
/// the prefix, split at its last `-` into a job id and an attempt number.
pub fn parse<'a>(plan_hash: &str, word: &'a str) -> Option<(&'a str, u32)> {
    let rest = word.strip_prefix(&prefix(plan_hash))?;
    let (job, attempt) = rest.rsplit_once('-')?;
    if job.is_empty() || attempt.is_empty() || !attempt.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((job, attempt.parse().ok().filter(|&n| n > 0)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "sha256:b2312dace1afcdff6b1701a2c7bf6c030730cd587c07551f5ad8f8054e48739c";

    #[test]
    fn ids_are_a_function_of_the_plan_and_parse_back() {
        let id = attempt_id(HASH, "blvm-consensus/verify", 12);
        assert_eq!(id, "relplan-b2312dace1af-blvm-consensus/verify-12");
        assert_eq!(parse(HASH, &id), Some(("blvm-consensus/verify", 12)));
        assert_eq!(
            parse(HASH, &attempt_id(HASH, "node-1", 1)),
            Some(("node-1", 1))
        );
        assert_eq!(fallback_id(HASH), "relplan-b2312dace1af-fallback");
        assert_eq!(parse(HASH, &fallback_id(HASH)), None);
        assert_eq!(
            parse(HASH, "relplan-b2312dace1af-node-fallback-7.1.2"),
            None
        );
        assert_eq!(parse(HASH, "relplan-000000000000-node-1"), None);
        assert_eq!(parse(HASH, "relplan-b2312dace1af-node-0"), None);
        assert_eq!(parse(HASH, "relplan-b2312dace1af--1"), None);
    }
}
