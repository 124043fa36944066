//! Checks between manifest entries: requirements naming existing entries at the versions
//! they declare, names in both [versions] and [modules], pinned refs. Checks of the plan
//! against the manifest, and cycles, are made while lowering, on the job graph, where
//! `after` edges and stages can close cycles too.

use crate::compile::manifest::Manifest;
use crate::compile::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};

pub fn check_manifest(manifest: &Manifest, require_pinned: bool, diags: &mut Diagnostics) {
    let file = manifest.file;
    let names = || manifest.entries.iter().map(|e| e.name.as_str());
    for entry in &manifest.entries {
        if let Some(module) = manifest.module(&entry.name) {
            diags.push(
                Diagnostic::warning(
                    Code::UnknownRepo,
                    format!(
                        "`{}` is in both [versions] and [modules]; the [versions] entry is used",
                        *entry.name
                    ),
                )
                .at(file, module.name.span.clone(), "also a module")
                .help("remove one of the two entries"),
            );
        }
        for require in &entry.requires {
            let Some(required) = manifest.entry(&require.name) else {
                let help = if manifest.module(&require.name).is_some() {
                    Some(format!(
                        "`{}` is in [modules], which is released on its own; move it to [versions]",
                        require.name
                    ))
                } else {
                    did_you_mean(&require.name, names())
                };
                diags.push(
                    Diagnostic::error(
                        Code::UnknownRequire,
                        format!(
                            "`{}` requires `{}`, which is not in [versions]",
                            *entry.name, require.name
                        ),
                    )
                    .at(file, require.span.clone(), "unknown repository")
                    .maybe_help(help),
                );
                continue;
            };
            if let (Some(wanted), Some(declared)) = (&require.version, &required.version)
                && *wanted != declared.value
            {
                diags.push(
                    Diagnostic::error(
                        Code::RequireMismatch,
                        format!(
                            "`{}` requires {} {wanted}, but the manifest declares {}",
                            *entry.name, require.name, **declared
                        ),
                    )
                    .at(
                        file,
                        require.span.clone(),
                        format!("{} is {}", require.name, **declared),
                    )
                    .help(format!("require \"{}={}\"", require.name, **declared)),
                );
            }
        }
        let unpinned = entry.git_commit.as_ref().is_none_or(|c| c.is_empty());
        if unpinned {
            let message = format!("`{}` does not pin a git_commit", *entry.name);
            let fix = "run `relplan pin PLAN --write` to fill each git_commit from its tag, so \
                       a moved tag is caught";
            let diagnostic = if require_pinned {
                Diagnostic::error(Code::UnpinnedRef, message).grouped(
                    "entries do not pin a git_commit",
                    entry.name.as_str(),
                    fix,
                )
            } else {
                Diagnostic::warning(Code::UnpinnedRef, message).grouped(
                    "entries do not pin a git_commit",
                    entry.name.as_str(),
                    format!("{fix}; `--require-pinned` makes this an error"),
                )
            };
            let span = entry
                .git_commit
                .as_ref()
                .map_or(entry.name.span.clone(), |c| c.span.clone());
            diags.push(
                diagnostic
                    .at(file, span, "the tag alone decides what is built")
                    .help(
                        "run `relplan pin PLAN --write` to fill git_commit from the tag, so a moved tag is caught",
                    ),
            );
        }
    }
}
