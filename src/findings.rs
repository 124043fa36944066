//! What a check command finds, the part `relplan preflight` and `relplan verify` share: a
//! [`Finding`] has a stable code, a severity, a message and its fix. How one is written as
//! text and as JSON, and how a report counts them, is said here once, so both commands show
//! their findings alike. Each command keeps its own codes (`preflight::finding::Check`,
//! `verify::finding::Check`) and what else one of its findings concerns (a repository and
//! jobs, an asset).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::numbers;

/// How much a finding matters. Only errors fail a check command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Informational, or not checked and why.
    Note,
    /// Worth knowing before the release.
    Warning,
    /// The release would fail, or is not what it should be.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding of a check command.
pub trait Finding {
    /// The stable code, such as `verify::asset-changed`.
    fn code(&self) -> &'static str;
    fn severity(&self) -> Severity;
    /// What is wrong, in one sentence.
    fn message(&self) -> &str;
    /// The next step.
    fn help(&self) -> &str;
}

/// `error[code]: message`, then `  for <concerns>` when it concerns something, then
/// `  help: <fix>`.
pub fn write_text(finding: &impl Finding, concerns: Option<&str>, out: &mut String) {
    let _ = writeln!(
        out,
        "{}[{}]: {}",
        finding.severity().as_str(),
        finding.code(),
        finding.message()
    );
    if let Some(concerns) = concerns {
        let _ = writeln!(out, "  for {concerns}");
    }
    let _ = writeln!(out, "  help: {}", finding.help());
}

/// The finding as a JSON object: `code`, `severity`, `message`, `help`, and the fields of
/// `more` (an object) for what it concerns.
pub fn json(finding: &impl Finding, more: Value) -> Value {
    let mut value = json!({
        "code": finding.code(),
        "severity": finding.severity().as_str(),
        "message": finding.message(),
        "help": finding.help(),
    });
    if let (Some(fields), Value::Object(more)) = (value.as_object_mut(), more) {
        fields.extend(more);
    }
    value
}

/// How many findings have `severity`.
pub fn count<F: Finding>(findings: &[F], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity() == severity).count()
}

/// True when nothing failed: no errors.
pub fn passed<F: Finding>(findings: &[F]) -> bool {
    count(findings, Severity::Error) == 0
}

/// "2 errors, 1 warning, 0 notes", for the severities a command reports.
pub fn counts<F: Finding>(findings: &[F], severities: &[Severity]) -> String {
    let counted: Vec<String> = severities
        .iter()
        .map(|&severity| numbers::count(count(findings, severity), severity.as_str()))
        .collect();
    counted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Found(Severity);

    impl Finding for Found {
        fn code(&self) -> &'static str {
            "check::thing"
        }
        fn severity(&self) -> Severity {
            self.0
        }
        fn message(&self) -> &str {
            "the thing is wrong"
        }
        fn help(&self) -> &str {
            "fix the thing"
        }
    }

    #[test]
    fn a_finding_is_written_with_its_code_concerns_and_fix() {
        let mut out = String::new();
        write_text(&Found(Severity::Error), Some("`o/r`"), &mut out);
        write_text(&Found(Severity::Note), None, &mut out);
        assert_eq!(
            out,
            "error[check::thing]: the thing is wrong\n  for `o/r`\n  help: fix the thing\n\
             note[check::thing]: the thing is wrong\n  help: fix the thing\n"
        );
        assert_eq!(
            json(&Found(Severity::Warning), json!({"asset": "a.tar"})),
            json!({
                "code": "check::thing",
                "severity": "warning",
                "message": "the thing is wrong",
                "help": "fix the thing",
                "asset": "a.tar",
            })
        );
    }

    #[test]
    fn counts_name_each_severity_asked_for() {
        let found = [
            Found(Severity::Error),
            Found(Severity::Note),
            Found(Severity::Note),
        ];
        assert_eq!(
            counts(
                &found,
                &[Severity::Error, Severity::Warning, Severity::Note]
            ),
            "1 error, 0 warnings, 2 notes"
        );
        assert!(!passed(&found));
        assert!(passed(&found[1..]));
    }
}
