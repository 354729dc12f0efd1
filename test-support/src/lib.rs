//! Helpers the workspace's tests share (dev-only, never published): the skip-or-fail
//! gates for the Perl oracle (`CGISESS_REQUIRE_ORACLE`) and the servers
//! (`CGISESS_REQUIRE_SERVICES`), running Perl snippets, and the `LENGTH\nBYTES`
//! framing the Perl sides of the live tests speak.
//!
//! It depends on no crate of the workspace, so the component crates can all use it
//! without depending on each other.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::Write;
use std::process::{Command, Stdio};

/// Set to `1` to make a missing Perl oracle a failure instead of a skip.
pub const REQUIRE_ORACLE: &str = "CGISESS_REQUIRE_ORACLE";

/// Set to `1` to make a missing server (Redis, memcached, SQL) a failure instead of a skip.
pub const REQUIRE_SERVICES: &str = "CGISESS_REQUIRE_SERVICES";

/// `true` when `probe` succeeds; otherwise prints why and returns `false` (the caller
/// skips), or panics when the variable `env` is `1`.
pub fn gate(env: &str, what: &str, probe: impl FnOnce() -> Result<(), String>) -> bool {
    match probe() {
        Ok(()) => true,
        Err(why) if std::env::var(env).as_deref() == Ok("1") => {
            panic!("{env}=1 but {what} is unusable: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: {what} is unusable ({why}); set {env}=1 to fail instead");
            false
        }
    }
}

/// The [`gate`] for a server: skip, or fail under `CGISESS_REQUIRE_SERVICES=1`.
pub fn service_up(what: &str, probe: impl FnOnce() -> Result<(), String>) -> bool {
    gate(REQUIRE_SERVICES, what, probe)
}

/// Whether Perl with CGI::Session 4.48 and `modules` loads: skip, or fail under
/// `CGISESS_REQUIRE_ORACLE=1`.
pub fn oracle_has(modules: &[&str]) -> bool {
    gate(REQUIRE_ORACLE, "the Perl oracle", || {
        succeeds(
            Command::new("perl")
                .arg("-MCGI::Session 4.48")
                .args(modules.iter().map(|m| format!("-M{m}")))
                .args(["-e", "1"]),
        )
    })
}

/// Whether Ruby with its CGI::Session stores (cgi/session, cgi/session/pstore) runs,
/// the oracle of the Ruby stores: skip, or fail under `CGISESS_REQUIRE_ORACLE=1`.
pub fn ruby_has_cgi_session() -> bool {
    gate(REQUIRE_ORACLE, "the Ruby oracle", || {
        succeeds(Command::new("ruby").args(["-rcgi/session", "-rcgi/session/pstore", "-e", "1"]))
    })
}

/// A probe: `command` runs and exits 0, else what it said on stderr.
fn succeeds(command: &mut Command) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// Runs `f` on a thread with the 2 MB stack Rust gives new threads, as a server would:
/// where deep data must be read and written without a stack overflow.
pub fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// `perl -e SCRIPT`, for the caller to add arguments and environment to.
pub fn perl(script: &str) -> Command {
    let mut command = Command::new("perl");
    command.arg("-e").arg(script);
    command
}

/// Runs `command` to completion with `stdin` (written from another thread, so a large
/// input cannot deadlock against a full stdout pipe); panics unless it succeeds.
/// Gives its stdout.
pub fn run(command: &mut Command, stdin: &[u8]) -> Vec<u8> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the oracle runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let out = child.wait_with_output().expect("the oracle finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("the oracle reads its input");
    assert!(
        out.status.success(),
        "{:?} failed ({}): {}",
        command.get_program(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// [`run`] with `items` framed on stdin; gives the framed items of its stdout.
pub fn run_framed(command: &mut Command, items: &[Vec<u8>]) -> Vec<Vec<u8>> {
    unframe(&run(command, &frame(items)))
}

/// Each item as `LENGTH\nBYTES`.
pub fn frame(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(format!("{}\n", item.len()).as_bytes());
        out.extend_from_slice(item);
    }
    out
}

/// The items of a `LENGTH\nBYTES` stream; panics on a malformed one.
pub fn unframe(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    while !bytes.is_empty() {
        let newline = bytes.iter().position(|&b| b == b'\n').expect("length line");
        let len: usize = std::str::from_utf8(&bytes[..newline])
            .expect("ASCII length")
            .parse()
            .expect("decimal length");
        let end = newline + 1 + len;
        assert!(end <= bytes.len(), "frame of {len} bytes is cut short");
        items.push(bytes[newline + 1..end].to_vec());
        bytes = &bytes[end..];
    }
    items
}

/// `my @cases = (sub { EXPR }, ...);`: Perl expressions as a list of subs, for a
/// script to build each case from.
pub fn perl_cases<'a>(exprs: impl IntoIterator<Item = &'a str>) -> String {
    let subs: Vec<String> = exprs
        .into_iter()
        .map(|e| format!("sub {{ {e} }}"))
        .collect();
    format!("my @cases = (\n{}\n);\n", subs.join(",\n"))
}

/// Driver or generator arguments (`Args`) from `(name, value)` pairs.
pub fn pairs<C: FromIterator<(String, String)>>(pairs: &[(&str, &str)]) -> C {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_round_trips_empty_and_binary_items() {
        let items = vec![Vec::new(), b"a\nb".to_vec(), (0..=255u8).collect()];
        assert_eq!(unframe(&frame(&items)), items);
        assert!(unframe(b"").is_empty());
    }

    #[test]
    #[should_panic(expected = "cut short")]
    fn a_truncated_frame_is_refused() {
        unframe(b"5\nab");
    }
}
