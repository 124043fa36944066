//! `relplan compare --format text`: both sides named, the release fields side by side,
//! then the assets by what happened to them, `SHA256SUMS`, and a closing line.

use std::fmt::Write;

use crate::release_assets::SHA256SUMS;
use crate::verify::compare::{Comparison, Summary};
use crate::verify::render::{NAME_COLUMN, size};
use crate::verify::side::AssetFacts;

pub fn render(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "A: {}", name(&c.a));
    let _ = writeln!(out, "B: {}", name(&c.b));
    out.push('\n');
    if c.known_fields().next().is_none() {
        let _ = writeln!(out, "release fields: unknown (directories hold only files)");
    } else {
        let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
        let width = c
            .known_fields()
            .map(|r| value(&r.a).chars().count())
            .max()
            .unwrap_or(0)
            .max(1);
        let _ = writeln!(out, "{:<12}{:<width$}  B", "", "A");
        for row in c.known_fields() {
            let mark = if row.differs() { "  (differs)" } else { "" };
            let _ = writeln!(
                out,
                "{:<12}{:<width$}  {}{mark}",
                row.field,
                value(&row.a),
                value(&row.b)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nassets: {} with other bytes, {} only in A, {} only in B, {} identical",
        c.changed.len(),
        c.only_in_a.len(),
        c.only_in_b.len(),
        c.identical.len()
    );
    list(&mut out, "only in A", &c.only_in_a);
    list(&mut out, "only in B", &c.only_in_b);
    if !c.changed.is_empty() {
        let _ = writeln!(out, "\nwith other bytes:");
        for changed in &c.changed {
            let width = size(changed.a.bytes).len().max(size(changed.b.bytes).len());
            let _ = writeln!(out, "  {}", changed.a.name);
            let _ = writeln!(out, "    A: {}", facts(&changed.a, width));
            let _ = writeln!(out, "    B: {}", facts(&changed.b, width));
        }
    }
    list(&mut out, "identical", &c.identical);
    out.push('\n');
    sums(&mut out, c);
    out.push('\n');
    let differences = c.differences();
    if differences.is_empty() {
        let _ = writeln!(out, "the releases are the same: {}", c.sameness());
    } else {
        let _ = writeln!(out, "the releases differ: {}", differences.join(", "));
    }
    out
}

/// "`o/r@v1` (GitHub release, 3 assets)".
fn name(side: &Summary) -> String {
    format!(
        "`{}` ({}, {} asset{})",
        side.label,
        side.kind.noun(),
        side.assets,
        if side.assets == 1 { "" } else { "s" }
    )
}

/// Size (right-aligned in `width`) and hash.
fn facts(asset: &AssetFacts, width: usize) -> String {
    format!("{:>width$}  sha256:{}", size(asset.bytes), asset.sha256)
}

/// A titled list of assets, names in a column.
fn list(out: &mut String, title: &str, assets: &[AssetFacts]) {
    if assets.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}:");
    let width = assets
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(NAME_COLUMN);
    let sizes = assets
        .iter()
        .map(|a| size(a.bytes).len())
        .max()
        .unwrap_or(0);
    for asset in assets {
        let _ = writeln!(out, "  {:<width$}  {}", asset.name, facts(asset, sizes));
    }
}

fn sums(out: &mut String, c: &Comparison) {
    let s = &c.sums;
    let hash = |h: &Option<String>| match h {
        Some(h) => format!("sha256:{h}"),
        None => "none".into(),
    };
    if !s.differs() {
        match &s.a {
            Some(_) => {
                let _ = writeln!(out, "{SHA256SUMS}: identical ({})", hash(&s.a));
            }
            None => {
                let _ = writeln!(out, "{SHA256SUMS}: none on either side");
            }
        }
        return;
    }
    let _ = writeln!(
        out,
        "{SHA256SUMS}: differs (A {}, B {})",
        hash(&s.a),
        hash(&s.b)
    );
    for (name, _) in &s.only_in_a {
        let _ = writeln!(out, "  only A lists `{name}`");
    }
    for (name, _) in &s.only_in_b {
        let _ = writeln!(out, "  only B lists `{name}`");
    }
    for listed in &s.changed {
        let _ = writeln!(
            out,
            "  `{}`: A lists sha256:{}, B lists sha256:{}",
            listed.name, listed.a, listed.b
        );
    }
    if s.a.is_some()
        && s.b.is_some()
        && s.only_in_a.is_empty()
        && s.only_in_b.is_empty()
        && s.changed.is_empty()
    {
        let _ = writeln!(out, "  the same entries, written differently");
    }
}
