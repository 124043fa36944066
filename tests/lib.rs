//! All integration tests build into this one binary (one link instead of many).
//! One file per feature.

mod common;

mod check_cases;
mod compile;
mod diff;
mod fuzz;
