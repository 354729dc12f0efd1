//! The security properties users rely on (spec §8.1), each against real stores,
//! real files and real processes:
//! * hostile session ids (`../x`, `/etc/passwd`, NUL, CR/LF, 10,000 characters, SQL
//!   quotes, ...) on every driver, through `load`, `new`, the driver itself and the
//!   `cgisess` CLI: refused with a clear error, or stored under exactly that id and no
//!   other; never a file outside `Directory`, another session's data, or a panic;
//! * a client's claimed id never becomes a new session's id (no fixation), whether it
//!   comes as an argument or in a cookie or query parameter;
//! * ids from the OS CSPRNG; session files and directories closed to other users
//!   under umask 022 and 000; symlinks never followed; SQL identifiers checked before
//!   any SQL; `-ip_match`; malformed DSNs and driver arguments; header injection
//!   through cookie attributes.
//!
//! Server-backed stores skip without their server unless `CGISESS_REQUIRE_SERVICES=1`.
//! Each test prints how many hostile inputs it tried (`hostile inputs tried: N`).

mod common;
#[path = "drivers_sql/store.rs"]
#[allow(dead_code)]
mod sql_store;

#[path = "security/args.rs"]
mod args;
#[path = "security/cookies.rs"]
mod cookies;
#[path = "security/files.rs"]
mod files;
#[path = "security/ids.rs"]
mod ids;
#[path = "security/random.rs"]
mod random;

#[test]
#[ignore = "a child process of the file-mode tests, run by them under a given umask"]
fn umask_child() {
    files::umask_child_main();
}

/// Counts the hostile inputs a test tried, and prints the count when it ends, for
/// RELIABILITY.md.
pub struct Tried {
    what: &'static str,
    count: usize,
}

impl Tried {
    /// A counter for the test `what`.
    pub fn new(what: &'static str) -> Tried {
        Tried { what, count: 0 }
    }

    /// One more input tried.
    pub fn one(&mut self) {
        self.count += 1;
    }
}

impl Drop for Tried {
    fn drop(&mut self) {
        eprintln!("{}: hostile inputs tried: {}", self.what, self.count);
    }
}
