//! `relplan compare A B`: what differs between two releases (on GitHub, or directories):
//! assets, `SHA256SUMS`, release fields. Exit codes: 0 after a comparison, 3 with
//! `--exit-code` when they differ, 1 when a side cannot be read.

use crate::cli::releases;
use crate::cli::{Exit, output};
use crate::run_error::RunError;
use crate::verify::compare::{self, json, markdown, text};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each side is a directory of assets (a local release such as \
`.relplan/sim-release/v1.0.0`, or downloaded assets) or a GitHub release `owner/repo@tag` \
(token from GITHUB_TOKEN, else GH_TOKEN).

Examples:
  relplan compare old-orchestrator/ BTCDecoded/blvm@v0.2.0
  relplan compare o/r@v1.0.0 o/r-test@v1.0.0 --format markdown --exit-code

Exit codes: 0 comparison shown; 3 with --exit-code when the releases differ; 1 a side cannot be read; 2 usage error."
)]
pub struct Args {
    /// The first release: a directory, or `owner/repo@tag`.
    #[arg(value_name = "A")]
    a: String,
    /// The second release.
    #[arg(value_name = "B")]
    b: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 3 when the releases differ and 0 when they are the same.
    #[arg(long)]
    exit_code: bool,
    /// The REST API root (default: GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    /// For terminals.
    Text,
    /// For a pull-request comment or $GITHUB_STEP_SUMMARY; at most 65,536 characters.
    Markdown,
    /// For other tools; see docs/verify.md.
    Json,
}

pub fn run(args: Args) -> Result<Exit, RunError> {
    let sides = releases::read(&[args.a.as_str(), args.b.as_str()], args.api_url.as_deref())?;
    let [a, b] = sides.as_slice() else {
        return Err(
            RunError::new("two releases were not read").with_help("report this as a relplan bug")
        );
    };
    let comparison = compare::compare(a, b)?;
    let rendered = match args.format {
        Format::Text => text::render(&comparison),
        Format::Markdown => markdown::render(&comparison),
        Format::Json => json::render(&comparison),
    };
    output::print(&rendered)?;
    Ok(match args.exit_code && comparison.is_different() {
        true => Exit::Changed,
        false => Exit::Success,
    })
}
