//! Live tests against Perl's own `CGI::Session::Driver::file` 4.48: the same bytes,
//! the same ids and the same locks, in both directions (spec §5.2, §9 items 1-3).
//!
//! Skipped, with the reason printed, when `perl` or CGI::Session is missing; set
//! `CGISESS_REQUIRE_ORACLE=1` to make that a failure instead.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Instant;

use cgi_session_drivers::{Driver, FileDriver};
use cgi_session_test_support::{oracle_has, perl as perl_e, run};
use common::{driver_in, listed_ids, HOLD};

/// Loaded before every snippet. `driver(DIR)` is Perl's driver on DIR; the template
/// comes from `CGISESS_FILENAME`, standing in for `$CGI::Session::Driver::file::FileName`.
const PRELUDE: &str = r#"
use strict; use warnings;
use Fcntl qw(:DEFAULT :flock);
use Time::HiRes ();
use CGI::Session::Driver::file;
binmode STDIN; binmode STDOUT; $| = 1;
$CGI::Session::Driver::file::FileName = $ENV{CGISESS_FILENAME} if $ENV{CGISESS_FILENAME};
sub driver {
    my $d = CGI::Session::Driver::file->new({ Directory => $_[0] })
        or die CGI::Session::Driver::file->errstr;
    return $d;
}
"#;

macro_rules! require_oracle {
    () => {
        if !oracle_has(&["CGI::Session::Driver::file"]) {
            return;
        }
    };
}

fn perl_command(script: &str, args: &[&str], file_name: Option<&str>) -> Command {
    let mut cmd = perl_e(&format!("{PRELUDE}\n{script}"));
    cmd.args(args);
    match file_name {
        Some(template) => cmd.env("CGISESS_FILENAME", template),
        None => cmd.env_remove("CGISESS_FILENAME"),
    };
    cmd
}

/// Runs a Perl snippet to completion with `stdin`; returns its stdout.
fn perl(script: &str, args: &[&str], stdin: &[u8], file_name: Option<&str>) -> Vec<u8> {
    run(&mut perl_command(script, args, file_name), stdin)
}

/// Starts a Perl snippet whose stdout we read line by line as it runs.
fn perl_spawn(script: &str, args: &[&str]) -> (Child, BufReader<ChildStdout>) {
    let mut child = perl_command(script, args, None)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn perl");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

fn read_line(out: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    out.read_line(&mut line).expect("read from perl");
    line.trim_end().to_owned()
}

fn dir_arg(dir: &Path) -> &str {
    dir.to_str().expect("UTF-8 temp dir")
}

/// Every byte value, newlines and NUL included, around a typical record.
fn awkward_bytes() -> Vec<u8> {
    let mut data = b"$D = {'_SESSION_ID' => 'x','name' => 'caf\xc3\xa9'};;$D\n".to_vec();
    data.extend(0..=255u8);
    data.extend(b"\r\n\n0");
    data
}

const PERL_STORE: &str = r#"
my $d = driver($ARGV[0]);
my $data = do { local $/; <STDIN> };
$d->store($ARGV[1], $data) or die $d->errstr;
"#;

/// Perl's retrieve says "not found" with a false string: `""`, `"0"` or `0`.
fn is_perl_not_found(printed: &[u8]) -> bool {
    printed.is_empty() || printed == b"0"
}

const PERL_RETRIEVE: &str = r#"
my $d = driver($ARGV[0]);
my $data = $d->retrieve($ARGV[1]);
defined $data or die $d->errstr;
print $data;
"#;

#[test]
fn perl_writes_and_rust_reads_the_same_bytes() {
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let data = awkward_bytes();
    perl(PERL_STORE, &[dir_arg(dir.path()), "fromperl"], &data, None);
    let d = driver_in(dir.path(), &[]);
    assert_eq!(d.retrieve("fromperl").unwrap().unwrap(), data);

    // And the new files of both sides get the same mode.
    d.store("fromrust", b"x").unwrap();
    let mode = |id: &str| {
        std::fs::metadata(d.path_for(id).unwrap())
            .unwrap()
            .permissions()
            .mode()
    };
    assert_eq!(mode("fromperl"), mode("fromrust"));
}

#[test]
fn rust_writes_and_perl_reads_the_same_bytes() {
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    let data = awkward_bytes();
    d.store("fromrust", &data).unwrap();
    assert_eq!(
        perl(PERL_RETRIEVE, &[dir_arg(dir.path()), "fromrust"], b"", None),
        data
    );

    // Updates in place, in both directions, shorter than the last record.
    perl(
        PERL_STORE,
        &[dir_arg(dir.path()), "fromrust"],
        b"perl update",
        None,
    );
    assert_eq!(d.retrieve("fromrust").unwrap().unwrap(), b"perl update");
    d.store("fromrust", b"rust").unwrap();
    assert_eq!(
        perl(PERL_RETRIEVE, &[dir_arg(dir.path()), "fromrust"], b"", None),
        b"rust"
    );
}

#[test]
fn perl_and_rust_agree_on_not_found() {
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("empty", b"").unwrap();
    d.store("zero", b"0").unwrap();
    let perl_says = |id: &str| perl(PERL_RETRIEVE, &[dir_arg(dir.path()), id], b"", None);
    for id in ["empty", "zero", "missing", "a/b"] {
        let perl_data = perl_says(id);
        assert!(is_perl_not_found(&perl_data), "{id}: {perl_data:?}");
        assert_eq!(d.retrieve(id).unwrap(), None, "{id}");
    }
}

const PERL_TRAVERSE: &str = r#"
my $d = driver($ARGV[0]);
$d->traverse(sub { print "$_[0]\n" }) or die $d->errstr;
"#;

fn perl_listed_ids(dir: &Path, file_name: Option<&str>) -> Vec<String> {
    let out = perl(PERL_TRAVERSE, &[dir_arg(dir)], b"", file_name);
    let mut ids: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

#[test]
fn perl_and_rust_traverse_list_the_same_ids() {
    require_oracle!();
    for template in [None, Some("%s.dat"), Some("s.%s.v1")] {
        let dir = tempfile::tempdir().unwrap();
        let extra: Vec<(&str, &str)> = template.map(|t| ("FileName", t)).into_iter().collect();
        let d = driver_in(dir.path(), &extra);
        for id in ["r1", "r.2", "with space", "ünï"] {
            d.store(id, b"x").unwrap();
        }
        for id in ["p1", "p.2"] {
            perl(PERL_STORE, &[dir_arg(dir.path()), id], b"x", template);
        }
        // Files that are not sessions under either template, and a directory.
        for name in ["cgisess_", "cgisessXy", "other", ".dat", "xdat", "s.x.v1x"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join(d.path_for("adir").unwrap())).unwrap();

        let rust_ids = listed_ids(&d);
        assert_eq!(rust_ids.len(), 6, "{template:?}: {rust_ids:?}");
        assert_eq!(
            perl_listed_ids(dir.path(), template),
            rust_ids,
            "{template:?}"
        );
    }
}

const PERL_HOLD_LOCK: &str = r#"
my ($path, $kind, $seconds) = @ARGV;
sysopen(my $fh, $path, O_RDONLY) or die "open $path: $!";
flock($fh, $kind eq 'ex' ? LOCK_EX : LOCK_SH) or die "flock: $!";
print "locked\n";
Time::HiRes::sleep($seconds);
close $fh;
"#;

/// Perl takes `kind` lock on the session file and holds it for HOLD while `op` runs;
/// `op` must not finish before Perl lets go.
fn assert_waits_for_perl_lock(kind: &str, driver: &FileDriver, id: &str, op: impl FnOnce()) {
    let path = driver.path_for(id).unwrap();
    let hold = format!("{}", HOLD.as_secs_f64());
    // Perl cannot release the lock earlier than HOLD after it took it, which is
    // after this instant.
    let spawned_at = Instant::now();
    let (mut child, mut out) = perl_spawn(PERL_HOLD_LOCK, &[path.to_str().unwrap(), kind, &hold]);
    assert_eq!(read_line(&mut out), "locked");
    op();
    let waited = spawned_at.elapsed();
    assert!(child.wait().unwrap().success());
    assert!(
        waited >= HOLD,
        "finished after {waited:?}, while Perl held LOCK_{kind} for {HOLD:?}"
    );
}

#[test]
fn rust_retrieve_waits_for_perls_exclusive_lock() {
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("s", b"data").unwrap();
    assert_waits_for_perl_lock("ex", &d, "s", || {
        assert_eq!(d.retrieve("s").unwrap().unwrap(), b"data");
    });
}

#[test]
fn rust_store_waits_for_perls_shared_lock() {
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("s", b"old").unwrap();
    assert_waits_for_perl_lock("sh", &d, "s", || d.store("s", b"new").unwrap());
    assert_eq!(
        perl(PERL_RETRIEVE, &[dir_arg(dir.path()), "s"], b"", None),
        b"new"
    );
}

const PERL_TIMED_RETRIEVE: &str = r#"
my $d = driver($ARGV[0]);
my $started = Time::HiRes::time();
print "started\n";
my $data = $d->retrieve($ARGV[1]);
defined $data or die $d->errstr;
printf "%.6f\n", Time::HiRes::time() - $started;
print "$data\n";
"#;

#[test]
fn perl_retrieve_waits_for_rusts_exclusive_lock() {
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("s", b"data").unwrap();
    let file = std::fs::File::open(d.path_for("s").unwrap()).unwrap();
    file.lock().unwrap();
    let (mut child, mut out) = perl_spawn(PERL_TIMED_RETRIEVE, &[dir_arg(dir.path()), "s"]);
    // Perl read its clock before printing this, so it has been waiting at least
    // since then; we let go HOLD after reading it.
    assert_eq!(read_line(&mut out), "started");
    std::thread::sleep(HOLD);
    drop(file);
    let waited: f64 = read_line(&mut out).parse().unwrap();
    assert_eq!(read_line(&mut out), "data");
    assert!(child.wait().unwrap().success());
    // Time::HiRes::time is the wall clock; allow it a little slack against Instant.
    assert!(
        waited >= HOLD.as_secs_f64() - 0.01,
        "Perl's retrieve took {waited}s while Rust held LOCK_EX for {HOLD:?}"
    );
}

#[test]
fn symlinks_are_handled_alike() {
    // t/symlink_file.t through Perl's driver, on files the Rust driver wrote.
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("real", b"secret").unwrap();
    let link = d.path_for("link").unwrap();
    std::os::unix::fs::symlink(d.path_for("real").unwrap(), &link).unwrap();
    let perl_data = perl(PERL_RETRIEVE, &[dir_arg(dir.path()), "link"], b"", None);
    assert!(is_perl_not_found(&perl_data), "{perl_data:?}");
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "Perl removed the link"
    );
    assert_eq!(d.retrieve("real").unwrap().unwrap(), b"secret");
}
