//! The local backend behind `apply --backend local --workspace DIR`: every build on this
//! machine, in a clean worktree of a clone in the workspace, under a supervisor that
//! outlives the executor, and the unified release as a folder in the state directory.
//!
//! One idea per file:
//! - `adoption.rs`: what the attempt folders hold for a plan started without a journal;
//! - `layout.rs`: the attempt folder (`<state-dir>/local/<job>/<attempt>/`) and its small
//!   files (`spec.json`, `lock`, `pid`, `output.log`, `status`, `cancel`);
//! - `workspace.rs`: the clones, the tag check and the worktrees (the `git` binary);
//! - `supervisor.rs`: the process that runs one attempt and records how it ended;
//! - `process.rs`: sessions, process groups and killing them (Unix);
//! - `collect.rs`: the files a build leaves, and which of them a job publishes;
//! - `release_dir.rs`: `<state-dir>/release/<tag>/`, written whole or not at all.
//!
//! How it keeps the executor's promises:
//! - `dispatch` prepares the attempt (clone, tag check, worktree, `spec.json`) once, then
//!   starts a supervisor and waits until it has started the build. An attempt prepared
//!   before a crash is not prepared again, and a second supervisor of the same attempt
//!   waits on the first one's lock and then finds the attempt ended, so no build runs
//!   twice.
//! - `find` answers from the attempt folders: an attempt carrying the correlation id whose
//!   build started (`pid`) or ended (`status`) is the run; `adopt` reads them all
//!   ([`adoption`]), so a start without a journal never builds an attempt twice.
//! - `observe` reads `status`; without one, a supervisor holding the lock means running,
//!   and no supervisor means it died (killed, or the machine restarted): the attempt is
//!   recorded as failed and whatever is left of its build killed
//!   ([`supervisor::ending`]). A build that exits non-zero is a failed run: retries apply.
//! - `cancel` (`relplan cancel`, timeouts, `--fail-fast`) writes `cancel` and kills the
//!   build's whole process group through the pid its supervisor recorded, from any
//!   process (the supervisor need not be this executor's child); the supervisor then
//!   records the attempt as cancelled.
//! - Errors say what happens next ([`ErrorKind`](crate::exec::backend::ErrorKind)): what someone must fix (a moved or
//!   missing tag, a clone that cannot be made, a job without `local.run`, a release folder
//!   holding other files) blocks the job until `relplan retry`; a damaged attempt file
//!   fails the attempt (the next one gets a folder of its own); trouble with files,
//!   processes or a supervisor slow to start is asked again.
//! - The release job reads each publishing job's collected files ([`collect::published`])
//!   and `publish` writes the release folder ([`release_dir::publish`]).
//! - Its web pages are `file://` URLs ([`layout::file_url`]): an attempt's `output.log` is
//!   its run's page, the release folder the release's, so the log lines, `status` and the
//!   report link them as they link GitHub's.

mod adoption;
mod collect;
mod layout;
mod process;
mod release_dir;
mod supervisor;
mod workspace;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::compiled::{CompiledPlan, FALLBACK_JOB, Job, JobKind, LocalBuild, Release};
use crate::exec::backend::{Backend, BackendError, Clock, Holdings, RunStatus};
use crate::exec::event::RunRef;
use crate::release_assets::Asset;

pub use layout::{AttemptDir, LOG_FILE};
pub use release_dir::release_path;
pub use supervisor::{SUPERVISE_COMMAND, supervise};
pub use workspace::{DEFAULT_GIT_BASE, GIT_BASE_VARIABLE};

use layout::{
    ARTIFACTS_DIR, NEEDS_DIR, Spec, WORK_DIR, WORKTREE_DIR, attempt_of, attempts_of, file_url,
};
use workspace::Workspace;

/// How long `dispatch` waits for a new supervisor to start its build.
const SUPERVISOR_START: Duration = Duration::from_secs(30);
/// How often it looks meanwhile.
const SUPERVISOR_LOOK: Duration = Duration::from_millis(10);

/// What the local backend needs besides the plan's jobs.
#[derive(Clone, Debug)]
pub struct LocalConfig {
    /// The state directory.
    pub state_dir: PathBuf,
    /// Where the clones are, one per repository.
    pub workspace: PathBuf,
    /// Where missing clones are cloned from: `<git base>/<owner>/<name>.git`.
    pub git_base: String,
    /// The program that runs `__supervise`: the relplan binary.
    pub supervisor: PathBuf,
}

pub struct LocalBackend {
    /// Absolute: supervisors run elsewhere.
    state_dir: PathBuf,
    /// As the user named it, for messages.
    shown_state_dir: PathBuf,
    workspace: Workspace,
    supervisor: PathBuf,
    clock: Clock,
    plan_hash: String,
    release: Release,
    /// The plan's release job(s): what they leave is the release folder.
    release_jobs: Vec<String>,
    /// Supervisors this process started, reaped once they end (they outlive it otherwise).
    children: Vec<Child>,
}

impl LocalBackend {
    pub fn new(
        config: LocalConfig,
        clock: Clock,
        plan: &CompiledPlan,
    ) -> Result<LocalBackend, BackendError> {
        let absolute = |path: &Path, what: &str| {
            std::path::absolute(path).map_err(|e| {
                BackendError::blocked(format!("cannot use the {what} `{}`: {e}", path.display()))
            })
        };
        Ok(LocalBackend {
            state_dir: absolute(&config.state_dir, "state directory")?,
            shown_state_dir: config.state_dir.clone(),
            workspace: Workspace::new(&absolute(&config.workspace, "workspace")?, &config.git_base),
            supervisor: config.supervisor,
            clock,
            plan_hash: plan.plan_hash.clone(),
            release: plan.release.clone(),
            release_jobs: plan
                .jobs
                .iter()
                .filter(|j| j.kind == JobKind::Release)
                .map(|j| j.id.clone())
                .collect(),
            children: Vec::new(),
        })
    }

    fn attempt_dir(&self, run: &RunRef) -> Result<AttemptDir, BackendError> {
        run.runs
            .first()
            .and_then(|r| attempt_of(&self.state_dir, r))
            .ok_or_else(|| {
                BackendError::failed(format!(
                    "`{}` is not a run of the local backend",
                    run.runs.join(", ")
                ))
            })
    }

    /// The run reference of an attempt whose build started, dated by its `pid` file.
    fn run_ref(&self, dir: &AttemptDir) -> Result<RunRef, BackendError> {
        let started_ms = dir.started_unix_ms()?;
        let started_s = started_ms.map_or_else(|| self.now(), |ms| self.clock.at(ms));
        Ok(dir.run_ref(&self.state_dir, started_s))
    }

    /// Makes the attempt folder ready to run: where it runs, what it gets, `spec.json`.
    fn prepare(
        &self,
        job: &Job,
        local: &LocalBuild,
        attempt: u32,
        correlation_id: &str,
        dir: &AttemptDir,
    ) -> Result<(), BackendError> {
        self.clear_leftovers(job, dir)?;
        // What to build is settled (a moved tag refused) before anything is written.
        let source = match job.kind {
            JobKind::Build => {
                let clone = self.workspace.clone_of(&job.repo)?;
                let commit = Workspace::commit_to_build(
                    &clone,
                    &job.repo,
                    job.git_ref.as_deref(),
                    job.commit.as_deref(),
                )?;
                Some((clone, commit))
            }
            JobKind::Step | JobKind::Release => None,
        };
        fs_err::create_dir_all(dir.path()).map_err(|e| layout::io_error(dir.path(), &e))?;
        let (workdir, clone, commit) = match source {
            Some((clone, commit)) => {
                let worktree = dir.file(WORKTREE_DIR);
                Workspace::add_worktree(&clone, &commit, &worktree)?;
                (worktree, Some(clone), commit)
            }
            None => {
                let work = dir.file(WORK_DIR);
                fs_err::create_dir_all(&work).map_err(|e| layout::io_error(&work, &e))?;
                (work, None, String::new())
            }
        };
        let needs = self.link_needs(job, dir)?;
        let spec = Spec {
            job: job.id.clone(),
            attempt,
            correlation_id: correlation_id.to_string(),
            run: local.run.clone(),
            artifacts: local.artifacts.clone(),
            workdir,
            clone,
            env: self.environment(job, attempt, correlation_id, &commit, &needs),
        };
        dir.write_spec(&spec)
    }

    /// A folder left by a dispatch that stopped before writing `spec.json`: its worktree
    /// is removed from the clone, then the folder.
    fn clear_leftovers(&self, job: &Job, dir: &AttemptDir) -> Result<(), BackendError> {
        if !dir.path().exists() {
            return Ok(());
        }
        let worktree = dir.file(WORKTREE_DIR);
        if worktree.exists() {
            let clone = self.workspace.clone_path(&job.repo);
            Workspace::remove_worktree(&clone, &worktree).map_err(|why| {
                BackendError::transient(format!("cannot remove `{}`: {why}", worktree.display()))
            })?;
        }
        fs_err::remove_dir_all(dir.path()).map_err(|e| {
            BackendError::transient(format!("cannot remove `{}`: {e}", dir.path().display()))
        })
    }

    /// `needs/<job id>`: a link per job this one needs, to its collected files (for
    /// `release`, to the published release folder).
    fn link_needs(&self, job: &Job, dir: &AttemptDir) -> Result<PathBuf, BackendError> {
        let needs = dir.file(NEEDS_DIR);
        fs_err::create_dir_all(&needs).map_err(|e| layout::io_error(&needs, &e))?;
        for need in &job.needs {
            let Some(target) = self.output_of(need)? else {
                continue;
            };
            let plain = Path::new(need)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
            let link = match plain {
                true => needs.join(need),
                false => needs.join(layout::encode(need)),
            };
            if let Some(parent) = link.parent() {
                fs_err::create_dir_all(parent).map_err(|e| layout::io_error(parent, &e))?;
            }
            symlink(&target, &link).map_err(|e| {
                BackendError::transient(format!(
                    "cannot link `{}` to what `{need}` left: {e}",
                    link.display()
                ))
            })?;
        }
        Ok(needs)
    }

    /// What a job that succeeded left: the collected files of its successful attempt, or
    /// for `release` the release folder.
    fn output_of(&self, job: &str) -> Result<Option<PathBuf>, BackendError> {
        if self.release_jobs.iter().any(|r| r == job) {
            let release = release_path(&self.state_dir, &self.release.tag)?;
            return Ok(release.exists().then_some(release));
        }
        let mut attempts = attempts_of(&self.state_dir, job);
        attempts.sort_unstable_by(|a, b| b.cmp(a));
        for attempt in attempts {
            let dir = AttemptDir::new(&self.state_dir, job, attempt);
            if dir.status()?.is_some_and(|s| s.success) {
                return Ok(Some(dir.file(ARTIFACTS_DIR)));
            }
        }
        Ok(None)
    }

    /// What the build gets in its environment: what a build workflow gets from a dispatch.
    fn environment(
        &self,
        job: &Job,
        attempt: u32,
        correlation_id: &str,
        commit: &str,
        needs: &Path,
    ) -> BTreeMap<String, String> {
        let version = job.version.as_deref().unwrap_or(&self.release.version);
        let payload = serde_json::Value::Object(job.payload.clone()).to_string();
        [
            ("RELPLAN_JOB", job.id.as_str()),
            ("RELPLAN_ATTEMPT", &attempt.to_string()),
            ("RELPLAN_CORRELATION_ID", correlation_id),
            ("RELPLAN_PLAN_HASH", &self.plan_hash),
            ("RELPLAN_VERSION", version),
            ("RELPLAN_TAG", &self.release.tag),
            ("RELPLAN_REPO", &job.repo),
            ("RELPLAN_REF", job.git_ref.as_deref().unwrap_or_default()),
            ("RELPLAN_COMMIT", commit),
            ("RELPLAN_PAYLOAD", &payload),
            ("RELPLAN_NEEDS_DIR", &needs.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Starts a supervisor for `dir` and waits until it has started the build, or
    /// recorded that it could not.
    async fn start_supervisor(&mut self, dir: &AttemptDir) -> Result<(), BackendError> {
        let mut command = Command::new(&self.supervisor);
        command.arg(SUPERVISE_COMMAND).arg(dir.path());
        self.children.push(process::spawn_supervisor(command)?);
        let mut waited = Duration::ZERO;
        while waited < SUPERVISOR_START {
            if dir.pid().is_some() || dir.status()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(SUPERVISOR_LOOK).await;
            waited += SUPERVISOR_LOOK;
        }
        Err(BackendError::transient(format!(
            "the supervisor of `{}` did not start its build within {} s",
            dir.path().display(),
            SUPERVISOR_START.as_secs()
        )))
    }

    /// Reaps the supervisors of this process that ended.
    fn reap(&mut self) {
        self.children
            .retain_mut(|child| matches!(child.try_wait(), Ok(None)));
    }
}

impl Backend for LocalBackend {
    fn now(&self) -> u64 {
        self.clock.now()
    }

    async fn adopt(&mut self, plan: &CompiledPlan) -> Result<Holdings, BackendError> {
        adoption::holdings(
            &self.state_dir,
            &self.shown_state_dir,
            plan,
            self.clock.speed,
        )
    }

    /// Every attempt is a new build in a new worktree; `previous` is not reused.
    async fn dispatch(
        &mut self,
        job: &Job,
        attempt: u32,
        correlation_id: &str,
        _previous: Option<&RunRef>,
    ) -> Result<RunRef, BackendError> {
        let Some(local) = &job.local else {
            return Err(not_local(&job.id));
        };
        let dir = AttemptDir::new(&self.state_dir, &job.id, attempt);
        match dir.spec()? {
            None => self.prepare(job, local, attempt, correlation_id, &dir)?,
            Some(spec) if spec.correlation_id != correlation_id => {
                return Err(BackendError::blocked(format!(
                    "`{}` holds another build ({})",
                    dir.path().display(),
                    spec.correlation_id
                ))
                .with_help("use another --state-dir for this plan"));
            }
            Some(_) => {}
        }
        self.start_supervisor(&dir).await?;
        self.run_ref(&dir)
    }

    async fn find(
        &mut self,
        job: &Job,
        correlation_id: &str,
    ) -> Result<Option<RunRef>, BackendError> {
        for attempt in attempts_of(&self.state_dir, &job.id) {
            let dir = AttemptDir::new(&self.state_dir, &job.id, attempt);
            let started = dir.pid().is_some() || dir.status()?.is_some();
            if started
                && dir
                    .spec()?
                    .is_some_and(|s| s.correlation_id == correlation_id)
            {
                return self.run_ref(&dir).map(Some);
            }
        }
        Ok(None)
    }

    async fn observe(&mut self, _job: &Job, run: &RunRef) -> Result<RunStatus, BackendError> {
        self.reap();
        let dir = self.attempt_dir(run)?;
        Ok(match supervisor::ending(&dir)? {
            None => RunStatus::Running,
            Some(status) => RunStatus::Finished {
                success: status.success,
                at: self.clock.at(status.finished_unix_ms),
                reason: status.reason,
            },
        })
    }

    async fn cancel(&mut self, _job: &Job, run: &RunRef) -> Result<(), BackendError> {
        let dir = self.attempt_dir(run)?;
        if dir.status()?.is_some() {
            return Ok(());
        }
        dir.request_cancel()?;
        match dir.pid() {
            Some(pid) => process::kill_group(pid),
            // Not started yet: the supervisor sees `cancel` once it records the pid.
            None => Ok(()),
        }
    }

    async fn artifacts(&mut self, job: &Job, run: &RunRef) -> Result<Vec<Asset>, BackendError> {
        let dir = self.attempt_dir(run)?;
        let attempt = dir
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        collect::published(&job.id, attempt, &dir.file(ARTIFACTS_DIR), &job.publish)
    }

    /// The release folder's `file://` URL is the release's page.
    async fn publish(
        &mut self,
        release: &Release,
        assets: &[Asset],
    ) -> Result<Option<String>, BackendError> {
        release_dir::publish(&self.state_dir, &release.tag, assets)?;
        Ok(file_url(&release_path(&self.state_dir, &release.tag)?))
    }
}

/// A job the plan does not say how to build here: someone must add its `local` table.
fn not_local(job: &str) -> BackendError {
    if job == FALLBACK_JOB {
        return BackendError::blocked(
            "the plan's [fallback] is a GitHub workflow; the local backend does not start it",
        );
    }
    BackendError::blocked(format!(
        "job `{job}` has no `local.run`; the local backend cannot build it"
    ))
    .with_help("add a `local` table for it to the plan (`relplan check PLAN --backend local`), then start a new run")
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "the local backend needs a Unix system",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::backend::ErrorKind;

    #[test]
    fn a_job_without_a_local_build_is_blocked_with_the_fix() {
        let error = not_local("blvm-node");
        assert_eq!(error.kind, ErrorKind::Blocked);
        assert_eq!(
            error.message,
            "job `blvm-node` has no `local.run`; the local backend cannot build it"
        );
        assert_eq!(
            error.help.as_deref(),
            Some(
                "add a `local` table for it to the plan (`relplan check PLAN --backend local`), then start a new run"
            )
        );
        assert_eq!(not_local(FALLBACK_JOB).kind, ErrorKind::Blocked);
    }
}
