//! `{name}` placeholders in tags, payloads and workflow inputs, replaced at compile time so
//! the compiled plan holds concrete values.

/// Placeholders allowed in `release.tag`.
pub const TAG_PLACEHOLDERS: &[&str] = &["version"];

/// Placeholders allowed in payloads and inputs.
pub const PAYLOAD_PLACEHOLDERS: &[&str] = &["version", "tag", "name", "job", "repo", "ref"];

/// Names of the `{identifier}` placeholders in a string, in order.
pub fn names(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_identifier(&after[..close]) => {
                found.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    found
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replaces every known placeholder; unknown ones were reported when the plan was read.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
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
    }
}
