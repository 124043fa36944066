//! The executor in process, as `apply` and `resume` run it (a fresh state directory adopts
//! what the backend holds first), with the crash seam: a journal that refuses every
//! append past a limit, as if the process had died right there.

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
/// backend and its clock from the settings in force (for a fresh directory, once for the
/// adoption and once for the run); what the run says goes to `reporter`.
pub async fn apply<B: Backend>(
    dir: &Path,
    plan: &CompiledPlan,
    settings: Settings,
    limit: Option<usize>,
    reporter: Reporter,
    backend: impl Fn(&Settings, Reporter) -> (B, Clock),
) -> Result<Ending, JournalError> {
    let continued = session::has_journal(dir);
    let (machine, mut journal, announce) = if continued {
        let (machine, journal) =
            session::open_for_apply(dir, plan).expect("the state directory opens");
        (machine, journal, Vec::new())
    } else {
        let (mut adopting, _) = backend(&settings, reporter.clone());
        let (machine, journal, adopted) = session::start(dir, plan, settings, &mut adopting)
            .await
            .expect("the run starts");
        (machine, journal, vec![adopted])
    };
    if let Some(limit) = limit {
        journal.set_append_limit(limit);
    }
    let (backend, clock) = backend(machine.settings(), reporter.clone());
    let progress = Progress::lines(reporter);
    let poll = Duration::from_millis(5);
    let executor =
        Executor::new(machine, journal, backend, clock, dir, progress, poll).announcing(announce);
    let mut executor = if continued {
        executor.continuing()
    } else {
        executor
    };
    executor.run(std::future::pending()).await
}
