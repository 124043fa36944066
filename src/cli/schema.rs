//! `relplan schema`: write the generated JSON Schemas, or check that the written ones are
//! current (exit 1 with a diff when one is missing or stale).

use std::path::PathBuf;

use crate::cli::generated_files::{self, Generated};
use crate::cli::{Exit, output};
use crate::run_error::RunError;
use crate::schema;

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
    let schemas = schema::files();
    let files: Vec<Generated<'_>> = schemas
        .iter()
        .map(|(name, contents)| Generated {
            path: args.dir.join(name),
            contents,
        })
        .collect();
    if !args.check {
        generated_files::write(&files, "run `relplan schema` from the repository root")?;
        return Ok(Exit::Success);
    }
    let stale = generated_files::check(&files);
    if stale > 0 {
        return Err(generated_files::stale_error(
            stale,
            "schema file",
            "relplan schema",
        ));
    }
    output::line("schemas are up to date")?;
    Ok(Exit::Success)
}
