//! A release that is a directory of files: a local release (`<state-dir>/sim-release/<tag>/`
//! of the sim backend, `<state-dir>/release/<tag>/` of the local one) or assets downloaded
//! by hand. Every regular file at its top (symbolic links followed) is an asset, hashed
//! while it is read a buffer at a time; `SHA256SUMS` is also read as text. Anything else
//! (a subdirectory, a special file, a name that is not UTF-8, a file that cannot be read)
//! is a [`Check::NotAnAsset`] finding.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::digest::sha256_of_reader;
use crate::release_assets::SHA256SUMS;
use crate::run_error::RunError;
use crate::verify::finding::{Check, Finding};
use crate::verify::side::{AssetFacts, Location, MAX_SUMS_BYTES, ReleaseSide, SumsFile};

const HELP: &str = "a release directory holds only its asset files: move anything else out of it";

/// The release in `dir`, named `label` in messages.
pub fn read(label: &str, dir: &Path) -> Result<ReleaseSide, RunError> {
    let unreadable = |e: std::io::Error| {
        RunError::new(format!(
            "cannot read the directory `{}`: {e}",
            dir.display()
        ))
        .with_help("check the path and its permissions")
    };
    let mut entries: Vec<_> = fs_err::read_dir(dir)
        .map_err(unreadable)?
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    entries.sort_by_key(|e| e.file_name());
    let mut side = ReleaseSide {
        label: label.to_string(),
        location: Location::Directory(dir.to_path_buf()),
        fields: None,
        found: true,
        assets: Vec::new(),
        sums: None,
        problems: Vec::new(),
    };
    for entry in entries {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            side.problems.push(not_an_asset(
                &entry.file_name().to_string_lossy(),
                "has a name that is not UTF-8",
            ));
            continue;
        };
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(meta) if meta.is_dir() => {
                side.problems
                    .push(not_an_asset(&name, "is a directory, not a file"));
                continue;
            }
            Ok(_) => {
                side.problems
                    .push(not_an_asset(&name, "is not a regular file"));
                continue;
            }
            Err(e) => {
                side.problems
                    .push(not_an_asset(&name, &format!("cannot be read: {e}")));
                continue;
            }
        }
        let read = add_file(&mut side, &name, &path);
        if let Err(e) = read {
            side.problems
                .push(not_an_asset(&name, &format!("cannot be read: {e}")));
        }
    }
    Ok(side)
}

/// Hashes the file at `path` into `side`: an asset, or its `SHA256SUMS`.
fn add_file(side: &mut ReleaseSide, name: &str, path: &Path) -> std::io::Result<()> {
    let (sha256, bytes) = sha256_of_reader(File::open(path)?)?;
    let facts = AssetFacts {
        name: name.to_string(),
        bytes,
        sha256,
        digest: None,
    };
    if name == SHA256SUMS {
        side.sums = Some(sums_file(path, facts)?);
    } else {
        side.assets.push(facts);
    }
    Ok(())
}

fn not_an_asset(name: &str, problem: &str) -> Finding {
    Finding::new(Check::NotAnAsset, format!("`{name}` {problem}"), HELP).asset(name)
}

/// `SHA256SUMS` with its contents when it is at most [`MAX_SUMS_BYTES`] (`facts` were
/// taken when it was hashed).
pub(crate) fn sums_file(path: &Path, facts: AssetFacts) -> std::io::Result<SumsFile> {
    let contents = if facts.bytes <= MAX_SUMS_BYTES {
        let mut kept = Vec::new();
        File::open(path)?
            .take(MAX_SUMS_BYTES)
            .read_to_end(&mut kept)?;
        Some(kept)
    } else {
        None
    };
    Ok(SumsFile { facts, contents })
}
