//! The import rules of ARCHITECTURE.md ("Invariants"), checked on the sources: every
//! `crate::…` path in `src/` outside comments must respect [`LAYERS`], and every module
//! must belong to a layer, so a new module is placed deliberately. Also: no source points
//! at a document outside the repository.

use std::path::Path;

use crate::common::root;

/// A layer: its top-level modules and the modules it must not import.
struct Layer {
    name: &'static str,
    modules: &'static [&'static str],
    must_not_import: &'static [&'static str],
}

/// The compile stage: `src/compile/`, and the files that lived at the top before it.
const COMPILE_STAGE: &[&str] = &[
    "compile",
    "compiler",
    "duration",
    "github_names",
    "lower",
    "manifest",
    "placeholder",
    "plan_file",
    "plan_reader",
    "source",
    "suggest",
    "toml_reader",
    "validate",
];

/// Everything that runs a plan or talks about a run, which no lower layer may know.
const ABOVE_THE_PLAN: &[&str] = &[
    "cli",
    "exec",
    "backend",
    "github",
    "simulate",
    "scenario",
    "diff",
    "render",
    "schema",
    "generate",
    "preflight",
    "pin",
    "verify",
];

/// Flow: `cli` → {exec, simulate, diff, render, compile, preflight, pin, verify} → the
/// compiled plan; `backend` → exec; `backend/github.rs` → github; github knows neither the
/// executor nor backends; preflight, pin and verify read GitHub through `github` and know
/// no executor.
const LAYERS: &[Layer] = &[
    Layer {
        name: "command line",
        modules: &["cli"],
        must_not_import: &[],
    },
    Layer {
        name: "backends",
        modules: &["backend"],
        must_not_import: &["cli", "simulate", "diff", "render", "verify"],
    },
    Layer {
        name: "executor",
        modules: &["exec"],
        must_not_import: &[
            "cli",
            "backend",
            "github",
            "simulate",
            "diff",
            "render",
            "preflight",
            "pin",
            "verify",
        ],
    },
    Layer {
        name: "GitHub protocol",
        modules: &["github"],
        must_not_import: &[
            "cli",
            "exec",
            "backend",
            "simulate",
            "diff",
            "render",
            "preflight",
            "pin",
            "verify",
        ],
    },
    Layer {
        name: "checks before a release",
        modules: &["preflight", "pin"],
        must_not_import: &[
            "cli", "exec", "backend", "simulate", "scenario", "diff", "render", "verify",
        ],
    },
    Layer {
        name: "checks after a release",
        modules: &["verify"],
        must_not_import: &[
            "cli",
            "exec",
            "backend",
            "simulate",
            "scenario",
            "diff",
            "render",
            "preflight",
            "pin",
            "generate",
        ],
    },
    Layer {
        name: "simulation",
        modules: &["simulate"],
        must_not_import: &["cli", "backend", "github", "diff", "verify"],
    },
    Layer {
        name: "simulated world",
        modules: &["scenario"],
        must_not_import: &[
            "cli", "exec", "backend", "github", "simulate", "diff", "render", "verify",
        ],
    },
    Layer {
        name: "review",
        modules: &["diff"],
        must_not_import: &[
            "cli", "exec", "backend", "github", "simulate", "scenario", "verify",
        ],
    },
    Layer {
        name: "rendering",
        modules: &["render", "schema"],
        must_not_import: &[
            "cli", "exec", "backend", "github", "simulate", "scenario", "diff", "verify",
        ],
    },
    Layer {
        name: "workflow generation",
        modules: &["generate"],
        must_not_import: &[
            "cli",
            "exec",
            "backend",
            "simulate",
            "scenario",
            "diff",
            "render",
            "preflight",
            "pin",
            "verify",
        ],
    },
    Layer {
        name: "compile stage",
        modules: COMPILE_STAGE,
        must_not_import: ABOVE_THE_PLAN,
    },
    Layer {
        name: "shared contracts",
        modules: &[
            "compiled",
            "correlation",
            "dag",
            "diagnostic",
            "digest",
            "findings",
            "glob",
            "markdown",
            "atomic_file",
            "release_assets",
            "run_error",
            "bounds",
            "numbers",
            "snippet",
            "secrets",
        ],
        must_not_import: ABOVE_THE_PLAN,
    },
];

/// The top-level module a file of `src/` belongs to (`None` for the crate roots).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// The top-level modules a line names through `crate::`: `crate::a::b` gives `a`,
/// `crate::{a, b::c}` gives `a` and `b`.
fn imports(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = fs_err::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_flow_one_way() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let layer_of = |module: &str| LAYERS.iter().find(|l| l.modules.contains(&module));
    let mut violations = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("a file under src/");
        let Some(module) = module_of(relative) else {
            continue;
        };
        let Some(layer) = layer_of(&module) else {
            violations.push(format!(
                "src/{}: module `{module}` belongs to no layer; add it to LAYERS in tests/architecture.rs and to ARCHITECTURE.md",
                relative.display()
            ));
            continue;
        };
        let text = fs_err::read_to_string(path).expect("a source file is readable");
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for imported in imports(line) {
                if imported != module && layer.must_not_import.contains(&imported.as_str()) {
                    violations.push(format!(
                        "src/{}:{}: {} (`{module}`) must not import `crate::{imported}`",
                        relative.display(),
                        number + 1,
                        layer.name
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against ARCHITECTURE.md:\n{}",
        violations.join("\n")
    );
}

/// The local backend is built on the executor's interface and the shared contracts alone:
/// no GitHub layer, no other backend.
#[test]
fn the_local_backend_imports_only_the_executor_and_shared_contracts() {
    let dir = root().join("src/backend/local");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(
        files.len() > 3,
        "src/backend/local/ holds the local backend"
    );
    let shared = LAYERS
        .iter()
        .find(|l| l.name == "shared contracts")
        .expect("the shared contracts are a layer")
        .modules;
    let mut violations = Vec::new();
    for path in &files {
        let text = fs_err::read_to_string(path).expect("a source file is readable");
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            let other_backend = line
                .match_indices("crate::backend::")
                .any(|(at, _)| !line[at..].starts_with("crate::backend::local"));
            let outside = imports(line)
                .into_iter()
                .any(|m| m != "exec" && m != "backend" && !shared.contains(&m.as_str()));
            if other_backend || outside {
                violations.push(format!(
                    "{}:{}: {}",
                    path.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "the local backend imports more than exec and the shared contracts:\n{}",
        violations.join("\n")
    );
}

#[test]
fn sources_point_only_at_documents_in_the_repository() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // Spelled in parts, so that this file does not name them either.
    let outside = [["DESIGN", ".md"].concat(), ["..", "/shared/"].concat()];
    let mut found = Vec::new();
    for path in &files {
        let text = fs_err::read_to_string(path).expect("a source file is readable");
        for (number, line) in text.lines().enumerate() {
            if outside.iter().any(|d| line.contains(d.as_str())) {
                found.push(format!("{}:{}", path.display(), number + 1));
            }
        }
    }
    assert!(found.is_empty(), "outside documents named at {found:#?}");
}

#[test]
fn imports_are_read_from_paths_and_groups() {
    assert_eq!(imports("use crate::exec::event::Event;"), ["exec"]);
    assert_eq!(
        imports("use crate::{atomic_file, schema::{a, b}, exec};"),
        ["atomic_file", "schema", "exec"]
    );
    assert_eq!(
        imports("let x = crate::github::split(crate::digest::sha256_hex(b));"),
        ["github", "digest"]
    );
    assert_eq!(
        module_of(Path::new("exec/machine.rs")).as_deref(),
        Some("exec")
    );
    assert_eq!(module_of(Path::new("lib.rs")), None);
}
