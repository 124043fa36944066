//! The simulated backend behind `apply --backend sim`: a world of runs that follow the
//! scenario, in scaled real time, kept durable in `<state-dir>/sim-world.json` so that a
//! killed and resumed apply meets the runs it dispatched before, as it would on GitHub.
//!
//! Every dispatch is recorded (`dispatches`, duplicates included) so tests can prove that no
//! attempt was dispatched twice. Adoption reads the world: when the journal is gone but the
//! world is not (a state directory whose journal was deleted), a new `apply` finds every
//! run by its correlation id and the release by its tag, as it would on GitHub; the world
//! keeps the time zero its times count from, which the new run takes as its own. Artifacts
//! are deterministic bytes per job. A published release is written to `<state-dir>/sim-release/<tag>/`, SHA256SUMS included, where
//! `sha256sum -c SHA256SUMS` checks it. Every file is written through the run's temporary
//! directory ([`temp_dir`]), so a crash mid-write leaves nothing beside the assets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic_file;
use crate::compiled::{CompiledPlan, Job, Release};
use crate::correlation;
use crate::exec::backend::{Backend, BackendError, Clock, Found, Holdings, RunStatus};
use crate::exec::event::{AssetDigest, RunRef};
use crate::exec::temp_dir;
use crate::release_assets::{Asset, sha256sums};
use crate::scenario::{self, Outcome, Scenario};

pub const WORLD_FILE: &str = "sim-world.json";
pub const RELEASE_DIR: &str = "sim-release";

/// Everything the simulated world remembers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// Wall-clock milliseconds of the time zero its times (`started_s`, `cancelled_at`)
    /// count from: the origin of the run that first wrote it.
    #[serde(default)]
    pub origin_unix_ms: Option<u64>,
    /// Runs by correlation id.
    pub runs: BTreeMap<String, SimRun>,
    /// Correlation id of every dispatch received, in order, duplicates included.
    pub dispatches: Vec<String>,
    pub release: Option<SimRelease>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimRun {
    pub job: String,
    pub attempt: u32,
    pub started_s: u64,
    pub outcome: Outcome,
    pub duration_s: u64,
    pub cancelled_at: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimRelease {
    pub tag: String,
    pub assets: Vec<AssetDigest>,
    pub published: bool,
    /// How many publish calls changed something (a second publish of the same release is 0).
    pub publications: u32,
}

pub struct SimBackend {
    dir: PathBuf,
    /// The run's temporary directory, where files are written before they are renamed.
    tmp: PathBuf,
    clock: Clock,
    scenario: Scenario,
    world: World,
}

impl SimBackend {
    /// Opens (or starts) the world of the state directory `dir`.
    pub fn open(dir: &Path, clock: Clock, scenario: Scenario) -> Result<SimBackend, BackendError> {
        let tmp = temp_dir::ensure(dir).map_err(|e| BackendError::transient(e.to_string()))?;
        Ok(SimBackend {
            dir: dir.to_path_buf(),
            tmp,
            clock,
            scenario,
            world: load_world(dir)?,
        })
    }

    fn save(&mut self) -> Result<(), BackendError> {
        self.world
            .origin_unix_ms
            .get_or_insert(self.clock.origin_unix_ms);
        let text = serde_json::to_string_pretty(&self.world)
            .map_err(|e| BackendError::transient(e.to_string()))?;
        atomic_file::write_through(&self.tmp, &self.dir.join(WORLD_FILE), &mut text.as_bytes())
            .map_err(|e| BackendError::transient(e.to_string()))
    }

    /// What a run is doing at `now` (seconds of the world's time).
    fn status(sim: &SimRun, now: u64) -> RunStatus {
        // A `timeout` run never ends by itself.
        let end = match sim.outcome {
            Outcome::Timeout => u64::MAX,
            _ => sim.started_s.saturating_add(sim.duration_s),
        };
        match sim.cancelled_at {
            Some(at) if at <= end => RunStatus::Finished {
                success: false,
                at,
                reason: None,
            },
            _ if end > now => RunStatus::Running,
            _ => RunStatus::Finished {
                success: sim.outcome == Outcome::Success,
                at: end,
                reason: None,
            },
        }
    }
}

/// The world of a state directory (empty when nothing was dispatched yet).
pub fn load_world(dir: &Path) -> Result<World, BackendError> {
    let path = dir.join(WORLD_FILE);
    if !path.exists() {
        return Ok(World::default());
    }
    let text = fs_err::read_to_string(&path).map_err(|e| BackendError::transient(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| {
        BackendError::blocked(format!("`{}` is damaged: {e}", path.display())).with_help(
            "the simulated world cannot be rebuilt; start the run again with another --state-dir",
        )
    })
}

fn run_ref(correlation_id: &str, run: &SimRun) -> RunRef {
    RunRef {
        runs: vec![scenario::run_id(correlation_id)],
        started_s: run.started_s,
        urls: vec![scenario::run_url(correlation_id)],
    }
}

fn correlation_of(run: &RunRef) -> Option<&str> {
    run.runs
        .first()
        .and_then(|r| r.strip_prefix(scenario::RUN_ID_PREFIX))
}

impl Backend for SimBackend {
    fn now(&self) -> u64 {
        self.clock.now()
    }

    fn next_change(&self) -> Option<u64> {
        let now = self.clock.now();
        self.world
            .runs
            .values()
            .filter(|run| run.cancelled_at.is_none() && run.outcome != Outcome::Timeout)
            .map(|run| run.started_s.saturating_add(run.duration_s))
            .filter(|&end| end >= now)
            .min()
    }

    /// The simulated world has no re-runs: every attempt is a new run.
    async fn dispatch(
        &mut self,
        job: &Job,
        attempt: u32,
        correlation_id: &str,
        _previous: Option<&RunRef>,
    ) -> Result<RunRef, BackendError> {
        let (outcome, duration_s) = self.scenario.attempt(job, attempt);
        let run = SimRun {
            job: job.id.clone(),
            attempt,
            started_s: self.clock.now(),
            outcome,
            duration_s,
            cancelled_at: None,
        };
        let reference = run_ref(correlation_id, &run);
        self.world.dispatches.push(correlation_id.to_string());
        self.world.runs.insert(correlation_id.to_string(), run);
        self.save()?;
        Ok(reference)
    }

    async fn find(
        &mut self,
        _job: &Job,
        correlation_id: &str,
    ) -> Result<Option<RunRef>, BackendError> {
        Ok(self
            .world
            .runs
            .get(correlation_id)
            .map(|run| run_ref(correlation_id, run)))
    }

    async fn observe(&mut self, _job: &Job, run: &RunRef) -> Result<RunStatus, BackendError> {
        let Some(sim) = correlation_of(run).and_then(|c| self.world.runs.get(c)) else {
            return Err(BackendError::failed(format!(
                "the simulated world has no run {}",
                run.runs.join(", ")
            ))
            .with_help(format!(
                "`{WORLD_FILE}` in the state directory was removed or replaced; the attempt is retried if the plan allows"
            )));
        };
        Ok(SimBackend::status(sim, self.clock.now()))
    }

    /// Every run of the world whose correlation id is one of the plan's, the release if
    /// it is the plan's tag and published, and the fallback's run.
    async fn adopt(&mut self, plan: &CompiledPlan) -> Result<Holdings, BackendError> {
        let hash = &plan.plan_hash;
        let fallback_id = correlation::fallback_id(hash);
        // The world's times count from its own time zero.
        let now = Clock {
            origin_unix_ms: self
                .world
                .origin_unix_ms
                .unwrap_or(self.clock.origin_unix_ms),
            ..self.clock
        }
        .now();
        let mut holdings = Holdings {
            published: self
                .world
                .release
                .as_ref()
                .is_some_and(|r| r.published && r.tag == plan.release.tag),
            ..Holdings::default()
        };
        if holdings.published {
            holdings.release_url = Some(scenario::release_url(&plan.release.tag));
        }
        for (id, run) in &self.world.runs {
            if *id == fallback_id {
                holdings.fallback = Some(run_ref(id, run));
                continue;
            }
            let Some((job, attempt)) = correlation::parse(hash, id) else {
                continue;
            };
            if !plan.jobs.iter().any(|j| j.id == job) {
                continue;
            }
            holdings.attempts.push(Found {
                job: job.to_string(),
                attempt,
                correlation_id: id.clone(),
                run: run_ref(id, run),
                status: SimBackend::status(run, now),
                reason: None,
            });
        }
        let found = !holdings.attempts.is_empty() || holdings.fallback.is_some();
        holdings.origin_unix_ms = self.world.origin_unix_ms.filter(|_| found);
        Ok(holdings)
    }

    async fn cancel(&mut self, _job: &Job, run: &RunRef) -> Result<(), BackendError> {
        let now = self.clock.now();
        if let Some(sim) = correlation_of(run).and_then(|c| self.world.runs.get_mut(c))
            && sim.cancelled_at.is_none()
        {
            sim.cancelled_at = Some(now);
            self.save()?;
        }
        Ok(())
    }

    async fn artifacts(&mut self, job: &Job, _run: &RunRef) -> Result<Vec<Asset>, BackendError> {
        Ok(scenario::synthetic_artifacts(job))
    }

    async fn publish(
        &mut self,
        release: &Release,
        assets: &[Asset],
    ) -> Result<Option<String>, BackendError> {
        let folder = self.dir.join(RELEASE_DIR).join(&release.tag);
        let draft = self.world.release.get_or_insert_with(|| SimRelease {
            tag: release.tag.clone(),
            assets: Vec::new(),
            published: false,
            publications: 0,
        });
        let mut changed = false;
        let sums = sha256sums(assets);
        for asset in assets.iter().chain([&sums]) {
            let name = &asset.name;
            match draft.assets.iter().find(|a| a.name == *name) {
                Some(existing) if existing.sha256 == asset.sha256 => {}
                Some(_) => {
                    return Err(BackendError::blocked(format!(
                        "release {} already has an asset `{name}` with other bytes; it is never overwritten",
                        release.tag
                    )));
                }
                None if draft.published => {
                    return Err(BackendError::blocked(format!(
                        "release {} is already published without `{name}`",
                        release.tag
                    )));
                }
                None => {
                    fs_err::create_dir_all(&folder)
                        .map_err(|e| BackendError::transient(e.to_string()))?;
                    asset
                        .open()
                        .and_then(|mut bytes| {
                            atomic_file::write_through(&self.tmp, &folder.join(name), &mut bytes)
                        })
                        .map_err(|e| BackendError::transient(e.to_string()))?;
                    draft.assets.push(AssetDigest::from(asset));
                    changed = true;
                }
            }
        }
        if !draft.published {
            draft.published = true;
            changed = true;
        }
        if changed {
            draft.publications += 1;
        }
        self.save()?;
        Ok(Some(scenario::release_url(&release.tag)))
    }
}
