//! What one side of a diff is, and how it is compiled. A side is a file path:
//! - `*.json`: a compiled plan;
//! - a TOML file with a `[release]` table: a release plan (`--versions` overrides its manifest);
//! - any other TOML file with a `[versions]` table: a versions.toml manifest under the
//!   default plan (`--owner` names the GitHub owner).
//!
//! Deciding from the text means `relplan diff versions.toml plan.toml` shows what adopting a
//! plan changes. Reading goes through the caller's function (disk or git), like the compiler.

use std::path::{Path, PathBuf};

use crate::compile::Options;
use crate::compile::{self, Compilation, ReadFile, Request};

/// The kind of input a side is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    CompiledPlan,
    Plan,
    Manifest,
}

/// Tells a manifest from a plan by its table headers, so even a file with syntax errors
/// is reported by the right reader.
pub fn kind(path: &Path, text: &str) -> Kind {
    if path.extension().is_some_and(|e| e == "json") {
        return Kind::CompiledPlan;
    }
    let headers: Vec<&str> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix('['))
        .filter(|rest| !rest.starts_with('['))
        .map(|rest| rest.split(['.', ']']).next().unwrap_or_default().trim())
        .collect();
    if headers.contains(&"versions") && !headers.contains(&"release") {
        Kind::Manifest
    } else {
        Kind::Plan
    }
}

/// The settings that apply to both sides.
#[derive(Clone, Debug, Default)]
pub struct Shared {
    /// Overrides the manifest of plan sides.
    pub versions: Option<PathBuf>,
    pub options: Options,
}

/// Compiles one side, read through `read`. Errors (unreadable file, invalid plan) are in the
/// compilation's diagnostics, as for `relplan check`.
pub fn compile(path: &Path, shared: &Shared, read: &mut ReadFile<'_>) -> (Kind, Compilation) {
    let kind = match read(path) {
        Ok(text) => kind(path, &text),
        // The compiler reads it again and reports the error.
        Err(_) => Kind::Plan,
    };
    let request = match kind {
        Kind::Manifest => Request {
            plan: None,
            versions: Some(path.to_path_buf()),
            options: shared.options.clone(),
        },
        Kind::Plan | Kind::CompiledPlan => Request {
            plan: Some(path.to_path_buf()),
            versions: shared.versions.clone(),
            options: shared.options.clone(),
        },
    };
    (kind, compile::compile(&request, read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_plans_from_manifests() {
        let json = Path::new("plan.json");
        let toml = Path::new("x.toml");
        assert_eq!(kind(json, ""), Kind::CompiledPlan);
        assert_eq!(kind(toml, "[versions]\na = \"v1\"\n"), Kind::Manifest);
        assert_eq!(kind(toml, "[versions.develop]\n"), Kind::Manifest);
        assert_eq!(
            kind(toml, "[release]\nversions = \"v.toml\"\n[repo.a]\n"),
            Kind::Plan
        );
        assert_eq!(kind(toml, "[release\n[versions]\n"), Kind::Plan);
        assert_eq!(kind(toml, "[[step]]\nid = \"x\"\n"), Kind::Plan);
    }
}
