//! The names of a zip's entries as its central directory records them, every record read
//! from the archive itself.
//!
//! The zip crate's reader keeps one entry per name: a later record of the same name
//! replaces the earlier one, so checks over its entries never see the second entry of a
//! name (and the one extracted is the later). relplan refuses such an archive, so it reads
//! the records itself: each central directory file header (signature `PK\x01\x02`, 46
//! bytes, then the name, extra field and comment) from where the directory starts, as the
//! zip crate found it (ZIP64 offsets included), until a record of another kind.

use std::io::{self, Read, Seek, SeekFrom};

const RECORD_SIGNATURE: u32 = 0x0201_4b50;
const RECORD_LEN: usize = 46;

/// The raw name of every central directory record from `start`, in order, stopping after
/// `max + 1` (enough to tell there are too many).
pub fn names(reader: &mut (impl Read + Seek), start: u64, max: usize) -> io::Result<Vec<Vec<u8>>> {
    reader.seek(SeekFrom::Start(start))?;
    let mut names = Vec::new();
    let mut record = [0u8; RECORD_LEN];
    while names.len() <= max {
        match reader.read_exact(&mut record) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e),
        }
        if u32::from_le_bytes([record[0], record[1], record[2], record[3]]) != RECORD_SIGNATURE {
            break;
        }
        let field = |at: usize| u16::from_le_bytes([record[at], record[at + 1]]);
        let (name_len, extra_len, comment_len) = (field(28), field(30), field(32));
        let mut name = vec![0; usize::from(name_len)];
        reader.read_exact(&mut name)?;
        reader.seek(SeekFrom::Current(
            i64::from(extra_len) + i64::from(comment_len),
        ))?;
        names.push(name);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_of(names: &[&str]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for name in names {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(name.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn every_record_is_read_in_order() {
        let bytes = zip_of(&["a.txt", "dir/b.txt", "c"]);
        let start = zip::ZipArchive::new(Cursor::new(&bytes))
            .unwrap()
            .central_directory_start();
        let names = names(&mut Cursor::new(&bytes), start, 10).unwrap();
        assert_eq!(names, [&b"a.txt"[..], b"dir/b.txt", b"c"]);
        let capped = super::names(&mut Cursor::new(&bytes), start, 1).unwrap();
        assert_eq!(capped.len(), 2, "one more than the cap");
    }
}
