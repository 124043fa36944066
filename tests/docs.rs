//! The project carries its own contracts: the docs index names every document in docs/, the
//! README points at it, and no file refers to a document outside the repository.

use std::path::Path;

use crate::common::root;

fn text_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | ".git") {
                text_files(&path, out);
            }
        } else if [".rs", ".md", ".yml", ".toml", ".sh", ".snap", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext))
            || name == "run"
        {
            out.push(path);
        }
    }
}

#[test]
fn nothing_refers_to_a_document_outside_the_repository() {
    // Spelt in pieces so that this file does not mention them itself.
    let outside = [["DESIGN", ".md"].concat(), ["..", "/shared"].concat()];
    let mut files = Vec::new();
    text_files(root(), &mut files);
    assert!(files.len() > 50);
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            outside.iter().any(|o| text.contains(o.as_str()))
        })
        .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "these refer outside the repository: {offenders:?}"
    );
}

#[test]
fn the_docs_index_lists_every_document_and_the_readme_links_it() {
    let index = std::fs::read_to_string(root().join("docs/README.md")).unwrap();
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name != "README.md" {
            assert!(
                index.contains(&format!("]({name})")),
                "docs/README.md lists {name}"
            );
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("(docs/README.md)"));
    assert!(readme.contains("## Adopting relplan in an organisation"));
}

#[test]
fn every_preflight_code_is_documented() {
    let source = std::fs::read_to_string(root().join("src/preflight/finding.rs")).unwrap();
    let codes: Vec<&str> = source
        .split('"')
        .filter(|s| s.starts_with("preflight::"))
        .collect();
    assert_eq!(codes.len(), 32);
    let docs = std::fs::read_to_string(root().join("docs/preflight.md")).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for code in codes {
        assert!(
            docs.contains(&format!("`{code}`")),
            "docs/preflight.md lists {code}"
        );
        let name = code.trim_start_matches("preflight::");
        assert!(readme.contains(&format!("`{name}`")), "README lists {code}");
    }
}

#[test]
fn every_verify_code_is_documented() {
    let source = std::fs::read_to_string(root().join("src/verify/finding.rs")).unwrap();
    let codes: Vec<&str> = source
        .split('"')
        .filter(|s| s.starts_with("verify::"))
        .collect();
    assert_eq!(codes.len(), 24);
    let verify = std::fs::read_to_string(root().join("docs/verify.md")).unwrap();
    let cli = std::fs::read_to_string(root().join("docs/cli.md")).unwrap();
    for code in codes {
        let quoted = format!("`{code}`");
        assert!(verify.contains(&quoted), "docs/verify.md lists {code}");
        assert!(cli.contains(&quoted), "docs/cli.md lists {code}");
    }
}

/// The top-level folders of the repository whose paths the README may name.
const REPOSITORY_FOLDERS: &[&str] = &[
    "plans/", "tests/", "docs/", "schema/", "scripts/", "src/", "benches/", ".ci/",
];

/// Paths the README names that are the reader's own, not this repository's: the plan an
/// organisation writes for itself in the adoption guide.
const READERS_OWN: &[&str] = &["plans/release.toml"];

/// Every path of this repository the README names, in links, code and commands alike.
fn paths_named_by_the_readme(readme: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for word in readme.split(|c: char| c.is_whitespace() || "`()[]\"'=,;|<>".contains(c)) {
        let path = word.split('#').next().unwrap_or_default();
        let path = path.trim_end_matches(['.', ':']);
        let in_repository = REPOSITORY_FOLDERS.iter().any(|f| path.starts_with(f))
            || ["action.yml", "ARCHITECTURE.md", "Cargo.toml", "README.md"].contains(&path);
        // Patterns and placeholders (`tests/cases/check/*/`, `<tag>`, `…`) name no one path.
        let placeholder = path.contains(['*', '{', '…']) || path.contains("DIR");
        if in_repository && !placeholder && !READERS_OWN.contains(&path) {
            paths.push(path.to_string());
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn every_path_the_readme_names_exists() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let paths = paths_named_by_the_readme(&readme);
    assert!(paths.len() > 20, "the README's paths were found: {paths:?}");
    let missing: Vec<&String> = paths.iter().filter(|p| !root().join(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "the README names paths that do not exist: {missing:?}"
    );
}

#[test]
fn example_scenarios_live_in_one_folder_and_the_readme_names_them() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let named = paths_named_by_the_readme(&readme);
    let scenarios: Vec<&String> = named
        .iter()
        .filter(|p| p.contains("scenarios/") && p.ends_with(".toml"))
        .collect();
    assert!(!scenarios.is_empty());
    for scenario in &scenarios {
        assert!(
            scenario.starts_with("plans/scenarios/"),
            "the README's example scenario {scenario} is not in plans/scenarios/"
        );
    }
    // And every example there is one the README names.
    for entry in std::fs::read_dir(root().join("plans/scenarios")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let path = format!("plans/scenarios/{name}");
        assert!(
            scenarios.contains(&&path),
            "the README does not name the example scenario {path}"
        );
    }
}
