//! The Ruby stores' [`Driver::lint`](crate::Driver::lint): the directory's exposure
//! (shared with the file store), and the files under session names that the drivers
//! refuse to open: symlinks and other non-regular files, files of another owner, and
//! files their group or other users may access.
//!
//! One `readdir` and one `lstat` per file of the store; every other file in `tmpdir`
//! is left alone, as `traverse` leaves it.

use std::fs;

use super::path::Layout;
use super::{unfit, Unfit};
use crate::file::io_error;
use crate::lint::{self, Finding, Sample, Severity};
use crate::Error;

/// The findings for the store `layout` describes; `companions` are the extensions of
/// the files a session has besides its own (FileStore's `.lock` and `.new`).
pub(super) fn findings(layout: &Layout, companions: &[&str]) -> Result<Vec<Finding>, Error> {
    let dir = layout.tmpdir();
    let mut findings = Vec::new();
    lint::directory(dir, &mut findings)?;
    let (mut not_file, mut owner, mut mode) = Default::default();
    let entries = fs::read_dir(dir).map_err(io_error("lint", "couldn't open", dir))?;
    for entry in entries {
        let entry = entry.map_err(io_error("lint", "couldn't read", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let session = companions
            .iter()
            .filter_map(|ext| name.strip_suffix(ext))
            .chain([name])
            .find(|stem| layout.digest_in(stem).is_some());
        if session.is_none() {
            continue;
        }
        // A file removed during the walk is simply no longer there.
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let sample: &mut Sample = match unfit(&meta) {
            None => continue,
            Some(Unfit::NotFile) if meta.is_dir() => continue,
            Some(Unfit::NotFile) => &mut not_file,
            Some(Unfit::Owner(_)) => &mut owner,
            Some(Unfit::Mode(_)) => &mut mode,
        };
        sample.note(name);
    }
    let shown = dir.display();
    let counted = [
        (
            not_file,
            Severity::Warning,
            "ruby-not-file",
            "are symlinks, FIFOs or devices",
            "the drivers refuse to open them (a planted link must not expose another file); \
             remove them",
        ),
        (
            owner,
            Severity::Error,
            "ruby-file-owner",
            "belong to another user",
            "that user may have planted them to feed or read sessions; the drivers refuse \
             them; remove them, and give the application a tmpdir of its own",
        ),
        (
            mode,
            Severity::Error,
            "ruby-file-mode",
            "can be accessed by their group or every local user",
            "others may read the sessions in them; the drivers refuse them; chmod 600 them",
        ),
    ];
    for (sample, severity, code, what, advice) in counted {
        if !sample.is_empty() {
            let (count, names) = (sample.count, sample.names());
            let message =
                format!("{count} files of the store in '{shown}' {what} ({names}): {advice}");
            findings.push(Finding::new(severity, code, message));
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use super::*;
    use crate::Args;

    fn codes(dir: &Path, companions: &[&str]) -> Vec<&'static str> {
        let mut args = Args::new();
        args.insert("tmpdir".into(), dir.to_str().unwrap().into());
        let layout = Layout::from_args(&args, "cgi_sid_").unwrap();
        findings(&layout, companions)
            .unwrap()
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn only_files_of_the_store_are_judged() {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let file = |name: &str, mode| {
            let path = dir.path().join(name);
            fs::write(&path, b"").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        };
        file("cgi_sid_0123456789abcdef", 0o600);
        file("cgi_sid_0123456789abcdef.lock", 0o600);
        // Not the store's: any mode is none of our business.
        file("cgi_sid_0123456789abcdef.bak", 0o644);
        file("other", 0o666);
        assert!(codes(dir.path(), &[".lock", ".new"]).is_empty());
        file("cgi_sid_0123456789abcdef.new", 0o644);
        assert_eq!(codes(dir.path(), &[".lock", ".new"]), ["ruby-file-mode"]);
        assert!(codes(dir.path(), &[]).is_empty());
        std::os::unix::fs::symlink("other", dir.path().join("cgi_sid_fedcba9876543210")).unwrap();
        assert_eq!(codes(dir.path(), &[]), ["ruby-not-file"]);
    }
}
