//! `relplan compare`: two releases side by side, as data. Assets only in A, only in B, in
//! both with other bytes (both hashes), in both and identical; how the two `SHA256SUMS`
//! differ (presence, bytes, and entry by entry); and the release fields (tag, draft,
//! prerelease, commit) where both sides know them. A directory knows no fields, so a field
//! only differs when both sides have it. `SHA256SUMS` is compared in its own section, not
//! among the assets. [`text`], [`markdown`] and [`json`] render it.
//!
//! Whether each side is sound on its own (its `SHA256SUMS` matches its assets) is
//! `relplan verify`'s question, not this one's.

pub mod json;
pub mod markdown;
pub mod text;

use std::collections::BTreeMap;

use crate::numbers::thousands;
use crate::release_assets::SHA256SUMS;
use crate::run_error::RunError;
use crate::verify::side::{AssetFacts, Kind, ReleaseFields, ReleaseSide};
use crate::verify::sums;

/// One side, as the comparison names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// As the user named it.
    pub label: String,
    pub kind: Kind,
    pub fields: Option<ReleaseFields>,
    /// Assets but `SHA256SUMS`.
    pub assets: usize,
}

/// A release field on both sides (`None` where a side does not know it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRow {
    /// `tag`, `draft`, `prerelease` or `commit`.
    pub field: &'static str,
    pub a: Option<String>,
    pub b: Option<String>,
}

impl FieldRow {
    /// Both sides know it and it differs.
    pub fn differs(&self) -> bool {
        matches!((&self.a, &self.b), (Some(a), Some(b)) if a != b)
    }
}

/// An asset of one name on both sides with other bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    pub a: AssetFacts,
    pub b: AssetFacts,
}

/// An entry of one name listed with other hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedTwice {
    pub name: String,
    pub a: String,
    pub b: String,
}

/// How the two `SHA256SUMS` differ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SumsComparison {
    /// The sha256 of each side's file, `None` where there is none.
    pub a: Option<String>,
    pub b: Option<String>,
    /// Entries (name, hash) only one side lists.
    pub only_in_a: Vec<(String, String)>,
    pub only_in_b: Vec<(String, String)>,
    /// Names both list, with other hashes.
    pub changed: Vec<ListedTwice>,
}

impl SumsComparison {
    /// One side has none, or their bytes differ.
    pub fn differs(&self) -> bool {
        self.a != self.b
    }
}

/// Everything that is the same and what differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub a: Summary,
    pub b: Summary,
    pub fields: Vec<FieldRow>,
    pub only_in_a: Vec<AssetFacts>,
    pub only_in_b: Vec<AssetFacts>,
    pub changed: Vec<Changed>,
    pub identical: Vec<AssetFacts>,
    pub sums: SumsComparison,
}

impl Comparison {
    pub fn is_different(&self) -> bool {
        self.fields.iter().any(FieldRow::differs)
            || !self.only_in_a.is_empty()
            || !self.only_in_b.is_empty()
            || !self.changed.is_empty()
            || self.sums.differs()
    }

    /// What is the same when nothing differs: `2 identical assets and SHA256SUMS`.
    pub fn sameness(&self) -> String {
        let n = self.identical.len();
        let assets = format!(
            "{} identical asset{}",
            thousands(n),
            if n == 1 { "" } else { "s" }
        );
        match self.sums.a {
            Some(_) => format!("{assets} and {SHA256SUMS}"),
            None => format!("{assets}, no {SHA256SUMS} on either side"),
        }
    }

    /// The release fields at least one side knows.
    pub fn known_fields(&self) -> impl Iterator<Item = &FieldRow> {
        self.fields
            .iter()
            .filter(|r| r.a.is_some() || r.b.is_some())
    }

    /// What differs, counted: `1 asset with other bytes`, `SHA256SUMS`, `tag`.
    pub fn differences(&self) -> Vec<String> {
        let mut parts = Vec::new();
        let mut count = |n: usize, what: &str| {
            if n > 0 {
                let assets = if n == 1 { "asset" } else { "assets" };
                parts.push(format!("{} {assets} {what}", thousands(n)));
            }
        };
        count(self.changed.len(), "with other bytes");
        count(self.only_in_a.len(), "only in A");
        count(self.only_in_b.len(), "only in B");
        if self.sums.differs() {
            parts.push(SHA256SUMS.to_string());
        }
        for row in self.fields.iter().filter(|r| r.differs()) {
            parts.push(row.field.to_string());
        }
        parts
    }
}

/// Compares `a` with `b`; a GitHub tag without a release cannot be compared.
pub fn compare(a: &ReleaseSide, b: &ReleaseSide) -> Result<Comparison, RunError> {
    for side in [a, b] {
        if !side.found {
            return Err(RunError::new(format!("`{}` has no release", side.label))
                .with_help("check the tag, or compare a release that exists"));
        }
    }
    let b_assets: BTreeMap<&str, &AssetFacts> =
        b.assets.iter().map(|x| (x.name.as_str(), x)).collect();
    let mut comparison = Comparison {
        a: summary(a),
        b: summary(b),
        fields: field_rows(a.fields.as_ref(), b.fields.as_ref()),
        only_in_a: Vec::new(),
        only_in_b: Vec::new(),
        changed: Vec::new(),
        identical: Vec::new(),
        sums: compare_sums(a, b),
    };
    for asset in &a.assets {
        match b_assets.get(asset.name.as_str()) {
            None => comparison.only_in_a.push(asset.clone()),
            Some(other) if other.sha256 == asset.sha256 => {
                comparison.identical.push(asset.clone());
            }
            Some(other) => comparison.changed.push(Changed {
                a: asset.clone(),
                b: (*other).clone(),
            }),
        }
    }
    comparison.only_in_b = b
        .assets
        .iter()
        .filter(|x| !a.assets.iter().any(|y| y.name == x.name))
        .cloned()
        .collect();
    Ok(comparison)
}

fn summary(side: &ReleaseSide) -> Summary {
    Summary {
        label: side.label.clone(),
        kind: side.kind(),
        fields: side.fields.clone(),
        assets: side.assets.len(),
    }
}

fn field_rows(a: Option<&ReleaseFields>, b: Option<&ReleaseFields>) -> Vec<FieldRow> {
    let values = |f: Option<&ReleaseFields>| -> [Option<String>; 4] {
        match f {
            None => [None, None, None, None],
            Some(f) => [
                Some(f.tag.clone()),
                Some(f.draft.to_string()),
                Some(f.prerelease.to_string()),
                f.commit.clone(),
            ],
        }
    };
    let (a, b) = (values(a), values(b));
    ["tag", "draft", "prerelease", "commit"]
        .into_iter()
        .zip(a.into_iter().zip(b))
        .map(|(field, (a, b))| FieldRow { field, a, b })
        .collect()
}

fn compare_sums(a: &ReleaseSide, b: &ReleaseSide) -> SumsComparison {
    let listing = |side: &ReleaseSide| {
        side.sums
            .as_ref()
            .and_then(|s| s.contents.as_deref())
            .map(sums::read)
            .unwrap_or_default()
    };
    let (a_list, b_list) = (listing(a), listing(b));
    let (a_hashes, b_hashes) = (a_list.hashes(), b_list.hashes());
    let mut comparison = SumsComparison {
        a: a.sums.as_ref().map(|s| s.facts.sha256.clone()),
        b: b.sums.as_ref().map(|s| s.facts.sha256.clone()),
        ..SumsComparison::default()
    };
    for (name, hash) in &a_hashes {
        match b_hashes.get(name) {
            None => comparison
                .only_in_a
                .push((name.to_string(), hash.to_string())),
            Some(other) if other != hash => comparison.changed.push(ListedTwice {
                name: name.to_string(),
                a: hash.to_string(),
                b: other.to_string(),
            }),
            Some(_) => {}
        }
    }
    for (name, hash) in &b_hashes {
        if !a_hashes.contains_key(name) {
            comparison
                .only_in_b
                .push((name.to_string(), hash.to_string()));
        }
    }
    comparison
}
