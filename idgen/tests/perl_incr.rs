//! Live tests against Perl's own `CGI::Session::ID::incr` 4.48: one counter file,
//! drawn from by both, gives one gapless sequence in one format (spec §6.2, §9 item 2).
//!
//! Skipped, with the reason printed, when `perl` or CGI::Session is missing; set
//! `CGISESS_REQUIRE_ORACLE=1` to make that a failure instead.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;

use cgi_session_idgen::{Args, IdGenerator, Incr};
use cgi_session_test_support::{oracle_has, pairs, perl, run};

/// Prints `$ARGV[3]` ids drawn by Perl, one a line, from IDFile `$ARGV[0]` with
/// IDInit `$ARGV[1]` and IDIncr `$ARGV[2]`.
const PERL_INCR: &str = r#"
use strict; use warnings;
$| = 1;
use CGI::Session::ID::incr;
my ($file, $init, $incr, $count) = @ARGV;
for (1 .. $count) {
    my $id = CGI::Session::ID::incr->generate_id({ IDFile => $file, IDInit => $init, IDIncr => $incr });
    defined $id or die CGI::Session::ID::incr->errstr;
    print "$id\n";
}
"#;

macro_rules! require_oracle {
    () => {
        if !oracle_has(&["CGI::Session::ID::incr"]) {
            return;
        }
    };
}

fn perl_ids(file: &Path, init: &str, incr: &str, count: usize) -> Vec<String> {
    let out = run(
        perl(PERL_INCR)
            .arg(file)
            .args([init, incr, &count.to_string()]),
        b"",
    );
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn incr_args(file: &Path, init: &str, incr: &str) -> Args {
    pairs(&[
        ("IDFile", file.to_str().unwrap()),
        ("IDInit", init),
        ("IDIncr", incr),
    ])
}

#[test]
fn alternating_perl_and_rust_give_one_gapless_sequence() {
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cgisession.id");
    let args = incr_args(&file, "1000", "2");
    let mut ids = Vec::new();
    for round in 0..6 {
        let id = if round % 2 == 0 {
            perl_ids(&file, "1000", "2", 1).remove(0)
        } else {
            Incr.generate(&args, None).unwrap()
        };
        // The file holds exactly the last id, no newline, whoever wrote it.
        assert_eq!(fs::read(&file).unwrap(), id.as_bytes(), "round {round}");
        ids.push(id);
    }
    assert_eq!(ids, ["1002", "1004", "1006", "1008", "1010", "1012"]);
}

#[test]
fn concurrent_perl_and_rust_never_share_or_skip_an_id() {
    require_oracle!();
    const PERL_COUNT: usize = 1000;
    const RUST_THREADS: usize = 4;
    const RUST_EACH: usize = 250;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cgisession.id");
    let mut perl = Command::new("perl")
        .args(["-e", PERL_INCR])
        .arg(&file)
        .args(["1000", "2", &PERL_COUNT.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run perl");
    let mut perl_out = BufReader::new(perl.stdout.take().unwrap());
    let mut first = String::new();
    perl_out.read_line(&mut first).unwrap();
    // Perl is now inside its loop: draw from the same file while it runs.
    let rust: Vec<_> = (0..RUST_THREADS)
        .map(|_| {
            let args = incr_args(&file, "1000", "2");
            thread::spawn(move || {
                (0..RUST_EACH)
                    .map(|_| Incr.generate(&args, None).unwrap().parse::<u64>().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut rest = String::new();
    perl_out.read_to_string(&mut rest).unwrap();
    assert!(perl.wait().unwrap().success());
    let perl_ids: Vec<u64> = first
        .lines()
        .chain(rest.lines())
        .map(|id| id.parse().unwrap())
        .collect();
    let rust_ids: Vec<u64> = rust.into_iter().flat_map(|r| r.join().unwrap()).collect();

    let mut all: Vec<u64> = perl_ids.iter().chain(&rust_ids).copied().collect();
    all.sort_unstable();
    let total = (PERL_COUNT + RUST_THREADS * RUST_EACH) as u64;
    let expected: Vec<u64> = (1..=total).map(|n| 1000 + 2 * n).collect();
    assert_eq!(all, expected);
    // The two sides really contended for the lock: their ids interleave.
    let (perl_min, perl_max) = (perl_ids[0], *perl_ids.last().unwrap());
    assert!(
        rust_ids.iter().any(|id| (perl_min..perl_max).contains(id)),
        "no overlap: Perl drew {perl_min}..={perl_max}"
    );
}

#[test]
fn any_file_content_gives_the_same_next_id() {
    require_oracle!();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cgisession.id");
    let contents: [&[u8]; 12] = [
        b"",
        b"0",
        b"0\n",
        b"41\n99\n",
        b"  7 junk",
        b"junk",
        b"2.5",
        b"-3",
        b"1e3",
        b"18446744073709551615",
        b"9223372036854775807",
        b"\n",
    ];
    for (init, incr) in [("500", "1"), ("0", "0"), ("1.5", "2")] {
        for content in contents {
            fs::write(&file, content).unwrap();
            let perl_id = perl_ids(&file, init, incr, 1).remove(0);
            let perl_file = fs::read(&file).unwrap();
            fs::write(&file, content).unwrap();
            let rust_id = Incr.generate(&incr_args(&file, init, incr), None).unwrap();
            assert_eq!(
                rust_id, perl_id,
                "content {content:?}, IDInit {init}, IDIncr {incr}"
            );
            assert_eq!(fs::read(&file).unwrap(), perl_file);
        }
    }
}
