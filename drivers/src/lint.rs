//! What a driver can tell an operator about how its store is set up: the findings of
//! [`Driver::lint`](crate::Driver::lint), which `cgisess lint` prints.
//!
//! A finding has a [`Severity`], a stable code (kebab-case, documented in the README's
//! finding table, never renamed) and a message for humans. Drivers report only what
//! they alone know: modes and owners of the files they keep, a Redis members set
//! drifting from the keys. Checks of the records themselves (do they parse?) belong
//! to the caller, which sees them through the serializer.
//!
//! Lint never writes: every check here reads metadata or runs read-only commands.

use std::fmt;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::Error;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// A weakness or a drift that should be fixed.
    Warning,
    /// Sessions can be read, forged or lost as things stand.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`: the name output shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing lint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// A stable, kebab-case code (`dir-world-writable`), for scripts and suppressions.
    pub code: &'static str,
    /// What was found and why it matters, naming the path or key.
    pub message: String,
}

impl Finding {
    /// A finding of `severity`.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            severity,
            code,
            message: message.into(),
        }
    }
}

/// How many names a [`Sample`] keeps.
pub const SAMPLE_SIZE: usize = 3;

/// A count of names with the first few kept, so a report over any number of records
/// stays in constant memory yet points at examples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    /// How many were noted.
    pub count: u64,
    /// The first [`SAMPLE_SIZE`] noted.
    pub first: Vec<String>,
}

impl Sample {
    /// Counts `name`, keeping it if it is among the first few.
    pub fn note(&mut self, name: &str) {
        self.count += 1;
        if self.first.len() < SAMPLE_SIZE {
            self.first.push(name.to_owned());
        }
    }

    /// Whether nothing was noted.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

impl Sample {
    /// The names kept, for a message: `a, b` or `a, b, c, ...` when there were more.
    pub fn names(&self) -> String {
        let mut names = self.first.join(", ");
        if self.count > self.first.len() as u64 {
            names += ", ...";
        }
        names
    }
}

/// Mode bits: anyone may write, read, either; the group may either; the sticky bit.
const OTHER_WRITE: u32 = 0o002;
const OTHER_READ: u32 = 0o004;
pub(crate) const OTHER_RW: u32 = 0o006;
pub(crate) const GROUP_RW: u32 = 0o060;
const STICKY: u32 = 0o1000;

/// The checks of a directory that holds session data (the file driver's `Directory`,
/// the folder of a db_file or sqlite database): who can plant, replace or list files
/// there, and who owns it.
pub(crate) fn directory(dir: &Path, findings: &mut Vec<Finding>) -> Result<(), Error> {
    let meta = fs::metadata(dir).map_err(crate::file::io_error("lint", "couldn't stat", dir))?;
    let mode = meta.permissions().mode();
    let shown = dir.display();
    let exposure = if mode & OTHER_WRITE != 0 && mode & STICKY == 0 {
        Some((
            Severity::Error,
            "dir-world-writable",
            "is writable by everyone without the sticky bit: any local user can delete or \
             replace session files, and so forge sessions",
        ))
    } else if mode & OTHER_WRITE != 0 {
        Some((
            Severity::Warning,
            "dir-shared",
            "is shared with every local user, like /tmp: they can see session ids and plant \
             files under names not yet used; give the application a directory of its own",
        ))
    } else if mode & OTHER_READ != 0 {
        Some((
            Severity::Warning,
            "dir-readable",
            "can be listed by every local user, who can then read session ids (and hijack \
             sessions with them)",
        ))
    } else {
        None
    };
    if let Some((severity, code, what)) = exposure {
        let message = format!("directory '{shown}' (mode {:04o}) {what}", mode & 0o7777);
        findings.push(Finding::new(severity, code, message));
    }
    let euid = rustix::process::geteuid().as_raw();
    if meta.uid() != euid {
        findings.push(Finding::new(
            Severity::Warning,
            "dir-owner",
            format!(
                "directory '{shown}' is owned by uid {}, not by this user (uid {euid}): that \
                 user controls what the store holds; run lint as the application's user",
                meta.uid()
            ),
        ));
    }
    Ok(())
}

/// The lint of a store kept in one database file (db_file, sqlite): its directory
/// ([`directory`]) and the file itself ([`database_file`]).
#[cfg(any(feature = "db_file", feature = "sqlite"))]
pub(crate) fn database(path: &Path) -> Result<Vec<Finding>, Error> {
    let mut findings = Vec::new();
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    directory(dir, &mut findings)?;
    database_file(path, &mut findings)?;
    Ok(findings)
}

/// The check of a database file holding every session (db_file, sqlite): whether other
/// users can read or write it. A missing file (no session stored yet) is fine.
#[cfg(any(feature = "db_file", feature = "sqlite"))]
fn database_file(path: &Path, findings: &mut Vec<Finding>) -> Result<(), Error> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(crate::file::io_error("lint", "couldn't stat", path)(e)),
    };
    let mode = meta.permissions().mode();
    if mode & OTHER_RW != 0 {
        findings.push(Finding::new(
            Severity::Warning,
            "db-mode",
            format!(
                "database '{}' (mode {:04o}) can be {} by every local user, and with it every \
                 session; chmod o-rw it (the UMask option sets the mode of a new one)",
                path.display(),
                mode & 0o7777,
                access(mode),
            ),
        ));
    }
    Ok(())
}

/// `read`, `written` or `read and written`: what the others' mode bits allow.
pub(crate) fn access(bits: u32) -> &'static str {
    match (bits & OTHER_READ != 0, bits & OTHER_WRITE != 0) {
        (true, true) => "read and written",
        (true, false) => "read",
        _ => "written",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_keeps_the_first_few_and_counts_all() {
        let mut sample = Sample::default();
        assert!(sample.is_empty());
        for name in ["a", "b", "c", "d", "e"] {
            sample.note(name);
        }
        assert_eq!(sample.count, 5);
        assert_eq!(sample.names(), "a, b, c, ...");
        let mut two = Sample::default();
        two.note("x");
        two.note("y");
        assert_eq!(two.names(), "x, y");
    }

    #[test]
    fn severities_order_by_weight() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!(Severity::Warning.to_string(), "warning");
    }
}
