//! `AtomicWrite`: the opt-in write for file stores that Perl never touches.
//!
//! The Perl-compatible write rewrites the session file in place under `LOCK_EX` (the
//! new record from offset 0, then the file cut to its length). A writer killed between
//! the two leaves the new record followed by old bytes when the record shrank: Storable
//! reads the new record and ignores the rest, Data::Dumper and JSON give an error naming
//! the session, but YAML has no end marker, so whole lines of the old record could read
//! as keys of the new one. And nothing is synced, so a power cut can leave anything the
//! page cache had not written. With `AtomicWrite`, a record is written to
//! a temporary file in the same directory, `fsync`ed, renamed over the session file,
//! and the directory is `fsync`ed; a reader sees the old record or the new one, whole,
//! and a flush that returned survives a crash of the process or of the machine.
//!
//! Both syncs come with the mode, rather than as a second option: a rename without
//! them can leave an empty or an old file after a power cut (XFS, ext4 without
//! `auto_da_alloc`), which is the very loss the mode exists to rule out. A store that
//! does not want to pay for syncs keeps the in-place write, which already survives a
//! killed process everywhere except in that write-then-cut window.
//!
//! **Perl must never write to such a store**: a Perl writer that opened the old file
//! writes into an unlinked inode and its update is lost (spec §5.2, "Other facts").
//! Every Rust writer of the store must use the mode too, for the same reason.
//!
//! # Renames and purges
//! A purge removes a record only under `LOCK_EX` and only if it is unchanged
//! (`sweep_one`). With renames, the path may name a *new* file while the purge holds
//! the lock on the old one, so that check alone would unlink the new record. Two rules
//! close that race: an atomic writer renames only while it holds `LOCK_EX` on the
//! file the path names at that moment (checked after locking, by device and inode),
//! and the purge unlinks only while the path still names the file it locked. Both
//! hold the lock on the same inode, so one of them sees the other's change.
//!
//! # Temporary files
//! They are named [`FileNameTemplate::temp_name`](super::template::FileNameTemplate::temp_name):
//! the session file's name with a newline and `.tmp.NONCE` after the id, which no
//! template can take for a session. A writer killed before its rename leaves one
//! behind; it holds a write that never completed, never a session's only copy, and
//! `lint` reports it (`atomic-temp`) so that an operator can remove it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{io_error, open_nofollow, FileDriver};
use crate::Error;

/// Makes temporary names unique within this process; the pid makes them unique
/// between processes, and `O_EXCL` settles the rest (a leftover of an earlier
/// process with the same pid).
static NONCE: AtomicU64 = AtomicU64::new(0);

impl FileDriver {
    /// Writes `data` as the record at `path` (session `id`): temporary file, `fsync`,
    /// rename under the lock of the file it replaces, `fsync` of the directory.
    pub(super) fn store_atomic(&self, id: &str, path: &Path, data: &[u8]) -> Result<(), Error> {
        let (temp, mut file) = self.create_temp(id)?;
        let written = file
            .write_all(data)
            .map_err(io_error("store", "couldn't write", &temp))
            .and_then(|()| {
                file.sync_all()
                    .map_err(io_error("store", "couldn't sync", &temp))
            })
            .and_then(|()| self.rename_locked(&temp, path))
            .and_then(|()| {
                File::open(&self.directory)
                    .and_then(|dir| dir.sync_all())
                    .map_err(io_error(
                        "store",
                        "couldn't sync directory",
                        &self.directory,
                    ))
            });
        if written.is_err() {
            // Gone already if the rename was done; the record is then in place.
            let _ = fs::remove_file(&temp);
        }
        written
    }

    fn create_temp(&self, id: &str) -> Result<(PathBuf, File), Error> {
        loop {
            let nonce = format!(
                "{:x}.{:x}",
                std::process::id(),
                NONCE.fetch_add(1, Ordering::Relaxed)
            );
            let temp = self.directory.join(self.file_name.temp_name(id, &nonce));
            let created = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(self.create_mode)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&temp);
            match created {
                Ok(file) => return Ok((temp, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_error("store", "couldn't create", &temp)(e)),
            }
        }
    }

    /// Renames `temp` over `path` while holding `LOCK_EX` on the file `path` names, if
    /// any (see the module docs). Each retry follows a rename or unlink by another
    /// process, so the loop always makes progress.
    fn rename_locked(&self, temp: &Path, path: &Path) -> Result<(), Error> {
        loop {
            let current = match open_nofollow(path) {
                Ok(file) => Some(file),
                // Nothing there, or a symlink: the rename replaces the link itself.
                Err(e)
                    if e.kind() == io::ErrorKind::NotFound
                        || e.raw_os_error() == Some(libc::ELOOP) =>
                {
                    None
                }
                Err(e) => return Err(io_error("store", "couldn't open", path)(e)),
            };
            if let Some(current) = &current {
                self.lock(current, true)
                    .map_err(io_error("store", "couldn't lock", path))?;
                if !self.still_names("store", path, current)? {
                    continue;
                }
            }
            // The lock on the replaced file is released when `current` drops, after.
            return fs::rename(temp, path).map_err(io_error("store", "couldn't rename", path));
        }
    }

    /// Whether `path` still names the file `locked` is open on. Without locks
    /// (`NoFlock`) nothing is excluded anyway, and the answer is yes.
    pub(super) fn still_names(
        &self,
        op: &'static str,
        path: &Path,
        locked: &File,
    ) -> Result<bool, Error> {
        if self.no_flock {
            return Ok(true);
        }
        let held = locked
            .metadata()
            .map_err(io_error(op, "couldn't stat", path))?;
        Ok(match fs::symlink_metadata(path) {
            Ok(now) => now.dev() == held.dev() && now.ino() == held.ino(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(io_error(op, "couldn't stat", path)(e)),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::lint::Finding;
    use crate::listed;
    use crate::{Args, Driver, Swept, Verdict};

    fn driver(dir: &Path, atomic: bool) -> FileDriver {
        let mut args = Args::new();
        args.insert("Directory".into(), dir.to_str().unwrap().into());
        args.insert("UMask".into(), "0600".into());
        if atomic {
            args.insert("AtomicWrite".into(), "1".into());
        }
        FileDriver::from_args(&args).unwrap()
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn atomic_store_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), true);
        d.store("a", b"first, the longer record").unwrap();
        let before = fs::metadata(d.path_for("a").unwrap()).unwrap().ino();
        d.store("a", b"second").unwrap();
        let after = fs::metadata(d.path_for("a").unwrap()).unwrap();
        assert_ne!(before, after.ino(), "a new file was renamed in");
        assert_eq!(after.permissions().mode() & 0o777, 0o600);
        assert_eq!(d.retrieve("a").unwrap().unwrap(), b"second");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(listed(&d), ["a"]);
    }

    #[test]
    fn a_leftover_temporary_is_no_session_and_lint_reports_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), true);
        d.store("a", b"kept").unwrap();
        // A writer killed before its rename.
        let temp = dir.path().join(d.file_name.temp_name("a", "dead.0"));
        fs::write(&temp, b"half").unwrap();
        assert_eq!(listed(&d), ["a"]);
        assert_eq!(d.retrieve("a").unwrap().unwrap(), b"kept");
        let findings = d.lint().unwrap();
        assert!(codes(&findings).contains(&"atomic-temp"), "{findings:?}");
        // An id that would name a temporary file is refused in this mode.
        assert_eq!(d.retrieve("a\n.tmp.dead.0").unwrap(), None);
        assert!(d.store("a\nb", b"x").is_err());
    }

    #[test]
    fn lint_reports_an_empty_session_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), false);
        // What an in-place writer killed between its truncate and its write leaves.
        fs::write(d.path_for("torn").unwrap(), b"").unwrap();
        let findings = d.lint().unwrap();
        assert!(codes(&findings).contains(&"empty-record"), "{findings:?}");
    }

    /// The purge's race: between its read and its removal, the path comes to name a
    /// new record. In atomic mode a writer renames one in; in place, a delete and a
    /// re-create do the same. Either way the new record must stay.
    #[test]
    fn a_purge_never_unlinks_a_record_that_replaced_the_one_it_judged() {
        for atomic in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let d = driver(dir.path(), atomic);
            d.store("s", b"expired").unwrap();
            let path = d.path_for("s").unwrap();
            let mut buf = Vec::new();
            let swept = d
                .sweep_one("s", &mut buf, &mut |_| {
                    if atomic {
                        // What an atomic writer does once it has the lock the purge
                        // gives up while converting its shared lock to exclusive.
                        let temp = dir.path().join("new");
                        fs::write(&temp, b"refreshed").unwrap();
                        fs::rename(&temp, &path).unwrap();
                    } else {
                        fs::remove_file(&path).unwrap();
                        d.store("s", b"refreshed").unwrap();
                    }
                    Verdict::Remove
                })
                .unwrap();
            assert_eq!(swept, Swept::Changed, "atomic {atomic}");
            assert_eq!(d.retrieve("s").unwrap().unwrap(), b"refreshed");
        }
    }

    /// Writers renaming while a purge removes: whatever is left is whole, and no
    /// temporary file stays behind.
    #[test]
    fn atomic_writers_and_a_purge_in_threads() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), true);
        std::thread::scope(|scope| {
            for w in 0..3 {
                let d = &d;
                scope.spawn(move || {
                    for round in 0..200 {
                        let data = format!("w{w} r{round}");
                        d.store(&format!("id{}", round % 5), data.as_bytes())
                            .unwrap();
                    }
                });
            }
            let d = &d;
            scope.spawn(move || {
                let mut buf = Vec::new();
                for _ in 0..200 {
                    for n in 0..5 {
                        // Removes whatever it read, if unchanged.
                        d.sweep_one(&format!("id{n}"), &mut buf, &mut |_| Verdict::Remove)
                            .unwrap();
                    }
                }
            });
        });
        // Every record left is whole, and no temporary is left.
        for id in listed(&d) {
            let data = d.retrieve(&id).unwrap().unwrap();
            assert!(data.starts_with(b"w"), "{id}: {data:?}");
        }
        assert!(!codes(&d.lint().unwrap()).contains(&"atomic-temp"));
    }
}
