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
/// settings it journaled), stopping after `limit` journal writes. Another test thread that
/// forks a child (to run the binary) while this thread's previous executor still held the
/// lock gives the child a copy of the lock's file descriptor until the child execs, so the
/// lock may outlive its executor for a moment: a refusal is asked again for up to ten
/// seconds before it counts. `backend` builds the
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
    let mut tries = 0;
    let (machine, mut journal, announce) = loop {
        let opened = if continued {
            session::open_for_apply(dir, plan).map(|(machine, journal)| (machine, journal, vec![]))
        } else {
            let (mut adopting, _) = backend(&settings, reporter.clone());
            session::start(dir, plan, settings.clone(), &mut adopting)
                .await
                .map(|(machine, journal, adopted)| (machine, journal, vec![adopted]))
        };
        match opened {
            Ok(opened) => break opened,
            // See below: a lock that outlives its executor for a moment.
            Err(e) if e.exit == relplan::run_error::Exit::Refused && tries < 1000 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("the state directory opens: {e:?}"),
        }
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
