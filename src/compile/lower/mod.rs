//! Lowering: a validated manifest and plan become the explicit execution DAG.
//!
//! Every minute detail is decided here, ahead of time, so the executor only follows orders:
//! 1. the release (`release.rs`): version (CLI, `version`, `version_from`, or the one
//!    version all entries share), tag, name, pre-release flag, receiving repository, the
//!    `release` job and the fallback;
//! 2. the jobs (`jobs.rs`): one per manifest entry (one per stage when `stages` is set),
//!    one per module the plan names, one per `[[step]]`;
//! 3. each job's concrete values (`settings.rs`): `owner/repo`, ref and commit from the
//!    manifest, trigger, payload with placeholders filled, timeout, retries, estimate and
//!    publish globs, taken from the stage, then the repository, then `[defaults]`, then
//!    built-in defaults;
//! 4. with `--backend local`, that every build and step says how it is built on this
//!    machine (`local.rs`);
//! 5. the edges (`edges.rs`): stages in order, a repository's first stage after the last
//!    stage of every repository it requires, `after` edges, and `release` after every
//!    publishing job; duplicate ids, unknown names, cycles, then depth groups, critical
//!    path and the plan hash (`CompiledPlan::assemble`).
//!
//! After an error, lowering goes on with a stand-in value so that every other problem is
//! reported in the same run; the plan is dropped because errors exist.

mod edges;
mod jobs;
pub mod local;
mod release;
mod settings;

use crate::bounds::MAX_JOBS;
use crate::compile::Options;
use crate::compile::github_names;
use crate::compile::manifest::Manifest;
use crate::compile::plan_file::{self, PlanFile};
use crate::compiled::{CompiledPlan, Job, Release};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::numbers::thousands;
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

/// A place in an input file: the plan's, or the manifest's for requirement edges.
type Origin = (FileId, Span);

/// A job before the graph is known: needs are still names, each with where it came from.
struct Draft {
    job: Job,
    needs: Vec<Need>,
    /// Where the job was declared, for duplicate-id reports.
    origin: Option<Origin>,
}

struct Need {
    target: String,
    origin: Option<Origin>,
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
    let mut lowerer = Lowerer {
        plan,
        manifest,
        plan_file,
        owner: String::new(),
        diags,
    };
    lowerer.owner = lowerer.owner(options);
    lowerer.check_repo_keys();
    let release = lowerer.release(options);
    let mut drafts = Vec::new();
    lowerer.build_jobs(&release, &mut drafts);
    lowerer.step_jobs(&release, &mut drafts);
    lowerer.release_job(&release, &mut drafts);
    lowerer.check_job_count(drafts.len());
    if options.require_local {
        lowerer.check_local(&drafts);
    }
    let fallback = lowerer.fallback(&release);
    lowerer.assemble(release, drafts, fallback)
}

impl Lowerer<'_> {
    /// Reports an error: what happened, where (with a short label under the span) when
    /// the place is known, and how to fix it when a fix is known.
    fn error(
        &mut self,
        code: Code,
        message: impl Into<String>,
        at: Option<Origin>,
        label: &str,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::error(code, message).maybe_help(help);
        if let Some((file, span)) = at {
            d = d.at(file, span, label);
        }
        self.diags.push(d);
    }

    /// A span of the plan file; nowhere when the default plan (no file) is lowered.
    fn in_plan(&self, span: &Span) -> Option<Origin> {
        self.plan_file.map(|file| (file, span.clone()))
    }

    /// The owner from `--owner`, else the plan's; a stand-in after reporting when neither.
    fn owner(&mut self, options: &Options) -> String {
        let owner = options
            .owner
            .clone()
            .or_else(|| self.plan.release.owner.as_ref().map(|o| o.value.clone()));
        let owner = owner.unwrap_or_else(|| {
            let help = match self.plan_file {
                Some(_) => "set `owner` in [release], or pass `--owner OWNER`",
                None => "pass `--owner OWNER`, the GitHub user or organisation of the repositories",
            };
            self.error(
                Code::MissingKey,
                "no GitHub owner for the repositories",
                self.in_plan(&(0..0)),
                "no owner in this plan",
                Some(help.into()),
            );
            "OWNER".into()
        });
        if options
            .owner
            .as_deref()
            .is_some_and(|o| !github_names::is_owner(o))
        {
            self.error(
                Code::InvalidValue,
                format!("--owner `{owner}` is not a GitHub user or organisation name"),
                None,
                "",
                Some("owners are letters, digits and hyphens, e.g. BTCDecoded".into()),
            );
        }
        owner
    }

    fn check_job_count(&mut self, jobs: usize) {
        if jobs > MAX_JOBS {
            self.error(
                Code::InvalidValue,
                format!(
                    "the plan has {} jobs; relplan compiles at most {}",
                    thousands(jobs),
                    thousands(MAX_JOBS)
                ),
                None,
                "",
                Some("split the release into several plans, each over its own manifest".into()),
            );
        }
    }

    fn github_repo(&self, name: &str) -> String {
        if name.contains('/') {
            name.to_string()
        } else {
            format!("{}/{name}", self.owner)
        }
    }

    /// GitHub name of a manifest key: `[repo.X] github`, else the key itself.
    fn github_name(&self, key: &str) -> String {
        self.plan
            .repo
            .get(key)
            .and_then(|r| r.github.as_ref())
            .map_or(key.to_string(), |g| g.value.clone())
    }
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
