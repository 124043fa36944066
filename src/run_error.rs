//! Run-time errors as a person reads them: what happened, the next step, and the exit code.
//! Compile problems are [`crate::diagnostic`]s; everything else that stops a command is a
//! [`RunError`], printed in one place (`cli::run`) as
//!
//! ```text
//! error: what happened
//! help: the next command to run
//! ```
//!
//! Each layer keeps its own typed error, so programs can tell cases apart
//! (`GitHubError`, `JournalError`, `BackendError`). Each implements [`miette::Diagnostic`]
//! for its help, and converts into a `RunError` with `From`, which is where its exit code
//! is chosen. [`RunError`] itself is for everything else: build one with
//! [`RunError::new`], add [`RunError::with_help`] and, when the exit code is not 1,
//! [`RunError::with_exit`].

use std::fmt;

use crate::secrets;

/// The documented exit codes of every command (docs/exit-codes.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// Invalid input, or a release that did not complete.
    Failure = 1,
    /// Usage error (clap's own code).
    Usage = 2,
    /// `diff --exit-code` found changes.
    Changed = 3,
    /// `apply` refused: hash mismatch, journal locked, journal of another plan.
    Refused = 4,
    /// Interrupted; the journal is consistent and the run resumable.
    Interrupted = 130,
}

/// An error that stops a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    /// What happened, in one sentence without a trailing period.
    pub message: String,
    /// The next step, ideally the command to run; kept apart from the message everywhere.
    pub help: Option<String>,
    pub exit: Exit,
}

impl RunError {
    /// An error that exits 1 and has no help yet.
    pub fn new(message: impl Into<String>) -> RunError {
        RunError {
            message: message.into(),
            help: None,
            exit: Exit::Failure,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> RunError {
        self.help = Some(help.into());
        self
    }

    pub fn with_exit(mut self, exit: Exit) -> RunError {
        self.exit = exit;
        self
    }

    /// Any error with a help (a [`miette::Diagnostic`]), exiting with `exit`: how the typed
    /// errors of each layer become a `RunError`.
    pub fn from_diagnostic(error: &dyn miette::Diagnostic, exit: Exit) -> RunError {
        RunError {
            message: error.to_string(),
            help: error.help().map(|help| help.to_string()),
            exit,
        }
    }

    /// `help` followed by the command to run next: `…, then resume` (the generic ending of
    /// the GitHub layer's helps) becomes `…, then <step>`; any other help gets `; then
    /// <step>` after it; no help is the step alone.
    pub fn then(help: Option<&str>, step: &str) -> String {
        match help {
            None => step.to_string(),
            Some(help) => match help.strip_suffix("then resume") {
                Some(start) => format!("{start}then {step}"),
                None => format!("{help}; then {step}"),
            },
        }
    }

    /// `error: …` then, when there is one, `help: …`, each line ending in a newline, with
    /// every secret masked ([`secrets::redact`]).
    pub fn render(&self) -> String {
        let text = match &self.help {
            Some(help) => format!("error: {}\nhelp: {help}\n", self.message),
            None => format!("error: {}\n", self.message),
        };
        secrets::redact(&text).into_owned()
    }
}

impl miette::Diagnostic for RunError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_happened_then_the_next_step() {
        let error = RunError::new("the plan's hash is sha256:1, not the approved sha256:2")
            .with_help("review the plan again")
            .with_exit(Exit::Refused);
        assert_eq!(
            error.render(),
            "error: the plan's hash is sha256:1, not the approved sha256:2\nhelp: review the plan again\n"
        );
        assert_eq!(error.exit, Exit::Refused);
        let again = RunError::from_diagnostic(&error, Exit::Failure);
        assert_eq!(again.help, error.help);
        assert_eq!(RunError::new("x").render(), "error: x\n");
        assert_eq!(
            RunError::then(Some("check the network, then resume"), "`relplan resume`"),
            "check the network, then `relplan resume`"
        );
        assert_eq!(
            RunError::then(Some("check the URL"), "`relplan resume`"),
            "check the URL; then `relplan resume`"
        );
        assert_eq!(RunError::then(None, "`relplan resume`"), "`relplan resume`");
    }
}
