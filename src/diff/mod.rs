//! Plan review: the semantic difference between two compiled plans, and its renderings.
//!
//! `model` computes the change set from two [`CompiledPlan`]s (no I/O, never fails);
//! `text`, `markdown` (with `mermaid`) and `json` show it; `side` decides what an input file
//! is and compiles it; `git` reads the old side from a git revision for `--against`.
//!
//! [`CompiledPlan`]: crate::compiled::CompiledPlan

pub mod git;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod model;
pub mod side;
pub mod text;

pub use model::{PlanDiff, diff};
