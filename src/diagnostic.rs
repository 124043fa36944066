//! Problems found in the inputs, as plain data, and the two ways they are shown: miette's
//! graphical reports for people and GitHub Actions annotations for pull requests.
//!
//! Every stage appends to one [`Diagnostics`] list instead of returning at the first error,
//! so a user sees every problem of their inputs in one run.

use std::fmt;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            location: None,
            help: None,
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
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
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
