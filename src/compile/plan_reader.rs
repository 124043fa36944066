//! Reading a release-plan TOML file into [`PlanFile`], reporting every unknown key and
//! wrongly typed value at once. The plan format is relplan's own, so unknown keys are errors.

use toml::de::{DeTable, DeValue};

use crate::bounds::{
    MAX_ARTIFACT_GLOBS, MAX_DURATION_S, MAX_LOCAL_RUN_BYTES, MAX_PUBLISH_GLOBS, MAX_RETRIES,
    MAX_STAGES,
};
use crate::compile::duration::parse_seconds;
use crate::compile::github_names;
use crate::compile::placeholder::{self, PAYLOAD_PLACEHOLDERS, TAG_PLACEHOLDERS};
use crate::compile::plan_file::*;
use crate::compile::suggest::did_you_mean;
use crate::compile::toml_reader::{Cx, Fields, Value, parse_document, to_json};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::glob::artifact_glob;
use crate::source::Sp;

/// Reads a plan; `None` when it is not valid TOML.
pub fn read(text: &str, cx: &mut Cx<'_>) -> Option<PlanFile> {
    let root = parse_document(text, cx)?;
    let mut fields = Fields::new(&root, "the plan");
    let mut plan = PlanFile::default();
    match fields.get("release").and_then(|v| cx.table(v, "[release]")) {
        Some(table) => plan.release = read_release(table, cx),
        None if root.get("release").is_none() => cx.report(
            Diagnostic::error(Code::MissingKey, "the plan has no [release] table")
                .at(cx.file, 0..0, "expected [release] in this file")
                .help("start the plan with `[release]` and at least `owner` and `versions`"),
        ),
        None => {}
    }
    if let Some(table) = fields
        .get("defaults")
        .and_then(|v| cx.table(v, "[defaults]"))
    {
        let mut defaults = Fields::new(table, "[defaults]");
        plan.defaults = read_settings(&mut defaults, cx);
        defaults.finish(cx, Severity::Error);
    }
    if let Some(table) = fields.get("repo").and_then(|v| cx.table(v, "[repo]")) {
        plan.repo = named_tables(table, cx, "repo", read_repo);
    }
    if let Some(steps) = fields.get("step") {
        plan.step = cx
            .tables(steps, "each [[step]]")
            .into_iter()
            .filter_map(|step| read_step(step, cx))
            .collect();
    }
    if let Some(value) = fields.get("fallback") {
        plan.fallback = read_trigger(value, cx, "[fallback]");
    }
    fields.finish(cx, Severity::Error);
    Some(plan)
}

fn named_tables<T>(
    table: &DeTable<'_>,
    cx: &mut Cx<'_>,
    prefix: &str,
    read_one: impl Fn(&DeTable<'_>, &str, &mut Cx<'_>) -> T,
) -> NamedTables<T> {
    let mut out = Vec::new();
    for (key, value) in table.iter() {
        let name = format!("[{prefix}.{}]", key.get_ref());
        if let Some(inner) = cx.table(value, &name) {
            let item = read_one(inner, &name, cx);
            out.push((Sp::new(key.get_ref().to_string(), key.span()), item));
        }
    }
    NamedTables(out)
}

fn read_release(table: &DeTable<'_>, cx: &mut Cx<'_>) -> ReleaseSection {
    let mut f = Fields::new(table, "[release]");
    let release = ReleaseSection {
        name: f.string(cx, "name"),
        owner: checked(f.string(cx, "owner"), cx, Rule::Owner),
        versions: f.string(cx, "versions"),
        version_from: f.string(cx, "version_from"),
        version: f.string(cx, "version"),
        tag: checked(f.string(cx, "tag"), cx, Rule::NotEmpty("tag"))
            .inspect(|tag| check_placeholders_in(tag, cx, TAG_PLACEHOLDERS)),
        publish_to: f.string(cx, "publish_to"),
        prerelease: f.get("prerelease").and_then(|v| read_prerelease(v, cx)),
    };
    f.finish(cx, Severity::Error);
    release
}

fn read_prerelease(value: &Value<'_>, cx: &mut Cx<'_>) -> Option<Sp<Prerelease>> {
    let setting = match value.get_ref() {
        DeValue::Boolean(b) => Prerelease::Flag(*b),
        DeValue::String(s) if s == "auto" => Prerelease::Mode(PrereleaseMode::Auto),
        _ => {
            cx.error(
                Code::InvalidValue,
                "`prerelease` in [release] must be \"auto\", true or false".into(),
                &value.span(),
                "not \"auto\", true or false",
            );
            return None;
        }
    };
    Some(Sp::new(setting, value.span()))
}

fn read_settings(f: &mut Fields<'_, '_>, cx: &mut Cx<'_>) -> JobSettings {
    let name = f.name().to_string();
    let settings = JobSettings {
        trigger: f
            .get("trigger")
            .and_then(|v| read_trigger(v, cx, &format!("`trigger` in {name}"))),
        timeout: duration(f, cx, "timeout"),
        retries: f.count(cx, "retries", MAX_RETRIES),
        estimate: duration(f, cx, "estimate"),
        publish: bounded_list(
            f,
            cx,
            "publish",
            MAX_PUBLISH_GLOBS,
            "one glob matches many names, e.g. \"*.tar.gz\"",
        ),
        payload: f
            .get("payload")
            .and_then(|v| read_payload(v, cx, &format!("`payload` in {name}"))),
        local: f
            .get("local")
            .and_then(|v| read_local(v, cx, &format!("`local` in {name}"))),
    };
    if let (Some(estimate), Some(timeout)) = (&settings.estimate, &settings.timeout)
        && estimate.value.0 > timeout.value.0
    {
        cx.report(
            Diagnostic::warning(
                Code::InvalidDuration,
                format!("the estimate in {name} is longer than its timeout"),
            )
            .at(cx.file, estimate.span.clone(), "longer than `timeout`")
            .help(
                "a job that takes its estimate would time out: raise `timeout` or lower `estimate`",
            ),
        );
    }
    settings
}

fn duration(f: &mut Fields<'_, '_>, cx: &mut Cx<'_>, key: &'static str) -> Option<Sp<Seconds>> {
    let text = f.string(cx, key)?;
    match parse_seconds(&text) {
        Ok(seconds) if seconds > MAX_DURATION_S => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidDuration,
                    format!("`{key}` in {} is longer than 35 days", f.name()),
                )
                .at(cx.file, text.span.clone(), "too long")
                .help(format!(
                    "GitHub ends a workflow run after 35 days: at most \"{}h\"",
                    MAX_DURATION_S / 3600
                )),
            );
            None
        }
        Ok(seconds) => Some(Sp::new(Seconds(seconds), text.span)),
        Err(why) => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidDuration,
                    format!("`{key}` in {}: {why}", f.name()),
                )
                .at(cx.file, text.span.clone(), "not a duration")
                .help(if text.trim().parse::<f64>().is_ok() {
                    format!("add a unit: \"{}m\" or \"{}s\"", text.trim(), text.trim())
                } else {
                    "write durations like \"90m\", \"1h30m\" or \"45s\"".to_string()
                }),
            );
            None
        }
    }
}

/// A list of at most `max` strings; a longer one is reported (with `help`) and cut to
/// `max`, so that no later stage works on more.
fn bounded_list(
    f: &mut Fields<'_, '_>,
    cx: &mut Cx<'_>,
    key: &'static str,
    max: usize,
    help: &str,
) -> Option<Sp<Vec<Sp<String>>>> {
    let mut list = f.string_list(cx, key)?;
    if list.len() > max {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                format!(
                    "`{key}` in {} lists {} entries; at most {max} are allowed",
                    f.name(),
                    list.len()
                ),
            )
            .at(cx.file, list.span.clone(), "too many")
            .help(help),
        );
        list.value.truncate(max);
    }
    Some(list)
}

/// `local = { run, artifacts }`: the command must not be empty (nor too long to pass to
/// `sh -c`), and every artifact glob must stay inside the worktree.
fn read_local(value: &Value<'_>, cx: &mut Cx<'_>, what: &str) -> Option<Sp<LocalSettings>> {
    let table = cx.table(value, what)?;
    let mut f = Fields::new(table, what.to_string());
    let run = checked(f.string(cx, "run"), cx, Rule::NotEmpty("run"));
    if let Some(run) = run.as_ref().filter(|r| r.len() > MAX_LOCAL_RUN_BYTES) {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                format!(
                    "`run` in {what} is {} bytes; at most {} KiB",
                    run.len(),
                    MAX_LOCAL_RUN_BYTES / 1024
                ),
            )
            .at(cx.file, run.span.clone(), "too long")
            .help("put the commands in a script in the repository and run that script"),
        );
    }
    let artifacts = bounded_list(
        &mut f,
        cx,
        "artifacts",
        MAX_ARTIFACT_GLOBS,
        "one glob matches many files, e.g. \"target/release/blvm-*\"",
    );
    for pattern in artifacts.iter().flat_map(|a| a.iter()) {
        if let Err(why) = artifact_glob(pattern) {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("artifact glob `{}` in {what} {why}", **pattern),
                )
                .at(cx.file, pattern.span.clone(), "not an artifact glob")
                .help("write a path relative to the worktree, e.g. \"target/release/blvm\" or \"dist/*.tar.gz\""),
            );
        }
    }
    f.finish(cx, Severity::Error);
    Some(Sp::new(LocalSettings { run, artifacts }, value.span()))
}

fn read_payload(value: &Value<'_>, cx: &mut Cx<'_>, what: &str) -> Option<Sp<Payload>> {
    cx.table(value, what)?;
    check_placeholders(value, cx, PAYLOAD_PLACEHOLDERS);
    match to_json(value.get_ref()) {
        serde_json::Value::Object(map) => Some(Sp::new(map, value.span())),
        _ => None,
    }
}

fn read_trigger(value: &Value<'_>, cx: &mut Cx<'_>, what: &str) -> Option<Sp<Trigger>> {
    let table = cx.table(value, what)?;
    let mut f = Fields::new(table, what.to_string());
    let dispatch = f.get("repository_dispatch");
    let workflow = f.get("workflow_dispatch");
    f.finish(cx, Severity::Error);
    let trigger = match (dispatch, workflow) {
        (Some(inner), None) => {
            let t = cx.table(inner, "`repository_dispatch`")?;
            let mut f = Fields::new(t, "`repository_dispatch`");
            let repo = checked(f.string(cx, "repo"), cx, Rule::Repository);
            let event_type = required(f.string(cx, "event_type"), "event_type", &f, inner, cx);
            let event_type = checked(event_type, cx, Rule::NotEmpty("event_type"));
            f.finish(cx, Severity::Error);
            Trigger::RepositoryDispatch(RepositoryDispatch {
                repo,
                event_type: event_type?,
            })
        }
        (None, Some(inner)) => {
            let t = cx.table(inner, "`workflow_dispatch`")?;
            let mut f = Fields::new(t, "`workflow_dispatch`");
            let repo = checked(f.string(cx, "repo"), cx, Rule::Repository);
            let workflow = required(f.string(cx, "workflow"), "workflow", &f, inner, cx);
            let workflow = checked(workflow, cx, Rule::NotEmpty("workflow"));
            let git_ref = f.string(cx, "ref");
            let inputs = f
                .get("inputs")
                .and_then(|v| read_payload(v, cx, "`inputs` of `workflow_dispatch`"));
            f.finish(cx, Severity::Error);
            Trigger::WorkflowDispatch(WorkflowDispatch {
                repo,
                workflow: workflow?,
                git_ref,
                inputs,
            })
        }
        _ => {
            cx.error(
                Code::InvalidValue,
                format!(
                    "{what} must have exactly one of `repository_dispatch` or `workflow_dispatch`"
                ),
                &value.span(),
                "one of the two expected",
            );
            return None;
        }
    };
    Some(Sp::new(trigger, value.span()))
}

fn required<T>(
    value: Option<T>,
    key: &str,
    fields: &Fields<'_, '_>,
    table: &Value<'_>,
    cx: &mut Cx<'_>,
) -> Option<T> {
    if value.is_none() && !fields_has(table, key) {
        cx.error(
            Code::MissingKey,
            format!("{} needs `{key}`", fields.name()),
            &table.span(),
            &format!("`{key}` missing"),
        );
    }
    value
}

fn fields_has(table: &Value<'_>, key: &str) -> bool {
    table
        .get_ref()
        .as_table()
        .is_some_and(|t| t.contains_key(key))
}

fn read_repo(table: &DeTable<'_>, name: &str, cx: &mut Cx<'_>) -> RepoSection {
    let mut f = Fields::new(table, name);
    let repo = RepoSection {
        github: checked(f.string(cx, "github"), cx, Rule::Repository),
        stages: bounded_list(
            &mut f,
            cx,
            "stages",
            MAX_STAGES,
            "merge stages, or split the repository's work over several workflows",
        ),
        stage: f
            .get("stage")
            .and_then(|v| cx.table(v, &format!("`stage` in {name}")))
            .map(|t| {
                named_tables(
                    t,
                    cx,
                    &format!("{}.stage", &name[1..name.len() - 1]),
                    read_stage,
                )
            })
            .unwrap_or_default(),
        after: f.string_list(cx, "after"),
        settings: read_settings(&mut f, cx),
    };
    f.finish(cx, Severity::Error);
    repo
}

fn read_stage(table: &DeTable<'_>, name: &str, cx: &mut Cx<'_>) -> StageSection {
    let mut f = Fields::new(table, name);
    let stage = StageSection {
        after: f.string_list(cx, "after"),
        settings: read_settings(&mut f, cx),
    };
    f.finish(cx, Severity::Error);
    stage
}

fn read_step(value: &Value<'_>, cx: &mut Cx<'_>) -> Option<StepSection> {
    let table = value.get_ref().as_table()?;
    let mut f = Fields::new(table, "[[step]]");
    let id = required(f.string(cx, "id"), "id", &f, value, cx);
    let after = f.string_list(cx, "after");
    let settings = read_settings(&mut f, cx);
    f.finish(cx, Severity::Error);
    Some(StepSection {
        id: id?,
        after,
        settings,
    })
}

/// Checks a value passed on to a workflow: `{name}` placeholders in strings must be in
/// `allowed`, keys take none (they are not filled), and numbers must be finite (JSON has no
/// NaN or infinity).
fn check_placeholders(value: &Value<'_>, cx: &mut Cx<'_>, allowed: &[&str]) {
    match value.get_ref() {
        DeValue::String(s) => {
            check_placeholders_in(&Sp::new(s.to_string(), value.span()), cx, allowed)
        }
        DeValue::Array(items) => items
            .iter()
            .for_each(|v| check_placeholders(v, cx, allowed)),
        DeValue::Table(t) => {
            for (key, v) in t.iter() {
                if !placeholder::names(key.get_ref()).is_empty() {
                    cx.error(
                        Code::UnknownPlaceholder,
                        format!("placeholders are not filled in keys: `{}`", key.get_ref()),
                        &key.span(),
                        "in this key",
                    );
                }
                check_placeholders(v, cx, allowed);
            }
        }
        DeValue::Float(f)
            if !f
                .as_str()
                .replace('_', "")
                .parse::<f64>()
                .is_ok_and(f64::is_finite) =>
        {
            cx.error(
                Code::InvalidValue,
                format!(
                    "`{}` cannot be sent to GitHub: JSON numbers are finite",
                    f.as_str()
                ),
                &value.span(),
                "not a finite number",
            )
        }
        _ => {}
    }
}

fn check_placeholders_in(text: &Sp<String>, cx: &mut Cx<'_>, allowed: &[&str]) {
    for name in placeholder::names(text) {
        if !allowed.contains(&name) {
            let help = did_you_mean(name, allowed.iter().copied()).unwrap_or_else(|| {
                let list: Vec<String> = allowed.iter().map(|a| format!("{{{a}}}")).collect();
                format!("placeholders here are {}", list.join(", "))
            });
            cx.report(
                Diagnostic::error(
                    Code::UnknownPlaceholder,
                    format!("unknown placeholder `{{{name}}}`"),
                )
                .at(cx.file, text.span.clone(), "in this string")
                .help(help),
            );
        }
    }
}

/// What a string value must look like.
enum Rule {
    Owner,
    Repository,
    NotEmpty(&'static str),
}

/// Reports the value when it breaks the rule. The value is kept either way, so that later
/// stages do not add follow-on errors about a missing value; the plan is dropped anyway.
fn checked(value: Option<Sp<String>>, cx: &mut Cx<'_>, rule: Rule) -> Option<Sp<String>> {
    let text = value?;
    let (ok, message, help) = match rule {
        Rule::Owner => (
            github_names::is_owner(&text),
            format!("`{}` is not a GitHub user or organisation name", *text),
            "owners are letters, digits and hyphens, e.g. \"BTCDecoded\"",
        ),
        Rule::Repository => (
            github_names::is_repository_path(&text),
            format!("`{}` is not a GitHub repository name", *text),
            "write \"name\" or \"owner/name\" with letters, digits, `.`, `_` or `-`",
        ),
        Rule::NotEmpty(key) => (
            !text.trim().is_empty(),
            format!("`{key}` must not be empty"),
            "give it a value, or remove the key to use the default",
        ),
    };
    if ok {
        return Some(text);
    }
    cx.report(
        Diagnostic::error(Code::InvalidValue, message)
            .at(cx.file, text.span.clone(), "invalid here")
            .help(help),
    );
    Some(text)
}
