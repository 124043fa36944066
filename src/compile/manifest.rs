//! Reading `versions.toml`: which repositories are released together, at which version and
//! tag, requiring which others.
//!
//! The manifest belongs to the users, not to relplan: every shape found in their history is
//! accepted as it is (inline tables, the flat `name = "v0.1.0"` form, `[modules]`,
//! `[metadata]`, `[release_set]`, channel tables such as `[versions.develop]`). Problems that
//! concern one entry are found here; problems between entries are found in `validate`.

use std::collections::HashMap;

use semver::Version;
use toml::de::{DeTable, DeValue};

use crate::compile::toml_reader::{Cx, Fields, Value, parse_document};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::source::{FileId, Sp, Span};

#[derive(Clone, Debug)]
pub struct Manifest {
    pub file: FileId,
    /// Repositories of the release set, in source order.
    pub entries: Vec<Entry>,
    /// Independently released modules: part of a release only when a plan names them.
    pub modules: Vec<Module>,
    /// Position of each entry by name, so lookups stay O(1) on manifests of thousands.
    index: HashMap<String, usize>,
}

/// One repository of `[versions]`.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: Sp<String>,
    /// `None` when missing or not semver (already reported).
    pub version: Option<Sp<Version>>,
    pub git_tag: Option<Sp<String>>,
    pub git_commit: Option<Sp<String>>,
    pub requires: Vec<Require>,
}

/// One `requires = ["name=1.2.3"]` item.
#[derive(Clone, Debug)]
pub struct Require {
    pub name: String,
    pub version: Option<Version>,
    pub span: Span,
}

/// One entry of `[modules]`.
#[derive(Clone, Debug)]
pub struct Module {
    pub name: Sp<String>,
    pub git_tag: Option<Sp<String>>,
}

impl Manifest {
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.index.get(name).map(|&i| &self.entries[i])
    }

    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules.iter().find(|m| *m.name == name)
    }
}

/// Reads a manifest, reporting every problem found in single entries; `None` when it is not
/// valid TOML.
pub fn read(text: &str, cx: &mut Cx<'_>) -> Option<Manifest> {
    let root = parse_document(text, cx)?;
    let mut manifest = Manifest {
        file: cx.file,
        entries: Vec::new(),
        modules: Vec::new(),
        index: HashMap::new(),
    };
    match root.get("versions") {
        Some(versions) => {
            if let Some(table) = cx.table(versions, "[versions]") {
                for (name, value) in table.iter() {
                    let name = Sp::new(name.get_ref().to_string(), name.span());
                    if let Some(entry) = read_entry(name, value, cx) {
                        manifest.index.insert(entry.name.value.clone(), manifest.entries.len());
                        manifest.entries.push(entry);
                    }
                }
                if manifest.entries.is_empty() {
                    cx.report(
                        Diagnostic::error(Code::EmptyManifest, "the manifest lists no repositories")
                            .at(cx.file, versions.span(), "no repository entries here")
                            .help("add entries under [versions], e.g. name = { version = \"0.1.0\", git_tag = \"v0.1.0\" }"),
                    );
                }
            }
        }
        None => cx.report(
            Diagnostic::error(Code::MissingKey, "the manifest has no [versions] table")
                .at(cx.file, 0..0, "expected [versions] in this file")
                .help("add `[versions]` with one `name = { version = \"…\", git_tag = \"…\" }` per repository"),
        ),
    }
    if let Some(modules) = root.get("modules").and_then(|m| cx.table(m, "[modules]")) {
        manifest.modules = read_modules(modules, cx);
    }
    Some(manifest)
}

/// `None` for children of `[versions]` that are not repositories, such as `[versions.develop]`.
fn read_entry(name: Sp<String>, value: &Value<'_>, cx: &mut Cx<'_>) -> Option<Entry> {
    match value.get_ref() {
        DeValue::String(tag) => {
            let tag = Sp::new(tag.to_string(), value.span());
            let version = version_from_tag(&tag, cx);
            Some(Entry {
                name,
                version,
                git_tag: Some(tag),
                git_commit: None,
                requires: Vec::new(),
            })
        }
        DeValue::Table(table) if is_repository(table) => Some(read_entry_table(name, table, cx)),
        DeValue::Table(_) => None,
        _ => {
            cx.string(value, &format!("`{}` in [versions]", *name));
            None
        }
    }
}

/// A table that nests other tables and has neither a version nor a tag (like the develop
/// channel's metadata) is something else. Every other table is read as a repository, so a
/// misspelt or empty entry is reported rather than silently left out.
fn is_repository(table: &DeTable<'_>) -> bool {
    let nests_tables = table
        .values()
        .any(|v| matches!(v.get_ref(), DeValue::Table(_)));
    let non_empty = |key| {
        table
            .get(key)
            .is_some_and(|v| v.get_ref().as_str().is_some_and(|s| !s.is_empty()))
    };
    !nests_tables || non_empty("version") || non_empty("git_tag")
}

fn read_entry_table(name: Sp<String>, table: &DeTable<'_>, cx: &mut Cx<'_>) -> Entry {
    let mut fields = Fields::new(table, format!("the entry `{}`", *name));
    let version_text = fields.string(cx, "version");
    let git_tag = fields.string(cx, "git_tag");
    let git_commit = fields.string(cx, "git_commit");
    let requires = fields.string_list(cx, "requires");
    fields.get("binaries");
    fields.finish(cx, Severity::Warning);

    let version = match (&version_text, &git_tag) {
        (Some(text), _) => parse_version(text, cx),
        (None, Some(tag)) => version_from_tag(tag, cx),
        (None, None) => {
            cx.report(
                Diagnostic::error(
                    Code::MissingKey,
                    format!("the entry `{}` has no version", *name),
                )
                .at(cx.file, name.span.clone(), "no `version` or `git_tag`")
                .help(format!(
                    "write {} = {{ version = \"0.1.0\", git_tag = \"v0.1.0\" }}",
                    *name
                )),
            );
            None
        }
    };
    if let (Some(version), Some(tag)) = (&version, &git_tag)
        && version_text.is_some()
        && !tag_matches(tag, version)
    {
        cx.report(
            Diagnostic::warning(
                Code::TagMismatch,
                format!(
                    "`{}` has version {} but git_tag `{}`",
                    *name, **version, **tag
                ),
            )
            .at(cx.file, tag.span.clone(), "does not match the version")
            .help(format!("set git_tag = \"v{}\"", **version))
            .grouped(
                "entries have a git_tag that does not match their version",
                name.as_str(),
                "set each git_tag to `v` and the entry's version",
            ),
        );
    }
    if let Some(commit) = &git_commit {
        check_commit(commit, cx);
    }
    let mut parsed: Vec<Require> = Vec::new();
    for item in requires.iter().flat_map(|list| list.iter()) {
        let Some(require) = parse_require(item, cx) else {
            continue;
        };
        if parsed.iter().any(|r| r.name == require.name) {
            cx.report(
                Diagnostic::warning(
                    Code::InvalidRequire,
                    format!("`{}` is required twice by `{}`", require.name, *name),
                )
                .at(cx.file, require.span.clone(), "already required")
                .help("remove the repeated requirement"),
            );
            continue;
        }
        parsed.push(require);
    }
    Entry {
        name,
        version,
        git_tag,
        git_commit,
        requires: parsed,
    }
}

fn tag_matches(tag: &str, version: &Version) -> bool {
    tag.strip_prefix('v').unwrap_or(tag) == version.to_string()
}

fn parse_version(text: &Sp<String>, cx: &mut Cx<'_>) -> Option<Sp<Version>> {
    match Version::parse(text) {
        Ok(version) => Some(Sp::new(version, text.span.clone())),
        Err(error) => {
            let help = if text.is_empty() {
                "set a version such as \"0.1.0\"".to_string()
            } else if let Some(rest) = text.strip_prefix('v')
                && Version::parse(rest).is_ok()
            {
                format!("drop the leading `v`: \"{rest}\"")
            } else {
                "versions are MAJOR.MINOR.PATCH, e.g. \"1.2.0\" or \"1.2.0-rc.1\"".to_string()
            };
            cx.report(
                Diagnostic::error(
                    Code::InvalidSemver,
                    if text.is_empty() {
                        "the version is empty".to_string()
                    } else {
                        format!("`{}` is not a semantic version", **text)
                    },
                )
                .at(cx.file, text.span.clone(), error.to_string())
                .help(help),
            );
            None
        }
    }
}

fn version_from_tag(tag: &Sp<String>, cx: &mut Cx<'_>) -> Option<Sp<Version>> {
    let bare = tag.strip_prefix('v').unwrap_or(tag);
    match Version::parse(bare) {
        Ok(version) => Some(Sp::new(version, tag.span.clone())),
        Err(_) => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidSemver,
                    format!("no version can be read from the tag `{}`", **tag),
                )
                .at(cx.file, tag.span.clone(), "not `v` + a semantic version")
                .help("use the table form: name = { version = \"1.2.0\", git_tag = \"…\" }"),
            );
            None
        }
    }
}

fn check_commit(commit: &Sp<String>, cx: &mut Cx<'_>) {
    let is_sha = (7..=40).contains(&commit.len()) && commit.chars().all(|c| c.is_ascii_hexdigit());
    if !commit.is_empty() && !is_sha {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                format!("git_commit `{}` is not a commit SHA", **commit),
            )
            .at(cx.file, commit.span.clone(), "expected 7 to 40 hex digits")
            .help("pin the full 40-character SHA, or leave it empty"),
        );
    }
}

/// `"name=1.2.3"` or `"name"`.
fn parse_require(item: &Sp<String>, cx: &mut Cx<'_>) -> Option<Require> {
    let (name, version) = match item.split_once('=') {
        Some((name, version)) => (name.trim(), Some(version.trim())),
        None => (item.trim(), None),
    };
    let malformed = |cx: &mut Cx<'_>, why: &str| {
        cx.report(
            Diagnostic::error(
                Code::InvalidRequire,
                format!("`{}` is not a requirement", **item),
            )
            .at(cx.file, item.span.clone(), why)
            .help("write requirements as \"name=1.2.3\""),
        );
        None
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return malformed(cx, "expected a repository name before `=`");
    }
    let version = match version {
        None => None,
        Some(text) => match Version::parse(text.trim_start_matches('=')) {
            Ok(v) => Some(v),
            Err(_) => return malformed(cx, "expected a semantic version after `=`"),
        },
    };
    Some(Require {
        name: name.to_string(),
        version,
        span: item.span.clone(),
    })
}

fn read_modules(table: &DeTable<'_>, cx: &mut Cx<'_>) -> Vec<Module> {
    table
        .iter()
        .filter_map(|(name, value)| {
            let module = cx.table(value, &format!("the module `{}`", name.get_ref()))?;
            let git_tag = module
                .get("git_tag")
                .and_then(|t| cx.string(t, "`git_tag` of a module"))
                .filter(|t| !t.is_empty());
            Some(Module {
                name: Sp::new(name.get_ref().to_string(), name.span()),
                git_tag,
            })
        })
        .collect()
}
