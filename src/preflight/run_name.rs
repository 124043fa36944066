//! Whether a workflow's `run-name` lets relplan find its runs: it must show the
//! correlation id as a word of its own, the rule run discovery applies
//! ([`crate::github::runs::carries`]). The run-name is rendered with a sample id in place
//! of the correlation-id expression and a word (`x`) in place of every other expression
//! (which may render to anything), then checked with that very rule.

use crate::github::runs::carries;

/// The expression a `repository_dispatch` run-name must show.
pub const PAYLOAD_ID: &str = "github.event.client_payload.relplan.correlation_id";
/// The expressions a `workflow_dispatch` run-name may show.
pub const INPUT_IDS: [&str; 2] = [
    "inputs.relplan_correlation_id",
    "github.event.inputs.relplan_correlation_id",
];

const SAMPLE_ID: &str = "relplan-0123456789ab-1700000000000-job-1";

/// How a run-name carries the correlation id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carried {
    /// As a word of its own: runs are found.
    Separate,
    /// Glued to other text (`build-${{ … }}`): runs are never found.
    Joined,
    /// Not at all (or no run-name).
    Missing,
}

/// How `run_name` carries one of `expressions`.
pub fn carried(run_name: Option<&str>, expressions: &[&str]) -> Carried {
    let Some(mut rest) = run_name else {
        return Carried::Missing;
    };
    let mut rendered = String::new();
    let mut found = false;
    while let Some(start) = rest.find("${{") {
        rendered.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else {
            rest = after;
            break;
        };
        let inner = after[..end].trim();
        if expressions.contains(&inner) {
            rendered.push_str(SAMPLE_ID);
            found = true;
        } else if expressions.iter().any(|e| inner.contains(e)) {
            // Built by a function such as format(): assume it stands apart.
            rendered.push_str(&format!(" {SAMPLE_ID} "));
            found = true;
        } else {
            rendered.push('x');
        }
        rest = &after[end + 2..];
    }
    rendered.push_str(rest);
    if !found {
        Carried::Missing
    } else if carries(&rendered, SAMPLE_ID) {
        Carried::Separate
    } else {
        Carried::Joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_must_stand_as_a_word_of_its_own() {
        let payload = [PAYLOAD_ID];
        let cases = [
            (
                Some("build ${{ github.event.client_payload.relplan.correlation_id }}"),
                Carried::Separate,
            ),
            (
                Some(
                    "relplan ${{ github.event.action }} ${{github.event.client_payload.relplan.correlation_id}}",
                ),
                Carried::Separate,
            ),
            (
                Some("[${{ github.event.client_payload.relplan.correlation_id }}] build"),
                Carried::Separate,
            ),
            (
                Some("build-${{ github.event.client_payload.relplan.correlation_id }}"),
                Carried::Joined,
            ),
            (
                Some(
                    "${{ github.event.action }}${{ github.event.client_payload.relplan.correlation_id }}",
                ),
                Carried::Joined,
            ),
            (
                Some(
                    "${{ format('build {0}', github.event.client_payload.relplan.correlation_id) }}",
                ),
                Carried::Separate,
            ),
            (Some("build ${{ github.event.action }}"), Carried::Missing),
            (
                Some("build ${{ github.event.client_payload"),
                Carried::Missing,
            ),
            (None, Carried::Missing),
        ];
        for (run_name, expected) in cases {
            assert_eq!(carried(run_name, &payload), expected, "{run_name:?}");
        }
    }

    #[test]
    fn workflow_dispatch_reads_the_input_either_way() {
        for name in [
            "build ${{ inputs.relplan_correlation_id }}",
            "build ${{ github.event.inputs.relplan_correlation_id }}",
        ] {
            assert_eq!(carried(Some(name), &INPUT_IDS), Carried::Separate);
        }
        assert_eq!(
            carried(
                Some("build ${{ github.event.client_payload.relplan.correlation_id }}"),
                &INPUT_IDS
            ),
            Carried::Missing
        );
    }
}
