//! Lowering: a validated manifest and plan become the explicit execution DAG.
//!
//! Every minute detail is decided here, ahead of time, so the executor only follows orders:
//! 1. the release: version (CLI, `version`, `version_from`, or the one version all entries
//!    share), tag, name, pre-release flag, receiving repository and fallback;
//! 2. one job per manifest entry (one per stage when `stages` is set), one per module the
//!    plan names, one per `[[step]]`, and `release` when `publish_to` is set;
//! 3. each job's concrete values: `owner/repo`, ref and commit from the manifest, trigger,
//!    payload with placeholders filled, timeout, retries, estimate and publish globs, taken
//!    from the stage, then the repository, then `[defaults]`, then built-in defaults;
//! 4. edges: stages in order, a repository's first stage after the last stage of every
//!    repository it requires, `after` edges, and `release` after every publishing job;
//! 5. cycle detection, depth groups, critical path and the plan hash (`CompiledPlan::assemble`).

use std::collections::{BTreeMap, HashMap};

use semver::Version;

use crate::compile::Options;
use crate::compile::github_names;
use crate::compile::manifest::{Manifest, Require};
use crate::compile::placeholder::{fill, fill_json};
use crate::compile::plan_file::{self, JobSettings, PlanFile, Prerelease, StepSection};
use crate::compile::suggest::did_you_mean;
use crate::compiled::{self, CompiledPlan, Job, JobKind, Payload, Release};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Sp, Span};

/// Built-in defaults, used when neither the plan nor `[defaults]` says otherwise.
pub const DEFAULT_EVENT_TYPE: &str = "build-chain";
pub const DEFAULT_TIMEOUT_S: u64 = 60 * 60;
pub const DEFAULT_ESTIMATE_S: u64 = 20 * 60;
pub const DEFAULT_RETRIES: u32 = 0;
/// The built-in release job: collecting artifacts and publishing takes minutes, not hours.
pub const RELEASE_JOB: &str = "release";
pub const RELEASE_TIMEOUT_S: u64 = 30 * 60;
pub const RELEASE_ESTIMATE_S: u64 = 2 * 60;
/// GitHub accepts at most 10 top-level keys in `client_payload`; relplan uses one.
pub const MAX_PAYLOAD_KEYS: usize = 9;
/// GitHub accepts at most 25 workflow inputs; relplan adds `relplan_correlation_id`.
pub const MAX_WORKFLOW_INPUTS: usize = 24;
/// `client_payload` must stay under 64 KB; leave room for relplan's own key.
pub const MAX_PAYLOAD_BYTES: usize = 60 * 1024;

/// A job before the graph is known: needs are still names, each with where it came from.
struct Draft {
    job: Job,
    needs: Vec<Need>,
    /// Where the job was declared, for duplicate-id reports.
    origin: Option<(FileId, Span)>,
}

struct Need {
    target: String,
    origin: Option<(FileId, Span)>,
}

struct Lowerer<'a> {
    plan: &'a PlanFile,
    manifest: &'a Manifest,
    plan_file: Option<FileId>,
    owner: String,
    diags: &'a mut Diagnostics,
}

pub fn lower(
    plan: &PlanFile,
    manifest: &Manifest,
    plan_file: Option<FileId>,
    options: &Options,
    diags: &mut Diagnostics,
) -> Option<CompiledPlan> {
    let owner = options
        .owner
        .clone()
        .or_else(|| plan.release.owner.as_ref().map(|o| o.value.clone()));
    // After an error, lowering goes on with a stand-in value so that every other problem is
    // reported in the same run; the plan is dropped because errors exist.
    let owner = owner.unwrap_or_else(|| {
        let mut d = Diagnostic::error(Code::MissingKey, "no GitHub owner for the repositories")
            .help("set `owner` in [release], or pass `--owner OWNER`");
        if let Some(file) = plan_file {
            d = d.at(file, 0..0, "no owner in this plan");
        }
        diags.push(d);
        "OWNER".into()
    });
    if options
        .owner
        .as_deref()
        .is_some_and(|o| !github_names::is_owner(o))
    {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                format!("--owner `{owner}` is not a GitHub user or organisation name"),
            )
            .help("owners are letters, digits and hyphens, e.g. BTCDecoded"),
        );
    }
    let mut lowerer = Lowerer {
        plan,
        manifest,
        plan_file,
        owner,
        diags,
    };
    lowerer.check_repo_keys();
    let release = lowerer.release(options);
    let mut drafts = Vec::new();
    lowerer.build_jobs(&release, &mut drafts);
    lowerer.step_jobs(&release, &mut drafts);
    lowerer.release_job(&release, &mut drafts);
    let fallback = lowerer.fallback(&release);
    lowerer.assemble(release, drafts, fallback)
}

impl Lowerer<'_> {
    fn error_at(&mut self, code: Code, message: String, span: &Span, label: &str) -> Diagnostic {
        let d = Diagnostic::error(code, message);
        match self.plan_file {
            Some(file) => d.at(file, span.clone(), label),
            None => d,
        }
    }

    fn github_repo(&self, name: &str) -> String {
        if name.contains('/') {
            name.to_string()
        } else {
            format!("{}/{name}", self.owner)
        }
    }

    /// `[repo.X]` must name an entry of `[versions]` or `[modules]`.
    fn check_repo_keys(&mut self) {
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
                let d = self
                    .error_at(
                        Code::UnknownRepo,
                        format!("[repo.{}] names no repository of the manifest", **name),
                        &name.span,
                        "not in [versions] or [modules]",
                    )
                    .help(help);
                self.diags.push(d);
            }
        }
    }

    fn release(&mut self, options: &Options) -> Release {
        let section = &self.plan.release;
        let version = self
            .release_version(options)
            .unwrap_or(Version::new(0, 0, 0));
        let tag_template = section.tag.as_ref().map_or("v{version}", |t| t.as_str());
        let tag = fill(tag_template, &[("version", &version.to_string())]);
        let prerelease = match section.prerelease.as_ref().map(|p| &p.value) {
            Some(Prerelease::Flag(flag)) => *flag,
            Some(Prerelease::Mode(_)) | None => !version.pre.is_empty(),
        };
        let (repo, commit) = match &section.publish_to {
            Some(target) => {
                let commit = match self.manifest.entry(target) {
                    Some(entry) => pinned(&entry.git_commit),
                    None => {
                        let names = self.manifest.entries.iter().map(|e| e.name.as_str());
                        let help = did_you_mean(target, names).unwrap_or_else(|| {
                            "name the [versions] entry whose repository receives the release".into()
                        });
                        let d = self
                            .error_at(
                                Code::UnknownRepo,
                                format!(
                                    "publish_to names `{}`, which is not in [versions]",
                                    **target
                                ),
                                &target.span,
                                "unknown repository",
                            )
                            .help(help);
                        self.diags.push(d);
                        None
                    }
                };
                (Some(self.github_repo(&self.github_name(target))), commit)
            }
            None => (None, None),
        };
        Release {
            name: section
                .name
                .as_ref()
                .map_or(tag.clone(), |n| n.value.clone()),
            version: version.to_string(),
            tag,
            prerelease,
            repo,
            commit,
        }
    }

    fn release_version(&mut self, options: &Options) -> Option<Version> {
        let section = &self.plan.release;
        if let (Some(version), Some(from)) = (&section.version, &section.version_from) {
            let d = self
                .error_at(
                    Code::ReleaseVersion,
                    "[release] sets both `version` and `version_from`".into(),
                    &from.span,
                    "second source of the version",
                )
                .help(format!(
                    "keep one: version = \"{}\" or version_from = \"{}\"",
                    **version, **from
                ));
            self.diags.push(d);
            return None;
        }
        if let Some(text) = &options.release_version {
            return match Version::parse(text.strip_prefix('v').unwrap_or(text)) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidSemver,
                            format!("--release-version `{text}`: {e}"),
                        )
                        .help("pass a semantic version such as 1.2.0 or 1.2.0-rc.1"),
                    );
                    None
                }
            };
        }
        if let Some(text) = &section.version {
            return match Version::parse(text) {
                Ok(v) => Some(v),
                Err(e) => {
                    let d = self
                        .error_at(
                            Code::InvalidSemver,
                            format!("`{}` is not a semantic version", **text),
                            &text.span,
                            &e.to_string(),
                        )
                        .help("versions are MAJOR.MINOR.PATCH, e.g. \"1.2.0\"");
                    self.diags.push(d);
                    None
                }
            };
        }
        if let Some(from) = &section.version_from {
            return match self.manifest.entry(from) {
                Some(entry) => entry.version.as_ref().map(|v| v.value.clone()),
                None => {
                    let names = self.manifest.entries.iter().map(|e| e.name.as_str());
                    let help = did_you_mean(from, names);
                    let d = self
                        .error_at(
                            Code::UnknownRepo,
                            format!(
                                "version_from names `{}`, which is not in [versions]",
                                **from
                            ),
                            &from.span,
                            "unknown repository",
                        )
                        .maybe_help(help);
                    self.diags.push(d);
                    None
                }
            };
        }
        let versions: Vec<&Version> = self
            .manifest
            .entries
            .iter()
            .filter_map(|e| e.version.as_deref())
            .collect();
        let highest = versions.iter().copied().max()?;
        // Without a release to publish, the version only names the run: the highest will do.
        if versions.iter().all(|v| *v == highest) || section.publish_to.is_none() {
            return Some(highest.clone());
        }
        let d = self
            .error_at(
                Code::ReleaseVersion,
                "the repositories have different versions, so the release version is unclear"
                    .into(),
                &(0..0),
                "no release version",
            )
            .help("set `version` or `version_from` in [release], or pass --release-version");
        self.diags.push(d);
        None
    }

    /// GitHub name of a manifest key: `[repo.X] github`, else the key itself.
    fn github_name(&self, key: &str) -> String {
        self.plan
            .repo
            .get(key)
            .and_then(|r| r.github.as_ref())
            .map_or(key.to_string(), |g| g.value.clone())
    }

    fn build_jobs(&mut self, release: &Release, drafts: &mut Vec<Draft>) {
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
                    origin: stage.and_then(|s| self.plan_file.map(|f| (f, s.span.clone()))),
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
                publish_layers: layers.len(),
                release,
                id_span: id_span.clone(),
            });
            drafts.push(Draft {
                job,
                needs,
                origin: id_span.and_then(|s| self.plan_file.map(|f| (f, s))),
            });
            previous = Some(id);
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
    fn last_job_of(&self, name: &str) -> String {
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
                let d = self
                    .error_at(
                        Code::InvalidValue,
                        format!(
                            "stage name `{}` of `{name}` is empty or contains `/`",
                            **stage
                        ),
                        &stage.span,
                        "not a stage name",
                    )
                    .help(
                        "stage names become job ids `repo/stage`: use letters, digits, `-` or `_`",
                    );
                self.diags.push(d);
                continue;
            }
            if seen.contains(&stage.as_str()) {
                let d = self.error_at(
                    Code::DuplicateJob,
                    format!("stage `{}` of `{name}` is listed twice", **stage),
                    &stage.span,
                    "listed again here",
                );
                self.diags.push(d);
                continue;
            }
            seen.push(stage);
            stages.push(stage);
        }
        for (stage, _) in &section.stage.0 {
            if !seen.contains(&stage.as_str()) {
                let help = did_you_mean(stage, seen.iter().copied())
                    .unwrap_or_else(|| format!("add \"{}\" to `stages` of [repo.{name}]", **stage));
                let d = self
                    .error_at(
                        Code::UnknownStage,
                        format!(
                            "[repo.{name}.stage.{}] is not one of the repository's stages",
                            **stage
                        ),
                        &stage.span,
                        "not listed in `stages`",
                    )
                    .help(help);
                self.diags.push(d);
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
                        origin: self.plan_file.map(|f| (f, a.span.clone())),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn step_jobs(&mut self, release: &Release, drafts: &mut Vec<Draft>) {
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
                publish_layers: 1,
                release,
                id_span: Some(step.id.span.clone()),
            });
            drafts.push(Draft {
                job,
                needs: self.after_needs(step.after.as_ref()),
                origin: self.plan_file.map(|f| (f, step.id.span.clone())),
            });
        }
    }

    /// A step runs wherever its trigger points; it has no manifest entry to fall back on.
    fn step_repo(&mut self, step: &StepSection, layers: &[&JobSettings]) -> Option<String> {
        let repo = pick(layers, |s| s.trigger.as_ref()).and_then(|t| match &t.value {
            plan_file::Trigger::RepositoryDispatch(d) => d.repo.as_ref(),
            plan_file::Trigger::WorkflowDispatch(w) => w.repo.as_ref(),
        });
        match repo {
            Some(repo) => Some(self.github_repo(repo)),
            None => {
                let d = self
                    .error_at(
                        Code::MissingKey,
                        format!("step `{}` has no repository to trigger", *step.id),
                        &step.id.span,
                        "no `repo` in this step's trigger",
                    )
                    .help("set `repo` in the step's trigger, e.g. trigger = { repository_dispatch = { repo = \"name\", event_type = \"…\" } }");
                self.diags.push(d);
                None
            }
        }
    }

    fn release_job(&mut self, release: &Release, drafts: &mut Vec<Draft>) {
        let Some(repo) = &release.repo else {
            return;
        };
        let needs = drafts
            .iter()
            .filter(|d| !d.job.publish.is_empty())
            .map(|d| Need {
                target: d.job.id.clone(),
                origin: None,
            })
            .collect();
        let retries = self
            .plan
            .defaults
            .retries
            .as_ref()
            .map_or(DEFAULT_RETRIES, |r| r.value);
        drafts.push(Draft {
            job: Job {
                id: RELEASE_JOB.into(),
                kind: JobKind::Release,
                repo: repo.clone(),
                git_ref: Some(release.tag.clone()),
                commit: release.commit.clone(),
                version: Some(release.version.clone()),
                needs: Vec::new(),
                group: 0,
                trigger: None,
                payload: Payload::new(),
                timeout_s: RELEASE_TIMEOUT_S,
                retries,
                estimate_s: RELEASE_ESTIMATE_S,
                publish: Vec::new(),
            },
            needs,
            origin: self
                .plan
                .release
                .publish_to
                .as_ref()
                .and_then(|p| self.plan_file.map(|f| (f, p.span.clone()))),
        });
    }

    fn fallback(&mut self, release: &Release) -> Option<compiled::Trigger> {
        let fallback = self.plan.fallback.as_ref()?;
        let default_repo = match &release.repo {
            Some(repo) => repo.clone(),
            None if trigger_repo(fallback).is_some() => String::new(),
            None => {
                let d = self
                    .error_at(
                        Code::MissingKey,
                        "[fallback] has no repository".into(),
                        &fallback.span,
                        "no `repo` here and no `publish_to`",
                    )
                    .help("set `repo` in [fallback]");
                self.diags.push(d);
                return None;
            }
        };
        let values = placeholder_values(release, "fallback", &default_repo, &release.tag);
        Some(self.trigger(fallback, &default_repo, Some(&release.tag), &values))
    }

    fn job(&mut self, spec: JobSpec<'_>) -> Job {
        let layers = spec.layers;
        let ref_text = spec.git_ref.clone().unwrap_or_default();
        let values = placeholder_values(spec.release, &spec.id, &spec.repo, &ref_text);
        let mut payload = Payload::new();
        for layer in layers.iter().rev() {
            if let Some(p) = &layer.payload {
                for (k, v) in p.iter() {
                    payload.insert(k.clone(), fill_json(v, &values));
                }
            }
        }
        let trigger = match pick(layers, |s| s.trigger.as_ref()) {
            Some(t) => self.trigger(t, &spec.repo, spec.git_ref.as_deref(), &values),
            None => compiled::Trigger::RepositoryDispatch {
                repo: spec.repo.clone(),
                event_type: DEFAULT_EVENT_TYPE.into(),
            },
        };
        self.check_payload_limits(&spec, &trigger, &payload);
        Job {
            id: spec.id,
            kind: spec.kind,
            repo: spec.repo,
            git_ref: spec.git_ref,
            commit: spec.commit,
            version: spec.version,
            needs: Vec::new(),
            group: 0,
            trigger: Some(trigger),
            payload,
            timeout_s: pick(layers, |s| s.timeout.as_ref())
                .map_or(DEFAULT_TIMEOUT_S, |t| t.value.0),
            retries: pick(layers, |s| s.retries.as_ref()).map_or(DEFAULT_RETRIES, |r| r.value),
            estimate_s: pick(layers, |s| s.estimate.as_ref())
                .map_or(DEFAULT_ESTIMATE_S, |e| e.value.0),
            publish: pick(&layers[..spec.publish_layers], |s| s.publish.as_ref()).map_or_else(
                || spec.default_publish.iter().map(|s| s.to_string()).collect(),
                |p| {
                    let globs: std::collections::BTreeSet<String> =
                        p.iter().map(|g| g.value.clone()).collect();
                    globs.into_iter().collect()
                },
            ),
        }
    }

    fn trigger(
        &mut self,
        trigger: &Sp<plan_file::Trigger>,
        default_repo: &str,
        default_ref: Option<&str>,
        values: &[(&str, &str)],
    ) -> compiled::Trigger {
        let repo = trigger_repo(trigger).map_or(default_repo.to_string(), |r| self.github_repo(r));
        match &trigger.value {
            plan_file::Trigger::RepositoryDispatch(d) => compiled::Trigger::RepositoryDispatch {
                repo,
                event_type: d.event_type.value.clone(),
            },
            plan_file::Trigger::WorkflowDispatch(w) => {
                let git_ref = w
                    .git_ref
                    .as_ref()
                    .map(|r| fill(r, values))
                    .or(default_ref.map(str::to_string));
                let git_ref = git_ref.unwrap_or_else(|| {
                    let d = self
                        .error_at(
                            Code::MissingKey,
                            "workflow_dispatch needs a `ref`, and this job has no git_tag to default to".into(),
                            &trigger.span,
                            "no `ref` here",
                        )
                        .help("set `ref` in the trigger, e.g. ref = \"main\"");
                    self.diags.push(d);
                    String::new()
                });
                let inputs = w
                    .inputs
                    .as_ref()
                    .map(|i| {
                        i.iter()
                            .map(|(k, v)| (k.clone(), fill_json(v, values)))
                            .collect()
                    })
                    .unwrap_or_default();
                compiled::Trigger::WorkflowDispatch {
                    repo,
                    workflow: w.workflow.value.clone(),
                    git_ref,
                    inputs,
                }
            }
        }
    }

    fn check_payload_limits(
        &mut self,
        spec: &JobSpec<'_>,
        trigger: &compiled::Trigger,
        payload: &Payload,
    ) {
        let (count, limit, what) = match trigger {
            compiled::Trigger::RepositoryDispatch { .. } => {
                (payload.len(), MAX_PAYLOAD_KEYS, "client_payload keys")
            }
            compiled::Trigger::WorkflowDispatch { inputs, .. } => {
                let keys: std::collections::BTreeSet<&String> =
                    inputs.keys().chain(payload.keys()).collect();
                (keys.len(), MAX_WORKFLOW_INPUTS, "workflow inputs")
            }
        };
        let bytes = serde_json::to_string(payload).map_or(0, |s| s.len());
        let problem = if count > limit {
            Some(format!(
                "job `{}` sends {count} {what}; GitHub allows {limit} besides relplan's own",
                spec.id
            ))
        } else if bytes > MAX_PAYLOAD_BYTES {
            Some(format!(
                "job `{}` sends a {bytes}-byte payload; GitHub allows under 64 KB",
                spec.id
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            let span = spec.id_span.clone().unwrap_or(0..0);
            let d = self
                .error_at(Code::PayloadTooLarge, message, &span, "this job")
                .help("send fewer or smaller values, e.g. one JSON object under one key");
            self.diags.push(d);
        }
    }

    /// Resolves needs to indices, reports duplicates, unknown jobs and cycles, and builds the
    /// compiled plan.
    fn assemble(
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
                let mut d = Diagnostic::error(
                    Code::DuplicateJob,
                    format!("two jobs are called `{}`", draft.job.id),
                )
                .help(help);
                if let Some((file, span)) = &draft.origin {
                    d = d.at(*file, span.clone(), "second job with this id");
                }
                self.diags.push(d);
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
                        let mut d = Diagnostic::error(
                            Code::DuplicateJob,
                            format!(
                                "`{}` is both a job and a repository with stages, so `after` is ambiguous",
                                need.target
                            ),
                        )
                        .help(format!("rename the step, or wait for `{last}` explicitly"));
                        if let Some((file, span)) = &need.origin {
                            d = d.at(*file, span.clone(), "which one?");
                        }
                        self.diags.push(d);
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
                    let mut d = Diagnostic::error(
                        Code::UnknownJob,
                        format!(
                            "`{}` waits for `{}`, which is not a job",
                            draft.job.id, need.target
                        ),
                    )
                    .maybe_help(help);
                    if let Some((file, span)) = &need.origin {
                        d = d.at(*file, span.clone(), "unknown job");
                    }
                    self.diags.push(d);
                }
            }
        }
        if self.diags.has_errors() {
            return None;
        }
        let origins: HashMap<(String, String), (FileId, Span)> = drafts
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
            Ok(plan) => Some(plan),
            Err(cycles) => {
                for cycle in cycles {
                    let path = cycle.join(" → ");
                    let help = if cycle.iter().any(|id| id == RELEASE_JOB) {
                        "`release` waits for every job that publishes: set `publish = []` on the jobs that run after it"
                    } else {
                        "remove one requirement or `after` entry of the cycle"
                    };
                    let mut d = Diagnostic::error(
                        Code::DependencyCycle,
                        format!("dependency cycle: {path}"),
                    )
                    .help(help);
                    // Point at the plan's edge when there is one: the manifest is the truth.
                    let edges: Vec<&(FileId, Span)> = cycle
                        .windows(2)
                        .filter_map(|w| origins.get(&(w[0].clone(), w[1].clone())))
                        .collect();
                    let origin = edges
                        .iter()
                        .find(|(file, _)| Some(*file) == self.plan_file)
                        .or(edges.first());
                    if let Some((file, span)) = origin {
                        d = d.at(*file, span.clone(), "this edge closes the cycle");
                    }
                    self.diags.push(d);
                }
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

struct JobSpec<'a> {
    id: String,
    kind: JobKind,
    repo: String,
    git_ref: Option<String>,
    commit: Option<String>,
    version: Option<String>,
    layers: &'a [&'a JobSettings],
    default_publish: &'a [&'a str],
    /// How many of `layers` may set `publish`: steps do not inherit `[defaults].publish`,
    /// since a step after `release` cannot publish into it.
    publish_layers: usize,
    release: &'a Release,
    id_span: Option<Span>,
}

/// Stage names become the second half of job ids `repo/stage`.
fn is_stage_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/')
}

/// The first layer (stage, repository, defaults) that sets a value.
fn pick<'a, T>(
    layers: &[&'a JobSettings],
    get: impl Fn(&'a JobSettings) -> Option<&'a T>,
) -> Option<&'a T> {
    layers.iter().find_map(|l| get(l))
}

fn trigger_repo(trigger: &plan_file::Trigger) -> Option<&Sp<String>> {
    match trigger {
        plan_file::Trigger::RepositoryDispatch(d) => d.repo.as_ref(),
        plan_file::Trigger::WorkflowDispatch(w) => w.repo.as_ref(),
    }
}

fn pinned(commit: &Option<Sp<String>>) -> Option<String> {
    commit
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|c| c.value.clone())
}

fn placeholder_values<'a>(
    release: &'a Release,
    job: &'a str,
    repo: &'a str,
    git_ref: &'a str,
) -> [(&'static str, &'a str); 6] {
    [
        ("version", &release.version),
        ("tag", &release.tag),
        ("name", &release.name),
        ("job", job),
        ("repo", repo),
        ("ref", git_ref),
    ]
}
