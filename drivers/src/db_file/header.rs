//! A look at the database file before libdb opens it, so that a file of another
//! kind, or one cut short, gives one clear error (and libdb prints nothing of its own
//! to stderr, as it does when it refuses a file).

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// The meta page libdb reads first (`DBMETASIZE`): a shorter file is refused by
/// libdb with "unexpected file type or format".
const META_SIZE: usize = 512;

/// `DB_HASHMAGIC`, at bytes 12..16 of the meta page in the writer's byte order.
const HASH_MAGIC: u32 = 0x0006_1561;

/// What is at the database path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// No file, or an empty one: no sessions yet. libdb initializes an empty file
    /// when it creates the database.
    Nothing,
    /// A file that starts like a whole Berkeley DB hash database.
    Database,
}

/// Why the file cannot be a usable hash database.
#[derive(Debug)]
pub(super) enum Problem {
    /// It is not one: the message says what it is instead.
    NotADatabase(String),
    /// It could not be examined.
    Io(io::Error),
}

/// Judges the file at `path` (following a symlink, though callers have removed one).
pub(super) fn inspect(path: &Path) -> Result<Found, Problem> {
    let meta = match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Nothing),
        other => other.map_err(Problem::Io)?,
    };
    if !meta.is_file() {
        return Err(Problem::NotADatabase("not a regular file".into()));
    }
    if meta.len() == 0 {
        return Ok(Found::Nothing);
    }
    let mut page = Vec::with_capacity(META_SIZE);
    File::open(path)
        .and_then(|file| file.take(META_SIZE as u64).read_to_end(&mut page))
        .map_err(Problem::Io)?;
    judge(&page, meta.len()).map_err(Problem::NotADatabase)?;
    Ok(Found::Database)
}

/// Checks the meta page `page` of a file of `len` bytes: hash magic number (either
/// byte order) and a file that holds a whole number of its pages.
fn judge(page: &[u8], len: u64) -> Result<(), String> {
    let not_hash = "not a Berkeley DB hash database (such as Perl's DB_File writes)";
    if page.len() < META_SIZE {
        return Err(format!("{not_hash}: only {len} bytes"));
    }
    let word = |at: usize| -> [u8; 4] { [page[at], page[at + 1], page[at + 2], page[at + 3]] };
    let read: fn([u8; 4]) -> u32 = if word(12) == HASH_MAGIC.to_le_bytes() {
        u32::from_le_bytes
    } else if word(12) == HASH_MAGIC.to_be_bytes() {
        u32::from_be_bytes
    } else {
        return Err(format!("{not_hash}: no hash magic number at byte 12"));
    };
    let page_size = read(word(20));
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!(
            "damaged Berkeley DB: impossible page size {page_size}"
        ));
    }
    if !len.is_multiple_of(u64::from(page_size)) {
        return Err(format!(
            "damaged Berkeley DB: {len} bytes is not a whole number of {page_size}-byte pages (truncated?)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(magic: [u8; 4], page_size: [u8; 4]) -> Vec<u8> {
        let mut page = vec![0u8; META_SIZE];
        page[12..16].copy_from_slice(&magic);
        page[20..24].copy_from_slice(&page_size);
        page
    }

    #[test]
    fn judges_magic_page_size_and_length() {
        let le = meta([0x61, 0x15, 0x06, 0x00], 4096u32.to_le_bytes());
        assert!(judge(&le, 12288).is_ok());
        let be = meta([0x00, 0x06, 0x15, 0x61], 4096u32.to_be_bytes());
        assert!(judge(&be, 8192).is_ok());
        let err = judge(&le, 12287).unwrap_err();
        assert!(
            err.contains("12287 bytes is not a whole number of 4096-byte pages"),
            "{err}"
        );
        // A Btree database (DB_BTREEMAGIC 0x053162) is not a hash one.
        let btree = meta([0x62, 0x31, 0x05, 0x00], 4096u32.to_le_bytes());
        assert!(judge(&btree, 8192).unwrap_err().contains("no hash magic"));
        assert!(judge(&le[..511], 511)
            .unwrap_err()
            .contains("only 511 bytes"));
        let odd = meta([0x61, 0x15, 0x06, 0x00], 1000u32.to_le_bytes());
        assert!(judge(&odd, 8000).unwrap_err().contains("page size 1000"));
    }
}
