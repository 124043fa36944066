//! `relplan compare --format markdown`: the comparison as a pull-request comment or a
//! `$GITHUB_STEP_SUMMARY`: both sides, a headline, a table of the release fields, then the
//! assets in collapsible sections (what differs first, the identical ones last). It never
//! exceeds [`MAX_CHARS`] (a [`Doc`]): past it, the remaining rows are counted, not shown.

use crate::markdown::{Doc, MAX_CHARS, cell, code};
use crate::numbers::thousands;
use crate::release_assets::SHA256SUMS;
use crate::verify::compare::{Comparison, Summary};
use crate::verify::render::size;
use crate::verify::side::AssetFacts;

pub fn render(c: &Comparison) -> String {
    render_within(c, MAX_CHARS)
}

/// Renders within `limit` characters (at least [`crate::markdown::RESERVE`] plus the
/// frame).
fn render_within(c: &Comparison, limit: usize) -> String {
    let mut doc = Doc::new(limit);
    doc.push("### relplan: release comparison\n\n");
    doc.push(&format!(
        "**A**: {}  \n**B**: {}\n\n",
        side(&c.a),
        side(&c.b)
    ));
    let differences = c.differences();
    if differences.is_empty() {
        doc.push(&format!(
            "**The releases are the same: {}.**\n\n",
            c.sameness()
        ));
    } else {
        doc.push(&format!(
            "**The releases differ: {}.**\n\n",
            differences.join(", ")
        ));
    }
    table(&mut doc, c);
    doc.section(
        &format!("With other bytes ({})", thousands(c.changed.len())),
        "| asset | A | B |\n|---|---|---|\n",
        c.changed.iter().map(|x| {
            format!(
                "| {} | {} | {} |\n",
                cell(&code(&x.a.name)),
                facts(&x.a),
                facts(&x.b)
            )
        }),
    );
    assets(&mut doc, "Only in A", &c.only_in_a);
    assets(&mut doc, "Only in B", &c.only_in_b);
    let s = &c.sums;
    let entries = s.only_in_a.len() + s.only_in_b.len() + s.changed.len();
    doc.section(
        &format!("{SHA256SUMS} entries that differ ({})", thousands(entries)),
        "",
        s.only_in_a
            .iter()
            .map(|(name, _)| format!("- only A lists {}\n", code(name)))
            .chain(
                s.only_in_b
                    .iter()
                    .map(|(name, _)| format!("- only B lists {}\n", code(name))),
            )
            .chain(s.changed.iter().map(|x| {
                format!(
                    "- {}: A lists {}, B lists {}\n",
                    code(&x.name),
                    code(&format!("sha256:{}", x.a)),
                    code(&format!("sha256:{}", x.b))
                )
            })),
    );
    assets(&mut doc, "Identical", &c.identical);
    doc.finish("rows", "relplan compare")
}

/// "`o/r@v1` (GitHub release)".
fn side(summary: &Summary) -> String {
    format!("{} ({})", code(&summary.label), summary.kind.noun())
}

fn facts(asset: &AssetFacts) -> String {
    format!(
        "{}, {}",
        size(asset.bytes),
        cell(&code(&format!("sha256:{}", asset.sha256)))
    )
}

/// The release fields, the asset count and `SHA256SUMS`, side by side.
fn table(doc: &mut Doc, c: &Comparison) {
    doc.push("| | A | B |\n|---|---|---|\n");
    let value = |v: &Option<String>| match v {
        Some(v) => cell(&code(v)),
        None => "unknown".into(),
    };
    for row in c.known_fields() {
        let mark = if row.differs() { " **differs**" } else { "" };
        doc.push(&format!(
            "| {} | {} | {}{mark} |\n",
            row.field,
            value(&row.a),
            value(&row.b)
        ));
    }
    doc.push(&format!(
        "| assets | {} | {} |\n",
        thousands(c.a.assets),
        thousands(c.b.assets)
    ));
    let hash = |h: &Option<String>| match h {
        Some(h) => cell(&code(&format!("sha256:{h}"))),
        None => "none".into(),
    };
    let mark = if c.sums.differs() { " **differs**" } else { "" };
    doc.push(&format!(
        "| {SHA256SUMS} | {} | {}{mark} |\n\n",
        hash(&c.sums.a),
        hash(&c.sums.b)
    ));
}

fn assets(doc: &mut Doc, title: &str, assets: &[AssetFacts]) {
    doc.section(
        &format!("{title} ({})", thousands(assets.len())),
        "| asset | size | sha256 |\n|---|---|---|\n",
        assets.iter().map(|a| {
            format!(
                "| {} | {} | {} |\n",
                cell(&code(&a.name)),
                size(a.bytes),
                cell(&code(&a.sha256))
            )
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::compare::compare;
    use crate::verify::side::{Location, ReleaseSide};

    fn side(label: &str, assets: usize, salt: &str) -> ReleaseSide {
        ReleaseSide {
            label: label.into(),
            location: Location::Directory(label.into()),
            fields: None,
            found: true,
            assets: (0..assets)
                .map(|i| AssetFacts {
                    name: format!("asset-{i:05}.tar.gz"),
                    bytes: 1_000,
                    sha256: crate::digest::sha256_hex(format!("{salt}{i}").as_bytes()),
                    digest: None,
                })
                .collect(),
            sums: None,
            problems: Vec::new(),
        }
    }

    #[test]
    fn stays_within_the_limit_and_counts_what_it_left_out() {
        let c = compare(&side("a", 2_000, "x"), &side("b", 2_000, "y")).unwrap();
        let markdown = render_within(&c, 8_000);
        assert!(markdown.chars().count() <= 8_000, "{}", markdown.len());
        assert!(
            markdown.contains(" of 2,000 rows are not shown"),
            "{markdown}"
        );
        assert_eq!(
            markdown.matches("<details").count(),
            markdown.matches("</details>").count()
        );
        let whole = render(&c);
        assert!(whole.chars().count() <= MAX_CHARS);
        assert!(whole.contains("rows are not shown"));
        let small = render(&compare(&side("a", 20, "x"), &side("b", 20, "y")).unwrap());
        assert!(!small.contains("not shown"), "{small}");
        assert_eq!(small.matches("| `asset-").count(), 20);
    }
}
