//! Lowering the jobs: which jobs exist and what each waits for. One job per manifest
//! entry (one per stage when `stages` is set, chained in order), one per module the plan
//! names, one per `[[step]]`. A repository's first stage waits for the last job of every
//! repository it requires and for its `after` list.

use super::settings::{JobSpec, pick};
use super::{Draft, Lowerer, Need, Origin, pinned, trigger_repo};
use crate::compile::manifest::Require;
use crate::compile::plan_file::{self, JobSettings, StepSection};
use crate::compile::suggest::did_you_mean;
use crate::compiled::{Job, JobKind, Release, Trigger};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Sp;

impl Lowerer<'_> {
    /// `[repo.X]` must name an entry of `[versions]` or `[modules]`.
    pub(super) fn check_repo_keys(&mut self) {
        for (name, _) in &self.plan.repo.0 {
            if self.manifest.entry(name).is_none() && self.manifest.module(name).is_none() {
                let names = self
                    .manifest
                    .entries
                    .iter()
                    .map(|e| e.name.as_str())
                    .chain(self.manifest.modules.iter().map(|m| m.name.as_str()));
                let help = did_you_mean(name, names).unwrap_or_else(|| {
                    "keys of [repo] name entries of the manifest's [versions]".into()
                });
                self.error(
                    Code::UnknownRepo,
                    format!("[repo.{}] names no repository of the manifest", **name),
                    self.in_plan(&name.span),
                    "not in [versions] or [modules]",
                    Some(help),
                );
            }
        }
    }

    pub(super) fn build_jobs(&mut self, release: &Release, drafts: &mut Vec<Draft>) {
        let manifest = self.manifest;
        let entries = manifest.entries.iter().map(|e| Repository {
            name: &e.name,
            tag: e.git_tag.as_ref(),
            commit: pinned(&e.git_commit),
            version: e.version.as_ref().map(|v| v.to_string()),
            requires: &e.requires,
        });
        let modules = self
            .plan
            .repo
            .0
            .iter()
            .filter(|(name, _)| manifest.entry(name).is_none())
            .filter_map(|(name, _)| manifest.module(name))
            .map(|m| Repository {
                name: &m.name,
                tag: m.git_tag.as_ref(),
                commit: None,
                version: None,
                requires: &[],
            });
        for repository in entries.chain(modules).collect::<Vec<_>>() {
            self.repository_jobs(repository, release, drafts);
        }
    }

    /// One job per stage of a repository (one job when it has no stages), chained in order.
    fn repository_jobs(&mut self, r: Repository<'_>, release: &Release, drafts: &mut Vec<Draft>) {
        let plan = self.plan;
        let section = plan.repo.get(r.name);
        let repo = self.github_repo(&self.github_name(r.name));
        let git_ref = r.tag.filter(|t| !t.is_empty()).map(|t| t.value.clone());
        let stages: Vec<Option<&Sp<String>>> = match section.map(|s| self.stages(r.name, s)) {
            Some(stages) if !stages.is_empty() => stages.into_iter().map(Some).collect(),
            _ => vec![None],
        };
        let section_span = plan
            .repo
            .0
            .iter()
            .find(|(k, _)| **k == **r.name)
            .map(|(k, _)| k.span.clone());
        let mut previous: Option<String> = None;
        let mut sent: Vec<(String, String)> = Vec::new();
        for stage in stages {
            let stage_section = stage.and_then(|s| section.and_then(|sec| sec.stage.get(s)));
            let layers: Vec<&JobSettings> = stage_section
                .map(|s| &s.settings)
                .into_iter()
                .chain(section.map(|s| &s.settings))
                .chain([&plan.defaults])
                .collect();
            let mut needs = match previous.take() {
                // A later stage needs the stage before it.
                Some(prev) => vec![Need {
                    target: prev,
                    origin: stage.and_then(|s| self.in_plan(&s.span)),
                }],
                // The first stage needs every required repository, and the repository's `after`.
                None => {
                    let mut needs = self.requires_needs(r.requires);
                    needs.extend(self.after_needs(section.and_then(|s| s.after.as_ref())));
                    needs
                }
            };
            needs.extend(self.after_needs(stage_section.and_then(|s| s.after.as_ref())));
            let id = match stage {
                Some(stage) => format!("{}/{}", **r.name, **stage),
                None => r.name.value.clone(),
            };
            let id_span = stage.map(|s| s.span.clone()).or(section_span.clone());
            let job = self.job(JobSpec {
                id: id.clone(),
                kind: JobKind::Build,
                repo: repo.clone(),
                git_ref: git_ref.clone(),
                commit: r.commit.clone(),
                version: r.version.clone(),
                layers: &layers,
                default_publish: &["*"],
                build_layers: layers.len(),
                release,
                id_span: id_span.clone(),
            });
            let origin = id_span.and_then(|s| self.in_plan(&s));
            self.check_distinct_dispatch(&job, origin.clone(), &mut sent);
            drafts.push(Draft { job, needs, origin });
            previous = Some(id);
        }
    }

    /// Warns when a stage would send the very dispatch an earlier stage of its repository
    /// sends (same workflow, ref, inputs and payload): the workflow could not tell which
    /// stage it runs. `sent` holds each earlier stage's dispatch and job id.
    fn check_distinct_dispatch(
        &mut self,
        job: &Job,
        origin: Option<Origin>,
        sent: &mut Vec<(String, String)>,
    ) {
        let Some(trigger @ Trigger::WorkflowDispatch { workflow, .. }) = &job.trigger else {
            return;
        };
        let key = serde_json::json!([trigger, job.payload]).to_string();
        match sent.iter().find(|(k, _)| *k == key) {
            Some((_, first)) => {
                let mut d = Diagnostic::warning(
                    Code::IdenticalDispatch,
                    format!(
                        "job `{}` sends the same dispatch of `{workflow}` as `{first}`: the workflow cannot tell which stage it runs",
                        job.id
                    ),
                )
                .help(format!(
                    "give the stage its own workflow, or an input that names it, e.g. `inputs = {{ stage = \"{}\" }}`",
                    job.id.rsplit('/').next().unwrap_or(&job.id)
                ));
                if let Some((file, span)) = origin {
                    d = d.at(file, span, "same workflow and inputs as an earlier stage");
                }
                self.diags.push(d);
            }
            None => sent.push((key, job.id.clone())),
        }
    }

    /// Edges to the last job of every required repository (unknown ones were reported).
    fn requires_needs(&self, requires: &[Require]) -> Vec<Need> {
        requires
            .iter()
            .filter(|r| self.manifest.entry(&r.name).is_some())
            .map(|r| Need {
                target: self.last_job_of(&r.name),
                origin: Some((self.manifest.file, r.span.clone())),
            })
            .collect()
    }

    /// The id of a manifest entry's last job (its last stage, or the entry itself).
    pub(super) fn last_job_of(&self, name: &str) -> String {
        match self
            .plan
            .repo
            .get(name)
            .and_then(|r| r.stages.as_ref())
            .and_then(|s| s.iter().rev().find(|s| is_stage_name(s)))
        {
            Some(stage) => format!("{name}/{}", **stage),
            None => name.to_string(),
        }
    }

    /// The repository's stages, each once; reports repeated stages and stage tables that
    /// name no stage.
    fn stages<'p>(
        &mut self,
        name: &str,
        section: &'p plan_file::RepoSection,
    ) -> Vec<&'p Sp<String>> {
        let listed = section.stages.iter().flat_map(|s| s.iter());
        let mut seen: Vec<&str> = Vec::new();
        let mut stages = Vec::new();
        for stage in listed {
            if !is_stage_name(stage) {
                self.error(
                    Code::InvalidValue,
                    format!(
                        "stage name `{}` of `{name}` is empty or contains `/`",
                        **stage
                    ),
                    self.in_plan(&stage.span),
                    "not a stage name",
                    Some(
                        "stage names become job ids `repo/stage`: use letters, digits, `-` or `_`"
                            .into(),
                    ),
                );
                continue;
            }
            if seen.contains(&stage.as_str()) {
                self.error(
                    Code::DuplicateJob,
                    format!("stage `{}` of `{name}` is listed twice", **stage),
                    self.in_plan(&stage.span),
                    "listed again here",
                    None,
                );
                continue;
            }
            seen.push(stage);
            stages.push(stage);
        }
        for (stage, _) in &section.stage.0 {
            if !seen.contains(&stage.as_str()) {
                let help = did_you_mean(stage, seen.iter().copied())
                    .unwrap_or_else(|| format!("add \"{}\" to `stages` of [repo.{name}]", **stage));
                self.error(
                    Code::UnknownStage,
                    format!(
                        "[repo.{name}.stage.{}] is not one of the repository's stages",
                        **stage
                    ),
                    self.in_plan(&stage.span),
                    "not listed in `stages`",
                    Some(help),
                );
            }
        }
        stages
    }

    fn after_needs(&self, after: Option<&Sp<Vec<Sp<String>>>>) -> Vec<Need> {
        after
            .map(|list| {
                list.iter()
                    .map(|a| Need {
                        target: a.value.clone(),
                        origin: self.in_plan(&a.span),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn step_jobs(&mut self, release: &Release, drafts: &mut Vec<Draft>) {
        let plan = self.plan;
        for step in &plan.step {
            let layers = [&step.settings, &plan.defaults];
            let Some(repo) = self.step_repo(step, &layers) else {
                continue;
            };
            let job = self.job(JobSpec {
                id: step.id.value.clone(),
                kind: JobKind::Step,
                repo,
                git_ref: None,
                commit: None,
                version: None,
                layers: &layers,
                default_publish: &[],
                build_layers: 1,
                release,
                id_span: Some(step.id.span.clone()),
            });
            drafts.push(Draft {
                job,
                needs: self.after_needs(step.after.as_ref()),
                origin: self.in_plan(&step.id.span),
            });
        }
    }

    /// A step runs wherever its trigger points; it has no manifest entry to fall back on.
    fn step_repo(&mut self, step: &StepSection, layers: &[&JobSettings]) -> Option<String> {
        let repo = pick(layers, |s| s.trigger.as_ref()).and_then(|t| trigger_repo(t));
        match repo {
            Some(repo) => Some(self.github_repo(repo)),
            None => {
                self.error(
                    Code::MissingKey,
                    format!("step `{}` has no repository to trigger", *step.id),
                    self.in_plan(&step.id.span),
                    "no `repo` in this step's trigger",
                    Some("set `repo` in the step's trigger, e.g. trigger = { repository_dispatch = { repo = \"name\", event_type = \"…\" } }".into()),
                );
                None
            }
        }
    }
}

/// A manifest entry, or a module the plan asks for, about to become jobs.
struct Repository<'a> {
    name: &'a Sp<String>,
    tag: Option<&'a Sp<String>>,
    commit: Option<String>,
    version: Option<String>,
    requires: &'a [Require],
}

/// Stage names become the second half of job ids `repo/stage`.
fn is_stage_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/')
}
