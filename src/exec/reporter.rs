//! The one channel for what a run tells the person watching it besides its progress: log
//! lines, notes and warnings from the executor, the backends and the commands that drive
//! them. Where the text goes is fixed when a [`Reporter`] is made: stderr, above the
//! progress bars on a terminal (printed through indicatif, so the bars are not garbled), or
//! a list a test reads. It is a cheap handle: the executor and every backend hold a clone.
//! Every line passes [`secrets::redact`] first.
//!
//! In CI (`CI=true`, as GitHub Actions sets it) a long phase can be folded: [`Reporter::group`]
//! writes GitHub's `::group::` line and its `::endgroup::` when the phase ends, the one
//! place relplan folds its log. Groups do not nest, and jobs run side by side, so the run's
//! own lines stay unfolded.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use indicatif::MultiProgress;

use crate::secrets;

#[derive(Clone, Debug)]
pub struct Reporter {
    target: Target,
    /// Phases are folded with `::group::` (in CI).
    folds: bool,
}

/// Whether relplan runs in CI: `CI` is set to something (GitHub Actions sets `CI=true`).
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// An open fold of the log (see [`Reporter::group`]); it closes when dropped.
#[must_use = "the group closes when this is dropped"]
pub struct Group {
    reporter: Option<Reporter>,
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(reporter) = &self.reporter {
            reporter.line("::endgroup::");
        }
    }
}

#[derive(Clone, Debug)]
enum Target {
    Stderr,
    /// Above the bars of this display.
    Bars(MultiProgress),
    /// Kept for a test.
    Memory(Rc<RefCell<Vec<String>>>),
}

impl Reporter {
    /// Plain lines on stderr; phases folded in CI.
    pub fn stderr() -> Reporter {
        Reporter {
            target: Target::Stderr,
            folds: in_ci(),
        }
    }

    /// Lines printed above the bars of `multi` (never in CI: no folds).
    pub fn above(multi: MultiProgress) -> Reporter {
        Reporter {
            target: Target::Bars(multi),
            folds: false,
        }
    }

    /// Keeps every line instead of printing it; read them with [`Reporter::lines`].
    pub fn memory() -> Reporter {
        Reporter {
            target: Target::Memory(Rc::default()),
            folds: false,
        }
    }

    /// This reporter folding phases as in CI.
    #[cfg(test)]
    fn folding(mut self) -> Reporter {
        self.folds = true;
        self
    }

    /// Opens a fold named `title` in CI (`::group::title`), closed when the returned guard
    /// is dropped; nothing outside CI.
    pub fn group(&self, title: &str) -> Group {
        if !self.folds {
            return Group { reporter: None };
        }
        self.line(&format!("::group::{title}"));
        Group {
            reporter: Some(self.clone()),
        }
    }

    /// The lines a [`Reporter::memory`] kept, in order (none for the others).
    pub fn lines(&self) -> Vec<String> {
        match &self.target {
            Target::Memory(lines) => lines.borrow().clone(),
            Target::Stderr | Target::Bars(_) => Vec::new(),
        }
    }

    /// Text as it is, one or more lines (a log line of the run), secrets masked.
    pub fn line(&self, text: &str) {
        let text = secrets::redact(text);
        let text = text.as_ref();
        match &self.target {
            // Nothing useful can be done when stderr is gone.
            Target::Stderr => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
            Target::Bars(multi) => {
                let _ = multi.println(text);
            }
            Target::Memory(lines) => lines.borrow_mut().extend(text.lines().map(String::from)),
        }
    }

    /// `note: …`: worth knowing, needs nothing from the user now.
    pub fn note(&self, what: &str) {
        self.line(&format!("note: {what}"));
    }

    /// `warning: …`: something failed that does not stop the run (relplan tries again, or
    /// leaves it be, and says which).
    pub fn warn(&self, what: &str) {
        self.line(&format!("warning: {what}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_folds_what_is_said_while_it_is_open_in_ci_only() {
        let ci = Reporter::memory().folding();
        {
            let _group = ci.group("relplan: preflight");
            ci.note("inside");
        }
        ci.note("after");
        assert_eq!(
            ci.lines(),
            [
                "::group::relplan: preflight",
                "note: inside",
                "::endgroup::",
                "note: after"
            ]
        );
        let local = Reporter::memory();
        {
            let _group = local.group("relplan: preflight");
            local.note("inside");
        }
        assert_eq!(local.lines(), ["note: inside"]);
    }
}
