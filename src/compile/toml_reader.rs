//! Reading TOML with spans, collecting every problem instead of stopping at the first.
//!
//! serde stops at the first error and forgets where values were; release managers need every
//! problem at once, each pointing at its spot. So inputs are parsed with toml's recoverable
//! parser into a spanned tree, and the readers in `manifest` and `plan_reader` walk it with
//! [`Fields`], which remembers which keys a table is expected to have, so that any other key
//! is reported with a did-you-mean.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::compile::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::source::{FileId, Sp};

pub type Value<'i> = Spanned<DeValue<'i>>;

/// The file being read and the place its problems go.
pub struct Cx<'d> {
    pub file: FileId,
    pub diags: &'d mut Diagnostics,
}

impl Cx<'_> {
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    pub fn error(
        &mut self,
        code: Code,
        message: String,
        span: &std::ops::Range<usize>,
        label: &str,
    ) {
        let diagnostic = Diagnostic::error(code, message).at(self.file, span.clone(), label);
        self.diags.push(diagnostic);
    }

    fn wrong_type(&mut self, value: &Value<'_>, what: &str, expected: &str) {
        self.error(
            Code::WrongType,
            format!("{what} must be {expected}, not {}", a_type(value.get_ref())),
            &value.span(),
            &format!("expected {expected}"),
        );
    }

    pub fn string(&mut self, value: &Value<'_>, what: &str) -> Option<Sp<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(Sp::new(s.to_string(), value.span())),
            _ => {
                self.wrong_type(value, what, "a string");
                None
            }
        }
    }

    /// A whole number from 0 to `max`.
    pub fn count(&mut self, value: &Value<'_>, what: &str, max: u32) -> Option<Sp<u32>> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => integer(i),
            _ => None,
        };
        match parsed
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= max)
        {
            Some(n) => Some(Sp::new(n, value.span())),
            None if matches!(value.get_ref(), DeValue::Integer(_)) => {
                self.error(
                    Code::InvalidValue,
                    format!("{what} must be between 0 and {max}"),
                    &value.span(),
                    "out of range",
                );
                None
            }
            None => {
                self.wrong_type(value, what, "a whole number from 0");
                None
            }
        }
    }

    pub fn string_list(&mut self, value: &Value<'_>, what: &str) -> Option<Sp<Vec<Sp<String>>>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(value, what, "an array of strings");
            return None;
        };
        let strings = items
            .iter()
            .filter_map(|item| self.string(item, &format!("each entry of {what}")))
            .collect();
        Some(Sp::new(strings, value.span()))
    }

    pub fn table<'t, 'i>(&mut self, value: &'t Value<'i>, what: &str) -> Option<&'t DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(value, what, "a table");
                None
            }
        }
    }

    /// An array of tables, such as `[[step]]`.
    pub fn tables<'t, 'i>(&mut self, value: &'t Value<'i>, what: &str) -> Vec<&'t Value<'i>> {
        match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter(|item| match item.get_ref() {
                    DeValue::Table(_) => true,
                    _ => {
                        self.wrong_type(item, what, "a table");
                        false
                    }
                })
                .collect(),
            _ => {
                self.wrong_type(value, what, "an array of tables");
                Vec::new()
            }
        }
    }
}

fn integer(value: &toml::de::DeInteger<'_>) -> Option<i64> {
    i64::from_str_radix(value.as_str(), value.radix()).ok()
}

fn a_type(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Parses a whole document, reporting every syntax error it can recover from. `None` when
/// there were any: reading a half-parsed document would only add follow-on errors.
pub fn parse_document<'i>(text: &'i str, cx: &mut Cx<'_>) -> Option<DeTable<'i>> {
    let (table, errors) = DeTable::parse_recoverable(text);
    let valid = errors.is_empty();
    for error in errors {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim().to_string();
        cx.report(
            Diagnostic::error(Code::TomlSyntax, format!("invalid TOML: {message}"))
                .at(cx.file, span, "here"),
        );
    }
    valid.then(|| table.into_inner())
}

/// The keys of one table, read one by one; what is left over was not expected.
pub struct Fields<'t, 'i> {
    table: &'t DeTable<'i>,
    /// How users name this table in messages, e.g. `[release]` or `[repo.blvm-node]`.
    name: String,
    known: Vec<&'static str>,
}

impl<'t, 'i> Fields<'t, 'i> {
    pub fn new(table: &'t DeTable<'i>, name: impl Into<String>) -> Self {
        Fields {
            table,
            name: name.into(),
            known: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of an expected key, if present.
    pub fn get(&mut self, key: &'static str) -> Option<&'t Value<'i>> {
        self.known.push(key);
        self.table.get(key)
    }

    pub fn string(&mut self, cx: &mut Cx<'_>, key: &'static str) -> Option<Sp<String>> {
        let what = format!("`{key}` in {}", self.name);
        self.get(key).and_then(|v| cx.string(v, &what))
    }

    pub fn string_list(
        &mut self,
        cx: &mut Cx<'_>,
        key: &'static str,
    ) -> Option<Sp<Vec<Sp<String>>>> {
        let what = format!("`{key}` in {}", self.name);
        self.get(key).and_then(|v| cx.string_list(v, &what))
    }

    pub fn count(&mut self, cx: &mut Cx<'_>, key: &'static str, max: u32) -> Option<Sp<u32>> {
        let what = format!("`{key}` in {}", self.name);
        self.get(key).and_then(|v| cx.count(v, &what, max))
    }

    /// Reports every key that was not asked for, as an error or a warning.
    pub fn finish(self, cx: &mut Cx<'_>, severity: Severity) {
        for (key, value) in self.table.iter() {
            let key_name: &str = key.get_ref();
            if self.known.contains(&key_name) {
                continue;
            }
            let message = format!("unknown key `{key_name}` in {}", self.name);
            let diagnostic = match severity {
                Severity::Error => Diagnostic::error(Code::UnknownKey, message),
                Severity::Warning => Diagnostic::warning(Code::UnknownKey, message),
            };
            let help = did_you_mean(key_name, self.known.iter().copied())
                .unwrap_or_else(|| format!("{} accepts: {}", self.name, self.known.join(", ")));
            let span = key.span().start..value.span().end.max(key.span().end);
            let span = if span.end - span.start > 200 {
                key.span()
            } else {
                span
            };
            cx.report(diagnostic.at(cx.file, span, "not expected here").help(help));
        }
    }
}

/// Converts a TOML value into JSON, for payloads and inputs that are passed on unchanged.
pub fn to_json(value: &DeValue<'_>) -> serde_json::Value {
    match value {
        DeValue::String(s) => serde_json::Value::String(s.to_string()),
        DeValue::Integer(i) => integer(i).map_or_else(
            || serde_json::Value::String(i.to_string()),
            serde_json::Value::from,
        ),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        DeValue::Boolean(b) => serde_json::Value::Bool(*b),
        DeValue::Datetime(d) => serde_json::Value::String(d.to_string()),
        DeValue::Array(items) => items.iter().map(|v| to_json(v.get_ref())).collect(),
        DeValue::Table(table) => serde_json::Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.get_ref().to_string(), to_json(v.get_ref())))
                .collect(),
        ),
    }
}
