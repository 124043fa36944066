//! Problems found in the inputs, as plain data, and the two ways they are shown: miette's
//! graphical reports for people and GitHub Actions annotations for pull requests.
//!
//! Every stage appends to one [`Diagnostics`] list instead of returning at the first error,
//! so a user sees every problem of their inputs in one run.

use std::collections::HashMap;
use std::fmt;

use crate::numbers::{few, thousands};
use crate::snippet::Snippet;
use crate::source::{FileId, Sources, Span};

/// Stable identifiers of every problem relplan reports. The string form is a contract:
/// users search for it and CI scripts may match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    ReadFile,
    TomlSyntax,
    UnknownKey,
    WrongType,
    MissingKey,
    InvalidSemver,
    InvalidRequire,
    UnknownRequire,
    RequireMismatch,
    DependencyCycle,
    TagMismatch,
    UnpinnedRef,
    EmptyManifest,
    UnknownRepo,
    UnknownStage,
    DuplicateJob,
    InvalidDuration,
    UnknownJob,
    InvalidValue,
    UnknownPlaceholder,
    PayloadTooLarge,
    IdenticalDispatch,
    NoLocalBuild,
    ReleaseVersion,
    CompiledPlan,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ReadFile => "relplan::read-file",
            Code::TomlSyntax => "relplan::toml-syntax",
            Code::UnknownKey => "relplan::unknown-key",
            Code::WrongType => "relplan::wrong-type",
            Code::MissingKey => "relplan::missing-key",
            Code::InvalidSemver => "relplan::invalid-semver",
            Code::InvalidRequire => "relplan::invalid-require",
            Code::UnknownRequire => "relplan::unknown-require",
            Code::RequireMismatch => "relplan::require-mismatch",
            Code::DependencyCycle => "relplan::dependency-cycle",
            Code::TagMismatch => "relplan::tag-mismatch",
            Code::UnpinnedRef => "relplan::unpinned-ref",
            Code::EmptyManifest => "relplan::empty-manifest",
            Code::UnknownRepo => "relplan::unknown-repo",
            Code::UnknownStage => "relplan::unknown-stage",
            Code::DuplicateJob => "relplan::duplicate-job",
            Code::InvalidDuration => "relplan::invalid-duration",
            Code::UnknownJob => "relplan::unknown-job",
            Code::InvalidValue => "relplan::invalid-value",
            Code::UnknownPlaceholder => "relplan::unknown-placeholder",
            Code::PayloadTooLarge => "relplan::payload-too-large",
            Code::IdenticalDispatch => "relplan::identical-dispatch",
            Code::NoLocalBuild => "relplan::no-local-build",
            Code::ReleaseVersion => "relplan::release-version",
            Code::CompiledPlan => "relplan::compiled-plan",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// Where a problem is: a span in one file, with a short label under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    pub help: Option<String>,
    /// Set on diagnostics that may repeat for many items; see [`Diagnostics::grouped`].
    pub group: Option<Group>,
}

/// How a diagnostic that repeats for many items (manifest entries) is shown once for all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// What the items have in common, in the plural: "entries do not pin a git_commit".
    pub summary: String,
    /// This occurrence's item, such as the entry's name.
    pub item: String,
    /// The fix, said for every item.
    pub help: String,
}

/// How many items a grouped diagnostic names before it counts the rest.
pub const GROUP_ITEMS_SHOWN: usize = 3;

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            location: None,
            help: None,
            group: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, file: FileId, span: Span, label: impl Into<String>) -> Self {
        self.location = Some(Location {
            file,
            span,
            label: label.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Lets a diagnostic be merged with the others of its kind (same code, severity and
    /// summary).
    pub fn grouped(
        mut self,
        summary: impl Into<String>,
        item: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        self.group = Some(Group {
            summary: summary.into(),
            item: item.into(),
            help: help.into(),
        });
        self
    }
}

/// Everything found so far, in the order it was found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// The same list with every groupable diagnostic that occurs more than once merged
    /// into one, where its first occurrence was: "6 entries do not pin a git_commit: `a`,
    /// `b`, `c`, … and 3 more", pointing at the first and with the group's fix. Only
    /// diagnostics of one code, severity and summary are merged; a groupable error (an
    /// unpinned entry under `--require-pinned`) is merged like a warning, and
    /// [`Diagnostics::error_count`] still counts each one.
    pub fn grouped(&self) -> Diagnostics {
        type Key<'a> = (Code, Severity, &'a str);
        let mut members: HashMap<Key<'_>, Vec<&Diagnostic>> = HashMap::new();
        for d in &self.items {
            if let Some(group) = &d.group {
                members
                    .entry((d.code, d.severity, group.summary.as_str()))
                    .or_default()
                    .push(d);
            }
        }
        let mut items = Vec::new();
        for d in &self.items {
            let same = match &d.group {
                Some(group) => &members[&(d.code, d.severity, group.summary.as_str())],
                None => {
                    items.push(d.clone());
                    continue;
                }
            };
            if same.len() == 1 {
                items.push(d.clone());
            } else if std::ptr::eq(same[0], d) {
                items.push(merge(same));
            }
        }
        Diagnostics { items }
    }
}

/// One diagnostic for several of one group, at the first one's place.
fn merge(same: &[&Diagnostic]) -> Diagnostic {
    let first = same[0];
    let group = first
        .group
        .as_ref()
        .expect("only grouped warnings are merged");
    let items = few(
        same.iter()
            .map(|d| format!("`{}`", d.group.as_ref().map_or("", |g| g.item.as_str()))),
        GROUP_ITEMS_SHOWN,
    );
    Diagnostic {
        message: format!("{} {}: {items}", thousands(same.len()), group.summary),
        help: Some(format!("{} (`--all-warnings` shows each one)", group.help)),
        group: None,
        ..first.clone()
    }
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// miette's graphical report, with colour.
    Color,
    /// miette's graphical report, plain (tests, pipes, NO_COLOR).
    Plain,
    /// GitHub Actions workflow commands (`::error file=…::…`).
    Github,
}

/// Renders every diagnostic, each followed by a blank line, at the given width.
pub fn render(diagnostics: &Diagnostics, sources: &Sources, style: Style, width: usize) -> String {
    let mut out = String::new();
    for diagnostic in &diagnostics.items {
        match style {
            Style::Github => out.push_str(&github_annotation(diagnostic, sources)),
            Style::Color | Style::Plain => {
                out.push_str(&graphical(diagnostic, sources, style, width))
            }
        }
    }
    out
}

fn graphical(diagnostic: &Diagnostic, sources: &Sources, style: Style, width: usize) -> String {
    let theme = match style {
        Style::Color => miette::GraphicalTheme::unicode(),
        _ => miette::GraphicalTheme::unicode_nocolor(),
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let view = MietteView {
        diagnostic,
        snippet: diagnostic
            .location
            .as_ref()
            .map(|l| Snippet::new(sources.get(l.file), &l.span)),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &view).is_err() {
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    out.push('\n');
    out
}

fn github_annotation(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let level = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = vec![format!(
        "title={}",
        escape_property(diagnostic.code.as_str())
    )];
    if let Some(location) = &diagnostic.location {
        let file = sources.get(location.file);
        let (line, col) = file.line_col(location.span.start);
        let (end_line, end_col) = file.line_col(location.span.end);
        properties.insert(0, format!("file={}", escape_property(&file.name)));
        properties.insert(1, format!("line={line}"));
        properties.insert(2, format!("col={col}"));
        if end_line == line {
            properties.insert(3, format!("endColumn={end_col}"));
        } else {
            properties.insert(3, format!("endLine={end_line}"));
        }
    }
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{level} {}::{}\n",
        properties.join(","),
        escape_data(&message)
    )
}

// Escaping rules of GitHub's workflow commands (actions/toolkit `command.ts`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Adapter that lets miette render a [`Diagnostic`], over the excerpt of its file.
struct MietteView<'a> {
    diagnostic: &'a Diagnostic,
    snippet: Option<Snippet>,
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.snippet.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let location = self.diagnostic.location.as_ref()?;
        let span = self.snippet.as_ref()?.span();
        let label = (!location.label.is_empty()).then(|| location.label.clone());
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_primary_with_span(label, span),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpinned(name: &str) -> Diagnostic {
        Diagnostic::warning(
            Code::UnpinnedRef,
            format!("`{name}` does not pin a git_commit"),
        )
        .help(format!("pin {name}"))
        .grouped("entries do not pin a git_commit", name, "pin them")
    }

    #[test]
    fn repeated_warnings_are_merged_where_the_first_was() {
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(Diagnostic::error(Code::InvalidSemver, "bad version"));
        for i in 0..10_000 {
            diagnostics.push(unpinned(&format!("r{i}")));
        }
        diagnostics.push(Diagnostic::error(Code::UnknownRequire, "unknown"));
        let grouped = diagnostics.grouped();
        let messages: Vec<&str> = grouped.items.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "bad version",
                "10,000 entries do not pin a git_commit: `r0`, `r1`, `r2`, … and 9,997 more",
                "unknown"
            ]
        );
        assert_eq!(
            grouped.items[1].help.as_deref(),
            Some("pin them (`--all-warnings` shows each one)")
        );
    }

    #[test]
    fn a_warning_alone_or_a_few_keep_their_words() {
        let mut one = Diagnostics::default();
        one.push(unpinned("a"));
        assert_eq!(one.grouped().items, one.items);
        let mut three = Diagnostics::default();
        for name in ["a", "b", "c"] {
            three.push(unpinned(name));
        }
        assert_eq!(
            three.grouped().items[0].message,
            "3 entries do not pin a git_commit: `a`, `b` and `c`"
        );
    }

    #[test]
    fn repeated_errors_are_merged_apart_from_warnings_of_their_code() {
        let mut diagnostics = Diagnostics::default();
        for name in ["a", "b", "c", "d"] {
            let mut error = unpinned(name);
            error.severity = Severity::Error;
            diagnostics.push(error);
        }
        diagnostics.push(unpinned("w1"));
        diagnostics.push(unpinned("w2"));
        let grouped = diagnostics.grouped();
        let shown: Vec<(Severity, &str)> = grouped
            .items
            .iter()
            .map(|d| (d.severity, d.message.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    Severity::Error,
                    "4 entries do not pin a git_commit: `a`, `b`, `c`, … and 1 more"
                ),
                (
                    Severity::Warning,
                    "2 entries do not pin a git_commit: `w1` and `w2`"
                ),
            ]
        );
        assert_eq!(grouped.error_count(), 1);
        assert_eq!(diagnostics.error_count(), 4);
    }

    #[test]
    fn github_annotations_point_at_line_and_column() {
        let mut sources = Sources::default();
        let file = sources.add("plans/x.toml", "[release]\nnmae = 1\n");
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(
            Diagnostic::error(Code::UnknownKey, "unknown key `nmae` in [release]")
                .at(file, 10..14, "unknown key")
                .help("did you mean `name`?"),
        );
        assert_eq!(
            render(&diagnostics, &sources, Style::Github, 80),
            "::error file=plans/x.toml,line=2,col=1,endColumn=5,title=relplan%3A%3Aunknown-key::unknown key `nmae` in [release]%0Ahelp: did you mean `name`?\n"
        );
    }
}
