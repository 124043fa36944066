//! `relplan compare --format json`: the comparison for programs, a stable contract
//! (docs/verify.md).

use serde_json::{Value, json};

use crate::verify::compare::{Comparison, Summary};
use crate::verify::render::fields_json;
use crate::verify::side::AssetFacts;

pub fn render(c: &Comparison) -> String {
    let s = &c.sums;
    let entries = |list: &[(String, String)]| -> Vec<Value> {
        list.iter()
            .map(|(name, sha256)| json!({ "name": name, "sha256": sha256 }))
            .collect()
    };
    let value = json!({
        "same": !c.is_different(),
        "a": side(&c.a),
        "b": side(&c.b),
        "fields": c.fields.iter().map(|r| json!({
            "field": r.field,
            "a": r.a,
            "b": r.b,
            "differs": r.differs(),
        })).collect::<Vec<_>>(),
        "assets": {
            "only_in_a": c.only_in_a.iter().map(asset).collect::<Vec<_>>(),
            "only_in_b": c.only_in_b.iter().map(asset).collect::<Vec<_>>(),
            "changed": c.changed.iter().map(|x| json!({
                "name": x.a.name,
                "a": { "bytes": x.a.bytes, "sha256": x.a.sha256 },
                "b": { "bytes": x.b.bytes, "sha256": x.b.sha256 },
            })).collect::<Vec<_>>(),
            "identical": c.identical.iter().map(asset).collect::<Vec<_>>(),
        },
        "sha256sums": {
            "a": s.a,
            "b": s.b,
            "differs": s.differs(),
            "only_in_a": entries(&s.only_in_a),
            "only_in_b": entries(&s.only_in_b),
            "changed": s.changed.iter().map(|x| json!({
                "name": x.name,
                "a": x.a,
                "b": x.b,
            })).collect::<Vec<_>>(),
        },
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn side(summary: &Summary) -> Value {
    json!({
        "release": summary.label,
        "kind": summary.kind.as_str(),
        "assets": summary.assets,
        "fields": fields_json(summary.fields.as_ref()),
    })
}

fn asset(a: &AssetFacts) -> Value {
    json!({ "name": a.name, "bytes": a.bytes, "sha256": a.sha256 })
}
