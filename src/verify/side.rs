//! One release as `verify` and `compare` see it, wherever it was read from: its fields
//! (known for a GitHub release; a directory holds only files), each asset's length and
//! sha256 (computed while it was streamed) with GitHub's own digest of it, the
//! `SHA256SUMS` file, and what could not be read as an asset.

use std::path::PathBuf;

use crate::verify::finding::Finding;

/// Where a release is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A release on GitHub (drafts included).
    GitHub { repo: String, tag: String },
    /// A directory of assets: a local release (`<state-dir>/sim-release/<tag>/`, …) or
    /// downloaded assets.
    Directory(PathBuf),
}

impl Location {
    pub fn is_github(&self) -> bool {
        matches!(self, Location::GitHub { .. })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Location::GitHub { .. } => Kind::GitHub,
            Location::Directory(_) => Kind::Directory,
        }
    }
}

/// What kind of place a release was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    GitHub,
    Directory,
}

impl Kind {
    /// `github` or `directory`, for JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::GitHub => "github",
            Kind::Directory => "directory",
        }
    }

    /// `GitHub release` or `directory`, for people.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::GitHub => "GitHub release",
            Kind::Directory => "directory",
        }
    }
}

/// What GitHub says about a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseFields {
    pub repo: String,
    pub tag: String,
    pub draft: bool,
    pub prerelease: bool,
    /// The commit the tag points at; for a draft whose tag does not exist yet, the
    /// `target_commitish` it will be created at (a commit or a branch).
    pub commit: Option<String>,
    pub html_url: String,
}

/// One file of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetFacts {
    pub name: String,
    pub bytes: u64,
    /// Lowercase hex of its bytes.
    pub sha256: String,
    /// GitHub's `digest` of it (hex), when the server gives one.
    pub digest: Option<String>,
}

/// The release's `SHA256SUMS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumsFile {
    pub facts: AssetFacts,
    /// Its contents; `None` when it is larger than [`MAX_SUMS_BYTES`] (a finding says so).
    pub contents: Option<Vec<u8>>,
}

/// Largest `SHA256SUMS` read (10,000 assets of long names take about 1 MiB).
pub const MAX_SUMS_BYTES: u64 = 16 << 20;

/// A release, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseSide {
    /// As the user named it: `owner/repo@tag`, or the directory's path.
    pub label: String,
    pub location: Location,
    /// `None` for a directory, and for a tag that has no release on GitHub.
    pub fields: Option<ReleaseFields>,
    /// Whether GitHub has a release of the tag (always true for a directory).
    pub found: bool,
    /// Every asset but `SHA256SUMS`, sorted by name.
    pub assets: Vec<AssetFacts>,
    pub sums: Option<SumsFile>,
    /// What could not be read as an asset (subdirectories, uploads that did not finish),
    /// as findings.
    pub problems: Vec<Finding>,
}

impl ReleaseSide {
    pub fn kind(&self) -> Kind {
        self.location.kind()
    }
}
