//! `relplan pin`: freezing what gets built. Every `[versions]` entry names a `git_tag`; its
//! `git_commit` is often left empty ("filled by the release workflow"), so the plan hash a
//! reviewer approves does not say which commits will be built. Pinning resolves each tag on
//! GitHub (annotated tags dereferenced) and fills the empty commits; afterwards `check
//! --require-pinned` passes and the plan hash covers the exact commits.
//!
//! A commit already pinned is never overwritten: when the tag now points elsewhere, the tag
//! moved, which is for a person to decide. [`manifest_edit`] writes the commits into the
//! manifest's text without changing anything else.

pub mod manifest_edit;

use miette::Diagnostic;

use crate::compiled::{CompiledPlan, JobKind};
use crate::github::GitHub;
use crate::github::tag::same_commit;
use manifest_edit::Entry;

/// One manifest entry to pin: where its tag lives and what it pins now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub entry: String,
    /// `owner/name` of the entry's repository.
    pub repo: String,
    /// `None` when the entry names no tag.
    pub tag: Option<String>,
    /// The entry's `git_commit`, when not empty.
    pub pinned: Option<String>,
}

/// What pinning one entry comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pin {
    /// `git_commit` is empty or absent: it gets the tag's commit.
    Fill { commit: String },
    /// Already pinned to the tag's commit.
    Kept,
    /// Pinned to another commit than the tag's: the tag moved.
    Moved { actual: String },
    /// The entry names no tag.
    NoTag,
    /// The repository has no such tag.
    TagMissing,
    /// GitHub could not be read.
    Failed { message: String, help: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub target: Target,
    pub pin: Pin,
}

impl Outcome {
    /// What went wrong and the next step, or `None` when the entry is (or will be) pinned.
    pub fn problem(&self) -> Option<(String, String)> {
        let Target {
            entry, repo, tag, ..
        } = &self.target;
        let tag = tag.as_deref().unwrap_or_default();
        match &self.pin {
            Pin::Fill { .. } | Pin::Kept => None,
            Pin::Moved { actual } => Some((
                format!(
                    "tag `{tag}` of `{repo}` points at {actual}, but `{entry}` pins {}; the tag moved",
                    self.target.pinned.as_deref().unwrap_or_default()
                ),
                format!(
                    "point the tag back at the pinned commit, or set `{entry}`'s git_commit to {actual} by hand after checking what the tag now names"
                ),
            )),
            Pin::NoTag => Some((
                format!("`{entry}` names no git_tag to pin"),
                format!("set `git_tag` of `{entry}` in the manifest"),
            )),
            Pin::TagMissing => Some((
                format!("`{repo}` has no tag `{tag}` (entry `{entry}`)"),
                format!("push the tag first (`git push origin {tag}` in `{repo}`), then pin"),
            )),
            Pin::Failed { message, help } => Some((message.clone(), help.clone())),
        }
    }
}

/// The entries of the manifest that the plan builds, each with the repository its tag is
/// read from (the plan's `owner` and `github` keys decide it). Entries the plan does not
/// build (channel tables such as `[versions.develop]`) are left alone.
pub fn targets(plan: &CompiledPlan, entries: &[Entry]) -> Vec<Target> {
    entries
        .iter()
        .filter_map(|entry| {
            let stage_prefix = format!("{}/", entry.name);
            let job = plan.jobs.iter().find(|j| {
                j.kind == JobKind::Build && (j.id == entry.name || j.id.starts_with(&stage_prefix))
            })?;
            Some(Target {
                entry: entry.name.clone(),
                repo: job.repo.clone(),
                tag: job.git_ref.clone(),
                pinned: entry.git_commit.clone().filter(|c| !c.is_empty()),
            })
        })
        .collect()
}

/// Resolves every target's tag. When GitHub does not answer or refuses the token, every
/// later read would fail the same way after its own retries, so the targets after that one
/// are not asked (and have no outcome): the problem is reported once, not once per entry.
pub async fn resolve(github: &GitHub, targets: Vec<Target>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for target in targets {
        let mut stop = false;
        let pin = match &target.tag {
            None => Pin::NoTag,
            Some(tag) => match github.tag_commit(&target.repo, tag).await {
                Ok(None) => Pin::TagMissing,
                Ok(Some(commit)) => match &target.pinned {
                    None => Pin::Fill { commit },
                    Some(pinned) if same_commit(&commit, pinned) => Pin::Kept,
                    Some(_) => Pin::Moved { actual: commit },
                },
                Err(e) => {
                    stop = e.fails_every_request();
                    Pin::Failed {
                        message: e.to_string(),
                        help: e.help().map(|h| h.to_string()).unwrap_or_default(),
                    }
                }
            },
        };
        outcomes.push(Outcome { target, pin });
        if stop {
            break;
        }
    }
    outcomes
}

/// The commits to write, entry by entry.
pub fn fills(outcomes: &[Outcome]) -> Vec<(String, String)> {
    outcomes
        .iter()
        .filter_map(|o| match &o.pin {
            Pin::Fill { commit } => Some((o.target.entry.clone(), commit.clone())),
            _ => None,
        })
        .collect()
}
