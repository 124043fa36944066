//! SHA-256 as lowercase hex: plan hashes, artifact digests and SHA256SUMS all use this form.
//! [`Hashing`] hashes and counts the bytes written through it, for files too large to hold
//! in memory (downloads, inflated zip entries, the files of a release directory).

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

pub fn sha256_hex(data: &[u8]) -> String {
    hex(Sha256::digest(data).as_slice())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that passes everything on to `inner` (or nowhere) and hashes and counts it.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W> Hashing<W> {
    pub fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The inner writer, the number of bytes and their sha256 (lowercase hex).
    pub fn finish(self) -> (W, u64, String) {
        (
            self.inner,
            self.written,
            hex(self.hasher.finalize().as_slice()),
        )
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The sha256 and length of everything `reader` yields, read a buffer at a time.
pub fn sha256_of_reader(mut reader: impl Read) -> io::Result<(String, u64)> {
    let mut hashing = Hashing::new(io::sink());
    io::copy(&mut reader, &mut hashing)?;
    let (_, written, sha256) = hashing.finish();
    Ok((sha256, written))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    #[test]
    fn hashes_like_sha256sum() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hashing_a_stream_gives_the_same_digest() {
        let mut writer = super::Hashing::new(Vec::new());
        writer.write_all(b"a").unwrap();
        writer.write_all(b"bc").unwrap();
        let (inner, written, sha) = writer.finish();
        assert_eq!((inner, written), (b"abc".to_vec(), 3));
        assert_eq!(sha, super::sha256_hex(b"abc"));
        assert_eq!(
            super::sha256_of_reader(&b"abc"[..]).unwrap(),
            (super::sha256_hex(b"abc"), 3)
        );
    }
}
