//! The checks every entry of every artifact zip goes through, whether or not it ends up in
//! the release: a relative path without `..`, no absolute or drive paths, no backslashes,
//! no symlinks, no two entries with one path (names read from the central directory
//! itself, [`zip_directory`], since the zip crate keeps one entry per name), and caps on
//! the number of entries, on each entry's size and on the total (checked against the bytes
//! actually inflated, not only the sizes the archive declares, so a zip bomb stops at the
//! cap).

use std::collections::HashSet;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::digest::Hashing;
use crate::github::zip_directory;

/// Caps applied to one archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZipLimits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
}

impl Default for ZipLimits {
    fn default() -> ZipLimits {
        ZipLimits {
            max_entries: 10_000,
            max_entry_bytes: 2 << 30,
            max_total_bytes: 4 << 30,
        }
    }
}

/// One regular file of an archive, inflated into a file of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipFile {
    /// Its path inside the archive, `/`-separated.
    pub path: String,
    /// Where its bytes were inflated to.
    pub location: PathBuf,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// Checks the archive at `archive` and inflates every regular file into a file of its own
/// in `into` (created empty; named by entry number, never by the untrusted path), in
/// archive order; or the first problem found. Entries stream from the archive file to
/// their files, so memory stays bounded whatever the archive holds; a problem found while
/// inflating stops at the cap that was crossed.
pub fn extract_checked(
    archive: &Path,
    into: &Path,
    limits: ZipLimits,
) -> Result<Vec<ZipFile>, String> {
    let open = || {
        fs_err::File::open(archive)
            .map(BufReader::new)
            .map_err(|e| format!("cannot be read: {e}"))
    };
    let mut zip =
        zip::ZipArchive::new(open()?).map_err(|e| format!("not a readable zip archive: {e}"))?;
    let recorded = zip_directory::names(
        &mut open()?,
        zip.central_directory_start(),
        limits.max_entries,
    )
    .map_err(|e| format!("its central directory cannot be read: {e}"))?;
    if recorded.len() > limits.max_entries {
        return Err(format!(
            "more than the {} entries allowed",
            limits.max_entries
        ));
    }
    let mut seen = HashSet::new();
    for name in &recorded {
        let path = String::from_utf8_lossy(name).into_owned();
        check_path(&path)?;
        if !path.ends_with('/') && !seen.insert(path.clone()) {
            return Err(format!("entry `{path}` appears twice"));
        }
    }
    if recorded.len() != zip.len() {
        return Err(format!(
            "its central directory holds {} entries, but the archive says {}",
            recorded.len(),
            zip.len()
        ));
    }
    // What the archive declares is checked before anything is inflated; what it really
    // inflates to is checked while inflating.
    let mut declared: u64 = 0;
    for index in 0..zip.len() {
        let entry = zip
            .by_index_raw(index)
            .map_err(|e| format!("entry {index} cannot be read: {e}"))?;
        let path = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let is_symlink = entry
            .unix_mode()
            .is_some_and(|mode| mode & 0o170_000 == 0o120_000);
        if is_symlink {
            return Err(format!("entry `{path}` is a symbolic link"));
        }
        if entry.is_dir() {
            continue;
        }
        if entry.size() > limits.max_entry_bytes {
            return Err(format!(
                "entry `{path}` is {} bytes, more than the {} allowed",
                entry.size(),
                limits.max_entry_bytes
            ));
        }
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.max_total_bytes {
        return Err(format!(
            "its entries are {declared} bytes in all, more than the {} allowed",
            limits.max_total_bytes
        ));
    }
    if into.exists() {
        fs_err::remove_dir_all(into).map_err(|e| e.to_string())?;
    }
    fs_err::create_dir_all(into).map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    let mut total: u64 = 0;
    for index in 0..zip.len() {
        let mut entry = zip
            .by_index(index)
            .map_err(|e| format!("entry {index} cannot be read: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let path = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let location = into.join(index.to_string());
        let file = fs_err::File::create(&location).map_err(|e| e.to_string())?;
        let mut out = Hashing::new(BufWriter::new(file));
        let allowed = limits
            .max_entry_bytes
            .min(limits.max_total_bytes.saturating_sub(total));
        io::copy(&mut (&mut entry).take(allowed.saturating_add(1)), &mut out)
            .map_err(|e| format!("entry `{path}` cannot be inflated: {e}"))?;
        let (mut file, size, sha256) = out.finish();
        file.flush().map_err(|e| e.to_string())?;
        if size > limits.max_entry_bytes {
            return Err(format!(
                "entry `{path}` inflates past the {} bytes allowed",
                limits.max_entry_bytes
            ));
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(format!(
                "the archive inflates past the {} bytes allowed in total",
                limits.max_total_bytes
            ));
        }
        files.push(ZipFile {
            path,
            location,
            size,
            sha256,
        });
    }
    Ok(files)
}

fn check_path(path: &str) -> Result<(), String> {
    let problem = if path.is_empty() {
        Some("has an empty path")
    } else if path.starts_with('/') {
        Some("has an absolute path")
    } else if path.contains('\\') {
        Some("has a backslash in its path")
    } else if path.as_bytes().get(1) == Some(&b':') {
        Some("has a drive letter in its path")
    } else if path.split('/').any(|part| part == "..") {
        Some("has `..` in its path")
    } else if path.contains('\0') {
        Some("has a NUL byte in its path")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(format!("entry `{path}` {problem}")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn paths_that_escape_are_refused() {
        for bad in ["", "/etc/passwd", "a/../../b", "..", "a\\b", "C:/x", "a/\0"] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "dir/file.tar.gz", "a..b", ".hidden/x", "dir/"] {
            assert!(check_path(good).is_ok(), "{good:?}");
        }
    }
}
