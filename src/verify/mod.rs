//! `relplan verify` and `relplan compare`: what a release holds once it is published,
//! checked, and two releases set side by side. A release is read the same way wherever
//! it is (a [`side::ReleaseSide`]): on GitHub every asset is downloaded and hashed while it
//! streams to disk; a directory's files are hashed while they are read. Nothing is held
//! whole in memory but `SHA256SUMS`.
//!
//! One idea per file:
//! - [`release_ref`]: the `RELEASE` argument, a directory or `owner/repo@tag`.
//! - [`side`]: one release as data: fields, assets with their hashes and digests,
//!   `SHA256SUMS`.
//! - [`directory`], [`github_release`]: reading a release from a directory, from GitHub.
//! - [`finding`]: the codes of `verify` and its report.
//! - [`published`]: the release exists, is published, and its bytes are GitHub's digests.
//! - [`sums`]: `SHA256SUMS` read back as relplan writes it, and checked against the assets.
//! - [`plan_checks`]: with `--plan`, the release is the one the plan publishes.
//! - [`render`]: the report as text and JSON.
//! - [`compare`]: two releases' differences, and their text, Markdown and JSON.
//!
//! It reads the compiled plan and talks to GitHub through `github`; it knows neither the
//! executor nor the backends.

pub mod compare;
pub mod directory;
pub mod finding;
pub mod github_release;
pub mod plan_checks;
pub mod published;
pub mod release_ref;
pub mod render;
pub mod side;
pub mod sums;

use crate::compiled::CompiledPlan;
use crate::release_assets::SHA256SUMS;
use crate::verify::finding::{Check, Finding, Report};
use crate::verify::side::ReleaseSide;

/// Every check on `side`, and with `plan` against it, in this order: the release itself,
/// what is not an asset, `SHA256SUMS` and the assets it lists, GitHub's digests, the plan.
pub fn verify(side: ReleaseSide, plan: Option<&CompiledPlan>) -> Report {
    let mut findings: Vec<Finding> = published::release_state(&side).into_iter().collect();
    if side.found {
        findings.extend(side.problems.iter().cloned());
        findings.extend(sums_findings(&side));
        findings.extend(published::digests(&side));
        if let Some(plan) = plan {
            findings.extend(plan_checks::check(&side, plan));
        }
    }
    Report {
        release: side.label.clone(),
        kind: side.kind(),
        fields: side.fields,
        assets: side.assets,
        sums: side.sums,
        plan_hash: plan.map(|p| p.plan_hash.clone()),
        findings,
    }
}

/// `SHA256SUMS` as relplan writes it, listing exactly the assets with their bytes.
fn sums_findings(side: &ReleaseSide) -> Vec<Finding> {
    let Some(sums) = &side.sums else {
        return vec![Finding::new(
            Check::SumsMissing,
            format!("the release has no {SHA256SUMS}"),
            format!(
                "publish it with relplan, which writes {SHA256SUMS}, or add one line `<sha256>  <name>` per asset, sorted by name"
            ),
        )];
    };
    let Some(contents) = &sums.contents else {
        return vec![Finding::new(
            Check::SumsTooLarge,
            format!(
                "{SHA256SUMS} is {} bytes, more than the {} a checksum file may have",
                sums.facts.bytes,
                side::MAX_SUMS_BYTES
            ),
            format!("check that the asset named {SHA256SUMS} is the checksum file"),
        )];
    };
    let listing = sums::read(contents);
    let mut findings = listing.findings.clone();
    findings.extend(sums::check_assets(&listing, &side.assets));
    findings
}
