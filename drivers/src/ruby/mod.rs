//! Drivers `ruby_filestore` and `ruby_pstore`: the two file stores of Ruby's
//! `cgi/session` (Ruby 3.1, cgi 0.3.5), shared with Ruby processes file for file and
//! lock for lock.
//!
//! Like every driver, these move opaque bytes; the records are Ruby's own formats,
//! read and written by the serializers of the same names (`ruby_filestore`,
//! `ruby_pstore`), which the DSN picks by default for these drivers.
//!
//! # Files
//! Ruby names a session's file by a digest of its id, never by the id:
//! `tmpdir/PREFIX + md5_hex(id)[0,16] + SUFFIX`.
//!
//! | Store | Files | Reading | Writing |
//! |---|---|---|---|
//! | [`RubyFileStoreDriver`] (Ruby's `CGI::Session::FileStore`, the default) | `F` = `tmpdir/cgi_sid_<digest>`, with `F.lock` and, while writing, `F.new` | `LOCK_SH` on `F.lock` (unlocked if there is none, as nothing Ruby wrote then exists), read `F` | `LOCK_EX` on `F.lock` (created mode 0600), write `F.new` (mode 0600), rename it to `F` |
//! | [`RubyPStoreDriver`] (`CGI::Session::PStore`) | `tmpdir/<digest>` | `LOCK_EX` on the file itself (Ruby's CGI PStore reads in read-write transactions), read it | `LOCK_EX` on the file, write from offset 0, cut to length (PStore's fast strategy), `chmod 0600` |
//!
//! # Options (driver args, by Ruby's names)
//! | Option | Default | Meaning |
//! |---|---|---|
//! | `tmpdir` | Ruby's `Dir::tmpdir` ([`ruby_tmpdir`]: `$TMPDIR`, `$TMP`, `$TEMP`, `/tmp`, `.`) | The directory of the session files; must exist (Ruby does not create it either). |
//! | `prefix` | `cgi_sid_` (FileStore), none (PStore) | Put before the digest. A present empty value means none, as Ruby's `nil`. |
//! | `suffix` | none | Put after the digest. |
//! | `DigestIds` | false | Not Ruby's: accept `digest:<16 hex>` pseudo-ids (below). Set by the `cgisess` CLI; **never by a web application**. |
//!
//! Perl's `Directory` is refused with a message naming `tmpdir`, so that sessions do
//! not silently land in the default directory.
//!
//! # Ids and pseudo-ids
//! Since only a digest of the id is on disk, [`traverse`](crate::Driver::traverse)
//! cannot give the ids back. It gives pseudo-ids instead, [`DIGEST_ID_PREFIX`] and the
//! file's 16 hex digits (`digest:0123456789abcdef`), for every regular file in `tmpdir`
//! named exactly prefix + 16 lowercase hex digits + suffix; every other file is
//! ignored (`tmpdir` is usually `/tmp`, shared with everything else).
//!
//! `retrieve`, `store` and `remove` take a pseudo-id as the address of its file only
//! when `DigestIds` is true. Without it, `digest:...` is hashed like any other id: a
//! web application must never turn it on, or anyone who can list `/tmp` could send a
//! file's name as a session cookie and take over the session. With it, a malformed
//! pseudo-id (not 16 lowercase hex digits) is refused.
//!
//! # Safety checks (beyond Ruby 3.1, as newer cgi gems do)
//! * Every open uses `O_NOFOLLOW`: a symlink at a session, `.lock` or `.new` path is
//!   refused ([`Error::Refused`]), never followed, and never removed.
//! * Every file opened (session, `.lock`, `.new`) must be a regular file owned by
//!   this process's effective uid with no group or other permission bit; otherwise the
//!   operation is refused. A file another user planted in a shared `/tmp` can then
//!   neither feed us a session nor receive one. (Opens also use `O_NONBLOCK`, so a
//!   planted FIFO cannot hang them.)
//! * `lint` reports such files, and the directory's own exposure.
//!
//! # Deviations from Ruby
//! * An empty session file is "not found" (the [`Driver`](crate::Driver) contract):
//!   Ruby reads it as an existing session without data.
//! * FileStore's `remove` takes `LOCK_EX` on `F.lock` first, so that a write under
//!   way completes before the files go (Ruby unlinks unlocked, and such a write
//!   would bring the session back), and unlinks `F`, `F.new`, then `F.lock` (Ruby
//!   starts with the lock, which a Ruby reader between its `exist?` and its open then
//!   fails on). Errors other than "not found" are reported; Ruby ignores them all.
//! * A failed FileStore write removes its `F.new`.
//! * `prefix` and `suffix` may not contain `/` or NUL, and `tmpdir` may not be empty.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::file::io_error;
use crate::Error;

mod filestore;
mod lint;
mod path;
mod pstore;

pub use filestore::RubyFileStoreDriver;
pub use path::{id_digest, ruby_tmpdir};
pub use pstore::RubyPStoreDriver;

/// How a listing names a session whose id it cannot know: this prefix and the 16
/// hex digits of the file name (see the [module docs](self)). Equal to the
/// serializers' `marshal::DIGEST_ID_PREFIX`, which keeps such an id out of records.
pub const DIGEST_ID_PREFIX: &str = "digest:";

/// The mode Ruby creates every session file with.
const PRIVATE_MODE: u32 = 0o600;

/// Why a file may not hold a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unfit {
    /// A directory, FIFO, device (or, seen by `lstat`, a symlink).
    NotFile,
    /// Owned by this uid, not by us.
    Owner(u32),
    /// These group and other permission bits are set.
    Mode(u32),
}

/// What is wrong with the file `meta` describes, if anything.
fn unfit(meta: &Metadata) -> Option<Unfit> {
    let euid = rustix::process::geteuid().as_raw();
    if !meta.is_file() {
        Some(Unfit::NotFile)
    } else if meta.uid() != euid {
        Some(Unfit::Owner(meta.uid()))
    } else if meta.mode() & 0o077 != 0 {
        Some(Unfit::Mode(meta.mode() & 0o7777))
    } else {
        None
    }
}

/// Opens `path` with `options` plus `O_NOFOLLOW|O_NONBLOCK` and checks the file it got
/// ([`unfit`]); `Ok(None)` when nothing is there.
fn open_private(
    op: &'static str,
    path: &Path,
    options: &mut OpenOptions,
) -> Result<Option<File>, Error> {
    let refuse = |why: String| Error::Refused {
        op,
        message: format!("'{}' {why}", path.display()),
    };
    let file =
        match options
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(refuse(
                "is a symlink; session files are never followed (check for malicious processes)"
                    .into(),
            )),
            Err(e) => return Err(io_error(op, "couldn't open", path)(e)),
        };
    let meta = file
        .metadata()
        .map_err(io_error(op, "couldn't stat", path))?;
    match unfit(&meta) {
        None => Ok(Some(file)),
        Some(Unfit::NotFile) => Err(refuse("is not a regular file".into())),
        Some(Unfit::Owner(uid)) => Err(refuse(format!(
            "is owned by uid {uid}, not by this user (uid {}): another user may have planted it",
            rustix::process::geteuid().as_raw()
        ))),
        Some(Unfit::Mode(mode)) => Err(refuse(format!(
            "has mode {mode:04o}: its group or other users may access it; chmod 600 it"
        ))),
    }
}

/// [`open_private`] where something must be there (the open creates it, or it must
/// exist): a missing file is the I/O error it is.
fn open_existing(op: &'static str, path: &Path, options: &mut OpenOptions) -> Result<File, Error> {
    open_private(op, path, options)?.ok_or_else(|| {
        io_error(op, "couldn't open", path)(io::Error::from(io::ErrorKind::NotFound))
    })
}

/// The options that create a missing file with Ruby's mode.
fn creating(options: &mut OpenOptions) -> &mut OpenOptions {
    options.create(true).mode(PRIVATE_MODE)
}

#[cfg(test)]
pub(super) mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::Args;

    /// Driver args naming `dir` as the `tmpdir`, with `extra`.
    pub(in crate::ruby) fn args_in(dir: &Path, extra: &[(&str, &str)]) -> Args {
        let mut args: Args = cgi_session_test_support::pairs(extra);
        args.insert("tmpdir".into(), dir.to_str().unwrap().into());
        args
    }

    #[test]
    fn open_private_refuses_symlinks_other_modes_and_other_owners() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let read = || OpenOptions::new().read(true).clone();
        assert!(open_private("retrieve", &file, &mut read())
            .unwrap()
            .is_some());
        assert!(
            open_private("retrieve", &dir.path().join("none"), &mut read())
                .unwrap()
                .is_none()
        );

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let err = open_private("retrieve", &link, &mut read()).unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
        assert!(err.to_string().contains("is a symlink"), "{err}");

        for mode in [0o640, 0o604, 0o660, 0o602] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = open_private("store", &file, &mut read()).unwrap_err();
            assert!(
                err.to_string().contains(&format!("mode {mode:04o}")),
                "{err}"
            );
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

        let err = open_private("retrieve", dir.path(), &mut read()).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");

        // Another owner can only be made by root.
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
            let err = open_private("retrieve", &file, &mut read()).unwrap_err();
            assert!(err.to_string().contains("owned by uid 65534"), "{err}");
        }
    }
}
