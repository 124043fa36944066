//! What the local backend already holds for a plan ([`Backend::adopt`]), asked when the
//! plan starts in a state directory without a journal. The local backend's runs are the
//! attempt folders under `<state-dir>/local/`, as the simulated world's are the runs in
//! `sim-world.json`: a journal deleted (or lost before its first line) leaves them, and
//! the new journal adopts them instead of building again. A state directory deleted as a
//! whole holds nothing, and the plan starts anew.
//!
//! - Every attempt folder whose build started (`pid`) or ended (`status`) and whose
//!   `spec.json` carries an attempt id of this plan is an attempt found: ended as its
//!   `status` says, running while its supervisor lives (the executor waits for it), failed
//!   when its supervisor died ([`supervisor::ending`]). A folder that was prepared but
//!   never started is no attempt: dispatching that attempt starts it, once.
//! - An attempt folder of another plan refuses the start: folders are named by job and
//!   attempt only, so the new run would meet the other plan's builds where its own go.
//! - The plan's release folder (`release/<tag>/`) is its published release, its `file://`
//!   URL the release's page.
//! - Times count from the earliest build found.
//!
//! [`Backend::adopt`]: crate::exec::backend::Backend::adopt

use std::path::Path;

use crate::backend::local::layout::{AttemptDir, LOCAL_DIR, every_attempt, file_url};
use crate::backend::local::release_dir::release_path;
use crate::backend::local::supervisor;
use crate::compiled::CompiledPlan;
use crate::correlation;
use crate::exec::backend::{BackendError, Clock, Found, Holdings, RunStatus};

/// Everything `state_dir` holds for `plan`; `speed` is the run's clock speed, `shown` the
/// state directory as the user named it (for messages).
pub fn holdings(
    state_dir: &Path,
    shown: &Path,
    plan: &CompiledPlan,
    speed: f64,
) -> Result<Holdings, BackendError> {
    let mut started = Vec::new();
    for dir in every_attempt(state_dir) {
        let Some(spec) = dir.spec()? else {
            // A dispatch that stopped before writing it; the next one clears the folder.
            continue;
        };
        let ours = correlation::parse(&plan.plan_hash, &spec.correlation_id).is_some_and(
            |(job, attempt)| {
                job == spec.job && attempt == spec.attempt && plan.jobs.iter().any(|j| j.id == job)
            },
        );
        if !ours {
            return Err(another_plan(state_dir, shown, &dir));
        }
        if let Some(started_ms) = dir.started_unix_ms()? {
            started.push((dir, spec, started_ms));
        }
    }
    let origin_unix_ms = started.iter().map(|(_, _, ms)| *ms).min();
    let clock = Clock {
        origin_unix_ms: origin_unix_ms.unwrap_or(0),
        speed,
    };
    let mut attempts = Vec::new();
    for (dir, spec, started_ms) in started {
        let status = match supervisor::ending(&dir)? {
            None => RunStatus::Running,
            Some(ended) => RunStatus::Finished {
                success: ended.success,
                at: clock.at(ended.finished_unix_ms),
                reason: ended.reason,
            },
        };
        attempts.push(Found {
            job: spec.job,
            attempt: spec.attempt,
            correlation_id: spec.correlation_id,
            run: dir.run_ref(state_dir, clock.at(started_ms)),
            status,
            reason: None,
        });
    }
    let release = release_path(state_dir, &plan.release.tag)?;
    let published = release.exists();
    Ok(Holdings {
        origin_unix_ms,
        attempts,
        published,
        release_url: file_url(&release).filter(|_| published),
        // The plan's `[fallback]` is a GitHub workflow, never started locally.
        fallback: None,
    })
}

fn another_plan(state_dir: &Path, shown: &Path, dir: &AttemptDir) -> BackendError {
    let relative = dir.path().strip_prefix(state_dir).unwrap_or(dir.path());
    BackendError::blocked(format!(
        "`{}` holds a build of another plan",
        shown.join(relative).display()
    ))
    .with_help(format!(
        "use another --state-dir for this plan, or move `{}` away (its builds' logs are there)",
        shown.join(LOCAL_DIR).display()
    ))
}
