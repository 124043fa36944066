//! A verification [`Report`] for people (text) and for programs (JSON, a stable contract
//! listed in docs/verify.md).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::findings::{self, Severity};
use crate::numbers::thousands;
use crate::release_assets::SHA256SUMS;
use crate::verify::finding::Report;
use crate::verify::side::{AssetFacts, ReleaseFields};

/// Widest name column of the asset list; longer names push their line out.
pub const NAME_COLUMN: usize = 64;

/// The header, the assets with their hashes, then every finding with its help.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let files = files(report);
    let count = report.assets.len();
    let _ = writeln!(
        out,
        "verify of `{}` ({}): {} asset{}{}",
        report.release,
        report.kind.noun(),
        thousands(count),
        if count == 1 { "" } else { "s" },
        if report.sums.is_some() {
            format!(" and {SHA256SUMS}")
        } else {
            String::new()
        }
    );
    if let Some(fields) = &report.fields {
        let _ = writeln!(out, "release: {}", describe(fields));
    }
    if let Some(hash) = &report.plan_hash {
        let _ = writeln!(out, "plan: {hash}");
    }
    if !files.is_empty() {
        out.push('\n');
        let width = files
            .iter()
            .map(|a| a.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(NAME_COLUMN);
        let size_width = files.iter().map(|a| size(a.bytes).len()).max().unwrap_or(0);
        for asset in files {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>size_width$}  sha256:{}",
                asset.name,
                size(asset.bytes),
                asset.sha256
            );
        }
    }
    for finding in &report.findings {
        out.push('\n');
        findings::write_text(finding, None, &mut out);
    }
    out
}

/// The assets, then `SHA256SUMS`.
fn files(report: &Report) -> Vec<&AssetFacts> {
    report
        .assets
        .iter()
        .chain(report.sums.iter().map(|s| &s.facts))
        .collect()
}

/// "tag `v1`, published, not a prerelease, commit `c0ffee…`".
pub fn describe(fields: &ReleaseFields) -> String {
    let state = if fields.draft { "a draft" } else { "published" };
    let prerelease = if fields.prerelease {
        "a prerelease"
    } else {
        "not a prerelease"
    };
    let commit = match &fields.commit {
        Some(commit) => format!("commit `{commit}`"),
        None => "commit unknown".into(),
    };
    format!(
        "`{}` tag `{}`, {state}, {prerelease}, {commit}",
        fields.repo, fields.tag
    )
}

/// `1,024 bytes`.
pub fn size(bytes: u64) -> String {
    let n = usize::try_from(bytes).unwrap_or(usize::MAX);
    format!("{} byte{}", thousands(n), if bytes == 1 { "" } else { "s" })
}

/// "2 errors, 1 note".
pub fn counts(report: &Report) -> String {
    findings::counts(&report.findings, &[Severity::Error, Severity::Note])
}

fn asset_json(asset: &AssetFacts) -> Value {
    json!({
        "name": asset.name,
        "bytes": asset.bytes,
        "sha256": asset.sha256,
        "digest": asset.digest,
    })
}

/// The fields of a release as JSON (`null` for a directory).
pub fn fields_json(fields: Option<&ReleaseFields>) -> Value {
    fields.map_or(Value::Null, |f| {
        json!({
            "repo": f.repo,
            "tag": f.tag,
            "draft": f.draft,
            "prerelease": f.prerelease,
            "commit": f.commit,
            "html_url": f.html_url,
        })
    })
}

/// The report as one JSON document.
pub fn json(report: &Report) -> String {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| findings::json(f, json!({ "asset": f.asset })))
        .collect();
    let value = json!({
        "passed": report.passed(),
        "release": report.release,
        "kind": report.kind.as_str(),
        "fields": fields_json(report.fields.as_ref()),
        "plan_hash": report.plan_hash,
        "assets": report.assets.iter().map(asset_json).collect::<Vec<_>>(),
        "sha256sums": report.sums.as_ref().map(|s| asset_json(&s.facts)),
        "errors": report.count(Severity::Error),
        "notes": report.count(Severity::Note),
        "findings": findings,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
