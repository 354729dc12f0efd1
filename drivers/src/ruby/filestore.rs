//! Ruby's `CGI::Session::FileStore`: the session file, its `.lock` and its `.new`.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::path::Layout;
use super::{creating, lint, open_existing, open_private};
use crate::file::{io_error, lock_file, read_record};
use crate::lint::Finding;
use crate::{found, Args, Driver, Error};

/// FileStore's default `prefix`.
const DEFAULT_PREFIX: &str = "cgi_sid_";

/// The files a FileStore session has besides its own: the lock, and the record being
/// written.
const COMPANIONS: [&str; 2] = [".lock", ".new"];

/// The store of Ruby's `CGI::Session::FileStore`, driver `ruby_filestore`. See the
/// [module docs](super) for the files, options and checks.
///
/// ```
/// use cgi_session_drivers::{Args, Driver, RubyFileStoreDriver};
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut args = Args::new();
/// args.insert("tmpdir".into(), dir.path().to_str().unwrap().into());
/// let driver = RubyFileStoreDriver::from_args(&args).unwrap();
///
/// driver.store("abc", b"k=v\n").unwrap();
/// // md5_hex("abc")[0,16]
/// assert!(dir.path().join("cgi_sid_900150983cd24fb0").is_file());
/// assert!(dir.path().join("cgi_sid_900150983cd24fb0.lock").is_file());
/// assert_eq!(driver.retrieve("abc").unwrap().as_deref(), Some(&b"k=v\n"[..]));
/// ```
#[derive(Debug, Clone)]
pub struct RubyFileStoreDriver {
    layout: Layout,
}

impl RubyFileStoreDriver {
    /// Builds the driver from Ruby's option names `tmpdir`, `prefix` (default
    /// `cgi_sid_`), `suffix`, and `DigestIds`; others are ignored, except Perl's
    /// `Directory`, which is refused.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        Ok(RubyFileStoreDriver {
            layout: Layout::from_args(args, DEFAULT_PREFIX)?,
        })
    }

    /// The directory holding the session files.
    pub fn tmpdir(&self) -> &Path {
        self.layout.tmpdir()
    }

    /// The file holding session `id` (a `digest:` pseudo-id only with `DigestIds`).
    pub fn path_for(&self, id: &str) -> Result<PathBuf, Error> {
        self.layout.path_for("path_for", id)
    }
}

/// `path` with `ext` appended, as Ruby's `@path + ".lock"`.
fn companion(path: &Path, ext: &str) -> PathBuf {
    let mut name = OsString::from(path);
    name.push(ext);
    name.into()
}

impl Driver for RubyFileStoreDriver {
    fn name(&self) -> &'static str {
        "ruby_filestore"
    }

    /// Ruby's `restore`: `LOCK_SH` on `F.lock`, read `F`. A missing lock file means
    /// no Ruby or Rust writer ever stored the session, and the read goes unlocked.
    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let Ok(path) = self.layout.path_for("retrieve", id) else {
            return Ok(None);
        };
        let lock_path = companion(&path, COMPANIONS[0]);
        let lock = open_private("retrieve", &lock_path, OpenOptions::new().read(true))?;
        if let Some(lock) = &lock {
            lock_file(lock, false).map_err(io_error("retrieve", "couldn't lock", &lock_path))?;
        }
        let Some(mut file) = open_private("retrieve", &path, OpenOptions::new().read(true))? else {
            return Ok(None);
        };
        let data = read_record(&mut file).map_err(io_error("retrieve", "couldn't read", &path))?;
        // The lock goes with `lock`, after the read.
        Ok(found(Some(data)))
    }

    /// Ruby's `update`: `LOCK_EX` on `F.lock` (created 0600), write `F.new` (created
    /// 0600, truncated), rename it to `F`, unlock.
    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        let path = self.layout.path_for("store", id)?;
        let lock_path = companion(&path, COMPANIONS[0]);
        let lock = open_existing(
            "store",
            &lock_path,
            creating(OpenOptions::new().read(true).write(true)),
        )?;
        lock_file(&lock, true).map_err(io_error("store", "couldn't lock", &lock_path))?;
        let new_path = companion(&path, COMPANIONS[1]);
        let mut new = open_existing(
            "store",
            &new_path,
            creating(OpenOptions::new().write(true).truncate(true)),
        )?;
        let written = new
            .write_all(data)
            .map_err(io_error("store", "couldn't write", &new_path))
            .and_then(|()| {
                drop(new);
                fs::rename(&new_path, &path).map_err(io_error("store", "couldn't rename", &path))
            });
        if written.is_err() {
            // Ruby leaves it; it holds a write that never completed.
            let _ = fs::remove_file(&new_path);
        }
        written
    }

    /// Ruby's `delete`, under `LOCK_EX` on `F.lock` so that a write under way lands
    /// first: unlinks `F`, `F.new`, `F.lock` (symlinks and files the other operations
    /// refuse included: unlinking follows nothing). Missing files are fine; the first other
    /// error is reported after all three were tried.
    fn remove(&self, id: &str) -> Result<(), Error> {
        let path = self.layout.path_for("remove", id)?;
        let lock_path = companion(&path, COMPANIONS[0]);
        let lock = match open_private("remove", &lock_path, OpenOptions::new().read(true)) {
            // A planted lock is not waited on: it goes with the rest.
            Err(Error::Refused { .. }) => None,
            opened => opened?,
        };
        if let Some(lock) = &lock {
            lock_file(lock, true).map_err(io_error("remove", "couldn't lock", &lock_path))?;
        }
        let new_path = companion(&path, COMPANIONS[1]);
        let mut first_error = None;
        for doomed in [&path, &new_path, &lock_path] {
            match fs::remove_file(doomed) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    first_error.get_or_insert(io_error("remove", "couldn't unlink", doomed)(e));
                }
                _ => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Visits `digest:<hex>` for every session file in `tmpdir` (see the
    /// [module docs](super)); `.lock` and `.new` files and all other names are ignored.
    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        self.layout.traverse(visit)
    }

    /// The file's modification time: Ruby rewrites a FileStore session at the end of
    /// every request that used it, so this is its last use.
    fn modified(&self, id: &str) -> Result<Option<std::time::SystemTime>, Error> {
        self.layout.modified(id)
    }

    /// The directory's exposure, and session, `.lock` and `.new` files that are
    /// symlinks, foreign-owned or open to others (see the `lint` module).
    fn lint(&self) -> Result<Vec<Finding>, Error> {
        lint::findings(&self.layout, &COMPANIONS)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::listed;

    fn driver(dir: &Path, extra: &[(&str, &str)]) -> RubyFileStoreDriver {
        RubyFileStoreDriver::from_args(&super::super::tests::args_in(dir, extra)).unwrap()
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn store_writes_ruby_files_and_remove_takes_them_all() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[]);
        assert_eq!(d.retrieve("abc").unwrap(), None);
        d.store("abc", b"a long first record\n").unwrap();
        d.store("abc", b"b=1\n").unwrap();
        let path = d.path_for("abc").unwrap();
        assert_eq!(path, dir.path().join("cgi_sid_900150983cd24fb0"));
        assert_eq!(fs::read(&path).unwrap(), b"b=1\n");
        assert_eq!(
            (mode(&path), mode(&companion(&path, ".lock"))),
            (0o600, 0o600)
        );
        assert!(!companion(&path, ".new").exists());
        assert_eq!(d.retrieve("abc").unwrap().unwrap(), b"b=1\n");

        // A leftover `.new` of a killed Ruby writer goes too.
        fs::write(companion(&path, ".new"), b"half").unwrap();
        d.remove("abc").unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        assert_eq!(d.retrieve("abc").unwrap(), None);
        d.remove("abc").unwrap();
    }

    #[test]
    fn a_file_without_a_lock_is_read_unlocked_and_empty_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[]);
        let path = d.path_for("x").unwrap();
        fs::write(&path, b"k=v\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(d.retrieve("x").unwrap().unwrap(), b"k=v\n");
        d.store("x", b"").unwrap();
        assert_eq!(d.retrieve("x").unwrap(), None);
    }

    #[test]
    fn planted_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[]);
        let target = dir.path().join("target");
        fs::write(&target, b"precious").unwrap();
        let path = d.path_for("s").unwrap();
        let refused = |err: Error, planted: &Path| {
            assert!(
                matches!(&err, Error::Refused { .. }) && err.to_string().contains("symlink"),
                "{}: {err}",
                planted.display()
            );
            assert_eq!(fs::read(&target).unwrap(), b"precious");
            assert!(fs::symlink_metadata(planted).unwrap().is_symlink());
        };
        // A link at the lock or the record being written stops a write.
        for planted in [companion(&path, ".lock"), companion(&path, ".new")] {
            std::os::unix::fs::symlink(&target, &planted).unwrap();
            refused(d.store("s", b"k=v\n").unwrap_err(), &planted);
            d.remove("s").unwrap();
        }
        // A link at the session file is never read, and a write renames a file over
        // the link itself.
        std::os::unix::fs::symlink(&target, &path).unwrap();
        refused(d.retrieve("s").unwrap_err(), &path);
        d.store("s", b"k=v\n").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        assert_eq!(d.retrieve("s").unwrap().unwrap(), b"k=v\n");
        d.remove("s").unwrap();
        // A lock others may open is refused before anything is written.
        let lock = companion(&path, ".lock");
        fs::write(&lock, b"").unwrap();
        fs::set_permissions(&lock, fs::Permissions::from_mode(0o644)).unwrap();
        let err = d.store("s", b"k=v\n").unwrap_err().to_string();
        assert!(err.contains("mode 0644"), "{err}");
        assert!(!path.exists());
        fs::set_permissions(&lock, fs::Permissions::from_mode(0o600)).unwrap();
        d.store("s", b"k=v\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = d.retrieve("s").unwrap_err().to_string();
        assert!(err.starts_with("retrieve(): '"), "{err}");
        assert!(err.contains("mode 0640"), "{err}");
        if rustix::process::geteuid().is_root() {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
            let err = d.retrieve("s").unwrap_err().to_string();
            assert!(err.contains("owned by uid 65534"), "{err}");
            let codes: Vec<_> = d.lint().unwrap().iter().map(|f| f.code).collect();
            assert!(codes.contains(&"ruby-file-owner"), "{codes:?}");
        }
    }

    #[test]
    fn traverse_lists_digests_of_session_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[]);
        d.store("one", b"a=1\n").unwrap();
        d.store("two", b"a=2\n").unwrap();
        // What else lives in /tmp.
        for other in [
            "cgi_sid_0123456789abcdeF",
            "cgi_sid_0123456789abcde",
            "0123456789abcdef",
            "cgi_sid_0123456789abcdef.tmp",
            "systemd-private-x",
        ] {
            fs::write(dir.path().join(other), b"").unwrap();
        }
        fs::create_dir(dir.path().join("cgi_sid_fedcba9876543210")).unwrap();
        let want = |id: &str| format!("digest:{}", super::super::id_digest(id));
        let mut expected = vec![want("one"), want("two")];
        expected.sort();
        assert_eq!(listed(&d), expected);

        // The pseudo-ids address the files only with DigestIds.
        assert_eq!(d.retrieve(&expected[0]).unwrap(), None);
        let cli = driver(dir.path(), &[("DigestIds", "1")]);
        for id in &expected {
            let data = cli.retrieve(id).unwrap().unwrap();
            assert!(data.starts_with(b"a="), "{data:?}");
        }
        cli.store(&want("one"), b"a=3\n").unwrap();
        assert_eq!(d.retrieve("one").unwrap().unwrap(), b"a=3\n");
        cli.remove(&want("two")).unwrap();
        assert_eq!(d.retrieve("two").unwrap(), None);
        assert_eq!(cli.retrieve("digest:not-hex").unwrap(), None);
    }

    #[test]
    fn concurrent_writers_never_tear_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[]);
        std::thread::scope(|scope| {
            for w in 0..4u8 {
                let d = &d;
                scope.spawn(move || {
                    let record = vec![b'a' + w; 1000 + 300 * usize::from(w)];
                    for _ in 0..100 {
                        d.store("hot", &record).unwrap();
                        let seen = d.retrieve("hot").unwrap().unwrap();
                        assert!(seen.iter().all(|&b| b == seen[0]), "torn record");
                        assert_eq!(seen.len(), 1000 + 300 * usize::from(seen[0] - b'a'));
                    }
                });
            }
        });
    }
}
