//! A workflow file, as far as starting it from relplan matters: its `run-name`, whether
//! and to which `repository_dispatch` event types it listens, and whether it accepts
//! `workflow_dispatch` with which inputs.
//!
//! `on:` takes every form GitHub allows: one event (`on: workflow_dispatch`), a list of
//! events (`on: [push, repository_dispatch]`), or a map of events to their settings, where
//! `repository_dispatch: { types: [...] }` narrows the event types (one type may be a plain
//! string; no `types` means every type) and `workflow_dispatch: { inputs: {...} }` declares
//! the inputs. Parsed with yaml-rust2 (YAML 1.2, where `on` is a string, not `true`).

use yaml_rust2::{Yaml, YamlLoader};

/// What relplan needs to know of one workflow file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkflowFile {
    pub run_name: Option<String>,
    /// `None` when the workflow does not listen to `repository_dispatch`.
    pub repository_dispatch: Option<EventTypes>,
    /// `None` when the workflow cannot be dispatched; else its declared inputs.
    pub workflow_dispatch: Option<Vec<Input>>,
}

/// The `repository_dispatch` event types a workflow listens to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventTypes {
    All,
    Only(Vec<String>),
}

impl EventTypes {
    pub fn includes(&self, event_type: &str) -> bool {
        match self {
            EventTypes::All => true,
            EventTypes::Only(types) => types.iter().any(|t| t == event_type),
        }
    }
}

/// One declared `workflow_dispatch` input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub name: String,
    pub required: bool,
    pub has_default: bool,
}

impl Input {
    /// GitHub refuses a dispatch that leaves this input out.
    pub fn must_be_sent(&self) -> bool {
        self.required && !self.has_default
    }
}

/// Reads a workflow file; the error says why it is not a workflow.
pub fn parse(text: &str) -> Result<WorkflowFile, String> {
    let documents = YamlLoader::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let root = match documents.first() {
        Some(Yaml::Hash(root)) => root,
        Some(_) => return Err("not a mapping of workflow keys".into()),
        None => return Err("empty".into()),
    };
    let mut file = WorkflowFile {
        run_name: match root.get(&key("run-name")) {
            Some(Yaml::String(name)) => Some(name.clone()),
            _ => None,
        },
        ..WorkflowFile::default()
    };
    // YAML 1.1 readers turn `on` into `true`; accept both spellings of the key.
    let on = root
        .get(&key("on"))
        .or_else(|| root.get(&Yaml::Boolean(true)));
    for (event, settings) in events(on) {
        match event.as_str() {
            "repository_dispatch" => file.repository_dispatch = Some(event_types(settings)),
            "workflow_dispatch" => file.workflow_dispatch = Some(inputs(settings)),
            _ => {}
        }
    }
    Ok(file)
}

fn key(name: &str) -> Yaml {
    Yaml::String(name.to_string())
}

/// The events of `on:` with their settings (`Null` when none are given).
fn events(on: Option<&Yaml>) -> Vec<(String, &Yaml)> {
    const NONE: &Yaml = &Yaml::Null;
    match on {
        Some(Yaml::String(event)) => vec![(event.clone(), NONE)],
        Some(Yaml::Array(list)) => list
            .iter()
            .filter_map(|e| e.as_str())
            .map(|e| (e.to_string(), NONE))
            .collect(),
        Some(Yaml::Hash(map)) => map
            .iter()
            .filter_map(|(k, v)| k.as_str().map(|k| (k.to_string(), v)))
            .collect(),
        _ => Vec::new(),
    }
}

fn event_types(settings: &Yaml) -> EventTypes {
    match &settings["types"] {
        Yaml::String(one) => EventTypes::Only(vec![one.clone()]),
        Yaml::Array(list) => EventTypes::Only(
            list.iter()
                .filter_map(|t| t.as_str())
                .map(str::to_string)
                .collect(),
        ),
        _ => EventTypes::All,
    }
}

fn inputs(settings: &Yaml) -> Vec<Input> {
    let Yaml::Hash(inputs) = &settings["inputs"] else {
        return Vec::new();
    };
    inputs
        .iter()
        .filter_map(|(name, spec)| {
            Some(Input {
                name: name.as_str()?.to_string(),
                required: match &spec["required"] {
                    Yaml::Boolean(required) => *required,
                    Yaml::String(text) => text == "true",
                    _ => false,
                },
                has_default: !matches!(spec["default"], Yaml::BadValue | Yaml::Null),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_as_a_string_a_list_or_a_map() {
        let one = parse("on: repository_dispatch\n").expect("parses");
        assert_eq!(one.repository_dispatch, Some(EventTypes::All));
        assert_eq!(one.workflow_dispatch, None);

        let list = parse("on: [push, workflow_dispatch]\n").expect("parses");
        assert_eq!(list.repository_dispatch, None);
        assert_eq!(list.workflow_dispatch, Some(Vec::new()));

        let map = parse(
            "name: build\nrun-name: build ${{ inputs.relplan_correlation_id }}\non:\n  push:\n    branches: [main]\n  repository_dispatch:\n    types: build-chain\n  workflow_dispatch:\n    inputs:\n      kani:\n        required: true\n      channel:\n        required: true\n        default: locked\n      relplan_correlation_id:\n        type: string\n",
        )
        .expect("parses");
        assert_eq!(
            map.run_name.as_deref(),
            Some("build ${{ inputs.relplan_correlation_id }}")
        );
        assert_eq!(
            map.repository_dispatch,
            Some(EventTypes::Only(vec!["build-chain".into()]))
        );
        let inputs = map.workflow_dispatch.expect("dispatchable");
        let must: Vec<(&str, bool)> = inputs
            .iter()
            .map(|i| (i.name.as_str(), i.must_be_sent()))
            .collect();
        assert_eq!(
            must,
            [
                ("kani", true),
                ("channel", false),
                ("relplan_correlation_id", false)
            ]
        );
    }

    #[test]
    fn types_narrow_the_event_and_no_types_means_every_type() {
        let narrowed =
            parse("on:\n  repository_dispatch:\n    types: [build-chain, deploy]\n").expect("ok");
        let types = narrowed.repository_dispatch.expect("listens");
        assert!(types.includes("deploy") && !types.includes("build"));
        let all = parse("on:\n  repository_dispatch:\n").expect("ok");
        assert!(
            all.repository_dispatch
                .expect("listens")
                .includes("anything")
        );
    }

    #[test]
    fn the_yaml_1_1_spelling_of_on_is_accepted() {
        let mut root = yaml_rust2::yaml::Hash::new();
        root.insert(
            Yaml::Boolean(true),
            Yaml::String("workflow_dispatch".into()),
        );
        let mut text = String::new();
        yaml_rust2::YamlEmitter::new(&mut text)
            .dump(&Yaml::Hash(root))
            .expect("emits");
        assert!(parse(&text).expect("parses").workflow_dispatch.is_some());
    }

    #[test]
    fn what_is_not_a_workflow_says_why() {
        assert_eq!(parse(""), Err("empty".into()));
        assert_eq!(
            parse("- a\n- b\n"),
            Err("not a mapping of workflow keys".into())
        );
        let broken = parse("on: [push\n").expect_err("invalid");
        assert!(broken.starts_with("not valid YAML: "), "{broken}");
        assert_eq!(parse("name: x\n"), Ok(WorkflowFile::default()));
    }
}
