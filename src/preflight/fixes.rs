//! The YAML a finding tells the user to paste into a workflow file, written by the same
//! writer as `relplan generate` (so it quotes what needs quoting) and in the shape of
//! docs/build-workflow-protocol.md.

use crate::generate::yaml::{self, Map};
use crate::github::dispatch::CORRELATION_INPUT;
use crate::preflight::run_name::PAYLOAD_ID;

/// The run-name of a `repository_dispatch` workflow.
pub fn payload_run_name() -> String {
    yaml::document(&Map::new().str("run-name", format!("build ${{{{ {PAYLOAD_ID} }}}}")))
}

/// The run-name of a `workflow_dispatch` workflow.
pub fn input_run_name() -> String {
    yaml::document(&Map::new().str(
        "run-name",
        format!("build ${{{{ inputs.{CORRELATION_INPUT} }}}}"),
    ))
}

/// A workflow listening to `event_type`, with the run-name relplan finds it by.
pub fn listener(event_type: &str) -> String {
    let on = Map::new().map(
        "repository_dispatch",
        Map::new().set("types", yaml::strings([event_type])),
    );
    payload_run_name() + &yaml::document(&Map::new().map("on", on))
}

/// `workflow_dispatch` declaring `inputs` (as optional strings), under `on:`.
pub fn inputs(names: &[&str]) -> String {
    let mut declared = Map::new();
    for name in names {
        declared = declared.map(
            *name,
            Map::new().str("type", "string").raw("required", false),
        );
    }
    let on = Map::new().map("workflow_dispatch", Map::new().map("inputs", declared));
    yaml::document(&Map::new().map("on", on))
}

/// A whole dispatchable workflow's trigger and run-name, for a file without
/// `workflow_dispatch`.
pub fn dispatchable(names: &[&str]) -> String {
    input_run_name() + &inputs(names)
}

/// An input made optional, under `on:`.
pub fn optional_input(name: &str) -> String {
    let input = Map::new().map(name, Map::new().raw("required", false));
    let on = Map::new().map("workflow_dispatch", Map::new().map("inputs", input));
    yaml::document(&Map::new().map("on", on))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::run_name::{self, Carried};
    use crate::preflight::workflow_file;

    #[test]
    fn what_it_says_to_paste_passes_the_checks() {
        let listener = workflow_file::parse(&listener("build-chain")).expect("YAML");
        assert!(
            listener
                .repository_dispatch
                .expect("listens")
                .includes("build-chain")
        );
        assert_eq!(
            run_name::carried(listener.run_name.as_deref(), &[PAYLOAD_ID]),
            Carried::Separate
        );
        let dispatchable =
            workflow_file::parse(&dispatchable(&["kani", CORRELATION_INPUT])).expect("YAML");
        let names: Vec<String> = dispatchable
            .workflow_dispatch
            .expect("dispatchable")
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, ["kani", CORRELATION_INPUT]);
        assert_eq!(
            run_name::carried(dispatchable.run_name.as_deref(), &run_name::INPUT_IDS),
            Carried::Separate
        );
        assert_eq!(
            super::listener("build-chain"),
            "run-name: build ${{ github.event.client_payload.relplan.correlation_id }}\non:\n  repository_dispatch:\n    types:\n      - build-chain\n"
        );
    }
}
