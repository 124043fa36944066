//! A small YAML writer for the generated workflows: a tree of maps, lists and scalars,
//! written in the block style GitHub's own examples use, with comments.
//!
//! Serde-based YAML writers cannot write comments, and the generated files are read by
//! people, so the tree is written here. Every scalar goes through [`scalar`], which leaves a
//! string plain only when no YAML parser could read it as anything but that string, and
//! double-quotes (JSON escapes, which are valid YAML) everything else. The tests parse every
//! generated file back with a YAML parser and run actionlint on it.

use std::fmt::Write;

/// A YAML value.
#[derive(Clone, Debug)]
pub enum Node {
    /// A string, quoted when needed.
    Str(String),
    /// Written as it is: numbers and booleans.
    Raw(String),
    /// A multi-line string, written as a literal block (`|`), such as a shell script.
    Script(String),
    Map(Map),
    List(Vec<Node>),
}

/// A mapping, keys in insertion order, each entry with the comments written above it.
#[derive(Clone, Debug, Default)]
pub struct Map {
    entries: Vec<Entry>,
    /// Comments for the next entry.
    pending: Vec<String>,
    blank_next: bool,
}

#[derive(Clone, Debug)]
struct Entry {
    comments: Vec<String>,
    blank_before: bool,
    key: String,
    value: Node,
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }

    pub fn set(mut self, key: impl Into<String>, value: Node) -> Map {
        self.push(key, value);
        self
    }

    pub fn str(self, key: impl Into<String>, value: impl Into<String>) -> Map {
        self.set(key, Node::Str(value.into()))
    }

    pub fn raw(self, key: impl Into<String>, value: impl ToString) -> Map {
        self.set(key, Node::Raw(value.to_string()))
    }

    pub fn map(self, key: impl Into<String>, value: Map) -> Map {
        self.set(key, Node::Map(value))
    }

    pub fn list(self, key: impl Into<String>, items: Vec<Node>) -> Map {
        self.set(key, Node::List(items))
    }

    pub fn script(self, key: impl Into<String>, script: impl Into<String>) -> Map {
        self.set(key, Node::Script(script.into()))
    }

    /// A comment (one or more lines) written above the next entry.
    pub fn comment(mut self, text: &str) -> Map {
        self.pending.extend(text.lines().map(str::to_string));
        self
    }

    /// An empty line before the next entry.
    pub fn blank(mut self) -> Map {
        self.blank_next = true;
        self
    }

    pub fn push(&mut self, key: impl Into<String>, value: Node) {
        self.entries.push(Entry {
            comments: std::mem::take(&mut self.pending),
            blank_before: std::mem::take(&mut self.blank_next),
            key: key.into(),
            value,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Strings as list items.
pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Node {
    Node::List(
        items
            .into_iter()
            .map(|s| Node::Str(s.as_ref().to_string()))
            .collect(),
    )
}

/// The document: a top-level map.
pub fn document(map: &Map) -> String {
    let mut out = String::new();
    write_map(map, 0, &mut out);
    out
}

fn write_map(map: &Map, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for entry in &map.entries {
        if entry.blank_before {
            out.push('\n');
        }
        for line in &entry.comments {
            write_comment(&pad, line, out);
        }
        let _ = write!(out, "{pad}{}:", key(&entry.key));
        write_value(&entry.value, indent, out);
    }
}

fn write_comment(pad: &str, line: &str, out: &mut String) {
    if line.is_empty() {
        let _ = writeln!(out, "{pad}#");
    } else {
        let _ = writeln!(out, "{pad}# {line}");
    }
}

/// Writes what follows `key:` (or `-`), the value of an entry at `indent`.
fn write_value(value: &Node, indent: usize, out: &mut String) {
    match value {
        Node::Str(s) => {
            let _ = writeln!(out, " {}", scalar(s));
        }
        Node::Raw(s) => {
            let _ = writeln!(out, " {s}");
        }
        Node::Script(text) => write_script(text, indent + 2, out),
        Node::Map(map) if map.is_empty() => out.push_str(" {}\n"),
        Node::Map(map) => {
            out.push('\n');
            write_map(map, indent + 2, out);
        }
        Node::List(items) if items.is_empty() => out.push_str(" []\n"),
        Node::List(items) => {
            out.push('\n');
            for item in items {
                write_item(item, indent + 2, out);
            }
        }
    }
}

/// One list item at `indent`: `- value`, a map's first entry on the dash's line.
fn write_item(item: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match item {
        Node::Map(map) if !map.is_empty() => {
            let mut inner = String::new();
            write_map(map, indent + 2, &mut inner);
            // The first line that is not a comment or blank takes the dash.
            let inner_pad = " ".repeat(indent + 2);
            let mut dashed = false;
            for line in inner.split_inclusive('\n') {
                let content = line.trim_start();
                if !dashed && !content.is_empty() && !content.starts_with('#') {
                    let _ = write!(out, "{pad}- {}", &line[inner_pad.len()..]);
                    dashed = true;
                } else {
                    out.push_str(line);
                }
            }
        }
        other => {
            let _ = write!(out, "{pad}-");
            write_value(other, indent, out);
        }
    }
}

fn write_script(text: &str, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    // `|` keeps one final newline, `|-` none; an indentation indicator is needed when the
    // first line starts with a space.
    let chomp = if text.ends_with('\n') { "" } else { "-" };
    let indicator = if text.starts_with(' ') { "2" } else { "" };
    let _ = writeln!(out, " |{indicator}{chomp}");
    for line in text.trim_end_matches('\n').split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
}

/// A string as a YAML scalar: plain when it can only be read as this string, else
/// double-quoted.
pub fn scalar(s: &str) -> String {
    if is_plain(s) && !is_special_word(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// Keys are plain like GitHub writes them (`on:` included: YAML 1.2 reads it as a string,
/// as GitHub does).
fn key(s: &str) -> String {
    if is_plain(s) && !matches!(s, "true" | "false" | "null" | "True" | "False" | "Null") {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A string a parser can only read as itself: it starts with a letter, `_`, `/` or `$`
/// (`${{ … }}`), does not end in a space, and holds no `:` or `#` (which could start a
/// mapping or a comment), no quotes other than `'` and no backslash.
fn is_plain(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '_' | '/' | '$'))
        && !s.ends_with(' ')
        && chars.all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '_' | '.'
                        | '/'
                        | '@'
                        | '+'
                        | '-'
                        | ' '
                        | '$'
                        | '{'
                        | '}'
                        | '('
                        | ')'
                        | '|'
                        | '&'
                        | '!'
                        | '='
                        | '\''
                        | '<'
                        | '>'
                        | ','
                )
        })
}

/// Words YAML 1.1 parsers read as booleans or null.
fn is_special_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    )
}

/// Single quotes (only `'` is escaped, as `''`) for one line of printable text; JSON's
/// double quotes, which YAML reads too, for anything else.
fn quoted(s: &str) -> String {
    if s.chars().all(|c| !c.is_control()) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(scalar("ubuntu-latest"), "ubuntu-latest");
        assert_eq!(scalar("actions/checkout@v4"), "actions/checkout@v4");
        assert_eq!(scalar("on"), "'on'");
        assert_eq!(scalar("1.0"), "'1.0'");
        assert_eq!(scalar("a: 'b'"), "'a: ''b'''");
        assert_eq!(scalar("a\nb"), "\"a\\nb\"");
        assert_eq!(scalar("${{ x }}"), "${{ x }}");
        assert_eq!(scalar("Check out (the plan)"), "Check out (the plan)");
        assert_eq!(scalar("a #b"), "'a #b'");
        assert_eq!(scalar("{a}"), "'{a}'");
        assert_eq!(scalar(""), "''");
        assert_eq!(key("on"), "on");
    }

    #[test]
    fn writes_block_style() {
        let doc = Map::new()
            .comment("top")
            .str("name", "x")
            .map("on", Map::new().map("push", Map::new()))
            .blank()
            .list(
                "steps",
                vec![
                    Node::Map(
                        Map::new()
                            .comment("first")
                            .str("uses", "a@v1")
                            .map("with", Map::new().str("k", "v")),
                    ),
                    Node::Map(Map::new().script("run", "echo hi\necho there\n")),
                    Node::Str("plain".into()),
                ],
            );
        assert_eq!(
            document(&doc),
            "# top\nname: x\non:\n  push: {}\n\nsteps:\n    # first\n  - uses: a@v1\n    with:\n      k: v\n  - run: |\n      echo hi\n      echo there\n  - plain\n"
        );
    }
}
