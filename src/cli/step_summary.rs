//! The step summary of a GitHub Actions job: when `$GITHUB_STEP_SUMMARY` names a file,
//! `apply`, `resume` and `retry` append the run's Markdown report to it
//! ([`report::markdown`]) when they end, however they end. The file is only ever appended
//! to (earlier steps' summaries stay), and a write that fails is a warning: the run and its
//! journal are what matter, not their summary.

use std::io::Write;

use crate::cli::release_place;
use crate::exec::machine::Machine;
use crate::exec::reporter::Reporter;
use crate::exec::{report, view};
use crate::secrets;

/// The variable GitHub Actions sets to the step summary's file.
const VARIABLE: &str = "GITHUB_STEP_SUMMARY";

/// Appends the report of the run in `machine` (kept in the state directory shown as
/// `shown`) to the step summary, if there is one.
pub fn append(machine: &Machine, shown: &str) {
    let Some(path) = std::env::var_os(VARIABLE).filter(|p| !p.is_empty()) else {
        return;
    };
    // The executor that wrote the journal has stopped: no lock counts.
    let state = view::run_state(machine, false);
    let report = report::markdown(machine, state, shown, release_place::of(machine, shown));
    let mut text = secrets::redact(&report).into_owned();
    text.push('\n');
    let written = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(e) = written {
        Reporter::stderr().warn(&format!(
            "cannot append the run's summary to `${VARIABLE}`: {e}; `relplan status --format markdown --state-dir {shown}` shows it"
        ));
    }
}
