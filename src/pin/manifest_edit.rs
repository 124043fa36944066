//! Writing pinned commits into `versions.toml` without touching anything else: the manifest
//! belongs to its users, so comments, blank lines, key order, spacing and quoting stay
//! byte for byte, and only each pinned entry's `git_commit` value changes (toml_edit, a
//! format-preserving TOML editor).
//!
//! Each entry shape is filled where it keeps its shape: `git_commit = ""` in an inline table
//! gets its value (with the spaces around it), an inline table or `[versions.NAME]` table
//! without `git_commit` gets the key after its last one, and the flat `name = "v0.1.0"`
//! form, which has no room for a commit, becomes `name = { git_tag = "v0.1.0", git_commit
//! = "…" }`, which reads the same way (the version still comes from the tag).

use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

/// An entry of `[versions]` as found in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// `None` when the entry has no `git_commit` key (or is the flat form).
    pub git_commit: Option<String>,
}

/// The entries of `[versions]` that can hold a commit, in file order.
pub fn entries(text: &str) -> Result<Vec<Entry>, String> {
    let document = parse(text)?;
    let Some(versions) = document.get("versions").and_then(Item::as_table_like) else {
        return Ok(Vec::new());
    };
    Ok(versions
        .iter()
        .filter_map(|(name, item)| {
            let git_commit = match item {
                Item::Value(Value::String(_)) => None,
                Item::Value(Value::InlineTable(table)) => string(table.get("git_commit")),
                Item::Table(table) => string(table.get("git_commit").and_then(Item::as_value)),
                _ => return None,
            };
            Some(Entry {
                name: name.to_string(),
                git_commit,
            })
        })
        .collect())
}

fn string(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_string)
}

/// `text` with `git_commit` of each named entry set to its commit.
pub fn fill(text: &str, commits: &[(String, String)]) -> Result<String, String> {
    let mut document = parse(text)?;
    let versions = document
        .get_mut("versions")
        .and_then(Item::as_table_like_mut)
        .ok_or("the manifest has no [versions] table")?;
    for (name, commit) in commits {
        let item = versions
            .get_mut(name)
            .ok_or_else(|| format!("[versions] has no entry `{name}`"))?;
        match item {
            Item::Value(Value::InlineTable(table)) => set_inline(table, commit),
            Item::Table(table) => set_table(table, commit),
            Item::Value(flat @ Value::String(_)) => {
                let tag = flat.as_str().unwrap_or_default().to_string();
                let mut table = InlineTable::new();
                table.insert("git_tag", tag.into());
                table.insert("git_commit", commit.as_str().into());
                table.fmt();
                let mut value = Value::InlineTable(table);
                *value.decor_mut() = flat.decor().clone();
                *flat = value;
            }
            _ => return Err(format!("the entry `{name}` cannot hold a git_commit")),
        }
    }
    Ok(document.to_string())
}

fn parse(text: &str) -> Result<DocumentMut, String> {
    text.parse::<DocumentMut>()
        .map_err(|e| format!("not valid TOML: {e}"))
}

/// Sets the value, keeping the spaces around it; a new key goes last, taking over the
/// space before the closing brace.
fn set_inline(table: &mut InlineTable, commit: &str) {
    if let Some(old) = table.get_mut("git_commit") {
        replace(old, commit);
        return;
    }
    let mut value = Value::from(commit);
    let last = table.iter_mut().last().map(|(_, last)| last);
    let suffix = match last {
        Some(last) => {
            let suffix = last.decor().suffix().cloned();
            last.decor_mut().set_suffix("");
            suffix
        }
        None => None,
    };
    value.decor_mut().set_prefix(" ");
    if let Some(suffix) = suffix {
        value.decor_mut().set_suffix(suffix);
    }
    table.insert("git_commit", value);
}

fn set_table(table: &mut Table, commit: &str) {
    match table.get_mut("git_commit").and_then(Item::as_value_mut) {
        Some(old) => replace(old, commit),
        None => {
            table.insert("git_commit", toml_edit::value(commit));
        }
    }
}

fn replace(old: &mut Value, commit: &str) {
    let decor = old.decor().clone();
    *old = Value::from(commit);
    *old.decor_mut() = decor;
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn pins(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| (n.to_string(), SHA.to_string()))
            .collect()
    }

    #[test]
    fn only_the_commit_changes_in_every_entry_shape() {
        let text = "# head\n[versions]\n\
                    a = { version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"\" }  # pinned later\n\
                    b = {version=\"0.1.0\",git_tag=\"v0.1.0\"}\n\
                    c = \"v0.3.0\" # flat\n\
                    \n\
                    [versions.d]\nversion = \"0.1.0\"\ngit_tag = \"v0.1.0\" # d's tag\n\n\
                    [metadata]\nx = 1\n";
        let filled = fill(text, &pins(&["a", "b", "c", "d"])).expect("filled");
        assert_eq!(
            filled,
            format!(
                "# head\n[versions]\n\
                 a = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"{SHA}\" }}  # pinned later\n\
                 b = {{version=\"0.1.0\",git_tag=\"v0.1.0\", git_commit = \"{SHA}\"}}\n\
                 c = {{ git_tag = \"v0.3.0\", git_commit = \"{SHA}\" }} # flat\n\
                 \n\
                 [versions.d]\nversion = \"0.1.0\"\ngit_tag = \"v0.1.0\" # d's tag\ngit_commit = \"{SHA}\"\n\n\
                 [metadata]\nx = 1\n"
            )
        );
        let read: Vec<Entry> = entries(&filled).expect("entries");
        assert!(
            read.iter().all(|e| e.git_commit.as_deref() == Some(SHA)),
            "{read:?}"
        );
        assert_eq!(
            fill(&filled, &pins(&["a", "b", "c", "d"])),
            Ok(filled.clone())
        );
    }

    #[test]
    fn entries_say_what_is_pinned() {
        let text = "[versions]\na = { git_tag = \"v1.0.0\", git_commit = \"\" }\nb = \"v1.0.0\"\n\
                    [versions.develop]\nversion = \"\"\n[versions.develop.dependencies]\na = \"\"\n";
        assert_eq!(
            entries(text).expect("entries"),
            [
                Entry {
                    name: "a".into(),
                    git_commit: Some(String::new())
                },
                Entry {
                    name: "b".into(),
                    git_commit: None
                },
                Entry {
                    name: "develop".into(),
                    git_commit: None
                },
            ]
        );
    }

    #[test]
    fn what_cannot_be_filled_says_why() {
        assert_eq!(
            fill("[versions]\na = \"v1\"\n", &pins(&["b"])),
            Err("[versions] has no entry `b`".into())
        );
        assert_eq!(
            fill("[other]\n", &pins(&["a"])),
            Err("the manifest has no [versions] table".into())
        );
        assert!(fill("[versions\n", &pins(&["a"])).is_err_and(|e| e.starts_with("not valid TOML")));
    }
}
