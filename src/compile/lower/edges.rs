//! Lowering the edges: needs become the job graph. Ids must be unique, `after` may name a
//! repository with stages (its last stage), every need must name a job, and the graph must
//! have no cycle; then `CompiledPlan::assemble` derives groups, the critical path and the
//! plan hash.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Draft, Lowerer, Origin, RELEASE_JOB};
use crate::compile::suggest::did_you_mean;
use crate::compiled::{self, CompiledPlan, Job, Release};
use crate::dag;
use crate::diagnostic::Code;

impl Lowerer<'_> {
    pub(super) fn assemble(
        &mut self,
        release: Release,
        mut drafts: Vec<Draft>,
        fallback: Option<compiled::Trigger>,
    ) -> Option<CompiledPlan> {
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, draft) in drafts.iter().enumerate() {
            if index.insert(draft.job.id.clone(), i).is_some() {
                let help = if draft.job.id == RELEASE_JOB {
                    "`release` is the built-in job that publishes (set by `publish_to`); rename the other job"
                } else {
                    "job ids must be unique: rename the step, or drop the duplicate stage"
                };
                self.error(
                    Code::DuplicateJob,
                    format!("two jobs are called `{}`", draft.job.id),
                    draft.origin.clone(),
                    "second job with this id",
                    Some(help.into()),
                );
            }
        }
        // `after = ["repo"]` may name a repository with stages: it means its last stage.
        let aliases: BTreeMap<String, String> = self
            .manifest
            .entries
            .iter()
            .map(|e| (e.name.value.clone(), self.last_job_of(&e.name)))
            .filter(|(name, last)| name != last)
            .collect();
        let known: Vec<String> = drafts.iter().map(|d| d.job.id.clone()).collect();
        for draft in &mut drafts {
            for need in &mut draft.needs {
                if let Some(last) = aliases.get(&need.target) {
                    if index.contains_key(&need.target) {
                        self.error(
                            Code::DuplicateJob,
                            format!(
                                "`{}` is both a job and a repository with stages, so `after` is ambiguous",
                                need.target
                            ),
                            need.origin.clone(),
                            "which one?",
                            Some(format!("rename the step, or wait for `{last}` explicitly")),
                        );
                    }
                    need.target = last.clone();
                }
                if !index.contains_key(&need.target) {
                    let help = did_you_mean(&need.target, known.iter().map(String::as_str))
                        .or_else(|| {
                            (need.target == RELEASE_JOB).then(|| {
                                "there is a `release` job only when [release] sets `publish_to`"
                                    .to_string()
                            })
                        });
                    self.error(
                        Code::UnknownJob,
                        format!(
                            "`{}` waits for `{}`, which is not a job",
                            draft.job.id, need.target
                        ),
                        need.origin.clone(),
                        "unknown job",
                        help,
                    );
                }
            }
        }
        // Cycles are looked for whatever else is wrong, over the jobs that are well formed:
        // unknown needs are left out (reported above), and of two jobs with one id only the
        // first takes part, so a duplicate adds no cycle of its own.
        let mut seen = HashSet::new();
        drafts.retain(|d| seen.insert(d.job.id.clone()));
        let origins: HashMap<(String, String), Origin> = drafts
            .iter()
            .flat_map(|d| {
                d.needs.iter().filter_map(|n| {
                    n.origin
                        .clone()
                        .map(|o| ((d.job.id.clone(), n.target.clone()), o))
                })
            })
            .collect();
        let jobs: Vec<Job> = drafts
            .into_iter()
            .map(|d| {
                let mut job = d.job;
                job.needs = d.needs.into_iter().map(|n| n.target).collect();
                job
            })
            .collect();
        match CompiledPlan::assemble(release, jobs, fallback) {
            Ok(_) if self.diags.has_errors() => None,
            Ok(plan) => Some(plan),
            Err(cycles) => {
                for cycle in cycles {
                    let help = if cycle.iter().any(|id| id == RELEASE_JOB) {
                        "`release` waits for every job that publishes: set `publish = []` on the jobs that run after it"
                    } else {
                        "remove one requirement or `after` entry of the cycle"
                    };
                    // Point at the plan's edge when there is one: the manifest is the truth.
                    let edges: Vec<&Origin> = cycle
                        .windows(2)
                        .filter_map(|w| origins.get(&(w[0].clone(), w[1].clone())))
                        .collect();
                    let origin = edges
                        .iter()
                        .find(|(file, _)| Some(*file) == self.plan_file)
                        .or(edges.first());
                    let origin = origin.map(|o| (*o).clone());
                    self.error(
                        Code::DependencyCycle,
                        dag::describe_cycle(&cycle),
                        origin,
                        "this edge closes the cycle",
                        Some(help.into()),
                    );
                }
                None
            }
        }
    }
}
