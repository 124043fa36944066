//! Opening a state directory: the existing journal (locked, replayed) for `resume` and for
//! an `apply` of the same plan, a new one for `apply` in a directory without a journal, or
//! with one of a run that never started (after adopting what the backend already holds),
//! or a look without the lock for `status`. Refusals (another executor holds the lock, the journal belongs to another
//! plan) exit 4; a start that cannot learn what the backend holds writes nothing.

use std::path::Path;

use crate::compiled::CompiledPlan;
use crate::exec::adoption;
use crate::exec::backend::{Backend, ErrorKind, unix_ms};
use crate::exec::event::{Event, Settings};
use crate::exec::journal::{self, DirLock, Journal, JournalError};
use crate::exec::machine::Machine;
use crate::run_error::{Exit, RunError};

/// For `apply` in a directory that holds a journal: the run there, if it is of `plan`.
pub fn open_for_apply(dir: &Path, plan: &CompiledPlan) -> Result<(Machine, Journal), RunError> {
    let (machine, journal) = open_existing(dir)?;
    if machine.plan().plan_hash != plan.plan_hash {
        let message = format!(
            "`{}` holds a run of another plan ({}), not {}",
            dir.display(),
            machine.plan().plan_hash,
            plan.plan_hash
        );
        return Err(RunError::new(message)
            .with_help(format!(
                "use another --state-dir for this plan, or `relplan resume --state-dir {}` to finish the run that is there",
                dir.display()
            ))
            .with_exit(Exit::Refused));
    }
    Ok((machine, journal))
}

/// Whether `dir` holds a journal of a run that started (then `apply` continues it; else it
/// starts one, also over a journal without one complete event).
pub fn has_journal(dir: &Path) -> bool {
    match journal::read(dir) {
        Ok(_) => true,
        Err(JournalError::Missing(_) | JournalError::NeverStarted(_)) => false,
        // Unreadable: opening it reports why.
        Err(_) => true,
    }
}

/// For `apply` in a directory without a journal: takes its lock, asks `backend` what it
/// already holds for `plan` (adoption), and writes the new journal, `Started` and
/// `Adopted` at once. The run's time zero is its earliest adopted run when there is one
/// (else now), so every time stays positive; `settings` get it. The backend was built with
/// a provisional clock: build the one that runs the plan from the run's settings. Returns
/// the run, its journal and the `Adopted` event. Nothing is written when the adoption fails.
pub async fn start<B: Backend>(
    dir: &Path,
    plan: &CompiledPlan,
    mut settings: Settings,
    backend: &mut B,
) -> Result<(Machine, Journal, Event), RunError> {
    let lock = DirLock::take(dir)?;
    let holdings = match backend.adopt(plan).await {
        Ok(holdings) => holdings,
        Err(e) => {
            lock.abandon();
            let exit = match e.kind {
                ErrorKind::Transient | ErrorKind::Stop => Exit::Interrupted,
                ErrorKind::Failed | ErrorKind::Blocked => Exit::Failure,
            };
            let next = "run the same `relplan apply` again (nothing was started or written)";
            return Err(RunError::new(format!(
                "cannot learn what the backend already holds for this plan: {}",
                e.message
            ))
            .with_help(RunError::then(e.help.as_deref(), next))
            .with_exit(exit));
        }
    };
    let now = unix_ms();
    settings.origin_unix_ms = holdings
        .origin_unix_ms
        .map_or(now, |origin| origin.min(now));
    let clock = settings.clock();
    let adopted = adoption::event(plan, &holdings, settings.origin_unix_ms, clock.now());
    let events = [
        Event::Started {
            plan: Box::new(plan.clone()),
            settings,
        },
        adopted,
    ];
    let journal = Journal::create_locked(lock, &events)?;
    let machine = replay(dir, &events)?;
    let [_, adopted] = events;
    Ok((machine, journal, adopted))
}

/// For `resume`: the run in `dir`, locked and replayed.
pub fn open_existing(dir: &Path) -> Result<(Machine, Journal), RunError> {
    let (journal, events) = Journal::open(dir)?;
    Ok((replay(dir, &events)?, journal))
}

/// For `status`: the run in `dir` as its journal says, without taking the lock.
pub fn read(dir: &Path) -> Result<Machine, RunError> {
    replay(dir, &journal::read(dir)?)
}

fn replay(dir: &Path, events: &[Event]) -> Result<Machine, RunError> {
    Machine::replay(events).ok_or_else(|| {
        let path = journal::journal_path(dir);
        RunError::new(format!(
            "`{}` does not begin with a run's plan",
            path.display()
        ))
        .with_help("this directory was not written by `relplan apply`; use another --state-dir")
    })
}
