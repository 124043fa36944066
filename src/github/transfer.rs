//! Bodies too large for memory, streamed in chunks so that relplan's memory stays bounded
//! whatever their size: a file sent as a request body ([`FileBody`], for asset uploads),
//! and an answer written into a file or only hashed ([`save`], for artifact downloads and
//! digests of existing assets), counted, capped and hashed on the way.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

use crate::digest::Hashing;

/// Bytes read from a file per request body frame.
const CHUNK: usize = 64 * 1024;

/// Where the body of a successful download goes.
#[derive(Clone, Copy, Debug)]
pub enum Destination<'a> {
    /// Into this file, replacing what it held.
    File(&'a Path),
    /// Nowhere: only counted and hashed.
    Nowhere,
}

/// What a download wrote: its size and sha256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    pub size: u64,
    pub sha256: String,
}

/// Why an answer could not be saved.
pub enum SaveError {
    /// The answer is larger than the cap; asking again will not change that.
    TooLarge(u64),
    /// The connection or the disk failed midway.
    Broken(String),
}

/// Writes the whole answer `body` to `destination`, at most `cap` bytes.
pub async fn save<B>(
    mut body: B,
    destination: Destination<'_>,
    cap: u64,
) -> Result<Saved, SaveError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let broken = |what: &str, e: &dyn std::fmt::Display| SaveError::Broken(format!("{what}: {e}"));
    let sink: Box<dyn Write> = match destination {
        Destination::File(path) => Box::new(
            File::create(path)
                .map_err(|e| broken(&format!("creating `{}`", path.display()), &e))?,
        ),
        Destination::Nowhere => Box::new(io::sink()),
    };
    let mut out = Hashing::new(io::BufWriter::with_capacity(CHUNK, sink));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| broken("reading the answer", &e))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if out.written() + data.len() as u64 > cap {
            return Err(SaveError::TooLarge(cap));
        }
        out.write_all(&data)
            .map_err(|e| broken("writing the download", &e))?;
    }
    let (mut sink, size, sha256) = out.finish();
    sink.flush()
        .map_err(|e| broken("writing the download", &e))?;
    Ok(Saved { size, sha256 })
}

/// A file sent as a request body, read one chunk at a time as the request goes out.
pub struct FileBody {
    path: PathBuf,
    file: File,
    remaining: u64,
}

impl FileBody {
    /// The first `size` bytes of the file at `path`.
    pub fn open(path: &Path, size: u64) -> io::Result<FileBody> {
        Ok(FileBody {
            path: path.to_path_buf(),
            file: File::open(path)?,
            remaining: size,
        })
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let wanted = usize::try_from(self.remaining).map_or(CHUNK, |r| r.min(CHUNK));
        let mut chunk = vec![0; wanted];
        // A local file: reading a chunk blocks for no longer than a disk read.
        let read = self.file.read(&mut chunk);
        Poll::Ready(Some(match read {
            Ok(0) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "`{}` is shorter than when it was measured",
                    self.path.display()
                ),
            )),
            Ok(n) => {
                chunk.truncate(n);
                self.remaining -= n as u64;
                Ok(Frame::data(Bytes::from(chunk)))
            }
            Err(e) => Err(e),
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_body_streams_the_whole_file_and_a_saved_answer_hashes_it() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        fs_err::write(&source, &bytes).unwrap();
        let body = FileBody::open(&source, bytes.len() as u64).unwrap();
        assert_eq!(body.size_hint().exact(), Some(bytes.len() as u64));
        let copy = dir.path().join("copy");
        let saved = save(body, Destination::File(&copy), 1 << 20)
            .await
            .unwrap_or_else(|_| panic!("saved"));
        assert_eq!(saved.size, bytes.len() as u64);
        assert_eq!(saved.sha256, crate::digest::sha256_hex(&bytes));
        assert_eq!(fs_err::read(&copy).unwrap(), bytes);
        let capped = save(
            FileBody::open(&source, bytes.len() as u64).unwrap(),
            Destination::Nowhere,
            1000,
        )
        .await;
        assert!(matches!(capped, Err(SaveError::TooLarge(1000))));
    }
}
