//! Where Ruby's stores keep a session: the driver args, the digest file names, the
//! `digest:` pseudo-ids and the strict listing both stores share.
//!
//! Ruby 3.1's `CGI::Session#new_store_file` names a session's file
//! `tmpdir + "/" + prefix + Digest::MD5.hexdigest(session_id)[0,16] + suffix`. The id
//! itself is written nowhere, so a listing can only name a file by its digest.

use std::fs;
use std::ops::ControlFlow;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::DIGEST_ID_PREFIX;
use crate::args::{self, bad_arg};
use crate::file::{io_error, is_writable_dir};
use crate::{Args, Error};

/// How many hex digits of the id's MD5 Ruby keeps in a file name.
const DIGEST_LEN: usize = 16;

/// The file of one session, and of its companions (`.lock`, `.new`).
#[derive(Debug, Clone)]
pub(super) struct Layout {
    tmpdir: PathBuf,
    prefix: String,
    suffix: String,
    digest_ids: bool,
}

impl Layout {
    /// Reads Ruby's option names `tmpdir`, `prefix` and `suffix`, and our `DigestIds`.
    ///
    /// `prefix` and `suffix` take any present value, even an empty one (Ruby's
    /// `{'prefix' => 'cgi_sid_'}.update(option)`); an absent one is the store's default.
    /// An absent `tmpdir` is Ruby's `Dir::tmpdir` ([`ruby_tmpdir`]).
    pub(super) fn from_args(args: &Args, default_prefix: &str) -> Result<Layout, Error> {
        // A program moving from Perl's file driver would otherwise find its sessions
        // in the default tmpdir, not where it asked.
        if args.contains_key("Directory") {
            return Err(bad_arg(
                "Directory",
                "the Ruby stores take Ruby's option names: write tmpdir",
            ));
        }
        let tmpdir = match args.get("tmpdir") {
            None => ruby_tmpdir()?,
            // Ruby would use "" as is and put the files in `/`.
            Some(dir) if dir.is_empty() => {
                return Err(bad_arg("tmpdir", "is empty; leave it out for Dir::tmpdir"))
            }
            Some(dir) => PathBuf::from(dir),
        };
        if !tmpdir.is_dir() {
            return Err(bad_arg(
                "tmpdir",
                format!("'{}' is not a directory", tmpdir.display()),
            ));
        }
        let name_part = |name: &str, default: &str| -> Result<String, Error> {
            let value = args.get(name).map_or(default, String::as_str);
            // Ruby would put the file in another directory (or fail on NUL); a listing
            // of tmpdir could then never find it.
            if value.contains(['/', '\0']) {
                return Err(bad_arg(name, format!("{value:?} contains / or NUL")));
            }
            Ok(value.to_owned())
        };
        Ok(Layout {
            tmpdir,
            prefix: name_part("prefix", default_prefix)?,
            suffix: name_part("suffix", "")?,
            digest_ids: args::flag(args, "DigestIds", false)?,
        })
    }

    /// The directory holding the session files.
    pub(super) fn tmpdir(&self) -> &Path {
        &self.tmpdir
    }

    /// When the session file of `id` was last written (Ruby's stores keep no access
    /// time of their own); `None` when there is no such file.
    pub(super) fn modified(&self, id: &str) -> Result<Option<std::time::SystemTime>, Error> {
        let path = self.path_for("modified", id)?;
        match std::fs::symlink_metadata(&path).and_then(|meta| meta.modified()) {
            Ok(time) => Ok(Some(time)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(crate::file::io_error("modified", "couldn't stat", &path)(e)),
        }
    }

    /// The session file of `id`: by the digest a pseudo-id names when `DigestIds` is
    /// on, else by the digest of the id, as Ruby names it.
    pub(super) fn path_for(&self, op: &'static str, id: &str) -> Result<PathBuf, Error> {
        let digest = match id.strip_prefix(DIGEST_ID_PREFIX) {
            Some(digest) if self.digest_ids => {
                if !is_digest(digest) {
                    return Err(Error::InvalidId {
                        op,
                        id: id.to_owned(),
                        reason: "a digest: pseudo-id is digest: and 16 lowercase hex digits",
                    });
                }
                digest.to_owned()
            }
            _ => id_digest(id),
        };
        let name = format!("{}{digest}{}", self.prefix, self.suffix);
        Ok(self.tmpdir.join(name))
    }

    /// The digest in a file name of this layout, or `None` for any other name: tmpdir
    /// is often `/tmp`, shared with everything else on the machine.
    pub(super) fn digest_in<'n>(&self, name: &'n str) -> Option<&'n str> {
        name.strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())
            .filter(|digest| is_digest(digest))
    }

    /// Visits `digest:<hex>` for every regular file in tmpdir named by this layout.
    pub(super) fn traverse(
        &self,
        visit: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        let dir = &self.tmpdir;
        let entries = fs::read_dir(dir).map_err(io_error("traverse", "couldn't open", dir))?;
        let mut id = String::from(DIGEST_ID_PREFIX);
        for entry in entries {
            let entry = entry.map_err(io_error("traverse", "couldn't read", dir))?;
            let name = entry.file_name();
            let Some(digest) = name.to_str().and_then(|n| self.digest_in(n)) else {
                continue;
            };
            // No symlink, directory or FIFO: retrieve would refuse it anyway.
            if !entry.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            id.truncate(DIGEST_ID_PREFIX.len());
            id.push_str(digest);
            if visit(&id).is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// Ruby's `Digest::MD5.hexdigest(session_id)[0,16]`: the file-name part of a session.
pub fn id_digest(id: &str) -> String {
    let mut hex = format!("{:x}", md5::compute(id.as_bytes()));
    hex.truncate(DIGEST_LEN);
    hex
}

/// Exactly 16 lowercase hex digits, as `hexdigest` writes them.
fn is_digest(text: &str) -> bool {
    text.len() == DIGEST_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Ruby 3.1's `Dir::tmpdir`: the first of `$TMPDIR`, `$TMP`, `$TEMP`, `/tmp` and `.`
/// that is a directory this process may write and that is not world-writable without
/// the sticky bit, made absolute.
pub fn ruby_tmpdir() -> Result<PathBuf, Error> {
    let from_env = ["TMPDIR", "TMP", "TEMP"]
        .into_iter()
        .filter_map(|name| std::env::var_os(name).map(PathBuf::from));
    let fixed = [PathBuf::from("/tmp"), PathBuf::from(".")];
    let chosen = from_env
        .chain(fixed)
        // Ruby's `next if !dir` skips only unset variables; "" expands to the cwd.
        .map(|dir| absolute(&dir))
        .find(|dir| is_writable_dir(dir) && !world_writable_without_sticky(dir));
    chosen.ok_or_else(|| {
        bad_arg(
            "tmpdir",
            "not given, and no temporary directory is usable ($TMPDIR, $TMP, $TEMP, /tmp, .)",
        )
    })
}

/// Ruby's `File.expand_path` as far as a directory from the environment needs it.
fn absolute(dir: &Path) -> PathBuf {
    if dir.is_absolute() {
        return dir.to_path_buf();
    }
    std::env::current_dir().map_or_else(|_| dir.to_path_buf(), |cwd| cwd.join(dir))
}

/// Ruby's `stat.world_writable? && !stat.sticky?`.
fn world_writable_without_sticky(dir: &Path) -> bool {
    fs::metadata(dir).is_ok_and(|meta| meta.mode() & 0o1002 == 0o002)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(dir: &Path, extra: &[(&str, &str)]) -> Result<Layout, Error> {
        let mut args: Args = cgi_session_test_support::pairs(extra);
        args.insert("tmpdir".into(), dir.to_str().unwrap().into());
        Layout::from_args(&args, "cgi_sid_")
    }

    #[test]
    fn names_are_prefix_digest_suffix_as_ruby_makes_them() {
        // Digest::MD5.hexdigest("abc")[0,16] and of "" in Ruby.
        assert_eq!(id_digest("abc"), "900150983cd24fb0");
        assert_eq!(id_digest(""), "d41d8cd98f00b204");
        let dir = tempfile::tempdir().unwrap();
        let l = layout(dir.path(), &[]).unwrap();
        assert_eq!(
            l.path_for("retrieve", "abc").unwrap(),
            dir.path().join("cgi_sid_900150983cd24fb0")
        );
        let l = layout(dir.path(), &[("prefix", ""), ("suffix", ".pstore")]).unwrap();
        assert_eq!(
            l.path_for("retrieve", "abc").unwrap(),
            dir.path().join("900150983cd24fb0.pstore")
        );
    }

    #[test]
    fn args_use_ruby_names_and_refuse_what_ruby_would_misplace() {
        let dir = tempfile::tempdir().unwrap();
        for (name, value) in [("prefix", "a/b"), ("suffix", "x\0"), ("DigestIds", "no")] {
            let err = layout(dir.path(), &[(name, value)]).unwrap_err();
            assert!(
                matches!(&err, Error::BadArg { name: n, .. } if n == name),
                "{name}: {err}"
            );
        }
        let err = layout(dir.path(), &[("Directory", "/x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("write tmpdir"), "{err}");
        let missing = dir.path().join("missing");
        let err = layout(&missing, &[]).unwrap_err().to_string();
        assert!(err.starts_with("driver argument tmpdir: '"), "{err}");
        let err = Layout::from_args(&cgi_session_test_support::pairs(&[("tmpdir", "")]), "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is empty"), "{err}");
        // Absent: Ruby's Dir::tmpdir, always absolute.
        let l = Layout::from_args(&Args::new(), "cgi_sid_").unwrap();
        assert!(l.tmpdir().is_absolute());
        assert_eq!(
            (l.prefix.as_str(), l.suffix.as_str(), l.digest_ids),
            ("cgi_sid_", "", false)
        );
    }

    #[test]
    fn pseudo_ids_address_files_only_with_digest_ids() {
        let dir = tempfile::tempdir().unwrap();
        let pseudo = "digest:0123456789abcdef";
        let plain = layout(dir.path(), &[]).unwrap();
        // Without DigestIds a pseudo-id is an id like any other: hashed.
        assert_eq!(
            plain.path_for("retrieve", pseudo).unwrap(),
            dir.path().join(format!("cgi_sid_{}", id_digest(pseudo)))
        );
        let cli = layout(dir.path(), &[("DigestIds", "1")]).unwrap();
        assert_eq!(
            cli.path_for("retrieve", pseudo).unwrap(),
            dir.path().join("cgi_sid_0123456789abcdef")
        );
        assert_eq!(
            cli.path_for("retrieve", "abc").unwrap(),
            plain.path_for("retrieve", "abc").unwrap()
        );
        for bad in [
            "digest:",
            "digest:0123456789ABCDEF",
            "digest:0123456789abcde",
            "digest:0123456789abcdef0",
            "digest:../../etc/passwd",
        ] {
            assert!(
                matches!(cli.path_for("store", bad), Err(Error::InvalidId { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_exact_names_are_digests() {
        let dir = tempfile::tempdir().unwrap();
        let l = layout(dir.path(), &[("suffix", ".s")]).unwrap();
        assert_eq!(
            l.digest_in("cgi_sid_0123456789abcdef.s"),
            Some("0123456789abcdef")
        );
        for other in [
            "cgi_sid_0123456789abcdef",
            "cgi_sid_0123456789abcdef.s.lock",
            "cgi_sid_0123456789abcdeF.s",
            "cgi_sid_0123456789abcde.s",
            "x_cgi_sid_0123456789abcdef.s",
            "cgi_sid_0123456789abcdefg.s",
        ] {
            assert_eq!(l.digest_in(other), None, "{other}");
        }
    }
}
