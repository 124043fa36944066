//! What `relplan verify` found, as data: one [`Finding`] per problem, each with a stable
//! code ([`Check::code`]; docs/verify.md lists them), its severity, the asset it concerns,
//! and the fix. The [`Report`] holds them all with what was read, so every problem is
//! shown in one run.

use crate::findings::{self, Severity};
use crate::verify::side::{AssetFacts, Kind, ReleaseFields, SumsFile};

/// Every kind of problem `verify` reports. The code strings are a contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    ReleaseMissing,
    ReleaseDraft,
    FieldsUnknown,
    WrongRepository,
    WrongTag,
    WrongPrerelease,
    WrongCommit,
    NotAnAsset,
    UploadIncomplete,
    SumsMissing,
    SumsTooLarge,
    SumsNotText,
    SumsMalformed,
    SumsUnterminated,
    SumsUnsorted,
    SumsDuplicate,
    AssetMissing,
    AssetUnlisted,
    AssetChanged,
    DigestMismatch,
    DigestMissing,
    PlanPublishesNothing,
    JobWithoutAsset,
    AssetUnplanned,
}

impl Check {
    /// The stable code, `verify::<name>`.
    pub fn code(self) -> &'static str {
        match self {
            Check::ReleaseMissing => "verify::release-missing",
            Check::ReleaseDraft => "verify::release-draft",
            Check::FieldsUnknown => "verify::fields-unknown",
            Check::WrongRepository => "verify::wrong-repository",
            Check::WrongTag => "verify::wrong-tag",
            Check::WrongPrerelease => "verify::wrong-prerelease",
            Check::WrongCommit => "verify::wrong-commit",
            Check::NotAnAsset => "verify::not-an-asset",
            Check::UploadIncomplete => "verify::upload-incomplete",
            Check::SumsMissing => "verify::sums-missing",
            Check::SumsTooLarge => "verify::sums-too-large",
            Check::SumsNotText => "verify::sums-not-text",
            Check::SumsMalformed => "verify::sums-malformed",
            Check::SumsUnterminated => "verify::sums-unterminated",
            Check::SumsUnsorted => "verify::sums-unsorted",
            Check::SumsDuplicate => "verify::sums-duplicate",
            Check::AssetMissing => "verify::asset-missing",
            Check::AssetUnlisted => "verify::asset-unlisted",
            Check::AssetChanged => "verify::asset-changed",
            Check::DigestMismatch => "verify::digest-mismatch",
            Check::DigestMissing => "verify::digest-missing",
            Check::PlanPublishesNothing => "verify::plan-publishes-nothing",
            Check::JobWithoutAsset => "verify::job-without-asset",
            Check::AssetUnplanned => "verify::asset-unplanned",
        }
    }

    /// Each kind of problem always has the same severity.
    pub fn severity(self) -> Severity {
        match self {
            Check::FieldsUnknown | Check::DigestMissing => Severity::Note,
            _ => Severity::Error,
        }
    }
}

/// One problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub check: Check,
    /// The asset (or `SHA256SUMS` entry) it concerns, if one.
    pub asset: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The next step.
    pub help: String,
}

impl Finding {
    pub fn new(check: Check, message: impl Into<String>, help: impl Into<String>) -> Finding {
        Finding {
            check,
            asset: None,
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn asset(mut self, name: &str) -> Finding {
        self.asset = Some(name.to_string());
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

/// Everything one verification read and found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The release as the user named it.
    pub release: String,
    pub kind: Kind,
    pub fields: Option<ReleaseFields>,
    /// Every asset but `SHA256SUMS`, sorted by name.
    pub assets: Vec<AssetFacts>,
    pub sums: Option<SumsFile>,
    /// The hash of the plan checked against, with `--plan`.
    pub plan_hash: Option<String>,
    /// In the order of the checks (docs/verify.md).
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        findings::count(&self.findings, severity)
    }

    /// True when every check held: no errors.
    pub fn passed(&self) -> bool {
        findings::passed(&self.findings)
    }
}
