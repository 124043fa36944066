//! The executor in process, as `apply` and `resume` run it, with the crash seam: a journal
//! that refuses every append past a limit, as if the process had died right there.

use std::path::Path;
use std::time::Duration;

use relplan::compiled::CompiledPlan;
use relplan::exec::backend::{Backend, Clock};
use relplan::exec::event::Settings;
use relplan::exec::executor::{Ending, Executor};
use relplan::exec::journal::JournalError;
use relplan::exec::progress::Progress;
use relplan::exec::reporter::Reporter;
use relplan::exec::session;

/// Applies `plan` in `dir` with `settings`, or resumes the run already there (with the
/// settings it journaled), stopping after `limit` journal writes. `backend` builds the
/// backend and its clock from the journaled settings; what the run says goes to `reporter`.
pub async fn apply<B: Backend>(
    dir: &Path,
    plan: &CompiledPlan,
    settings: Settings,
    limit: Option<usize>,
    reporter: Reporter,
    backend: impl FnOnce(&Settings, Reporter) -> (B, Clock),
) -> Result<Ending, JournalError> {
    let (machine, mut journal, _) = open_for_apply(dir, plan, settings);
    if let Some(limit) = limit {
        journal.set_append_limit(limit);
    }
    let (backend, clock) = backend(machine.settings(), reporter.clone());
    let progress = Progress::lines(reporter);
    let poll = Duration::from_millis(5);
    let mut executor = Executor::new(machine, journal, backend, clock, dir, progress, poll);
    executor.run(std::future::pending()).await
}

/// Opens the state directory. Another test thread that forks a child (to run the binary)
/// while this thread's previous executor still held the lock gives the child a copy of the
/// lock's file descriptor until the child execs, so the lock may outlive its executor for a
/// moment: a refusal is asked again for up to ten seconds before it counts.
fn open_for_apply(
    dir: &Path,
    plan: &CompiledPlan,
    settings: Settings,
) -> (
    relplan::exec::machine::Machine,
    relplan::exec::journal::Journal,
    bool,
) {
    let mut tries = 0;
    loop {
        match session::open_for_apply(dir, plan, settings.clone()) {
            Ok(opened) => return opened,
            Err(e) if e.exit == relplan::run_error::Exit::Refused && tries < 1000 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("the state directory opens: {e:?}"),
        }
    }
}
