//! The JSON Schemas of the plan file and of the compiled plan, generated from the Rust types
//! so they cannot drift: `relplan schema` writes them into `schema/`, `relplan schema --check`
//! (run by CI) fails when the checked-in files are stale.

use crate::compile::plan_file::PlanFile;
use crate::compiled::CompiledPlan;

/// Every generated schema as (file name, contents).
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        (
            "release-plan.schema.json",
            pretty(schemars::schema_for!(PlanFile)),
        ),
        (
            "compiled-plan.schema.json",
            pretty(schemars::schema_for!(CompiledPlan)),
        ),
    ]
}

fn pretty(schema: schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}
