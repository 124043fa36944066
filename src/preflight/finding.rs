//! What the preflight found, as data: one [`Finding`] per problem, each with a stable code
//! ([`Check::code`]; docs/cli.md lists them), its severity, the repository and jobs it
//! concerns, the fix, and for workflow problems the YAML lines to paste. The [`Report`]
//! holds them all, so every problem is shown in one run.

use crate::findings::{self, Severity};
use crate::github::rate_limit::RateLimit;
use crate::github::server::Server;
use crate::preflight::budget::Estimate;

/// Every kind of problem the preflight reports. The code strings are a contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    TokenMissing,
    TokenRefused,
    GitHubUnreachable,
    RateLimitLow,
    EnterpriseServer,
    RepoNotFound,
    RepoUnreadable,
    RepoArchived,
    RepoNotWritable,
    PermissionsUnknown,
    WorkflowsUnreadable,
    NoListener,
    ListenerDisabled,
    ExtraListener,
    RunNameMissingId,
    RunNameIdJoined,
    WorkflowMissing,
    WorkflowDisabled,
    WorkflowFileMissing,
    WorkflowUnreadable,
    NoWorkflowDispatch,
    InputUndeclared,
    RequiredInputMissing,
    TooManyInputs,
    EnterpriseInputLimit,
    TagMissing,
    TagMoved,
    TagUnreadable,
    ReleaseImmutable,
    ReleasePublished,
    ReleaseDraft,
    ReleasesUnreadable,
}

impl Check {
    /// The stable code, `preflight::<name>`.
    pub fn code(self) -> &'static str {
        match self {
            Check::TokenMissing => "preflight::token-missing",
            Check::TokenRefused => "preflight::token-refused",
            Check::GitHubUnreachable => "preflight::github-unreachable",
            Check::RateLimitLow => "preflight::rate-limit-low",
            Check::EnterpriseServer => "preflight::enterprise-server",
            Check::RepoNotFound => "preflight::repo-not-found",
            Check::RepoUnreadable => "preflight::repo-unreadable",
            Check::RepoArchived => "preflight::repo-archived",
            Check::RepoNotWritable => "preflight::repo-not-writable",
            Check::PermissionsUnknown => "preflight::permissions-unknown",
            Check::WorkflowsUnreadable => "preflight::workflows-unreadable",
            Check::NoListener => "preflight::no-listener",
            Check::ListenerDisabled => "preflight::listener-disabled",
            Check::ExtraListener => "preflight::extra-listener",
            Check::RunNameMissingId => "preflight::run-name-missing-id",
            Check::RunNameIdJoined => "preflight::run-name-id-joined",
            Check::WorkflowMissing => "preflight::workflow-missing",
            Check::WorkflowDisabled => "preflight::workflow-disabled",
            Check::WorkflowFileMissing => "preflight::workflow-file-missing",
            Check::WorkflowUnreadable => "preflight::workflow-unreadable",
            Check::NoWorkflowDispatch => "preflight::no-workflow-dispatch",
            Check::InputUndeclared => "preflight::input-undeclared",
            Check::RequiredInputMissing => "preflight::required-input-missing",
            Check::TooManyInputs => "preflight::too-many-inputs",
            Check::EnterpriseInputLimit => "preflight::enterprise-input-limit",
            Check::TagMissing => "preflight::tag-missing",
            Check::TagMoved => "preflight::tag-moved",
            Check::TagUnreadable => "preflight::tag-unreadable",
            Check::ReleaseImmutable => "preflight::release-immutable",
            Check::ReleasePublished => "preflight::release-published",
            Check::ReleaseDraft => "preflight::release-draft",
            Check::ReleasesUnreadable => "preflight::releases-unreadable",
        }
    }

    /// Each kind of problem always has the same severity.
    pub fn severity(self) -> Severity {
        match self {
            Check::EnterpriseServer | Check::PermissionsUnknown | Check::ReleaseDraft => {
                Severity::Note
            }
            Check::RateLimitLow
            | Check::ExtraListener
            | Check::EnterpriseInputLimit
            | Check::ReleasePublished => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// One problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub check: Check,
    /// `owner/name`, when the problem concerns one repository.
    pub repo: Option<String>,
    /// The plan jobs it concerns (`fallback` for the plan's `[fallback]`), in plan order.
    pub jobs: Vec<String>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The next step.
    pub help: String,
    /// YAML lines to paste into the workflow file, for workflow problems.
    pub paste: Option<String>,
}

impl Finding {
    pub fn new(check: Check, message: impl Into<String>, help: impl Into<String>) -> Finding {
        Finding {
            check,
            repo: None,
            jobs: Vec::new(),
            message: message.into(),
            help: help.into(),
            paste: None,
        }
    }

    pub fn repo(mut self, repo: &str) -> Finding {
        self.repo = Some(repo.to_string());
        self
    }

    pub fn job(mut self, job: &str) -> Finding {
        self.jobs.push(job.to_string());
        self
    }

    pub fn paste(mut self, yaml: impl Into<String>) -> Finding {
        self.paste = Some(yaml.into());
        self
    }
}

impl findings::Finding for Finding {
    fn code(&self) -> &'static str {
        self.check.code()
    }

    fn severity(&self) -> Severity {
        self.check.severity()
    }

    fn message(&self) -> &str {
        &self.message
    }

    fn help(&self) -> &str {
        &self.help
    }
}

/// Everything one preflight found, and what it read on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub plan_hash: String,
    /// The release's name.
    pub release: String,
    /// Repositories the plan touches.
    pub repositories: usize,
    /// Dispatches checked: jobs with a trigger, and the fallback.
    pub dispatches: usize,
    pub server: Option<Server>,
    pub rate_limit: Option<RateLimit>,
    pub estimate: Estimate,
    /// In the order found; the same problem of several jobs is one finding.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Adds a finding, or names the job in an equal finding of another job.
    pub fn add(&mut self, finding: Finding) {
        let same = self.findings.iter_mut().find(|f| {
            f.check == finding.check
                && f.repo == finding.repo
                && f.message == finding.message
                && f.paste == finding.paste
        });
        match same {
            Some(existing) => {
                for job in finding.jobs {
                    if !existing.jobs.contains(&job) {
                        existing.jobs.push(job);
                    }
                }
            }
            None => self.findings.push(finding),
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        findings::count(&self.findings, severity)
    }

    /// True when nothing would make the release fail: no errors.
    pub fn passed(&self) -> bool {
        findings::passed(&self.findings)
    }
}
