//! The plan's `[fallback]` as a job a backend can dispatch: the same `dispatch` and `find`
//! calls (and correlation ids) as any build, so a crash between intent and result is looked
//! up, never dispatched twice. It carries the release version and the plan hash, for a
//! workflow that finishes the release by other means.

use crate::compiled::{CompiledPlan, Job, JobKind, Payload};
use crate::exec::machine::FALLBACK_JOB;

/// The fallback job of a plan, if the plan has a `[fallback]`.
pub fn job(plan: &CompiledPlan) -> Option<Job> {
    let trigger = plan.fallback.clone()?;
    let mut payload = Payload::new();
    payload.insert("version".into(), plan.release.version.clone().into());
    payload.insert("plan_hash".into(), plan.plan_hash.clone().into());
    Some(Job {
        id: FALLBACK_JOB.into(),
        kind: JobKind::Step,
        repo: trigger.repo().to_string(),
        git_ref: None,
        commit: None,
        version: Some(plan.release.version.clone()),
        needs: Vec::new(),
        group: 0,
        trigger: Some(trigger),
        payload,
        timeout_s: 0,
        retries: 0,
        estimate_s: 0,
        publish: Vec::new(),
        local: None,
    })
}
