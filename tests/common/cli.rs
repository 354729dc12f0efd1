//! Running the `cgisess` binary: a command line free of the caller's store settings,
//! and the checks every command's tests make of a success and of a failure.

use std::ffi::OsStr;
use std::process::{Command, Output};

/// The store settings `cgisess` reads from the environment (besides the
/// `CGISESS_ARG_<Name>` and `CGISESS_TO_ARG_<Name>` families).
const SETTINGS: [&str; 4] = [
    "CGISESS_DSN",
    "CGISESS_SERIALIZER",
    "CGISESS_TO_DSN",
    "CGISESS_TO_SERIALIZER",
];

/// `cgisess`, with none of the store settings of the test's own environment.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cgisess"));
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if SETTINGS.contains(&&*text)
            || text.starts_with("CGISESS_ARG_")
            || text.starts_with("CGISESS_TO_ARG_")
        {
            command.env_remove(&name);
        }
    }
    command
}

/// Runs `cgisess ARGS` ([`command`]) to the end.
pub fn cgisess<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    command().args(args).output().expect("cgisess runs")
}

/// The standard output of a run that must have succeeded.
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "cgisess failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The error of a run that must have failed as `cgisess` fails: status 1, nothing on
/// standard output, one line `cgisess: error: ...` on standard error.
pub fn failure(out: Output) -> String {
    assert_eq!(out.status.code(), Some(1), "cgisess should have failed");
    assert!(out.stdout.is_empty(), "no output on failure");
    let err = String::from_utf8(out.stderr).expect("UTF-8 errors");
    assert!(err.starts_with("cgisess: error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err
}
