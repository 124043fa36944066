//! A preflight [`Report`] for people (text), for programs (JSON, a stable contract listed
//! in docs/cli.md) and for GitHub Actions (workflow-command annotations, escaped as
//! `relplan check --format github` escapes them).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::diagnostic::{escape_data, escape_property};
use crate::findings::{self, Finding as _, Severity};
use crate::github::server::Server;
use crate::preflight::finding::{Finding, Report};

/// The header, then every finding with its help and the lines to paste.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let server = match &report.server {
        Some(Server::Cloud) => ", GitHub",
        Some(Server::Enterprise { .. }) => ", GitHub Enterprise Server",
        None => "",
    };
    let _ = writeln!(
        out,
        "preflight of `{}` ({}): {} repositories, {} dispatches{server}",
        report.release, report.plan_hash, report.repositories, report.dispatches
    );
    if let Some(limit) = &report.rate_limit {
        let _ = writeln!(
            out,
            "token: {} of {} requests left; the release needs about {} (at most {})",
            limit.remaining, limit.limit, report.estimate.expected, report.estimate.worst
        );
    }
    for finding in &report.findings {
        out.push('\n');
        write_finding(finding, &mut out);
    }
    out
}

fn write_finding(finding: &Finding, out: &mut String) {
    findings::write_text(finding, concerns(finding).as_deref(), out);
    if let Some(paste) = &finding.paste {
        for line in paste.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
}

/// "`o/r`, jobs `a`, `b`", or `None` when the finding concerns no repository or job.
fn concerns(finding: &Finding) -> Option<String> {
    let jobs: Vec<String> = finding.jobs.iter().map(|j| format!("`{j}`")).collect();
    let jobs = match jobs.len() {
        0 => None,
        1 => Some(format!("job {}", jobs[0])),
        _ => Some(format!("jobs {}", jobs.join(", "))),
    };
    match (&finding.repo, jobs) {
        (Some(repo), Some(jobs)) => Some(format!("`{repo}`, {jobs}")),
        (Some(repo), None) => Some(format!("`{repo}`")),
        (None, jobs) => jobs,
    }
}

/// "2 errors, 1 warning, 0 notes".
pub fn counts(report: &Report) -> String {
    findings::counts(
        &report.findings,
        &[Severity::Error, Severity::Warning, Severity::Note],
    )
}

/// The report as one JSON document.
pub fn json(report: &Report) -> String {
    let server = match &report.server {
        None => Value::Null,
        Some(server) => json!({
            "kind": match server {
                Server::Cloud => "github",
                Server::Enterprise { .. } => "enterprise",
            },
            "version": match server {
                Server::Enterprise { version } => json!(version),
                Server::Cloud => Value::Null,
            },
            "names_dispatched_runs": server.names_dispatched_runs(),
        }),
    };
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            findings::json(
                f,
                json!({
                    "repo": f.repo,
                    "jobs": f.jobs,
                    "paste": f.paste,
                }),
            )
        })
        .collect();
    let value = json!({
        "passed": report.passed(),
        "plan_hash": report.plan_hash,
        "release": report.release,
        "repositories": report.repositories,
        "dispatches": report.dispatches,
        "server": server,
        "rate_limit": report.rate_limit.map(|l| json!({
            "limit": l.limit,
            "remaining": l.remaining,
            "reset": l.reset,
        })),
        "estimate": {
            "expected": report.estimate.expected,
            "worst": report.estimate.worst,
        },
        "errors": report.count(Severity::Error),
        "warnings": report.count(Severity::Warning),
        "notes": report.count(Severity::Note),
        "findings": findings,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// One workflow command per finding (`::error`, `::warning`, `::notice`).
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let level = match finding.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut message = match concerns(finding) {
            Some(concerns) => format!("{} (for {concerns})", finding.message),
            None => finding.message.clone(),
        };
        message.push_str("\nhelp: ");
        message.push_str(&finding.help);
        if let Some(paste) = &finding.paste {
            message.push('\n');
            message.push_str(paste.trim_end());
        }
        let _ = writeln!(
            out,
            "::{level} title={}::{}",
            escape_property(finding.check.code()),
            escape_data(&message)
        );
    }
    out
}
