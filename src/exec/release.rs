//! Assembling the unified release from what each publishing job published (backends select
//! by the job's publish globs): refuse two assets that would share a name (naming both
//! sources), and write
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

/// The assets of the release, sorted by name, from each publishing job's artifacts.
pub fn assemble(collected: Vec<(&Job, Vec<Artifact>)>) -> Result<Vec<Asset>, String> {
    let mut assets: Vec<Asset> = Vec::new();
    for (job, artifacts) in collected {
        for artifact in artifacts {
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
