//! Opening a state directory: a new journal for `apply` (also over a journal of a run that
//! never started), the existing one (locked, replayed) for `resume` and for an `apply` of
//! the same plan, or a look without the lock for `status`. Refusals (another executor holds the lock, the journal belongs to another
//! plan) exit 4; every other problem exits 1.

use std::path::Path;

use crate::compiled::CompiledPlan;
use crate::exec::event::{Event, Settings};
use crate::exec::journal::{self, Journal};
use crate::exec::machine::Machine;
use crate::run_error::{Exit, RunError};

/// For `apply`: a new run of `plan` in `dir`, or the run already there if it is of the same
/// plan (then `apply` continues it like `resume`; `continued` is true).
pub fn open_for_apply(
    dir: &Path,
    plan: &CompiledPlan,
    settings: Settings,
) -> Result<(Machine, Journal, bool), RunError> {
    let first = Event::Started {
        plan: Box::new(plan.clone()),
        settings: settings.clone(),
    };
    let (journal, events, created) = Journal::open_or_create(dir, &first)?;
    if created {
        return Ok((Machine::new(plan.clone(), settings), journal, false));
    }
    let machine = replay(dir, &events)?;
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
    Ok((machine, journal, true))
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
