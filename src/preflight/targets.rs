//! What a compiled plan touches on GitHub, read off the plan alone: the repositories (and
//! whether relplan writes to them: dispatches and the release do, tag reads do not), the
//! dispatches (every job with a trigger, then the `[fallback]`), and the tags the builds
//! check out.

use std::collections::BTreeMap;

use crate::compiled::{CompiledPlan, Job, JobKind};

/// Why relplan needs a repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Need {
    /// It receives dispatches.
    pub dispatches: bool,
    /// It receives the release.
    pub release: bool,
}

impl Need {
    pub fn write(&self) -> bool {
        self.dispatches || self.release
    }

    /// What relplan writes there, in words.
    pub fn writes(&self) -> &'static str {
        match (self.dispatches, self.release) {
            (true, true) => "dispatches workflows and publishes the release there",
            (true, false) => "dispatches workflows there",
            (false, _) => "publishes the release there",
        }
    }
}

/// A tag a build checks out, and the commit the manifest pins it to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagUse {
    pub repo: String,
    pub tag: String,
    pub pinned: Option<String>,
    pub jobs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Targets {
    /// Sorted by `owner/name`.
    pub repositories: BTreeMap<String, Need>,
    /// Jobs with a trigger in plan order, then the fallback.
    pub dispatches: Vec<Job>,
    pub tags: Vec<TagUse>,
}

impl Targets {
    pub fn of(plan: &CompiledPlan) -> Targets {
        let mut repositories: BTreeMap<String, Need> = BTreeMap::new();
        let dispatches: Vec<Job> = plan
            .jobs
            .iter()
            .filter(|j| j.trigger.is_some())
            .cloned()
            .chain(plan.fallback_job())
            .collect();
        for job in &dispatches {
            if let Some(trigger) = &job.trigger {
                repositories
                    .entry(trigger.repo().to_string())
                    .or_default()
                    .dispatches = true;
            }
        }
        if let Some(repo) = &plan.release.repo {
            repositories.entry(repo.clone()).or_default().release = true;
        }
        let mut tags: Vec<TagUse> = Vec::new();
        for job in plan.jobs.iter().filter(|j| j.kind == JobKind::Build) {
            let Some(tag) = &job.git_ref else {
                continue;
            };
            repositories.entry(job.repo.clone()).or_default();
            let same = tags
                .iter_mut()
                .find(|t| t.repo == job.repo && t.tag == *tag && t.pinned == job.commit);
            match same {
                Some(known) => known.jobs.push(job.id.clone()),
                None => tags.push(TagUse {
                    repo: job.repo.clone(),
                    tag: tag.clone(),
                    pinned: job.commit.clone(),
                    jobs: vec![job.id.clone()],
                }),
            }
        }
        Targets {
            repositories,
            dispatches,
            tags,
        }
    }
}
