//! All integration tests build into this one binary (one link instead of many).
//! One file per feature.

mod common;

mod compile;
mod diff;
