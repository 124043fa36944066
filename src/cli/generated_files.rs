//! The files relplan generates for a repository to check in (`relplan schema`,
//! `relplan generate`), written and checked one way. Writing touches only the files whose
//! bytes change (atomically, making their directories); checking names each missing file,
//! shows a unified diff of each stale one, and counts both, so CI fails with what to
//! commit.

use std::path::PathBuf;

use crate::atomic_file;
use crate::cli::output;
use crate::numbers::count;
use crate::run_error::RunError;

/// One generated file: where it goes and what it holds.
pub struct Generated<'a> {
    pub path: PathBuf,
    pub contents: &'a str,
}

/// Prints on stderr each file that is missing or differs from `contents` (with a diff);
/// returns how many there are.
pub fn check(files: &[Generated<'_>]) -> usize {
    let mut stale = 0;
    for file in files {
        let path = file.path.display();
        match fs_err::read_to_string(&file.path) {
            Err(_) => eprintln!("{path} is missing"),
            Ok(current) if current != file.contents => {
                eprintln!("{path} is stale:");
                let diff = similar::TextDiff::from_lines(&current, file.contents);
                eprint!("{}", diff.unified_diff().header("checked in", "generated"));
            }
            Ok(_) => continue,
        }
        stale += 1;
    }
    stale
}

/// Writes each file whose contents changed, printing `wrote` or `unchanged` for each; a
/// failure is an error with `help`.
pub fn write(files: &[Generated<'_>], help: &str) -> Result<(), RunError> {
    for file in files {
        let path = &file.path;
        if fs_err::read_to_string(path).is_ok_and(|current| current == file.contents) {
            output::line(&format!("unchanged {}", path.display()))?;
            continue;
        }
        match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => fs_err::create_dir_all(dir),
            _ => Ok(()),
        }
        .and_then(|()| atomic_file::write(path, file.contents.as_bytes()))
        .map_err(|e| RunError::new(e.to_string()).with_help(help))?;
        output::line(&format!("wrote {}", path.display()))?;
    }
    Ok(())
}

/// The error of a `--check` that found `stale` files (`kind`: "schema file") missing or
/// stale, with the command that regenerates them.
pub fn stale_error(stale: usize, kind: &str, regenerate: &str) -> RunError {
    let verb = if stale == 1 { "is" } else { "are" };
    RunError::new(format!("{} {verb} missing or stale", count(stale, kind)))
        .with_help(format!("run `{regenerate}` and commit the result"))
}
