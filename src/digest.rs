//! SHA-256 as lowercase hex: plan hashes, artifact digests and SHA256SUMS all use this form.
//! [`HashingWriter`] hashes what is written through it, so a file of any size is hashed
//! while it is streamed (downloaded or read) a chunk at a time.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that passes everything on to `inner`, hashing and counting it on the way.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The writer back (not flushed), the sha256 of everything written and its length.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex(&self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The sha256 and length of everything `reader` yields, read a buffer at a time.
pub fn sha256_of_reader(mut reader: impl Read) -> io::Result<(String, u64)> {
    let mut hashing = HashingWriter::new(io::sink());
    io::copy(&mut reader, &mut hashing)?;
    let (_, sha256, bytes) = hashing.finish();
    Ok((sha256, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_sha256sum() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hashes_while_streaming_as_in_one_piece() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut writer = HashingWriter::new(Vec::new());
        for chunk in data.chunks(4_093) {
            writer.write_all(chunk).unwrap();
        }
        let (copy, sha256, bytes) = writer.finish();
        assert_eq!(copy, data);
        assert_eq!(sha256, sha256_hex(&data));
        assert_eq!(bytes, 100_000);
        assert_eq!(
            sha256_of_reader(data.as_slice()).unwrap(),
            (sha256_hex(&data), 100_000)
        );
    }
}
