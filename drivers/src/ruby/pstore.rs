//! Ruby's `CGI::Session::PStore`: one PStore file per session, locked in itself.

use std::fs::{self, OpenOptions, Permissions};
use std::io;
use std::ops::ControlFlow;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::path::Layout;
use super::{creating, lint, open_existing, open_private, PRIVATE_MODE};
use crate::file::{io_error, lock_file, read_record};
use crate::lint::Finding;
use crate::{found, Args, Driver, Error};

/// The store of Ruby's `CGI::Session::PStore`, driver `ruby_pstore`. See the
/// [module docs](super) for the files, options and checks.
///
/// ```
/// use cgi_session_drivers::{Args, Driver, RubyPStoreDriver};
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut args = Args::new();
/// args.insert("tmpdir".into(), dir.path().to_str().unwrap().into());
/// let driver = RubyPStoreDriver::from_args(&args).unwrap();
///
/// driver.store("abc", b"\x04\x08{\x00").unwrap();
/// // md5_hex("abc")[0,16], no prefix, no suffix.
/// assert!(dir.path().join("900150983cd24fb0").is_file());
/// assert_eq!(driver.retrieve("abc").unwrap().as_deref(), Some(&b"\x04\x08{\x00"[..]));
/// ```
#[derive(Debug, Clone)]
pub struct RubyPStoreDriver {
    layout: Layout,
}

impl RubyPStoreDriver {
    /// Builds the driver from Ruby's option names `tmpdir`, `prefix` (default none),
    /// `suffix`, and `DigestIds`; others are ignored, except Perl's `Directory`,
    /// which is refused.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        Ok(RubyPStoreDriver {
            layout: Layout::from_args(args, "")?,
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

impl Driver for RubyPStoreDriver {
    fn name(&self) -> &'static str {
        "ruby_pstore"
    }

    /// A read-write PStore transaction's start: open the file read-write (a missing
    /// file is no session), `LOCK_EX`, read it all. An empty file (what Ruby leaves
    /// for a new session it never updated) is no session.
    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let Ok(path) = self.layout.path_for("retrieve", id) else {
            return Ok(None);
        };
        let Some(mut file) =
            open_private("retrieve", &path, OpenOptions::new().read(true).write(true))?
        else {
            return Ok(None);
        };
        lock_file(&file, true).map_err(io_error("retrieve", "couldn't lock", &path))?;
        let data = read_record(&mut file).map_err(io_error("retrieve", "couldn't read", &path))?;
        Ok(found(Some(data)))
    }

    /// PStore's fast save under `LOCK_EX` on the file: write from offset 0, cut to
    /// length; then `chmod 0600`, as `CGI::Session::PStore` does on every open.
    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        let path = self.layout.path_for("store", id)?;
        let file = open_existing(
            "store",
            &path,
            creating(OpenOptions::new().read(true).write(true)),
        )?;
        lock_file(&file, true).map_err(io_error("store", "couldn't lock", &path))?;
        file.write_all_at(data, 0)
            .map_err(io_error("store", "couldn't write", &path))?;
        file.set_len(data.len() as u64)
            .map_err(io_error("store", "couldn't truncate", &path))?;
        file.set_permissions(Permissions::from_mode(PRIVATE_MODE))
            .map_err(io_error("store", "couldn't chmod", &path))
    }

    /// Ruby's `File::unlink path`; a file already gone counts as removed.
    fn remove(&self, id: &str) -> Result<(), Error> {
        let path = self.layout.path_for("remove", id)?;
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(io_error("remove", "couldn't unlink", &path)(e))
            }
            _ => Ok(()),
        }
    }

    /// Visits `digest:<hex>` for every session file in `tmpdir` (see the
    /// [module docs](super)); all other names are ignored.
    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        self.layout.traverse(visit)
    }

    /// The file's modification time: PStore rewrites it only when the session
    /// changed, so this is the last change, not the last access.
    fn modified(&self, id: &str) -> Result<Option<std::time::SystemTime>, Error> {
        self.layout.modified(id)
    }

    /// The directory's exposure, and session files that are symlinks, foreign-owned
    /// or open to others (see the `lint` module).
    fn lint(&self) -> Result<Vec<Finding>, Error> {
        lint::findings(&self.layout, &[])
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn driver(dir: &Path, extra: &[(&str, &str)]) -> RubyPStoreDriver {
        RubyPStoreDriver::from_args(&super::super::tests::args_in(dir, extra)).unwrap()
    }

    #[test]
    fn store_rewrites_in_place_and_cuts_to_length() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[("suffix", ".pstore")]);
        assert_eq!(d.retrieve("abc").unwrap(), None);
        d.store("abc", b"a long first record").unwrap();
        let path = d.path_for("abc").unwrap();
        assert_eq!(path, dir.path().join("900150983cd24fb0.pstore"));
        let inode = fs::metadata(&path).unwrap().ino();
        d.store("abc", b"short").unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.ino(), inode, "rewritten in place, as PStore does");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(d.retrieve("abc").unwrap().unwrap(), b"short");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        d.remove("abc").unwrap();
        d.remove("abc").unwrap();
        assert_eq!(d.retrieve("abc").unwrap(), None);
    }

    #[test]
    fn an_empty_file_is_no_session() {
        // What `CGI::Session::PStore.new` leaves for a new session before `update`.
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[]);
        d.store("new", b"").unwrap();
        assert_eq!(d.retrieve("new").unwrap(), None);
    }

    #[test]
    fn symlinks_and_open_modes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[]);
        let target = dir.path().join("target");
        fs::write(&target, b"precious").unwrap();
        let path = d.path_for("s").unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        for err in [
            d.retrieve("s").unwrap_err(),
            d.store("s", b"x").unwrap_err(),
        ] {
            assert!(err.to_string().contains("is a symlink"), "{err}");
        }
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        let codes: Vec<_> = d.lint().unwrap().iter().map(|f| f.code).collect();
        assert!(codes.contains(&"ruby-not-file"), "{codes:?}");
        d.remove("s").unwrap();
        d.store("s", b"x").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o660)).unwrap();
        let err = d.store("s", b"y").unwrap_err().to_string();
        assert!(err.contains("mode 0660"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"x");
        let codes: Vec<_> = d.lint().unwrap().iter().map(|f| f.code).collect();
        assert!(codes.contains(&"ruby-file-mode"), "{codes:?}");
    }

    #[test]
    fn traverse_ignores_other_files_in_tmpdir() {
        let dir = tempfile::tempdir().unwrap();
        let d = driver(dir.path(), &[]);
        d.store("one", b"x").unwrap();
        for other in [
            "0123456789ABCDEF",
            "0123456789abcdef0",
            "cgi_sid_0123456789abcdef",
        ] {
            fs::write(dir.path().join(other), b"").unwrap();
        }
        let mut ids = Vec::new();
        d.traverse(&mut |id| {
            ids.push(id.to_string());
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(ids, [format!("digest:{}", super::super::id_digest("one"))]);
    }
}
