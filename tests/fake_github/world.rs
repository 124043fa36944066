//! The fake GitHub's state: repositories with tags and workflows, runs whose progress is a
//! pure function of the fake clock and their script, artifacts as real zips, releases with
//! their assets, the faults still to inject, and a log of every request.

use std::collections::BTreeMap;

use relplan::digest::sha256_hex;

/// How a workflow's runs behave.
#[derive(Clone, Debug)]
pub struct Script {
    /// Seconds a new attempt stays queued.
    pub queued_s: u64,
    /// Seconds it then stays in progress.
    pub duration_s: u64,
    /// Conclusion per attempt, the last one repeating: `success`, `failure`, …, or
    /// `never` (stays in progress), `waiting` (waits for an approval).
    pub outcomes: Vec<String>,
    /// Artifacts of a successful attempt: name and zip bytes.
    pub artifacts: Vec<(String, Vec<u8>)>,
    /// Publish a wrong digest for every artifact.
    pub wrong_digest: bool,
}

impl Default for Script {
    fn default() -> Script {
        Script {
            queued_s: 10,
            duration_s: 60,
            outcomes: vec!["success".into()],
            artifacts: Vec::new(),
            wrong_digest: false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Workflow {
    /// File name, e.g. `build.yml`.
    pub file: String,
    /// The `repository_dispatch` event type it listens to, if any.
    pub on_event: Option<String>,
    pub script: Script,
}

/// Where a tag points: a commit, or an annotated tag object pointing at a commit.
#[derive(Clone, Debug)]
pub enum TagTarget {
    Commit(String),
    Annotated { object: String, commit: String },
}

#[derive(Clone, Debug, Default)]
pub struct Repo {
    pub workflows: Vec<Workflow>,
    pub tags: BTreeMap<String, TagTarget>,
}

#[derive(Clone, Debug)]
pub struct Run {
    pub id: u64,
    pub repo: String,
    pub workflow: String,
    pub event: String,
    pub display_title: String,
    pub created_s: u64,
    pub attempt: u32,
    pub attempt_started_s: u64,
    pub cancelled: bool,
    pub script: Script,
    /// Ids of its artifacts, same order as the script's.
    pub artifact_ids: Vec<u64>,
    /// When it was created, in real time: run lists show it [`World::list_lag`] later.
    pub created: std::time::Instant,
}

#[derive(Clone, Debug)]
pub struct Asset {
    pub id: u64,
    pub name: String,
    pub bytes: Vec<u8>,
    pub state: String,
    /// Served instead of `bytes`: this many bytes of [`generated_byte`], made while they
    /// are sent and never held (for gigabyte assets).
    pub generated: Option<u64>,
    /// The `digest` listed instead of the sha256 of what is served: a generated asset's,
    /// or a stored asset that no longer matches its digest.
    pub digest: Option<String>,
}

impl Asset {
    pub fn new(id: u64, name: &str, bytes: &[u8]) -> Asset {
        Asset {
            id,
            name: name.into(),
            bytes: bytes.to_vec(),
            state: "uploaded".into(),
            generated: None,
            digest: None,
        }
    }

    /// How many bytes it serves.
    pub fn size(&self) -> u64 {
        self.generated.unwrap_or(self.bytes.len() as u64)
    }
}

/// Byte `offset` of a generated asset.
pub fn generated_byte(offset: u64) -> u8 {
    (offset % 251) as u8
}

#[derive(Clone, Debug)]
pub struct Release {
    pub id: u64,
    pub repo: String,
    pub tag: String,
    pub name: String,
    pub draft: bool,
    pub prerelease: bool,
    pub target_commitish: Option<String>,
    pub assets: Vec<Asset>,
}

/// What a fault does to the request it matches.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// 502 without doing anything.
    BadGatewayBefore,
    /// Does the work, then answers 502.
    BadGatewayAfter,
    /// 403 "secondary rate limit" with this `retry-after`.
    SecondaryLimit(u64),
    /// 429 with this `retry-after`.
    TooMany(u64),
    /// 403 with `x-ratelimit-remaining: 0`, resetting this many seconds from now.
    Exhausted(u64),
    /// Answers normally but says `x-ratelimit-remaining: 0`, resetting this many seconds
    /// from now.
    LastRequest(u64),
    /// Never answers.
    Hang,
    /// Answers this status with a `message` that echoes the request's `Authorization`
    /// header, as some proxies and Enterprise front ends do.
    EchoToken(u16),
    /// Does the work, then drops the connection before the answer is complete.
    DropAfter,
    /// Does the work, then never answers (the request is listed in `World::held`).
    HangAfter,
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub method: String,
    /// Matches when the request path contains this.
    pub path_contains: String,
    pub kind: FaultKind,
    /// How many more requests it hits.
    pub times: u32,
}

#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub authorized: bool,
}

#[derive(Debug, Default)]
pub struct World {
    pub port: u16,
    /// Fake time zero: the wall-clock instant the fake started, whole seconds.
    pub epoch: jiff::Timestamp,
    pub now_s: u64,
    pub next_id: u64,
    pub repos: BTreeMap<String, Repo>,
    pub runs: Vec<Run>,
    /// Artifact id → (run id, name, zip bytes, digest shown).
    pub artifacts: BTreeMap<u64, (u64, String, Vec<u8>, String)>,
    pub releases: Vec<Release>,
    pub faults: Vec<Fault>,
    pub log: Vec<Logged>,
    /// Answer `return_run_details` with 422, as older GitHub Enterprise does.
    pub reject_run_details: bool,
    /// Leave `digest` out of release assets (older servers).
    pub hide_asset_digests: bool,
    /// How long a new run stays out of run listings (see `lag.rs`).
    pub list_lag: std::time::Duration,
    /// `METHOD path` of every request performed and then held without an answer.
    pub held: Vec<String>,
    /// How the repositories are wired: metadata, workflow files, immutable releases.
    pub wiring: super::wiring::Wiring,
    /// The tokens it accepts, the GitHub App's installations and the tokens it minted.
    pub auth: super::app::Auth,
}

impl World {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Starts one run of `workflow` in `repo` titled with the correlation id.
    pub fn start_run(
        &mut self,
        repo: &str,
        workflow: &Workflow,
        event: &str,
        correlation_id: &str,
    ) -> u64 {
        let id = self.next_id();
        let artifact_ids = workflow
            .script
            .artifacts
            .iter()
            .map(|(name, zip)| {
                let artifact = self.next_id();
                let digest = if workflow.script.wrong_digest {
                    format!("sha256:{}", sha256_hex(b"something else"))
                } else {
                    format!("sha256:{}", sha256_hex(zip))
                };
                self.artifacts
                    .insert(artifact, (id, name.clone(), zip.clone(), digest));
                artifact
            })
            .collect();
        self.runs.push(Run {
            id,
            repo: repo.to_string(),
            workflow: workflow.file.clone(),
            event: event.to_string(),
            // The workflow's `run-name: build ${{ …correlation_id }}`.
            display_title: format!("build {correlation_id}"),
            created_s: self.now_s,
            attempt: 1,
            attempt_started_s: self.now_s,
            cancelled: false,
            script: workflow.script.clone(),
            artifact_ids,
            created: std::time::Instant::now(),
        });
        id
    }

    pub fn run(&self, id: u64) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    /// When the run last changed state (its completion, once completed).
    pub fn updated_s(&self, run: &Run) -> u64 {
        let script = &run.script;
        match self.run_state(run).0 {
            "completed" if !run.cancelled => {
                run.attempt_started_s + script.queued_s + script.duration_s
            }
            "in_progress" | "waiting" => run.attempt_started_s + script.queued_s,
            _ => run.attempt_started_s,
        }
    }

    /// `status` and `conclusion` of a run now.
    pub fn run_state(&self, run: &Run) -> (&'static str, Option<String>) {
        if run.cancelled {
            return ("completed", Some("cancelled".into()));
        }
        let script = &run.script;
        let outcome = script
            .outcomes
            .get(run.attempt as usize - 1)
            .or(script.outcomes.last())
            .cloned()
            .unwrap_or_else(|| "success".into());
        let elapsed = self.now_s.saturating_sub(run.attempt_started_s);
        if elapsed < script.queued_s {
            ("queued", None)
        } else if outcome == "waiting" {
            ("waiting", None)
        } else if elapsed < script.queued_s + script.duration_s || outcome == "never" {
            ("in_progress", None)
        } else {
            ("completed", Some(outcome))
        }
    }

    pub fn run_json(&self, run: &Run) -> serde_json::Value {
        let (status, conclusion) = self.run_state(run);
        serde_json::json!({
            "id": run.id,
            "name": run.workflow,
            "display_title": run.display_title,
            "event": run.event,
            "status": status,
            "conclusion": conclusion,
            "run_attempt": run.attempt,
            "created_at": self.timestamp(run.created_s),
            "updated_at": self.timestamp(self.updated_s(run)),
            "run_started_at": self.timestamp(run.attempt_started_s),
            "html_url": format!("https://github.com/{}/actions/runs/{}", run.repo, run.id),
        })
    }

    pub fn release_json(&self, release: &Release) -> serde_json::Value {
        serde_json::json!({
            "id": release.id,
            "tag_name": release.tag,
            "name": release.name,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "target_commitish": release.target_commitish,
            "immutable": self.wiring.immutable_releases.contains(&release.id),
            // As on GitHub: a draft's page is under a made-up tag until it is published.
            "html_url": if release.draft {
                format!("https://github.com/{}/releases/tag/untagged-{:020x}", release.repo, release.id)
            } else {
                format!("https://github.com/{}/releases/tag/{}", release.repo, release.tag)
            },
            "upload_url": format!(
                "http://127.0.0.1:{}/uploads/repos/{}/releases/{}/assets{{?name,label}}",
                self.port, release.repo, release.id
            ),
        })
    }

    pub fn asset_json(&self, asset: &Asset) -> serde_json::Value {
        let mut value = serde_json::json!({
            "id": asset.id,
            "name": asset.name,
            "state": asset.state,
            "size": asset.size(),
        });
        if !self.hide_asset_digests {
            let digest = asset
                .digest
                .clone()
                .unwrap_or_else(|| format!("sha256:{}", sha256_hex(&asset.bytes)));
            value["digest"] = digest.into();
        }
        value
    }

    /// Fake seconds as an RFC 3339 instant.
    pub fn timestamp(&self, seconds: u64) -> String {
        let at = self
            .epoch
            .checked_add(jiff::SignedDuration::from_secs(seconds as i64))
            .unwrap_or(self.epoch);
        at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// Takes one hit of the first fault matching this request.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let fault = self
            .faults
            .iter_mut()
            .find(|f| f.times > 0 && f.method == method && path.contains(&f.path_contains))?;
        fault.times -= 1;
        Some(fault.kind.clone())
    }
}

/// A zip of regular files.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, bytes) in files {
        writer
            .start_file(*path, zip::write::SimpleFileOptions::default())
            .expect("a zip entry starts");
        writer.write_all(bytes).expect("a zip entry is written");
    }
    writer.finish().expect("a zip is finished").into_inner()
}

/// A zip holding one symbolic link.
pub fn zip_with_symlink(link: &str, target: &str) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .add_symlink(link, target, zip::write::SimpleFileOptions::default())
        .expect("a symlink entry is written");
    writer.finish().expect("a zip is finished").into_inner()
}

/// A zip holding two entries named `name` (the first with `first`, the second with
/// `second`), as a zip tool that does not check names can write: the zip crate refuses to
/// write such an archive, so the second entry is written under a stand-in name of the
/// same length, which is then replaced in its local header and central directory record.
pub fn zip_with_duplicate(name: &str, first: &[u8], second: &[u8]) -> Vec<u8> {
    let stand_in: String = name
        .chars()
        .map(|c| if c == '#' { '%' } else { '#' })
        .collect();
    let mut zip = zip_of(&[(name, first), (stand_in.as_str(), second)]);
    let (from, to) = (stand_in.as_bytes(), name.as_bytes());
    let mut at = 0;
    while let Some(found) = zip[at..].windows(from.len()).position(|w| w == from) {
        zip[at + found..at + found + to.len()].copy_from_slice(to);
        at += found + to.len();
    }
    zip
}

/// A zip bomb: `entries` entries of `size` zero bytes each (deflated to almost nothing),
/// each declaring `declared` bytes in its local header and central directory record, so a
/// reader that trusts the declared sizes inflates far more than it expects.
pub fn zip_bomb(entries: usize, size: usize, declared: u32) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let zeros = vec![0u8; size];
    for index in 0..entries {
        writer
            .start_file(
                format!("part{index}.bin"),
                zip::write::SimpleFileOptions::default(),
            )
            .expect("a zip entry starts");
        writer.write_all(&zeros).expect("a zip entry is written");
    }
    let mut zip = writer.finish().expect("a zip is finished").into_inner();
    // Local file headers keep the uncompressed size at offset 22, central directory
    // records at offset 24.
    for (signature, offset) in [(0x0403_4b50u32, 22), (0x0201_4b50u32, 24)] {
        let signature = signature.to_le_bytes();
        let mut at = 0;
        while let Some(found) = zip[at..].windows(4).position(|w| w == signature) {
            let field = at + found + offset;
            zip[field..field + 4].copy_from_slice(&declared.to_le_bytes());
            at += found + 4;
        }
    }
    zip
}
