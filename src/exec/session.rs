//! Opening a state directory for an executor: a new journal for `apply`, or the existing one
//! (locked, replayed) for `resume` and for an `apply` of the same plan. Refusals (another
//! executor holds the lock, the journal belongs to another plan) are told apart from
//! failures because they exit with 4.

use std::path::Path;

use crate::compiled::CompiledPlan;
use crate::exec::event::{Event, Settings};
use crate::exec::journal::{Journal, JournalError};
use crate::exec::machine::Machine;

/// Why a state directory cannot be used, with the next step for the user.
#[derive(Debug)]
pub enum SessionError {
    /// Exit 4: `apply` refused.
    Refused { what: String, hint: String },
    /// Exit 1.
    Failed { what: String, hint: String },
}

impl SessionError {
    fn from_journal(e: JournalError, dir: &Path) -> SessionError {
        let shown = dir.display();
        match e {
            JournalError::Locked(_) => SessionError::Refused {
                what: e.to_string(),
                hint: format!(
                    "wait for it to stop, or see what it does with `relplan status --state-dir {shown}`"
                ),
            },
            JournalError::Missing(_) => SessionError::Failed {
                what: e.to_string(),
                hint: "start a release with `relplan apply PLAN --backend sim --state-dir DIR`"
                    .into(),
            },
            JournalError::Corrupt { .. } | JournalError::Io(_) => SessionError::Failed {
                what: e.to_string(),
                hint: format!("check `{shown}`; the journal is only ever appended to"),
            },
        }
    }
}

/// For `apply`: a new run of `plan` in `dir`, or the run already there if it is of the same
/// plan (then `apply` continues it like `resume`; `continued` is true).
pub fn open_for_apply(
    dir: &Path,
    plan: &CompiledPlan,
    settings: Settings,
) -> Result<(Machine, Journal, bool), SessionError> {
    if crate::exec::journal::journal_path(dir).exists() {
        let (machine, journal) = open_existing(dir)?;
        if machine.plan().plan_hash != plan.plan_hash {
            return Err(SessionError::Refused {
                what: format!(
                    "`{}` holds a run of another plan ({}), not {}",
                    dir.display(),
                    machine.plan().plan_hash,
                    plan.plan_hash
                ),
                hint: "use another --state-dir for this plan, or `relplan resume` to finish the run that is there".into(),
            });
        }
        return Ok((machine, journal, true));
    }
    let first = Event::Started {
        plan: Box::new(plan.clone()),
        settings: settings.clone(),
    };
    let journal = Journal::create(dir, &first).map_err(|e| SessionError::from_journal(e, dir))?;
    Ok((Machine::new(plan.clone(), settings), journal, false))
}

/// For `resume`: the run in `dir`, locked and replayed.
pub fn open_existing(dir: &Path) -> Result<(Machine, Journal), SessionError> {
    let (journal, events) = Journal::open(dir).map_err(|e| SessionError::from_journal(e, dir))?;
    let machine = Machine::replay(&events).map_err(|what| SessionError::Failed {
        what: format!(
            "`{}`: {what}",
            crate::exec::journal::journal_path(dir).display()
        ),
        hint: "this directory was not written by `relplan apply`; use another --state-dir".into(),
    })?;
    Ok((machine, journal))
}
