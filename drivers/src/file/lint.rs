//! The file store's [`Driver::lint`](crate::Driver::lint): the directory's mode and
//! owner, the session files' modes, symlinks and empty files among them, temporary
//! files left by atomic writes, and the options that weaken the store (`NoFlock`, a
//! `UMask` that lets others in).
//!
//! One `readdir` and one `lstat` per session file; only counts and a few names are
//! kept, so any number of files is checked in constant memory.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use super::{io_error, FileDriver};
use crate::lint::{self, Finding, Sample, Severity, GROUP_RW, OTHER_RW};
use crate::Error;

/// What the walk over the session files counted.
#[derive(Default)]
struct Files {
    /// Files every local user may read or write.
    others: Sample,
    /// Files only their group may (also) read or write.
    group: Sample,
    /// Symlinks to files.
    symlinks: Sample,
    /// Symlinks to nothing.
    dangling: Sample,
    /// Empty session files: read as "no session" by Perl and Rust alike.
    empty: Sample,
    /// Temporary files of atomic writes that never completed.
    temps: Sample,
}

impl FileDriver {
    /// See the [module docs](self).
    pub(super) fn findings(&self) -> Result<Vec<Finding>, Error> {
        let dir = self.directory();
        let mut findings = Vec::new();
        lint::directory(dir, &mut findings)?;
        let files = self.walk()?;
        let shown = dir.display();
        let counted = [
            (
                &files.empty,
                Severity::Warning,
                "empty-record",
                "are empty",
                "Perl and Rust load an empty file as no session, so its data is gone: a \
                 writer was killed between its truncate and its write (or a creation is \
                 under way); AtomicWrite rules this out for stores Perl never writes",
            ),
            (
                &files.temps,
                Severity::Warning,
                "atomic-temp",
                "have temporary files left by atomic writes that never completed",
                "each holds a write that was never renamed into place, never a session's \
                 only copy; remove them",
            ),
            (
                &files.dangling,
                Severity::Warning,
                "symlink-dangling",
                "are dangling symlinks",
                "Perl's find() dies at the first one, so its purge stops there; remove them",
            ),
            (
                &files.symlinks,
                Severity::Warning,
                "symlink",
                "are symlinks",
                "Perl and Rust both unlink such a link instead of reading it (a planted link \
                 must not expose another file); store real files",
            ),
            (
                &files.others,
                Severity::Warning,
                "session-mode",
                "can be read or written by every local user",
                "chmod o-rw them, and check UMask and the process umask",
            ),
            (
                &files.group,
                Severity::Info,
                "session-group",
                "can be read or written by their group",
                "Perl's default UMask 0660 makes them so; fine when the group is the \
                 application's own",
            ),
        ];
        for (sample, severity, code, what, advice) in counted {
            if !sample.is_empty() {
                let (count, names) = (sample.count, sample.names());
                let message =
                    format!("{count} session files in '{shown}' {what} ({names}): {advice}");
                findings.push(Finding::new(severity, code, message));
            }
        }
        if self.create_mode() & OTHER_RW != 0 {
            findings.push(Finding::new(
                Severity::Warning,
                "umask",
                format!(
                    "UMask {:04o} lets every local user {} new session files, unless the \
                     process umask removes those bits; use 0600 or 0660",
                    self.create_mode(),
                    lint::access(self.create_mode()),
                ),
            ));
        }
        if self.no_flock() {
            findings.push(Finding::new(
                Severity::Warning,
                "no-flock",
                "NoFlock is on: Perl and Rust neither lock reads nor writes, so a reader can \
                 see a half-written record and concurrent writers can interleave",
            ));
        }
        Ok(findings)
    }

    /// Counts the session files by mode and kind, following no link.
    fn walk(&self) -> Result<Files, Error> {
        let dir = self.directory();
        let mut files = Files::default();
        let entries = fs::read_dir(dir).map_err(io_error("lint", "couldn't open", dir))?;
        for entry in entries {
            let entry = entry.map_err(io_error("lint", "couldn't read", dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = self.file_name.temp_of(name) {
                files.temps.note(id);
                continue;
            }
            let Some(id) = self.file_name.id_in(name) else {
                continue;
            };
            // A file removed during the walk is simply no longer there.
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.file_type().is_symlink() {
                match fs::metadata(entry.path()) {
                    Ok(target) if target.is_dir() => {}
                    Ok(_) => files.symlinks.note(id),
                    Err(_) => files.dangling.note(id),
                }
            } else if meta.is_file() {
                if meta.len() == 0 {
                    files.empty.note(id);
                }
                let mode = meta.permissions().mode();
                if mode & OTHER_RW != 0 {
                    files.others.note(id);
                } else if mode & GROUP_RW != 0 {
                    files.group.note(id);
                }
            }
        }
        Ok(files)
    }
}
