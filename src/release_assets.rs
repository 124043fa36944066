//! The files of the unified release, defined once for everyone who handles them: the
//! executor assembles them from what each publishing job produced, the sim backend writes
//! them to disk, the GitHub layer names, checks and uploads them.
//!
//! - [`Asset`]: one file, its sha256, and where it came from (for messages). Its bytes
//!   ([`Content`]) are in memory for the small files relplan makes itself, and in a file on
//!   disk for downloaded artifacts, so a release of any size never has to fit in memory.
//! - [`SHA256SUMS`]: the checksum file relplan writes into every release; no build may
//!   publish a file of that name.
//! - [`name_problem`]: what an asset may be called: GitHub-safe names, so a release reads
//!   the same wherever it is published (GitHub silently renames anything else).
//! - [`assemble`]: the one name check: no two assets share a name and none takes
//!   [`SHA256SUMS`]. Every clash is reported at once, naming both sources; nothing is
//!   renamed to make room.
//! - [`sha256sums`]: the checksum file (`<64 hex>  <name>\n` per asset, sorted by name), so
//!   `sha256sum -c SHA256SUMS` passes next to the downloaded assets; [`sums_line`] writes
//!   one line and [`parse_sums_line`] reads one back, for `relplan verify`.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;

use crate::digest::sha256_hex;

/// The checksum file relplan writes into every release.
pub const SHA256SUMS: &str = "SHA256SUMS";

/// What to do about any [`Clash`].
pub const CLASH_HELP: &str =
    "rename one of the files in its build, or narrow the job's `publish` globs";

/// What to do about a [`name_problem`].
pub const NAME_HELP: &str = "rename the file in its build (letters, digits, `.`, `-`, `_`, `+`)";

/// Why `name` cannot be an asset's name, if it cannot: only ASCII letters, digits, `.`,
/// `-`, `_` and `+`, not starting or ending with `.`.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.starts_with('.') || name.ends_with('.') {
        Some("starts or ends with `.`, which GitHub would rename")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
    {
        Some("has characters GitHub would rename")
    } else {
        None
    }
}

/// One file of the unified release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    pub name: String,
    pub content: Content,
    /// Bytes.
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    /// Where it came from, in words: ``job `node` `` or, on GitHub, ``
    /// `bin/x` in artifact `a` of job `node` (run 7)``.
    pub source: String,
}

/// Where an asset's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Small files relplan makes itself (SHA256SUMS, the simulated world's artifacts).
    Bytes(Vec<u8>),
    /// A file on disk, whose size and sha256 were measured as it was written.
    File(PathBuf),
}

impl Asset {
    /// An asset held in memory.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>, source: impl Into<String>) -> Asset {
        Asset {
            name: name.into(),
            size: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
            content: Content::Bytes(bytes),
            source: source.into(),
        }
    }

    /// An asset in the file `path`, of `size` bytes hashing to `sha256`.
    pub fn from_file(
        name: impl Into<String>,
        path: PathBuf,
        size: u64,
        sha256: String,
        source: impl Into<String>,
    ) -> Asset {
        Asset {
            name: name.into(),
            content: Content::File(path),
            size,
            sha256,
            source: source.into(),
        }
    }

    /// Its bytes, read as they are needed.
    pub fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(match &self.content {
            Content::Bytes(bytes) => Box::new(bytes.as_slice()),
            Content::File(path) => Box::new(fs_err::File::open(path)?),
        })
    }
}

/// Why a set of files cannot be one release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clash {
    /// A file would take the name of relplan's checksum file.
    Reserved { source: String },
    /// Two files would get the same name.
    SameName {
        name: String,
        first: String,
        second: String,
    },
}

impl fmt::Display for Clash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clash::Reserved { source } => write!(
                f,
                "{source} cannot be a release asset: the name `{SHA256SUMS}` is reserved for relplan's checksum file"
            ),
            Clash::SameName {
                name,
                first,
                second,
            } => write!(
                f,
                "asset `{name}` would come from both {first} and {second}"
            ),
        }
    }
}

/// Every clash, one per line.
pub fn clashes_message(clashes: &[Clash]) -> String {
    let lines: Vec<String> = clashes.iter().map(Clash::to_string).collect();
    lines.join("\n")
}

/// The release's assets sorted by name, or every clash among them.
pub fn assemble(files: impl IntoIterator<Item = Asset>) -> Result<Vec<Asset>, Vec<Clash>> {
    let mut by_name: BTreeMap<String, Asset> = BTreeMap::new();
    let mut clashes = Vec::new();
    for asset in files {
        if asset.name == SHA256SUMS {
            clashes.push(Clash::Reserved {
                source: asset.source,
            });
        } else if let Some(first) = by_name.get(&asset.name) {
            clashes.push(Clash::SameName {
                name: asset.name,
                first: first.source.clone(),
                second: asset.source,
            });
        } else {
            by_name.insert(asset.name.clone(), asset);
        }
    }
    match clashes.is_empty() {
        true => Ok(by_name.into_values().collect()),
        false => Err(clashes),
    }
}

/// The `SHA256SUMS` asset of `assets` (any SHA256SUMS among them is left out).
pub fn sha256sums(assets: &[Asset]) -> Asset {
    let mut lines: Vec<(&str, &str)> = assets
        .iter()
        .filter(|a| a.name != SHA256SUMS)
        .map(|a| (a.name.as_str(), a.sha256.as_str()))
        .collect();
    lines.sort();
    let text: String = lines
        .into_iter()
        .map(|(name, sha)| sums_line(sha, name))
        .collect();
    Asset::new(SHA256SUMS, text.into_bytes(), "relplan")
}

/// One line of [`SHA256SUMS`], newline included: the lowercase hex, two spaces (text mode,
/// as `sha256sum` writes it), the name.
pub fn sums_line(sha256: &str, name: &str) -> String {
    format!("{sha256}  {name}\n")
}

/// A line of [`SHA256SUMS`] without its newline, as [`sums_line`] writes it: the hash and
/// the name, or `None` when it is not 64 lowercase hex digits, two spaces and a name (not
/// empty, not starting with a space, without a carriage return).
pub fn parse_sums_line(line: &str) -> Option<(&str, &str)> {
    let (sha256, name) = line.split_at_checked(64)?;
    let name = name.strip_prefix("  ")?;
    let hex = sha256
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let name_ok = !name.is_empty() && !name.starts_with(' ') && !name.contains('\r');
    (hex && name_ok).then_some((sha256, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str, job: &str) -> Asset {
        Asset::new(name, job.as_bytes().to_vec(), format!("job `{job}`"))
    }

    #[test]
    fn assets_come_back_sorted_and_summed() {
        let assets = assemble([asset("b.tar.gz", "x"), asset("a.tar.gz", "y")]).unwrap();
        let names: Vec<&str> = assets.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["a.tar.gz", "b.tar.gz"]);
        let mut sums = String::new();
        sha256sums(&assets)
            .open()
            .unwrap()
            .read_to_string(&mut sums)
            .unwrap();
        assert_eq!(
            sums,
            format!(
                "{}  a.tar.gz\n{}  b.tar.gz\n",
                sha256_hex(b"y"),
                sha256_hex(b"x")
            )
        );
    }

    #[test]
    fn sums_lines_read_back_what_is_written() {
        let sha = sha256_hex(b"x");
        let line = sums_line(&sha, "a.tar.gz");
        assert_eq!(
            parse_sums_line(line.trim_end_matches('\n')),
            Some((sha.as_str(), "a.tar.gz"))
        );
        for bad in [
            format!("{sha} a.tar.gz"),
            format!("{sha} *a.tar.gz"),
            format!("{}  a.tar.gz", sha.to_uppercase()),
            format!("{}  a.tar.gz", &sha[1..]),
            format!("{sha}  "),
            format!("{sha}   a"),
            format!("{sha}  a\r"),
            "é".repeat(40),
            String::new(),
        ] {
            assert_eq!(parse_sums_line(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_clash_is_reported_with_both_sources() {
        let clashes = assemble([
            asset("a", "x"),
            asset("a", "y"),
            asset(SHA256SUMS, "z"),
            asset("a", "w"),
        ])
        .unwrap_err();
        assert_eq!(
            clashes_message(&clashes),
            "asset `a` would come from both job `x` and job `y`\n\
             job `z` cannot be a release asset: the name `SHA256SUMS` is reserved for relplan's checksum file\n\
             asset `a` would come from both job `x` and job `w`"
        );
    }
}
