//! Driver `db_file`: every session in one Berkeley DB hash file, shared with Perl's
//! `CGI::Session::Driver::db_file` (DB_File) byte for byte and lock for lock
//! (spec §5.3).
//!
//! The key is the session id's bytes and the value the serialized record, both
//! without a terminator, in the hash database DB_File writes with its defaults (no
//! DB environment, libdb's default hash function). The file is read and written by
//! libdb 5.3 itself, through its DB 1.85 compatibility entry point (see the
//! `ffi` module), so it needs the runtime library `libdb-5.3.so` (Debian's `libdb5.3`,
//! already installed wherever Perl's DB_File is) and nothing else.
//!
//! # Locking (spec §5.3, §9 item 2)
//! Like Perl, every operation takes `flock(2)` on a separate lock file,
//! `<database>.lck`, opened `O_RDWR|O_CREAT|O_NOFOLLOW` with mode `0666` (a symlink
//! there is unlinked first) and kept afterwards: `LOCK_SH` to read, `LOCK_EX` to store
//! or remove. The database is opened only while the lock is held, and closed (its
//! pages written to the file) before the lock is released, so a Perl process and a
//! Rust process can share the file at the same time.
//!
//! # Options
//! | Option | Default | Meaning |
//! |---|---|---|
//! | `FileName` | `cgisess.db` | The database file; used when true in Perl. |
//! | `Directory` | derived from `FileName` | With a true `Directory`, the database is `Directory/FileName`. Otherwise it is `FileName`, and a bare name such as `sessions.db` goes into Perl's tmpdir ([`crate::file::default_directory`]); `./sessions.db` stays relative. |
//! | `UMask` | `0660` | The mode a new database file is created with (before the process umask). |
//!
//! # Symlinks
//! A symlink where the database should be is unlinked, and the next write creates a
//! new, empty database in its place; the file it pointed to is left alone. This is
//! Perl's behaviour (`t/symlink_db_file.t`), kept because a planted link in a shared
//! directory such as `/tmp` must not let another user supply or receive the sessions.
//! To keep the database elsewhere, point `Directory`/`FileName` at the real path: a
//! symlinked *directory* is fine, only the last component is checked. A symlink in
//! place of the lock file is unlinked too, and a regular lock file created.
//!
//! # Ids
//! Any id is a key, `/` and NUL included: no path is built from it. A false id (`""`
//! or `"0"`) is refused, where Perl croaks `usage error`.
//!
//! # Behaviour that deliberately differs from Perl
//! * `traverse` reads the ids under `LOCK_SH`, releases the lock and only then calls
//!   back, as the [`Driver`] contract requires. Perl calls back while iterating, and
//!   its first callback `load` drops the lock because all locks share one global
//!   handle (spec §5.3): its walk then continues unlocked. The price here is memory
//!   for the list of ids (not the records).
//! * Reads open the database read-only. Perl's `retrieve` opens it `O_RDWR|O_CREAT`
//!   (its `O_RDONLY` is 0, which `||=` replaces), so it needs write permission. (The
//!   lock file is opened for writing by both, as Perl does.)
//! * A missing or empty database is simply empty to readers, and is created by the
//!   first write. Perl creates it at the first read too, and fails to store into an
//!   empty (zero-byte) file.
//! * A file that is not a Berkeley DB hash database gives one error naming it,
//!   without handing it to libdb.
//! * The directory that holds the database is created when missing, including
//!   subdirectories named in `FileName`; Perl creates only `Directory`.
//! * Errors are returned, never `die`s: Perl dies when the lock file cannot be opened
//!   or locked.
//!
//! # Limits
//! * libdb checks what it reads, but not everything: like Perl's DB_File, it can crash
//!   or hang on a database whose pages were deliberately forged. Keep the database
//!   and its directory writable only by the application (the default `UMask` 0660
//!   does). A file that is not a hash database, or one cut short mid-page, is refused
//!   before libdb sees it; damage libdb itself notices is an error, and libdb also
//!   prints its own `BDB####` diagnostic to stderr.
//! * A key or a record is limited to 4 GiB, libdb's 32-bit length.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::ops::ControlFlow;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::file::{io_error, is_symlink, lock_file};
use crate::{args, found, Args, Driver, Error};

#[allow(unsafe_code)]
mod ffi;
mod header;
mod location;

use ffi::{HashDb, OpenMode};
use header::{Found, Problem};
pub use location::DEFAULT_FILE_NAME;

/// Perl's `$CGI::Session::Driver::db_file::UMask`: the database's creation mode.
pub const DEFAULT_UMASK: u32 = 0o660;

/// The mode the lock file is created with: Perl's `sysopen` default.
const LOCK_FILE_MODE: u32 = 0o666;

/// The Berkeley DB store. See the [module docs](self) for options and deviations
/// from Perl.
///
/// ```
/// use cgi_session_drivers::{Args, DbFileDriver, Driver};
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut args = Args::new();
/// args.insert("Directory".into(), dir.path().to_str().unwrap().into());
/// let driver = DbFileDriver::from_args(&args).unwrap();
///
/// driver.store("abc123", b"$D = {};;$D").unwrap();
/// assert!(dir.path().join("cgisess.db").is_file());
/// assert!(dir.path().join("cgisess.db.lck").is_file());
/// assert_eq!(driver.retrieve("abc123").unwrap().as_deref(), Some(&b"$D = {};;$D"[..]));
/// assert_eq!(driver.retrieve("nosuch").unwrap(), None);
/// ```
#[derive(Debug, Clone)]
pub struct DbFileDriver {
    path: PathBuf,
    lock_path: PathBuf,
    create_mode: u32,
}

/// What an operation does to the database, and so which lock it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// `LOCK_SH`, database opened read-only.
    Read,
    /// `LOCK_EX`, database opened read-write and created when missing.
    Write,
}

impl DbFileDriver {
    /// Builds the driver from Perl's driver arguments (`FileName`, `Directory`,
    /// `UMask`; others are ignored, as Perl ignores them), creating the directory
    /// that holds the database when it is missing.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        let path = location::database_path(args);
        // spec §5.3: `exists $self->{UMask}`, like the file driver.
        let create_mode = args::mode(args, "UMask", DEFAULT_UMASK)?;
        // spec §5.3: Perl's `init()` mkpaths a missing Directory.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                fs::create_dir_all(parent).map_err(io_error(
                    "init",
                    "couldn't create directory",
                    parent,
                ))?;
            }
        }
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lck");
        Ok(DbFileDriver {
            path,
            lock_path: lock_path.into(),
            create_mode,
        })
    }

    /// The database file (Perl's `_db_file()`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file, `<database>.lck`.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// The mode a new database is created with (Perl's `UMask` option), before the
    /// process umask is applied.
    pub fn create_mode(&self) -> u32 {
        self.create_mode
    }

    /// Perl's `_lock()`: opens (creating) the lock file and `flock`s it. Closing the
    /// returned file releases the lock.
    fn lock(&self, op: &'static str, access: Access) -> Result<File, Error> {
        let path = &self.lock_path;
        if is_symlink(path) {
            remove_symlink(op, path)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(LOCK_FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(io_error(op, "couldn't create lock file", path))?;
        lock_file(&file, access == Access::Write).map_err(io_error(op, "couldn't lock", path))?;
        Ok(file)
    }

    /// Runs `work` on the open database, under the lock `access` calls for (Perl's
    /// `_tie_db_file` + untie + unlock). `Ok(None)` means a reader found no database.
    fn with_db<T>(
        &self,
        op: &'static str,
        access: Access,
        work: impl FnOnce(&mut HashDb) -> io::Result<T>,
    ) -> Result<Option<T>, Error> {
        let path = &self.path;
        // Declared first, so dropped (unlocked) last: after the database is closed.
        let _lock = self.lock(op, access)?;
        // spec §5.3: a symlink is unlinked; a writer then creates a new database.
        if is_symlink(path) {
            remove_symlink(op, path)?;
            if access == Access::Read {
                return Ok(None);
            }
        }
        let mode = match (access, self.inspect(op)?) {
            (Access::Read, Found::Database) => OpenMode::ReadOnly,
            (Access::Read, Found::Nothing) => return Ok(None),
            (Access::Write, _) => OpenMode::ReadWrite {
                create_mode: self.create_mode,
            },
        };
        let mut db = HashDb::open(path, mode)
            .map_err(|e| io_error(op, "couldn't open the Berkeley DB", path)(explain(e)))?;
        let done =
            work(&mut db).map_err(|e| io_error(op, "Berkeley DB failed on", path)(explain(e)))?;
        db.close()
            .map_err(|e| io_error(op, "couldn't close (sync) the Berkeley DB", path)(explain(e)))?;
        Ok(Some(done))
    }

    /// What is at the database path, judged under the lock before libdb sees it.
    fn inspect(&self, op: &'static str) -> Result<Found, Error> {
        let path = &self.path;
        header::inspect(path).map_err(|problem| match problem {
            Problem::NotADatabase(why) => Error::Io {
                op,
                what: "couldn't open the Berkeley DB",
                path: path.display().to_string(),
                source: io::Error::new(io::ErrorKind::InvalidData, why),
            },
            Problem::Io(e) => io_error(op, "couldn't read", path)(e),
        })
    }
}

/// libdb's own failures reach us as `EINVAL` (its negative error codes) or `EFAULT`
/// (`DB_RUNRECOVERY`, its "PANIC"); say what they mean for a session store.
fn explain(error: io::Error) -> io::Error {
    let meaning = match error.raw_os_error() {
        Some(libc::EINVAL) => "libdb cannot use it as a hash database, is it damaged?",
        Some(libc::EFAULT) => "libdb found the database damaged and gave up (DB_RUNRECOVERY)",
        _ => return error,
    };
    io::Error::new(io::ErrorKind::InvalidData, format!("{meaning} ({error})"))
}

/// Unlinks a symlink found where the database or its lock file should be, with
/// Perl's message when that fails (spec §5.3).
fn remove_symlink(op: &'static str, path: &Path) -> Result<(), Error> {
    fs::remove_file(path).map_err(|e| Error::Refused {
        op,
        message: format!(
            "'{}' appears to be a symlink and I can't remove it: {e}",
            path.display()
        ),
    })
}

/// Perl's `croak "...: usage error" unless $sid`: a false id names no session.
fn checked_id<'a>(op: &'static str, id: &'a str) -> Result<&'a [u8], Error> {
    if args::perl_true(id) {
        Ok(id.as_bytes())
    } else {
        Err(Error::InvalidId {
            op,
            id: id.to_owned(),
            reason: "Perl's db_file driver refuses a false id (\"\" or \"0\")",
        })
    }
}

impl Driver for DbFileDriver {
    fn name(&self) -> &'static str {
        "db_file"
    }

    /// Perl's order (spec §5.3 retrieve): not a regular file (`-f`, before any lock)
    /// → not found; `LOCK_SH`; look the id up. A record Perl reads as false (`""` or
    /// `"0"`) is not found either (`$h{$sid} || 0`).
    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let Ok(key) = checked_id("retrieve", id) else {
            return Ok(None);
        };
        if !self.path.is_file() {
            return Ok(None);
        }
        let data = self.with_db("retrieve", Access::Read, |db| db.get(key))?;
        Ok(found(data.flatten()))
    }

    /// `LOCK_EX`, then the whole record replaces the old one under the id (spec §5.3
    /// store). A missing database is created with mode `UMask`.
    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        let key = checked_id("store", id)?;
        self.with_db("store", Access::Write, |db| db.put(key, data))?;
        Ok(())
    }

    /// `LOCK_EX`, then the key is deleted; a missing key is not an error (spec §5.3
    /// remove).
    fn remove(&self, id: &str) -> Result<(), Error> {
        let key = checked_id("remove", id)?;
        self.with_db("remove", Access::Write, |db| db.delete(key))?;
        Ok(())
    }

    /// Reads every id under `LOCK_SH` in libdb's order (Perl's `each` order), then
    /// releases the lock before the first callback (see the module docs).
    /// The database's directory (who can replace the file) and mode (who can read it).
    fn lint(&self) -> Result<Vec<crate::lint::Finding>, Error> {
        crate::lint::database(&self.path)
    }

    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        let ids = self
            .with_db("traverse", Access::Read, |db| db.keys())?
            .unwrap_or_default();
        for id in &ids {
            let Ok(id) = std::str::from_utf8(id) else {
                continue;
            };
            if visit(id).is_break() {
                break;
            }
        }
        Ok(())
    }
}
