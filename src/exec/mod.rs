//! The executor: a pure scheduling state machine ([`machine`]) fed by journaled events
//! ([`event`], [`journal`]), driven in real time against a [`backend`] ([`executor`]) or on a
//! virtual clock by [`crate::simulate`]. [`session`] opens a state directory for `apply` and
//! `resume`; [`temp_dir`] is where a run keeps its temporary files; [`view`] is what
//! `status` and `simulate` show per job, [`report`] the run as Markdown (`status --format
//! markdown`, the step summary); [`progress`] and [`reporter`] are what a run tells the
//! person watching it.

pub mod adoption;
pub mod backend;
pub mod backoff;
pub mod event;
pub mod executor;
pub mod journal;
pub mod machine;
pub mod progress;
pub mod report;
pub mod reporter;
pub mod requests;
pub mod session;
pub mod temp_dir;
pub mod view;
