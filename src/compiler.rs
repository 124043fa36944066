//! The compiler's front door: from a plan path (or only a manifest) to a compiled plan and
//! every diagnostic found on the way.
//!
//! Files are read through a caller-supplied function, so the same pipeline compiles the
//! working tree (`std::fs`), a git revision (`diff --against`) or in-memory test inputs,
//! and the stages behind it (parse, validate, lower) never touch the file system.

use std::io;
use std::path::{Path, PathBuf};

use crate::compiled::CompiledPlan;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::lower::{self, Options};
use crate::plan_file::PlanFile;
use crate::source::Sources;
use crate::toml_reader::Cx;
use crate::{manifest, plan_reader, validate};

/// What to compile.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// A plan TOML or a compiled plan JSON; `None` uses the default plan over `versions`.
    pub plan: Option<PathBuf>,
    /// The manifest; overrides the plan's `release.versions`.
    pub versions: Option<PathBuf>,
    pub options: Options,
}

/// The outcome: the plan when there were no errors, and everything worth telling the user.
#[derive(Debug, Default)]
pub struct Compilation {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    pub plan: Option<CompiledPlan>,
}

/// Reads a file's text; errors are reported as diagnostics naming the path.
pub type ReadFile<'a> = dyn FnMut(&Path) -> io::Result<String> + 'a;

/// Compiles with files read from disk.
pub fn compile_from_disk(request: &Request) -> Compilation {
    compile(request, &mut |path: &Path| fs_err::read_to_string(path))
}

pub fn compile(request: &Request, read: &mut ReadFile<'_>) -> Compilation {
    let mut c = Compilation::default();
    let plan_file = match &request.plan {
        Some(path) if is_json(path) => {
            c.plan = load_compiled(path, read, &mut c);
            return c;
        }
        Some(path) => {
            let Some(text) = read_source(path, read, &mut c.diagnostics) else {
                return c;
            };
            let file = c.sources.add(display(path), text.as_str());
            let mut cx = Cx {
                file,
                diags: &mut c.diagnostics,
            };
            Some((path, file, plan_reader::read(&text, &mut cx)))
        }
        None => None,
    };
    let versions_path = match (&request.versions, &plan_file) {
        (Some(path), _) => path.clone(),
        (None, Some((plan_path, _, plan))) => match &plan.release.versions {
            Some(relative) => plan_path.parent().unwrap_or(Path::new("")).join(&relative.value),
            None => {
                let (_, file, _) = plan_file.as_ref().expect("matched Some");
                c.diagnostics.push(
                    Diagnostic::error(Code::MissingKey, "the plan names no manifest")
                        .at(*file, 0..0, "no `versions` in [release]")
                        .help("set `versions = \"versions.toml\"` in [release] (relative to the plan), or pass --versions"),
                );
                return c;
            }
        },
        (None, None) => {
            c.diagnostics.push(
                Diagnostic::error(Code::MissingKey, "nothing to compile")
                    .help("pass a plan file, or `--versions versions.toml --owner OWNER` for the default plan"),
            );
            return c;
        }
    };
    let Some(text) = read_source(&versions_path, read, &mut c.diagnostics) else {
        return c;
    };
    let manifest_file = c.sources.add(display(&versions_path), text.as_str());
    let syntax_errors_before = count_syntax_errors(&c.diagnostics);
    let manifest = {
        let mut cx = Cx {
            file: manifest_file,
            diags: &mut c.diagnostics,
        };
        manifest::read(&text, &mut cx)
    };
    validate::check_manifest(&manifest, request.options.require_pinned, &mut c.diagnostics);
    if count_syntax_errors(&c.diagnostics) > 0 && syntax_errors_before == 0 {
        // Lowering a half-parsed manifest would only report follow-on errors.
        return c;
    }
    let default_plan = PlanFile::default();
    let (plan, plan_id) = match &plan_file {
        Some((_, file, plan)) => (plan, Some(*file)),
        None => (&default_plan, None),
    };
    if count_syntax_errors(&c.diagnostics) == 0 {
        c.plan = lower::lower(plan, &manifest, plan_id, &request.options, &mut c.diagnostics);
    }
    if c.diagnostics.has_errors() {
        c.plan = None;
    }
    c
}

fn count_syntax_errors(diags: &Diagnostics) -> usize {
    diags.items.iter().filter(|d| d.code == Code::TomlSyntax).count()
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn read_source(path: &Path, read: &mut ReadFile<'_>, diags: &mut Diagnostics) -> Option<String> {
    match read(path) {
        Ok(text) => Some(text),
        Err(error) => {
            let message = error.to_string();
            let message = if message.contains(&display(path)) {
                message
            } else {
                format!("failed to read `{}`: {message}", display(path))
            };
            diags.push(Diagnostic::error(Code::ReadFile, message).help("check the path; relative paths in a plan are relative to the plan file"));
            None
        }
    }
}

fn load_compiled(path: &Path, read: &mut ReadFile<'_>, c: &mut Compilation) -> Option<CompiledPlan> {
    let text = read_source(path, read, &mut c.diagnostics)?;
    let file = c.sources.add(display(path), text.as_str());
    match CompiledPlan::from_json(&text) {
        Ok(plan) => Some(plan),
        Err(why) => {
            c.diagnostics.push(
                Diagnostic::error(Code::CompiledPlan, format!("`{}` is not a valid compiled plan", display(path)))
                    .at(file, 0..0, why)
                    .help("compile the plan again with `relplan compile PLAN --format json`"),
            );
            None
        }
    }
}
