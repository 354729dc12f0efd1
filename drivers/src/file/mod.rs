//! Driver `file`: one file per session, shared with Perl's `CGI::Session::Driver::file`
//! (spec §5.2), byte for byte and lock for lock.
//!
//! A session `ID` lives in `Directory/cgisess_ID`. Readers hold `flock(2)` `LOCK_SH` on
//! the session file for the whole read; writers hold `LOCK_EX` on the same file while
//! they truncate it and write in place. Perl does exactly this, so a Perl process and
//! a Rust process can use one directory at the same time. There is deliberately no
//! temp-file-and-rename write by default: a Perl writer that had already opened the
//! old inode would write into an unlinked file and lose its update (spec §5.2, "Other
//! facts"). Stores that Perl never touches may opt into one with `AtomicWrite`.
//!
//! # Options
//! | Option | Default | Meaning |
//! |---|---|---|
//! | `Directory` | [`default_directory`] (Perl's `File::Spec->tmpdir`) | Used when the value is false in Perl (`""`, `"0"`). Created, with missing parents, by [`FileDriver::from_args`] if it does not exist: the parents `0777 & !umask` as Perl's mkpath, the directory itself with `UMask`'s access plus search (`0770 & !umask` by default; Perl gives `0777 & !umask`, which lets every local user list the session ids). |
//! | `UMask` | `0660` | Despite the name, the *mode* given to `open(O_CREAT)`: a new file gets `UMask & !process_umask` (0640 under umask 022). Read by [`crate::args::parse_mode`]. |
//! | `NoFlock` | false | When true, no `flock` calls are made at all. |
//! | `FileName` | `cgisess_%s` | The file-name template; `%s` is the id. Used when the value is true in Perl. |
//! | `AtomicWrite` | false | Not Perl's. When true, `store` writes a temporary file in `Directory`, `fsync`s it, renames it over the session file and `fsync`s the directory: a killed writer or a power cut never leaves a truncated record, and a flush that returned is never lost. **Only for stores no Perl process writes** (a Perl update to the replaced file would be lost), and every Rust writer of the store must set it. Ids containing a newline are refused (temporary files are named with one). See the `atomic` module source. |
//!
//! **`FileName` differs from Perl.** Perl 4.48 *ignores* a `FileName` driver argument
//! and reads only the global `$CGI::Session::Driver::file::FileName` (spec §5.2, §8.2
//! item 16). Here the argument stands in for that global. A Perl program sharing the
//! store must set the global to the same template:
//! `$CGI::Session::Driver::file::FileName = "%s.dat";`. The template must contain
//! exactly one `%s`, no other `%`, no `/` and no NUL (Perl would `sprintf` anything).
//!
//! # Behaviour that deliberately differs from Perl
//! * A `Directory` the driver creates is not listable by other users unless `UMask`
//!   lets them read session files (`0750` under umask 022, where Perl's mkpath gives
//!   `0755`): a listing shows every session id.
//! * `store` that loses an `O_EXCL` creation race (EEXIST) retries once by opening
//!   the file the winner created, instead of failing the flush.
//! * `store` writes the new record over the old one from offset 0 and then cuts the
//!   file to its length; Perl truncates to 0 first and then writes. Under the lock no
//!   reader can tell, but a writer killed between the two steps leaves the old
//!   record, or the new one followed by old bytes (see the `atomic` module source for
//!   what each serializer makes of them), never the empty file that Perl reads as "no
//!   session" (`tests/crash.rs`). It also
//!   spares ext4 the flush it starts on closing a file that was truncated to 0 and
//!   rewritten (`auto_da_alloc`).
//! * `store` does not repeat Perl's `-l` check after its open (Perl's error "is a
//!   symlink, check for malicious processes"): the `O_NOFOLLOW` or `O_EXCL` open
//!   never opens a symlink, so the record always goes into the regular file the path
//!   named at the open, and a swap after the open goes unseen by Perl's check too.
//! * `remove` of a file that is already gone succeeds (Perl reports ENOENT).
//! * `traverse` skips an entry it cannot `stat` (a dangling symlink, or a file removed
//!   during the walk); Perl aborts the whole walk (spec §4.1). It also does not
//!   reproduce Perl's `$` matching before a trailing newline: Perl would report the
//!   file `cgisess_abc\n` as id `abc`, which names no session.
//! * `retrieve` reports a read error (e.g. the session path is a directory); Perl's
//!   line-reading loop ignores it and returns "not found".
//! * An empty id, or one whose file name would be `.` or `..`, is refused like an id
//!   with `/` (Perl would use `cgisess_`, or open the directory).
//! * Errors from closing the file are not observed (std has no checked close); the
//!   data is written with one unbuffered `write_all` whose errors are reported. Like
//!   Perl, there is no `fsync`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::ops::ControlFlow;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::args;
use crate::lint::Finding;
use crate::{found, Args, Driver, Error, Swept, Verdict};

mod atomic;
mod lint;
mod template;
mod tmpdir;

use template::FileNameTemplate;
pub use tmpdir::default_directory;
pub(crate) use tmpdir::is_writable_dir;

/// Perl's `$CGI::Session::Driver::file::FileName` default (spec §5.2).
pub const DEFAULT_FILE_NAME: &str = "cgisess_%s";

/// Perl's `$CGI::Session::Driver::file::UMask` default: the creation mode (spec §5.2).
pub const DEFAULT_UMASK: u32 = 0o660;

/// The file store. See the [module docs](self) for options and deviations from Perl.
///
/// ```
/// use cgi_session_drivers::{Args, Driver, FileDriver};
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut args = Args::new();
/// args.insert("Directory".into(), dir.path().to_str().unwrap().into());
/// let driver = FileDriver::from_args(&args).unwrap();
///
/// driver.store("abc123", b"$D = {};;$D").unwrap();
/// assert!(dir.path().join("cgisess_abc123").is_file());
/// assert_eq!(driver.retrieve("abc123").unwrap().as_deref(), Some(&b"$D = {};;$D"[..]));
/// assert_eq!(driver.retrieve("nosuch").unwrap(), None);
/// ```
#[derive(Debug, Clone)]
pub struct FileDriver {
    directory: PathBuf,
    create_mode: u32,
    no_flock: bool,
    file_name: FileNameTemplate,
    atomic_write: bool,
}

impl FileDriver {
    /// Builds the driver from Perl's driver arguments (`Directory`, `UMask`, `NoFlock`,
    /// `FileName`; others are ignored, as Perl ignores them).
    ///
    /// Like Perl's `init()`, this creates `Directory` (and its missing parents, mode
    /// `0777 & !umask`; the directory itself with `UMask`'s access plus search, see
    /// the module docs) when it does not exist, so the error naming the directory
    /// comes from construction rather than from the first read or write.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        // spec §5.2: `$self->{Directory} ||= File::Spec->tmpdir()`
        let directory =
            args::true_value(args, "Directory").map_or_else(default_directory, PathBuf::from);
        // spec §5.2: UMask and NoFlock are used when the key *exists*.
        let create_mode = args::mode(args, "UMask", DEFAULT_UMASK)?;
        let no_flock = args::flag(args, "NoFlock", false)?;
        let atomic_write = args::flag(args, "AtomicWrite", false)?;
        // A false FileName means the default, as with db_file's `FileName || ...`.
        let file_name = FileNameTemplate::parse(
            args::true_value(args, "FileName").unwrap_or(DEFAULT_FILE_NAME),
        )?;
        // spec §5.2: `unless (-d $dir) { mkpath($dir) }`.
        if !directory.is_dir() {
            create_directory(&directory, create_mode).map_err(io_error(
                "init",
                "couldn't create directory",
                &directory,
            ))?;
        }
        Ok(FileDriver {
            directory,
            create_mode,
            no_flock,
            file_name,
            atomic_write,
        })
    }

    /// The directory holding the session files.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The mode new session files are opened with (Perl's `UMask` option), before the
    /// process umask is applied.
    pub fn create_mode(&self) -> u32 {
        self.create_mode
    }

    /// Whether `flock` is skipped (Perl's `NoFlock` option).
    pub fn no_flock(&self) -> bool {
        self.no_flock
    }

    /// Whether records are written to a temporary file and renamed into place (the
    /// `AtomicWrite` option; see the [module docs](self)).
    pub fn atomic_write(&self) -> bool {
        self.atomic_write
    }

    /// The file that holds session `id`, as Perl's `_file()` computes it:
    /// `Directory/sprintf(FileName, id)`. Refuses ids this store cannot name
    /// ([`Error::InvalidId`]): ids with `/`, `\` or NUL, the empty id, and ids whose
    /// file name would be `.` or `..`.
    pub fn path_for(&self, id: &str) -> Result<PathBuf, Error> {
        self.checked_path("path_for", id)
    }

    fn checked_path(&self, op: &'static str, id: &str) -> Result<PathBuf, Error> {
        let refuse = |reason| {
            Err(Error::InvalidId {
                op,
                id: id.to_owned(),
                reason,
            })
        };
        // One pass over the bytes for the common id, which has none of these; without
        // an early exit, so that it runs on whole words.
        let suspect = id
            .bytes()
            .fold(false, |found, b| found | matches!(b, b'/' | b'\\' | 0));
        if suspect {
            // spec §5.2 "Id validation" / §8.1 item 3: the 4.34 path-traversal fix.
            if id.contains(['/', '\\']) {
                return refuse("session ids cannot contain \\ or / characters");
            }
            // Perl refuses NUL in paths (with a warning), so such an id is never found.
            return refuse("session ids cannot contain NUL");
        }
        // Perl treats "" as "no id" (spec §8.2 item 13); a file for it would be `cgisess_`.
        if id.is_empty() {
            return refuse("session ids cannot be empty");
        }
        // A newline in the id part names temporary files (atomic.rs).
        if self.atomic_write && id.contains('\n') {
            return refuse("session ids cannot contain a newline with AtomicWrite");
        }
        let name = self.file_name.file_name(id);
        if name == "." || name == ".." {
            return refuse("the session file name would be . or ..");
        }
        // `join` would grow its copy of the directory to fit the name.
        let mut path = PathBuf::with_capacity(self.directory.as_os_str().len() + 1 + name.len());
        path.push(&self.directory);
        path.push(name);
        Ok(path)
    }

    /// Opens `path` for `store`; `exists` is what `-e path` said (spec §5.2 store
    /// steps 2-3).
    fn open_for_store(&self, path: &Path, exists: bool) -> io::Result<File> {
        let mut options = OpenOptions::new();
        if exists {
            options.write(true).custom_flags(libc::O_NOFOLLOW);
        } else {
            // O_CREAT|O_EXCL never follows a symlink, so Perl adds no O_NOFOLLOW here.
            options
                .read(true)
                .write(true)
                .create_new(true)
                .mode(self.create_mode);
        }
        match options.open(path) {
            // Improvement over Perl (spec §5.2 store step 3): a concurrent creator won
            // the race between our `-e` and our O_EXCL open. Its file is a regular one
            // (O_EXCL made it), so write into it under the lock like any update. If a
            // symlink was planted instead, O_NOFOLLOW makes this open fail (ELOOP).
            Err(e) if !exists && e.kind() == io::ErrorKind::AlreadyExists => {
                self.open_for_store(path, true)
            }
            other => other,
        }
    }

    fn lock(&self, file: &File, exclusive: bool) -> io::Result<()> {
        if self.no_flock {
            return Ok(());
        }
        lock_file(file, exclusive)
    }
}

impl Driver for FileDriver {
    fn name(&self) -> &'static str {
        "file"
    }

    /// Perl's order (spec §5.2 retrieve): `-e` (stat, following links) false → not
    /// found; `-l` → unlink the symlink and report not found; open `O_RDONLY|O_NOFOLLOW`;
    /// `LOCK_SH`; read everything. The open is tried first, and the `-e`/`-l` checks
    /// run only when it fails for another reason than a missing file, with the same
    /// outcome in every case and two system calls fewer on every load. An empty file or one holding exactly `0` is "not
    /// found", as Perl's session reads a false record (spec §2.3 step 7). Ids this store
    /// cannot name are "not found" too, as in Perl.
    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let Ok(path) = self.checked_path("retrieve", id) else {
            return Ok(None);
        };
        // Step 3 first: the O_NOFOLLOW open answers Perl's `-e` and `-l` in the common
        // cases. It opens only what is no symlink (`-e` true, `-l` false: Perl would
        // open it too), and ENOENT means nothing is there (`-e` false). Anything else
        // (ELOOP for a symlink, EACCES, ...) takes Perl's steps in Perl's order.
        let mut file = match open_nofollow(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(_) => {
                // Step 1: any stat failure is "not found" to Perl's `-e`, dangling links
                // included.
                if fs::metadata(&path).is_err() {
                    return Ok(None);
                }
                // Step 2: a symlink to another session must not expose that session
                // (t/symlink_file.t).
                if is_symlink(&path) {
                    remove_symlink("retrieve", &path)?;
                    return Ok(None);
                }
                // Step 3.
                open_nofollow(&path).map_err(io_error("retrieve", "couldn't open", &path))?
            }
        };
        // Step 4.
        self.lock(&file, false)
            .map_err(io_error("retrieve", "couldn't lock", &path))?;
        // Step 5; closing the file (drop) releases the lock.
        let data = read_record(&mut file).map_err(io_error("retrieve", "couldn't read", &path))?;
        Ok(found(Some(data)))
    }

    /// Perl's order (spec §5.2 store): `-l` → unlink the symlink; open `O_WRONLY|
    /// O_NOFOLLOW` if the file exists, else `O_RDWR|O_CREAT|O_EXCL` with mode `UMask`;
    /// refuse if the path became a symlink; `LOCK_EX`; truncate; write in place; close.
    /// As in `retrieve`, the open is tried first and `-l`/`-e` run only when it fails
    /// for another reason than a missing file. The second `-l` after the open is not
    /// made (see the module docs).
    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        let path = self.checked_path("store", id)?;
        if self.atomic_write {
            return self.store_atomic(id, &path, data);
        }
        // Step 3's O_WRONLY|O_NOFOLLOW open first: it answers Perl's `-l` and `-e` in
        // the common cases. It opens only what is no symlink (`-l` false, `-e` true:
        // Perl would open it so too), and ENOENT means nothing is there (both false:
        // Perl creates the file). Anything else (ELOOP for a symlink, EACCES, ...)
        // takes Perl's steps in Perl's order.
        let opened = match self.open_for_store(&path, true) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.open_for_store(&path, false),
            Err(_) => {
                // Step 1.
                if is_symlink(&path) {
                    remove_symlink("store", &path)?;
                }
                // Steps 2-3.
                let exists = fs::metadata(&path).is_ok();
                self.open_for_store(&path, exists)
            }
            opened => opened,
        };
        // Step 4 (`-l` once more after the open) is left out: both opens refuse a
        // symlink themselves, so the descriptor is always the regular file the path
        // named when it was opened, and the check could not close the race anyway (a
        // swap after it goes unseen too). It was one more `lstat` on every flush.
        let mut file = opened.map_err(io_error("store", "couldn't open", &path))?;
        // Steps 5-7, all on the one fd, so readers never see a half-written record.
        // Perl truncates to 0 and then writes; the lock hides the order from every
        // reader, so the record is written first (over the old one, from offset 0)
        // and then cut to its length. A writer killed between the two leaves the old
        // record or the new one followed by old bytes (atomic.rs says what each
        // serializer makes of them), never the empty file that reads as "no session"
        // (tests/crash.rs).
        self.lock(&file, true)
            .map_err(io_error("store", "couldn't lock", &path))?;
        file.write_all(data)
            .map_err(io_error("store", "couldn't write", &path))?;
        file.set_len(data.len() as u64)
            .map_err(io_error("store", "couldn't truncate", &path))?;
        Ok(())
    }

    /// Unlinks the file, taking no lock, as Perl does (spec §5.2 remove). A file that
    /// is already gone counts as removed (Perl reports ENOENT as an error).
    fn remove(&self, id: &str) -> Result<(), Error> {
        let path = self.checked_path("remove", id)?;
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(io_error("remove", "couldn't unlink", &path)(e))
            }
            _ => Ok(()),
        }
    }

    /// A purge step in the fewest system calls: `open(O_NOFOLLOW|O_NOATIME)`, `LOCK_SH`, read
    /// into `buf`, decide. A removal converts the lock to `LOCK_EX`, re-reads, and
    /// unlinks only if the record is unchanged and the path still names the file it
    /// locked ([`Swept::Changed`] otherwise); a
    /// rewrite closes the file and stores as [`Driver::store`] does. Perl's `-e`/`-l`
    /// checks are skipped unless the open meets a symlink (`ELOOP`), which then takes
    /// [`Driver::retrieve`]'s path: a symlink in place of a session file is removed,
    /// as Perl's `find()` removes it.
    fn sweep_one(
        &self,
        id: &str,
        buf: &mut Vec<u8>,
        decide: &mut dyn FnMut(&[u8]) -> Verdict,
    ) -> Result<Swept, Error> {
        let Ok(path) = self.checked_path("sweep", id) else {
            return Ok(Swept::Missing);
        };
        // A purge is not an access: O_NOATIME spares the inode update a first read
        // after a write makes, where the kernel allows it (the file is ours).
        let opened = match open_nofollow_flags(&path, libc::O_NOATIME) {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => open_nofollow(&path),
            other => other,
        };
        let mut file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Swept::Missing),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return crate::sweep::through_contract(self, id, decide)
            }
            Err(e) => return Err(io_error("sweep", "couldn't open", &path)(e)),
        };
        self.lock(&file, false)
            .map_err(io_error("sweep", "couldn't lock", &path))?;
        read_whole(&mut file, buf).map_err(io_error("sweep", "couldn't read", &path))?;
        if buf.is_empty() || buf == b"0" {
            return Ok(Swept::Missing);
        }
        match decide(buf) {
            Verdict::Keep => Ok(Swept::Kept),
            Verdict::Remove => {
                self.lock(&file, true)
                    .map_err(io_error("sweep", "couldn't lock", &path))?;
                // Converting the lock lets a waiting writer in first, and timestamps
                // are too coarse to tell its rewrite apart: compare the bytes.
                let same = holds_exactly(&file, buf).map_err(io_error(
                    "sweep",
                    "couldn't re-read",
                    &path,
                ))?;
                // A path that names another file now holds a newer record: a renamed-in
                // one (AtomicWrite), or one deleted and created again.
                if !same || !self.still_names("sweep", &path, &file)? {
                    return Ok(Swept::Changed);
                }
                self.remove(id)?;
                Ok(Swept::Removed)
            }
            Verdict::Replace { data, expires_in } => {
                // Our shared lock would block the exclusive lock of the store.
                drop(file);
                self.store_expiring(id, &data, expires_in)?;
                Ok(Swept::Replaced)
            }
        }
    }

    /// The directory's mode and owner, the session files' modes, symlinks among them,
    /// `NoFlock` and a `UMask` open to others (see the `lint` module).
    fn lint(&self) -> Result<Vec<Finding>, Error> {
        self.findings()
    }

    /// Lists `Directory` in `readdir` order and visits every non-directory entry whose
    /// name matches the `FileName` template (spec §5.2 traverse). Entries that cannot be
    /// `stat`ed are skipped rather than aborting the walk as Perl does.
    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        let dir = &self.directory;
        let entries = fs::read_dir(dir).map_err(io_error("traverse", "couldn't open", dir))?;
        for entry in entries {
            let entry = entry.map_err(io_error("traverse", "couldn't read", dir))?;
            // std never yields `.` and `..`. A non-UTF-8 name cannot be an id (lib docs).
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| self.file_name.id_in(n)) else {
                continue;
            };
            // Perl stats every entry and skips directories (`-d`, following links).
            // The entry's type from readdir spares that stat, except for a symlink,
            // whose target decides; matching the name first spares unrelated files.
            let is_dir = match entry.file_type() {
                Ok(kind) if kind.is_symlink() => fs::metadata(entry.path()).map(|m| m.is_dir()),
                Ok(kind) => Ok(kind.is_dir()),
                Err(e) => Err(e),
            };
            if is_dir.unwrap_or(true) {
                continue;
            }
            if visit(id).is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// `flock(2)` through std (which calls flock on Linux, not fcntl: spec §5.2 "Locking"),
/// retried when a signal interrupts the wait.
pub(crate) fn lock_file(file: &File, exclusive: bool) -> io::Result<()> {
    loop {
        let result = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        match result {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// `open(path, O_RDONLY|O_NOFOLLOW)`: a symlink fails with `ELOOP`.
fn open_nofollow(path: &Path) -> io::Result<File> {
    open_nofollow_flags(path, 0)
}

/// [`open_nofollow`] with more `open(2)` flags.
fn open_nofollow_flags(path: &Path, flags: i32) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | flags)
        .open(path)
}

/// Reads from the file position to the end into `buf` (cleared first), in as few
/// `read` calls as the size allows: `read_to_end` on a `File` would first `fstat`
/// and `lseek` to size the buffer, two system calls more than a session needs.
fn read_whole(file: &mut File, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    buf.reserve(8192);
    Read::take(file, u64::MAX).read_to_end(buf).map(drop)
}

/// Reads a whole record from the file position into a vector of its own size: the
/// same two `read` calls as [`read_whole`] for a record under 8 KiB. The kernel reads
/// into the vector's spare room directly (a stack buffer would be zeroed first on
/// every load), and the vector is then shrunk in place.
pub(crate) fn read_record(file: &mut File) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    read_whole(file, &mut data)?;
    data.shrink_to_fit();
    Ok(data)
}

/// Whether `file` holds exactly `seen`, read from its start with `pread` (no `lseek`):
/// for an unchanged record, one call that gets the bytes and one that meets the end.
/// A read cut short counts as a change, which only ever spares a record.
fn holds_exactly(file: &File, seen: &[u8]) -> io::Result<bool> {
    use std::os::unix::fs::FileExt;
    // One byte more than `seen`, so that a longer record shows in the first read.
    let mut now = vec![0; seen.len() + 1];
    let mut got = 0;
    loop {
        match file.read_at(&mut now[got..], got as u64) {
            Ok(0) => return Ok(got == seen.len()),
            Ok(n) => {
                let end = got + n;
                if end > seen.len() || now[got..end] != seen[got..end] {
                    return Ok(false);
                }
                got = end;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Perl's `-l`: lstat succeeds and says symlink.
pub(crate) fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Unlinks a symlink found where a session file should be, with Perl's message when
/// that fails (spec §5.2 retrieve step 2, store step 1).
fn remove_symlink(op: &'static str, path: &Path) -> Result<(), Error> {
    fs::remove_file(path).map_err(|e| Error::Refused {
        op,
        message: format!(
            "'{}' appears to be a symlink and I couldn't remove it: {e}",
            path.display()
        ),
    })
}

/// Maps an I/O error to [`Error::Io`] naming the operation and the path, like Perl's
/// errstr `retrieve(): couldn't open '<path>': <errno>`.
pub(crate) fn io_error<'p>(
    op: &'static str,
    what: &'static str,
    path: &'p Path,
) -> impl FnOnce(io::Error) -> Error + 'p {
    move |source| Error::Io {
        op,
        what,
        path: path.display().to_string(),
        source,
    }
}

/// Perl's `mkpath(Directory)`, with one difference: missing parents get mkpath's
/// `0777 & !umask`, but the session directory itself gets the access `UMask` gives
/// session files, plus search (`x`) wherever that grants read: `0770` for the default
/// `0660`, `0750` under umask 022. Perl's `0755` would let every local user list the
/// session ids (the credentials), which `lint` warns about (`dir-readable`).
fn create_directory(directory: &Path, create_mode: u32) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(parent) = directory.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mode = (create_mode | (create_mode & 0o444) >> 2) & 0o777;
    match fs::DirBuilder::new().mode(mode).create(directory) {
        // Another process made it between our `-d` and here.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && directory.is_dir() => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver_in(dir: &Path, extra: &[(&str, &str)]) -> FileDriver {
        let mut args = Args::new();
        args.insert("Directory".into(), dir.to_str().unwrap().into());
        for (k, v) in extra {
            args.insert(k.to_string(), v.to_string());
        }
        FileDriver::from_args(&args).unwrap()
    }

    #[test]
    fn path_for_refuses_unnameable_ids() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver_in(dir.path(), &[]);
        assert_eq!(d.path_for("ab.c").unwrap(), dir.path().join("cgisess_ab.c"));
        for bad in ["a/b", "a\\b", "", "a\0b", "/", "\\"] {
            assert!(
                matches!(d.path_for(bad), Err(Error::InvalidId { .. })),
                "{bad:?}"
            );
        }
        // A false FileName is the default template.
        let d = driver_in(dir.path(), &[("FileName", "")]);
        assert_eq!(d.path_for("x").unwrap(), dir.path().join("cgisess_x"));
        let d = driver_in(dir.path(), &[("FileName", "%s")]);
        assert!(d.path_for("..").is_err());
        assert!(d.path_for(".").is_err());
        assert!(d.path_for("...").is_ok());
    }

    #[test]
    fn stale_does_not_exist_observation_retries_as_an_update() {
        // The create race, made deterministic: `-e` said "missing", but a concurrent
        // creator has made the file before our O_EXCL open.
        let dir = tempfile::tempdir().unwrap();
        let d = driver_in(dir.path(), &[]);
        d.store("race", b"winner").unwrap();
        let path = d.path_for("race").unwrap();
        let mut file = d.open_for_store(&path, false).unwrap();
        file.set_len(0).unwrap();
        file.write_all(b"loser").unwrap();
        drop(file);
        assert_eq!(d.retrieve("race").unwrap().unwrap(), b"loser");
    }

    #[test]
    fn stale_observation_does_not_follow_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver_in(dir.path(), &[]);
        let target = dir.path().join("target");
        fs::write(&target, b"precious").unwrap();
        let path = d.path_for("evil").unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let err = d.open_for_store(&path, false).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ELOOP));
        assert_eq!(fs::read(&target).unwrap(), b"precious");
    }

    #[test]
    fn empty_and_zero_records_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver_in(dir.path(), &[]);
        d.store("e", b"").unwrap();
        d.store("z", b"0").unwrap();
        d.store("zz", b"00").unwrap();
        assert_eq!(d.retrieve("e").unwrap(), None);
        assert_eq!(d.retrieve("z").unwrap(), None);
        assert_eq!(d.retrieve("zz").unwrap().unwrap(), b"00");
    }

    #[test]
    fn store_overwrites_whole_record() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver_in(dir.path(), &[]);
        d.store("x", b"a long first record").unwrap();
        d.store("x", b"short").unwrap();
        assert_eq!(d.retrieve("x").unwrap().unwrap(), b"short");
    }

    #[test]
    fn errors_name_operation_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver_in(dir.path(), &[]);
        fs::create_dir(dir.path().join("cgisess_dir")).unwrap();
        let err = d.store("dir", b"x").unwrap_err().to_string();
        let want = format!(
            "store(): couldn't open '{}/cgisess_dir': ",
            dir.path().display()
        );
        assert!(err.starts_with(&want), "{err}");
        let err = d.retrieve("dir").unwrap_err().to_string();
        assert!(err.starts_with("retrieve(): couldn't read '"), "{err}");
        let err = d.store("a/b", b"x").unwrap_err().to_string();
        assert!(err.starts_with("store(): session id \"a/b\""), "{err}");
    }

    #[test]
    fn directory_option_follows_perl_or() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b/c");
        let d = driver_in(&nested, &[]);
        assert!(nested.is_dir());
        assert_eq!(d.directory(), nested);
        let mut args = Args::new();
        args.insert("Directory".into(), "0".into());
        let d = FileDriver::from_args(&args).unwrap();
        assert_eq!(d.directory(), default_directory());
    }

    #[test]
    fn directory_that_cannot_be_created_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        fs::write(&file, b"").unwrap();
        let mut args = Args::new();
        args.insert(
            "Directory".into(),
            file.join("sub").to_str().unwrap().into(),
        );
        let err = FileDriver::from_args(&args).unwrap_err().to_string();
        assert!(
            err.starts_with("init(): couldn't create directory '"),
            "{err}"
        );
        assert!(err.contains("plain/sub"), "{err}");
    }
}
