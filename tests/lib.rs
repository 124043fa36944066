//! All integration tests build into this one binary (one link instead of many).
//! One file per feature.

mod common;

mod apply;
mod check_cases;
mod compile;
mod crash;
mod diff;
mod fuzz;
mod schedule;
mod simulate;
mod status;
