//! The part of a source file that a rendered diagnostic shows: the lines around its span,
//! each cut to a bounded width around the span, numbered as in the file.
//!
//! miette finds lines by scanning a source from its start, for every diagnostic, so
//! rendering cost the size of the file per diagnostic (10,000 warnings over a 10,000-line
//! manifest took 25 s), and it panics when a label starts past column 65,535 of its line.
//! A [`Snippet`] is cut out through the file's line index, so a diagnostic costs the size
//! of its excerpt, and no line of an excerpt is longer than [`MAX_LINE_BYTES`] (plus the
//! `…` marking a cut). miette renders the excerpt; the line numbers and the column of the
//! `file:line:column` header stay those of the file.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::source::{SourceFile, Span, ceil_char_boundary, floor_char_boundary};

/// Longest line an excerpt shows whole; a longer one is cut around the span.
pub const MAX_LINE_BYTES: usize = 240;
/// Lines shown before and after the span (miette's default).
pub const CONTEXT_LINES: usize = 1;
/// Marks where a line was cut.
const CUT: &str = "…";

/// An excerpt of one file, and a span inside it.
#[derive(Debug)]
pub struct Snippet {
    name: String,
    text: String,
    /// 0-based line number in the file of the excerpt's first line.
    first_line: usize,
    /// For each excerpt line: file column minus excerpt column, in bytes.
    shifts: Vec<isize>,
    /// The diagnostic's span, in the excerpt.
    span: Span,
}

impl Snippet {
    /// The lines of `file` around `span`, cut where they are too long.
    pub fn new(file: &SourceFile, span: &Span) -> Snippet {
        let text = &file.text;
        let start = floor_char_boundary(text, span.start);
        let end = ceil_char_boundary(text, span.end.max(start));
        let start_line = file.line_of(start);
        let end_line = file.line_of(end.saturating_sub(1).max(start));
        let first_line = start_line.saturating_sub(CONTEXT_LINES);
        let last_line = (end_line + CONTEXT_LINES).min(file.line_count() - 1);
        let mut snippet = Snippet {
            name: file.name.clone(),
            text: String::new(),
            first_line,
            shifts: Vec::new(),
            span: 0..0,
        };
        let (mut excerpt_start, mut excerpt_end) = (0, 0);
        for line in first_line..=last_line {
            let content = file.line_range(line);
            // Where the reader must look on this line: the span's start, else its end.
            let focus = if line == start_line {
                start
            } else if line == end_line {
                end
            } else {
                content.start
            };
            let kept = keep(text, &content, focus);
            let line_start = snippet.text.len();
            if kept.start > content.start {
                snippet.text.push_str(CUT);
            }
            let kept_at = snippet.text.len();
            snippet.text.push_str(&text[kept.clone()]);
            if kept.end < content.end {
                snippet.text.push_str(CUT);
            }
            let full = file.line_with_break(line);
            snippet.text.push_str(&text[content.end..full.end]);
            snippet
                .shifts
                .push((kept.start - content.start) as isize - (kept_at - line_start) as isize);
            // A span may reach into the line break of a line that was not cut.
            let upper = if kept.end == content.end {
                full.end
            } else {
                kept.end
            };
            let to_excerpt = |offset: usize| kept_at + offset.clamp(kept.start, upper) - kept.start;
            if line == start_line {
                excerpt_start = to_excerpt(start);
            }
            if line == end_line {
                excerpt_end = to_excerpt(end);
            }
        }
        snippet.span = excerpt_start..excerpt_end.max(excerpt_start);
        snippet
    }

    /// The diagnostic's span in the excerpt, for its label.
    pub fn span(&self) -> SourceSpan {
        SourceSpan::from(self.span.clone())
    }
}

/// The part of a line that is shown: all of it when it is short enough, else
/// [`MAX_LINE_BYTES`] around `focus` (starting a little before it, so the reader sees what
/// leads up to it).
fn keep(text: &str, line: &Span, focus: usize) -> Span {
    if line.end - line.start <= MAX_LINE_BYTES {
        return line.clone();
    }
    let before = MAX_LINE_BYTES / 3;
    let start = focus.saturating_sub(before).clamp(line.start, line.end);
    let start = floor_char_boundary(text, start.min(line.end.saturating_sub(MAX_LINE_BYTES)));
    let end = floor_char_boundary(text, (start + MAX_LINE_BYTES).min(line.end));
    start.max(line.start)..end
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        // The column is only meaningful without lines before (miette reports 0 otherwise).
        let column = match context_lines_before {
            0 => {
                let shift = self.shifts.get(inner.line()).copied().unwrap_or(0);
                inner.column().saturating_add_signed(shift)
            }
            _ => inner.column(),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            self.first_line + inner.line(),
            column,
            self.first_line + inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(text: &str, span: Span) -> (String, String) {
        let file = SourceFile::new("f.toml", text);
        let snippet = Snippet::new(&file, &span);
        let shown = snippet.text[snippet.span.clone()].to_string();
        (snippet.text, shown)
    }

    #[test]
    fn keeps_the_lines_around_the_span() {
        let text = "a = 1\nb = 2\nc = 3\nd = 4\n";
        let (lines, shown) = excerpt(text, 12..13);
        assert_eq!(lines, "b = 2\nc = 3\nd = 4\n");
        assert_eq!(shown, "c");
        let (lines, shown) = excerpt(text, 0..1);
        assert_eq!((lines.as_str(), shown.as_str()), ("a = 1\nb = 2\n", "a"));
    }

    #[test]
    fn cuts_a_long_line_around_the_span() {
        let text = format!("x\n{}?{}\ny\n", " ".repeat(70_000), "z".repeat(500));
        let at = 2 + 70_000;
        let (lines, shown) = excerpt(&text, at..at + 1);
        assert_eq!(shown, "?");
        let long = lines.lines().nth(1).unwrap();
        assert!(long.starts_with(CUT) && long.ends_with(CUT), "{long}");
        assert_eq!(long.len(), MAX_LINE_BYTES + 2 * CUT.len());
        assert!(lines.starts_with("x\n") && lines.ends_with("\ny\n"));
    }

    #[test]
    fn reports_the_files_line_and_column() {
        let text = format!("x\n{}?\n", " ".repeat(70_000));
        let file = SourceFile::new("f.toml", text.as_str());
        let snippet = Snippet::new(&file, &(70_002..70_003));
        let contents = snippet.read_span(&snippet.span(), 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (1, 70_000));
    }

    #[test]
    fn clamps_spans_outside_the_text_or_inside_a_character() {
        let (_, shown) = excerpt("é = 1\n", 1..99);
        assert_eq!(shown, "é = 1\n");
        let (_, shown) = excerpt("", 5..9);
        assert_eq!(shown, "");
    }
}
