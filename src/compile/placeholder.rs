//! `{name}` placeholders in tags, payloads and workflow inputs, replaced at compile time so
//! the compiled plan holds concrete values.

/// Placeholders allowed in `release.tag`.
pub const TAG_PLACEHOLDERS: &[&str] = &["version"];

/// Placeholders allowed in payloads and inputs.
pub const PAYLOAD_PLACEHOLDERS: &[&str] = &["version", "tag", "name", "job", "repo", "ref"];

/// The `{identifier}` placeholders of a string, each with its byte range, in order.
fn find(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('{').map(|i| from + i) {
        let inner_start = open + 1;
        match text[inner_start..]
            .find(['{', '}'])
            .map(|i| inner_start + i)
        {
            Some(close)
                if text[close..].starts_with('}') && is_identifier(&text[inner_start..close]) =>
            {
                found.push((open..close + 1, &text[inner_start..close]));
                from = close + 1;
            }
            _ => from = inner_start,
        }
    }
    found
}

/// Names of the `{identifier}` placeholders in a string, in order.
pub fn names(text: &str) -> Vec<&str> {
    find(text).into_iter().map(|(_, name)| name).collect()
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replaces every known placeholder in one pass, so values are never substituted again;
/// unknown ones were reported when the plan was read and are left as written.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, name) in find(text) {
        if let Some((_, value)) = values.iter().find(|(n, _)| *n == name) {
            out.push_str(&text[last..range.start]);
            out.push_str(value);
            last = range.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// [`fill`] applied to every string inside a JSON value.
pub fn fill_json(value: &serde_json::Value, values: &[(&str, &str)]) -> serde_json::Value {
    match value {
        serde_json::Value::String(s) => serde_json::Value::String(fill(s, values)),
        serde_json::Value::Array(items) => items.iter().map(|v| fill_json(v, values)).collect(),
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_json(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_fills_placeholders() {
        assert_eq!(
            names("v{version}-{tag} {not a name} {}"),
            vec!["version", "tag"]
        );
        assert_eq!(fill("v{version}", &[("version", "1.0.0")]), "v1.0.0");
        // Values are not substituted again, and unknown names stay as written.
        assert_eq!(
            fill("{name}/{x}", &[("name", "R {ref}"), ("ref", "v1")]),
            "R {ref}/{x}"
        );
        assert_eq!(names("{{tag}}"), vec!["tag"]);
    }
}
