//! `SHA256SUMS` read back and checked against the assets. The format is relplan's own
//! (written by [`crate::release_assets::sha256sums`], one line read back by
//! [`parse_sums_line`]): UTF-8 text, one line `<64 lowercase hex>  <name>` per asset,
//! sorted by name byte by byte, each line ending with a newline, nothing else. Every way a
//! file differs from that is a finding; then every listed name must be an asset with those
//! bytes, and every asset must be listed.
//!
//! A check that finds the same problem on many lines (a file of garbage) reports the first
//! [`SHOWN_PER_CHECK`] lines and then how many more there are.

use std::collections::{BTreeMap, BTreeSet};

use crate::release_assets::{SHA256SUMS, parse_sums_line};
use crate::verify::finding::{Check, Finding};
use crate::verify::side::AssetFacts;

/// Findings of one check on single lines shown before the rest are counted.
pub const SHOWN_PER_CHECK: usize = 20;
/// Longest part of a malformed line quoted in a message, in characters.
const QUOTED_CHARS: usize = 80;

const FORMAT_HELP: &str = "write each line as 64 lowercase hex digits, two spaces and the asset's name, as `sha256sum` and relplan write them";

/// One well-formed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 1-based.
    pub line: usize,
    pub sha256: String,
    pub name: String,
}

/// What a `SHA256SUMS` says, and every way it is not as relplan writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// Well-formed lines in file order, the first of each name only.
    pub entries: Vec<Entry>,
    pub findings: Vec<Finding>,
}

impl Listing {
    /// Name → hash of every entry.
    pub fn hashes(&self) -> BTreeMap<&str, &str> {
        self.entries
            .iter()
            .map(|e| (e.name.as_str(), e.sha256.as_str()))
            .collect()
    }
}

/// Findings of per-line checks, at most [`SHOWN_PER_CHECK`] of each check, the rest counted.
#[derive(Default)]
struct Capped {
    findings: Vec<Finding>,
    more: BTreeMap<Check, usize>,
}

impl Capped {
    fn push(&mut self, finding: Finding) {
        let shown = self
            .findings
            .iter()
            .filter(|f| f.check == finding.check)
            .count();
        if shown < SHOWN_PER_CHECK {
            self.findings.push(finding);
        } else {
            *self.more.entry(finding.check).or_default() += 1;
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        for (check, more) in self.more {
            let help = self
                .findings
                .iter()
                .find(|f| f.check == check)
                .map(|f| f.help.clone())
                .unwrap_or_default();
            let lines = if more == 1 { "line" } else { "lines" };
            self.findings.push(Finding::new(
                check,
                format!("… and {more} more {lines} of {SHA256SUMS} like the above"),
                help,
            ));
        }
        self.findings
    }
}

/// Reads `SHA256SUMS` as relplan writes it.
pub fn read(contents: &[u8]) -> Listing {
    let Ok(text) = std::str::from_utf8(contents) else {
        return Listing {
            entries: Vec::new(),
            findings: vec![Finding::new(
                Check::SumsNotText,
                format!("{SHA256SUMS} is not UTF-8 text"),
                format!(
                    "check that the asset named {SHA256SUMS} is the checksum file; {FORMAT_HELP}"
                ),
            )],
        };
    };
    let mut found = Capped::default();
    let mut entries: Vec<Entry> = Vec::new();
    let mut first_line_of: BTreeMap<String, usize> = BTreeMap::new();
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = if text.is_empty() {
        Vec::new()
    } else {
        body.split('\n').collect()
    };
    for (index, line) in lines.into_iter().enumerate() {
        let number = index + 1;
        let Some((sha256, name)) = parse_sums_line(line) else {
            found.push(Finding::new(
                Check::SumsMalformed,
                malformed(number, line),
                FORMAT_HELP,
            ));
            continue;
        };
        if name == SHA256SUMS {
            found.push(
                Finding::new(
                    Check::SumsMalformed,
                    format!(
                        "line {number} lists {SHA256SUMS} itself, which cannot hold its own hash"
                    ),
                    "remove that line",
                )
                .asset(name),
            );
            continue;
        }
        if let Some(first) = first_line_of.get(name) {
            found.push(
                Finding::new(
                    Check::SumsDuplicate,
                    format!("`{name}` is listed on line {first} and again on line {number}"),
                    "keep one line per asset",
                )
                .asset(name),
            );
            continue;
        }
        if let Some(previous) = entries.last()
            && name < previous.name.as_str()
        {
            found.push(
                Finding::new(
                    Check::SumsUnsorted,
                    format!(
                        "`{name}` (line {number}) comes after `{}` (line {}): the lines are not sorted by name",
                        previous.name, previous.line
                    ),
                    "sort the lines by asset name, byte by byte, as relplan writes them",
                )
                .asset(name),
            );
        }
        first_line_of.insert(name.to_string(), number);
        entries.push(Entry {
            line: number,
            sha256: sha256.to_string(),
            name: name.to_string(),
        });
    }
    let mut findings = found.finish();
    if !text.is_empty() && !text.ends_with('\n') {
        findings.push(Finding::new(
            Check::SumsUnterminated,
            format!("the last line of {SHA256SUMS} does not end with a newline"),
            "end every line, the last one too, with a newline",
        ));
    }
    Listing { entries, findings }
}

/// Why line `number` is malformed, quoting (the start of) it.
fn malformed(number: usize, line: &str) -> String {
    if line.is_empty() {
        return format!("line {number} is empty");
    }
    if line.ends_with('\r') {
        return format!("line {number} ends with a carriage return (Windows line endings)");
    }
    let mut quoted: String = line.chars().take(QUOTED_CHARS).collect();
    if quoted.len() < line.len() {
        quoted.push('…');
    }
    let quoted = quoted.escape_debug();
    format!("line {number} is not `<64 lowercase hex>  <name>`: \"{quoted}\"")
}

/// Every listed name must be an asset with the listed bytes, and every asset listed; the
/// findings come sorted by name.
pub fn check_assets(listing: &Listing, assets: &[AssetFacts]) -> Vec<Finding> {
    let listed: BTreeMap<&str, &Entry> = listing
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e))
        .collect();
    let present: BTreeMap<&str, &AssetFacts> =
        assets.iter().map(|a| (a.name.as_str(), a)).collect();
    let names: BTreeSet<&str> = listed.keys().chain(present.keys()).copied().collect();
    let mut findings = Vec::new();
    for name in names {
        match (listed.get(name), present.get(name)) {
            (Some(entry), None) => findings.push(
                Finding::new(
                    Check::AssetMissing,
                    format!(
                        "`{name}` is listed in {SHA256SUMS} (line {}) but the release has no such asset",
                        entry.line
                    ),
                    "upload (or download) the missing file, or remove its line if it is not part of the release",
                )
                .asset(name),
            ),
            (None, Some(_)) => findings.push(
                Finding::new(
                    Check::AssetUnlisted,
                    format!("`{name}` is an asset of the release but {SHA256SUMS} does not list it"),
                    format!("remove the file from the release, or add its line to {SHA256SUMS}"),
                )
                .asset(name),
            ),
            (Some(entry), Some(asset)) if entry.sha256 != asset.sha256 => findings.push(
                Finding::new(
                    Check::AssetChanged,
                    format!(
                        "`{name}` hashes to sha256:{}, but {SHA256SUMS} (line {}) lists sha256:{}",
                        asset.sha256, entry.line, entry.sha256
                    ),
                    "the file changed or was damaged after SHA256SUMS was written; replace it with the file that was built",
                )
                .asset(name),
            ),
            _ => {}
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256_hex;

    fn line(name: &str) -> String {
        format!("{}  {name}\n", sha256_hex(name.as_bytes()))
    }

    fn codes(listing: &Listing) -> Vec<&'static str> {
        listing.findings.iter().map(|f| f.check.code()).collect()
    }

    #[test]
    fn reads_what_relplan_writes() {
        let text = [line("a"), line("b.tar.gz")].concat();
        let listing = read(text.as_bytes());
        assert_eq!(codes(&listing), Vec::<&str>::new());
        let names: Vec<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "b.tar.gz"]);
        assert_eq!(read(b"").entries, Vec::new());
        assert_eq!(codes(&read(b"")), Vec::<&str>::new());
    }

    #[test]
    fn every_deviation_is_a_finding() {
        let text = [
            line("b"),
            line("a"),
            "\n".into(),
            line("b"),
            format!("{}  c\r\n", sha256_hex(b"c")),
            line("SHA256SUMS"),
            line("d").trim_end().to_string(),
        ]
        .concat();
        let listing = read(text.as_bytes());
        let messages: Vec<String> = listing
            .findings
            .iter()
            .map(|f| format!("{}: {}", f.check.code(), f.message))
            .collect();
        assert_eq!(
            messages,
            [
                "verify::sums-unsorted: `a` (line 2) comes after `b` (line 1): the lines are not sorted by name",
                "verify::sums-malformed: line 3 is empty",
                "verify::sums-duplicate: `b` is listed on line 1 and again on line 4",
                "verify::sums-malformed: line 5 ends with a carriage return (Windows line endings)",
                "verify::sums-malformed: line 6 lists SHA256SUMS itself, which cannot hold its own hash",
                "verify::sums-unterminated: the last line of SHA256SUMS does not end with a newline",
            ]
        );
        let names: Vec<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "d"]);
        assert_eq!(codes(&read(&[0xff, 0xfe])), ["verify::sums-not-text"]);
    }

    #[test]
    fn a_file_of_garbage_shows_its_first_lines_and_counts_the_rest() {
        let text = "garbage\n".repeat(1_000);
        let listing = read(text.as_bytes());
        assert_eq!(listing.findings.len(), SHOWN_PER_CHECK + 1);
        assert_eq!(
            listing.findings[0].message,
            "line 1 is not `<64 lowercase hex>  <name>`: \"garbage\""
        );
        assert_eq!(
            listing.findings[SHOWN_PER_CHECK].message,
            "… and 980 more lines of SHA256SUMS like the above"
        );
    }

    #[test]
    fn listed_names_are_the_assets_with_their_bytes() {
        let asset = |name: &str, bytes: &[u8]| AssetFacts {
            name: name.into(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            digest: None,
        };
        let listing = read([line("a"), line("b"), line("c")].concat().as_bytes());
        let findings = check_assets(
            &listing,
            &[asset("a", b"a"), asset("b", b"B"), asset("d", b"d")],
        );
        let codes: Vec<(&str, Option<&str>)> = findings
            .iter()
            .map(|f| (f.check.code(), f.asset.as_deref()))
            .collect();
        assert_eq!(
            codes,
            [
                ("verify::asset-changed", Some("b")),
                ("verify::asset-missing", Some("c")),
                ("verify::asset-unlisted", Some("d")),
            ]
        );
    }
}
