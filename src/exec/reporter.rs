//! The one channel for what a run tells the person watching it besides its progress: log
//! lines, notes and warnings from the executor, the backends and the commands that drive
//! them. Where the text goes is fixed when a [`Reporter`] is made: stderr, above the
//! progress bars on a terminal (printed through indicatif, so the bars are not garbled), or
//! a list a test reads. It is a cheap handle: the executor and every backend hold a clone.
//! Every line passes [`secrets::redact`] first.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use indicatif::MultiProgress;

use crate::secrets;

#[derive(Clone, Debug)]
pub struct Reporter {
    target: Target,
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
    /// Plain lines on stderr.
    pub fn stderr() -> Reporter {
        Reporter {
            target: Target::Stderr,
        }
    }

    /// Lines printed above the bars of `multi`.
    pub fn above(multi: MultiProgress) -> Reporter {
        Reporter {
            target: Target::Bars(multi),
        }
    }

    /// Keeps every line instead of printing it; read them with [`Reporter::lines`].
    pub fn memory() -> Reporter {
        Reporter {
            target: Target::Memory(Rc::default()),
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
