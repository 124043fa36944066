//! `relplan schema`: write the generated JSON Schemas, or check that the written ones are
//! current (exit 1 with a diff when stale).

use std::path::PathBuf;

use crate::cli::{Exit, output};
use crate::run_error::RunError;
use crate::{atomic_file, schema};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Check the files instead of writing them.
    #[arg(long)]
    check: bool,
    /// Directory of the schema files.
    #[arg(long, default_value = "schema", value_name = "DIR")]
    dir: PathBuf,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let mut stale = 0;
    for (name, expected) in schema::files() {
        let path = args.dir.join(name);
        if args.check {
            let current = fs_err::read_to_string(&path).unwrap_or_default();
            if current != expected {
                stale += 1;
                eprintln!("{} is stale:", path.display());
                let diff = similar::TextDiff::from_lines(&current, &expected);
                eprint!("{}", diff.unified_diff().header("checked in", "generated"));
            }
        } else {
            fs_err::create_dir_all(&args.dir)
                .and_then(|()| atomic_file::write(&path, expected.as_bytes()))
                .map_err(|e| {
                    RunError::new(e.to_string())
                        .with_help("run `relplan schema` from the repository root")
                })?;
            output::line(&format!("wrote {}", path.display()))?;
        }
    }
    if stale > 0 {
        return Err(RunError::new(format!("{stale} schema file(s) are stale"))
            .with_help("run `relplan schema` and commit the result"));
    }
    if args.check {
        output::line("schemas are up to date")?;
    }
    Ok(Exit::Success)
}
