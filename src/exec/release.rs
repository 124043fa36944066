//! Assembling the unified release: select each publishing job's artifacts by its publish
//! globs, refuse two assets that would share a name (naming both sources), and write
//! SHA256SUMS (`<64 hex>  <name>\n`, sorted by name) so `sha256sum -c` passes.

use crate::compiled::Job;
use crate::digest::sha256_hex;
use crate::exec::event::AssetDigest;

/// The checksum file published with every release.
pub const SUMS_NAME: &str = "SHA256SUMS";

/// One artifact a job's run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// One asset of the unified release, with the job it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    pub name: String,
    pub bytes: Vec<u8>,
    pub source: String,
}

/// `*` matches any run of characters, `?` one character; everything else matches itself.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The assets of the release, sorted by name, from each publishing job's artifacts.
pub fn assemble(collected: Vec<(&Job, Vec<Artifact>)>) -> Result<Vec<Asset>, String> {
    let mut assets: Vec<Asset> = Vec::new();
    for (job, artifacts) in collected {
        for artifact in artifacts {
            if !job
                .publish
                .iter()
                .any(|glob| glob_match(glob, &artifact.name))
            {
                continue;
            }
            if artifact.name == SUMS_NAME {
                return Err(format!(
                    "job `{}` produced an artifact named {SUMS_NAME}, which relplan writes itself",
                    job.id
                ));
            }
            if let Some(other) = assets.iter().find(|a| a.name == artifact.name) {
                return Err(format!(
                    "two assets would be named `{}`: one from job `{}`, one from job `{}`; rename one or narrow a publish glob",
                    artifact.name, other.source, job.id
                ));
            }
            assets.push(Asset {
                name: artifact.name,
                bytes: artifact.bytes,
                source: job.id.clone(),
            });
        }
    }
    assets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(assets)
}

pub fn digests(assets: &[Asset]) -> Vec<AssetDigest> {
    assets
        .iter()
        .map(|a| AssetDigest {
            name: a.name.clone(),
            sha256: sha256_hex(&a.bytes),
        })
        .collect()
}

/// The SHA256SUMS text for assets sorted by name.
pub fn sha256sums(digests: &[AssetDigest]) -> String {
    digests
        .iter()
        .map(|d| format!("{}  {}\n", d.sha256, d.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob_match("*", "anything.tar.gz"));
        assert!(glob_match("*.tar.gz", "blvm-0.1.0.tar.gz"));
        assert!(!glob_match("*.tar.gz", "blvm-0.1.0.zip"));
        assert!(glob_match("blvm-?.*", "blvm-1.zip"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "x"));
    }
}
