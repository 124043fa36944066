//! The compile stage: from a plan path (or only a manifest) to a compiled plan and every
//! diagnostic found on the way. This file is its front door; everything downstream uses
//! [`compile`] or [`compile_from_disk`] with a [`Request`], and reads the [`Compilation`].
//!
//! Files are read through a caller-supplied function, so the same pipeline compiles the
//! working tree (`std::fs`), a git revision (`diff --against`) or in-memory test inputs,
//! and the stages behind it never touch the file system:
//! 1. `toml_reader` parses with spans; `manifest` and `plan_reader` fill `Manifest` and
//!    [`plan_file::PlanFile`], reporting every problem of single entries and keys;
//! 2. `validate` checks the manifest's entries against each other;
//! 3. `lower` checks the plan against the manifest and builds the compiled plan.
//!
//! This stage imports only the shared contracts at the top of `src/` (`source`,
//! `diagnostic`, `compiled`, `dag`, `bounds`, `numbers`), never the executor, backends,
//! GitHub layer or command line.

pub mod duration;
pub mod github_names;
mod lower;
mod manifest;
mod placeholder;
pub mod plan_file;
mod plan_reader;
pub mod suggest;
pub mod toml_reader;
mod validate;

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::compiled::CompiledPlan;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Sources, Span};
use plan_file::PlanFile;
use toml_reader::Cx;

/// Command-line settings that override or complete the plan.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub owner: Option<String>,
    pub release_version: Option<String>,
    pub require_pinned: bool,
    /// The plan is for `--backend local`: every build and step must have a `local.run`.
    pub require_local: bool,
}

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
    /// The manifest that was read (none for a compiled plan JSON).
    pub manifest: Option<PathBuf>,
}

/// Reads a file's text; errors are reported as diagnostics naming the path.
pub type ReadFile<'a> = dyn FnMut(&Path) -> io::Result<String> + 'a;

/// Compiles with files read from disk.
pub fn compile_from_disk(request: &Request) -> Compilation {
    compile(request, &mut |path: &Path| fs_err::read_to_string(path))
}

pub fn compile(request: &Request, read: &mut ReadFile<'_>) -> Compilation {
    let mut c = Compilation::default();
    if let Some(path) = request.plan.as_deref().filter(|p| is_json(p)) {
        c.plan = load_compiled(path, read, &mut c);
        if let Some(plan) = c.plan.as_ref().filter(|_| request.options.require_local) {
            for diagnostic in lower::local::check_compiled(&plan.jobs) {
                c.diagnostics.push(diagnostic);
            }
            if c.diagnostics.has_errors() {
                c.plan = None;
            }
        }
        let o = &request.options;
        if request.versions.is_some()
            || o.owner.is_some()
            || o.release_version.is_some()
            || o.require_pinned
        {
            c.diagnostics.push(
                Diagnostic::warning(Code::CompiledPlan, "--versions, --owner, --release-version and --require-pinned do not apply to a compiled plan")
                    .help("pass the plan TOML instead to compile it with these options"),
            );
        }
        return c;
    }
    // The plan, when there is one: `None` inside when it is not valid TOML.
    let plan = request.plan.as_deref().and_then(|path| {
        let text = read_source(path, read, &mut c.diagnostics, None)?;
        let file = c.sources.add(display(path), text.as_str());
        let mut cx = Cx {
            file,
            diags: &mut c.diagnostics,
        };
        Some((path, file, plan_reader::read(&text, &mut cx)))
    });
    if request.plan.is_some() && plan.is_none() {
        return c;
    }
    let (versions_path, named_at) = match (&request.versions, &plan) {
        (Some(path), _) => (path.clone(), None),
        (None, Some((plan_path, file, Some(p)))) => match &p.release.versions {
            Some(relative) => (
                normalize(
                    &plan_path
                        .parent()
                        .unwrap_or(Path::new(""))
                        .join(&relative.value),
                ),
                Some((*file, relative.span.clone())),
            ),
            None => {
                c.diagnostics.push(
                    Diagnostic::error(Code::MissingKey, "the plan names no manifest")
                        .at(*file, 0..0, "no `versions` in [release]")
                        .help("set `versions = \"versions.toml\"` in [release] (relative to the plan), or pass --versions"),
                );
                return c;
            }
        },
        (None, Some((_, _, None))) => return c,
        (None, None) => {
            c.diagnostics.push(
                Diagnostic::error(Code::MissingKey, "nothing to compile")
                    .help("pass a plan file, or `--versions versions.toml --owner OWNER` for the default plan"),
            );
            return c;
        }
    };
    let Some(text) = read_source(&versions_path, read, &mut c.diagnostics, named_at) else {
        return c;
    };
    let manifest_file = c.sources.add(display(&versions_path), text.as_str());
    c.manifest = Some(versions_path.clone());
    let mut cx = Cx {
        file: manifest_file,
        diags: &mut c.diagnostics,
    };
    let Some(manifest) = manifest::read(&text, &mut cx) else {
        return c;
    };
    validate::check_manifest(
        &manifest,
        request.options.require_pinned,
        &mut c.diagnostics,
    );
    let default_plan = PlanFile::default();
    let (plan, plan_file) = match &plan {
        Some((_, file, Some(plan))) => (plan, Some(*file)),
        Some((_, _, None)) => return c,
        None => (&default_plan, None),
    };
    c.plan = lower::lower(
        plan,
        &manifest,
        plan_file,
        &request.options,
        &mut c.diagnostics,
    );
    if c.diagnostics.has_errors() {
        c.plan = None;
    }
    c
}

/// Resolves `a/../b` lexically, so diagnostics (and GitHub annotations) name files the way
/// a repository lists them. Leading `..` components are kept.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Reads one input; on failure reports it, pointing at where the path was named if known.
fn read_source(
    path: &Path,
    read: &mut ReadFile<'_>,
    diags: &mut Diagnostics,
    named_at: Option<(FileId, Span)>,
) -> Option<String> {
    match read(path) {
        Ok(text) => Some(text),
        Err(error) => {
            let message = error.to_string();
            let message = if message.contains(&display(path)) {
                message
            } else {
                format!("failed to read `{}`: {message}", display(path))
            };
            let mut d = Diagnostic::error(Code::ReadFile, message).help("check the path");
            if let Some((file, span)) = named_at {
                d = d
                    .at(file, span, "named here")
                    .help("check the path; relative paths in a plan are relative to the plan file");
            }
            diags.push(d);
            None
        }
    }
}

fn load_compiled(
    path: &Path,
    read: &mut ReadFile<'_>,
    c: &mut Compilation,
) -> Option<CompiledPlan> {
    let text = read_source(path, read, &mut c.diagnostics, None)?;
    let file = c.sources.add(display(path), text.as_str());
    match CompiledPlan::from_json(&text) {
        Ok(plan) => Some(plan),
        Err(why) => {
            let at = json_error_offset(&text);
            c.diagnostics.push(
                Diagnostic::error(
                    Code::CompiledPlan,
                    format!("`{}` is not a valid compiled plan: {why}", display(path)),
                )
                .at(file, at..at, "here")
                .help("compile the plan again with `relplan compile PLAN --format json`"),
            );
            None
        }
    }
}

/// Byte offset of the first JSON error in `text`, or 0 when it is well-formed JSON of the
/// wrong shape (then the whole document is at fault).
fn json_error_offset(text: &str) -> usize {
    let Err(error) = serde_json::from_str::<CompiledPlan>(text) else {
        return 0;
    };
    if error.line() == 0 {
        return 0;
    }
    let line_start: usize = text
        .split_inclusive('\n')
        .take(error.line() - 1)
        .map(str::len)
        .sum();
    (line_start + error.column().saturating_sub(1)).min(text.len())
}
