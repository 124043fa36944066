//! Markdown for a pull-request comment or a `$GITHUB_STEP_SUMMARY`, shared by `relplan diff`,
//! `relplan compare` and the run's report (`status --format markdown`): a [`Doc`] that never grows past a character limit, and the
//! escaping of values ([`text`], [`code`], [`cell`]) so that a value shows as written.
//!
//! GitHub refuses comments over 65,536 characters ([`MAX_CHARS`]). A `Doc` writes its
//! frame (headings, table heads, closing tags) always and each item only while it fits,
//! keeping [`RESERVE`] characters for closing tags and a note on what was left out; once an
//! item does not fit, every later item is left out too, so what is shown is a prefix of
//! each list, and [`Doc::finish`] closes the document with a note on how many were left
//! out and the command that shows them all.

use crate::numbers::thousands;

/// GitHub's limit on a comment body, in characters.
pub const MAX_CHARS: usize = 65_536;
/// Room kept for closing tags and the note on left-out items.
pub const RESERVE: usize = 1_000;

/// The output so far and how much room is left.
pub struct Doc {
    out: String,
    chars: usize,
    limit: usize,
    /// Set once an item did not fit: every later item is left out too.
    full: bool,
    shown: usize,
    left_out: usize,
}

impl Doc {
    /// An empty document of at most `limit` characters (at least [`RESERVE`] plus its
    /// frame).
    pub fn new(limit: usize) -> Doc {
        Doc {
            out: String::new(),
            chars: 0,
            limit,
            full: false,
            shown: 0,
            left_out: 0,
        }
    }

    /// Text that is always written (headings, tables' heads, closing tags, the final note).
    pub fn push(&mut self, text: &str) {
        self.out.push_str(text);
        self.chars += text.chars().count();
    }

    /// One item: written when it fits, counted as left out otherwise.
    pub fn item(&mut self, text: &str) {
        let chars = text.chars().count();
        if self.full || self.chars + chars + RESERVE > self.limit {
            self.full = true;
            self.left_out += 1;
        } else {
            self.shown += 1;
            self.push(text);
        }
    }

    /// A collapsible section of items; only opened when its first item fits too.
    pub fn section(&mut self, title: &str, head: &str, items: impl IntoIterator<Item = String>) {
        let items: Vec<String> = items.into_iter().collect();
        let Some(first) = items.first() else {
            return;
        };
        let open = format!("<details><summary>{title}</summary>\n\n{head}");
        let needed = open.chars().count() + first.chars().count();
        if self.full || self.chars + needed + RESERVE > self.limit {
            self.full = true;
            self.left_out += items.len();
            return;
        }
        self.push(&open);
        for item in &items {
            self.item(item);
        }
        self.push("\n</details>\n\n");
    }

    /// Items written so far.
    pub fn shown(&self) -> usize {
        self.shown
    }

    /// Items that did not fit.
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    pub fn into_string(self) -> String {
        self.out
    }

    /// The document, closed by a note when items were left out: how many of how many
    /// `items` ("changes", "rows") are not shown, and that `command` shows them all.
    pub fn finish(mut self, items: &str, command: &str) -> String {
        if self.left_out > 0 {
            let note = format!(
                "> **{} of {} {items} are not shown** to keep this comment under {} characters. \
                 Run `{command}` locally, or with `--format json`, to see all of them.\n",
                thousands(self.left_out),
                thousands(self.left_out + self.shown),
                thousands(self.limit)
            );
            self.push(&note);
        }
        self.out
    }
}

/// Text with markdown and HTML syntax escaped, so a value shows as written.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// An inline code span that survives backticks in the value.
pub fn code(value: &str) -> String {
    let value = value.replace(['\n', '\r'], " ");
    if value.contains('`') {
        format!("`` {value} ``")
    } else {
        format!("`{value}`")
    }
}

/// A link to `url` showing `label` (already Markdown): the characters that would end the
/// link or break it (spaces, parentheses, angle brackets) are percent-encoded.
pub fn link(label: &str, url: &str) -> String {
    let mut href = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => href.push_str("%20"),
            '(' => href.push_str("%28"),
            ')' => href.push_str("%29"),
            '<' => href.push_str("%3C"),
            '>' => href.push_str("%3E"),
            '\n' | '\r' => {}
            _ => href.push(c),
        }
    }
    format!("[{label}]({href})")
}

/// A table cell: pipes escaped, even inside code spans (GitHub requires it).
pub fn cell(value: &str) -> String {
    value.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_in_values() {
        assert_eq!(text("a_b <x> `c`"), "a\\_b \\<x\\> \\`c\\`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(cell("`a|b`"), "`a\\|b`");
        assert_eq!(
            link("`v1`", "https://x/a b(c)"),
            "[`v1`](https://x/a%20b%28c%29)"
        );
    }

    #[test]
    fn items_stop_at_the_first_that_does_not_fit() {
        let mut doc = Doc::new(RESERVE + 25);
        doc.push("# t\n");
        doc.section("s", "", (0..10).map(|i| format!("- item {i}\n")));
        assert_eq!(doc.shown(), 0, "the section's opening does not fit");
        assert_eq!(doc.left_out(), 10);
        let mut doc = Doc::new(RESERVE + 60);
        doc.section("s", "", (0..10).map(|i| format!("- item {i}\n")));
        // The opening takes 31 characters, each item 9.
        assert_eq!((doc.shown(), doc.left_out()), (3, 7));
        doc.item("x");
        assert_eq!(doc.left_out(), 8, "later items are left out too");
        let text = doc.finish("items", "relplan x");
        assert!(text.contains("</details>\n\n> **8 of 11 items are not shown** to keep this comment under 1,060 characters. Run `relplan x` locally"), "{text}");
    }
}
