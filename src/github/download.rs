//! Downloads: artifact zips and release assets, fetched through the client's read policy
//! (retried on trouble and rate limits, as every read is) and through up to
//! [`MAX_REDIRECTS`] redirects. GitHub answers a download with a redirect to its storage;
//! the token is not sent there (octocrab adds `Authorization` only for the API host, see
//! [`crate::github::client`]).
//!
//! [`GitHub::download_to`] streams the body into a file a frame at a time and hashes it on
//! the way, so a download of any size costs a fixed amount of memory; a retried request
//! starts the file over, and a body larger than its limit is cut off with
//! [`GitHubError::TooLarge`]. [`GitHub::download_following`] keeps a (small) body in memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;

use crate::digest::HashingWriter;
use crate::github::client::{GitHub, Reply, Verdict};
use crate::github::error::GitHubError;

/// Redirects followed from the API to the storage.
const MAX_REDIRECTS: usize = 3;

/// What [`GitHub::download_to`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downloaded {
    /// Lowercase hex of the file's bytes.
    pub sha256: String,
    pub bytes: u64,
}

/// The file a download is streamed into, hashed on the way.
pub(crate) struct DownloadFile {
    action: String,
    path: PathBuf,
    max_bytes: u64,
    /// Open once an answer's body started.
    writer: Option<HashingWriter<BufWriter<File>>>,
}

impl DownloadFile {
    fn new(action: &str, path: &Path, max_bytes: u64) -> DownloadFile {
        DownloadFile {
            action: action.to_string(),
            path: path.to_path_buf(),
            max_bytes,
            writer: None,
        }
    }

    fn write_error(&self, error: std::io::Error) -> GitHubError {
        GitHubError::LocalWrite {
            action: self.action.clone(),
            path: self.path.display().to_string(),
            error: error.to_string(),
        }
    }

    /// Writes the body of one answer into the file, from its start (so a retried request
    /// replaces what an interrupted one wrote).
    pub(crate) async fn stream(
        &mut self,
        mut body: BoxBody<Bytes, octocrab::Error>,
    ) -> Result<(), Verdict> {
        let file = File::create(&self.path).map_err(|e| Verdict::Failed(self.write_error(e)))?;
        let mut writer = HashingWriter::new(BufWriter::new(file));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Verdict::Trouble(format!("reading the answer: {e}")))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if writer.bytes() + data.len() as u64 > self.max_bytes {
                return Err(Verdict::Failed(GitHubError::TooLarge {
                    action: self.action.clone(),
                    limit: self.max_bytes,
                }));
            }
            writer
                .write_all(&data)
                .map_err(|e| Verdict::Failed(self.write_error(e)))?;
        }
        self.writer = Some(writer);
        Ok(())
    }

    fn finish(self) -> Result<Downloaded, GitHubError> {
        let Some(writer) = self.writer else {
            return Err(GitHubError::Protocol {
                action: self.action,
                detail: "the download ended without a body".into(),
            });
        };
        let (mut buffered, sha256, bytes) = writer.finish();
        buffered.flush().map_err(|e| GitHubError::LocalWrite {
            action: self.action.clone(),
            path: self.path.display().to_string(),
            error: e.to_string(),
        })?;
        Ok(Downloaded { sha256, bytes })
    }
}

impl GitHub {
    /// Downloads `url` into `path` (created or replaced), at most `max_bytes`, and returns
    /// the sha256 and length of what was written.
    pub async fn download_to(
        &self,
        action: &str,
        url: &str,
        path: &Path,
        max_bytes: u64,
    ) -> Result<Downloaded, GitHubError> {
        let mut file = DownloadFile::new(action, path, max_bytes);
        self.follow(action, url, Some(&mut file)).await?;
        file.finish()
    }

    /// A download kept in memory (up to the configured `max_download_bytes`).
    pub(crate) async fn download_following(
        &self,
        action: &str,
        url: &str,
    ) -> Result<Vec<u8>, GitHubError> {
        Ok(self.follow(action, url, None).await?.body.to_vec())
    }

    /// The answer at the end of the redirects from `url`.
    async fn follow(
        &self,
        action: &str,
        url: &str,
        mut into: Option<&mut DownloadFile>,
    ) -> Result<Reply, GitHubError> {
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let reply = self
                .download(action, &url, into.as_deref_mut())
                .await?
                .ok_or_else(|| GitHubError::Status {
                    action: action.to_string(),
                    status: 404,
                    message: "not found".into(),
                })?;
            if !reply.status.is_redirection() {
                return Ok(reply);
            }
            let location = reply
                .header("location")
                .ok_or_else(|| GitHubError::Protocol {
                    action: action.to_string(),
                    detail: format!("a {} redirect without a location", reply.status.as_u16()),
                })?;
            url = self.api_url().url(location);
        }
        Err(GitHubError::Protocol {
            action: action.to_string(),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }
}
