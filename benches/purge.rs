//! Purge of a file/default store, Rust against Perl 4.48's `find()` cron job and
//! against the floor of merely reading every file once, in the same run (issue 5).
//!
//! ```text
//! cargo bench --bench purge                               # 100,000 sessions
//! CGISESS_BENCH_SESSIONS=20000 cargo bench --bench purge  # quicker
//! ```
//!
//! One store is generated: `CGISESS_BENCH_SESSIONS` sessions (default 100,000) in
//! the default serializer, of which 30% have expired and 5% more hold a parameter
//! whose own expiry has passed. Every contender runs on a fresh copy of it, with the
//! files in the page cache:
//!
//! * **floor**: `readdir`, then `open`, `read` to the end and `close` of every session
//!   file, one thread, no locking, no decoding — the least any purge must read; and
//!   the same plus `unlink` of the expired files, named in advance — the least any
//!   purge must do (on a filesystem that discards freed blocks at once, as this
//!   project's CI machine's does, a removal costs several reads);
//! * **rust**: [`Config::purge`] on one thread, and with one and two threads per CPU
//!   (`--jobs`);
//! * **perl**: `benches/perl/purge.pl`, `CGI::Session->find($dsn, sub {}, \%args)`
//!   timed inside Perl (interpreter start-up excluded).
//!
//! Floor and Rust figures are the best of three runs; Perl runs once (not at all
//! with `CGISESS_BENCH_PERL=0`). Both purges
//! must leave the same number of sessions, or the bench fails.

mod support;

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cgi_session::{Args, Config, PurgeOptions};
use support::{store_sessions, Ages};

const DSN: &str = "driver:file;serializer:default";

fn config(dir: &Path) -> Config {
    Config::new(
        Some(DSN),
        Args::from([("Directory".to_string(), dir.display().to_string())]),
    )
    .expect("file store")
}

fn generate(dir: &Path, n: usize) {
    store_sessions(&config(dir), 0..n, Ages::Purge);
}

fn copy_store(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn count(dir: &Path) -> usize {
    fs::read_dir(dir).unwrap().count()
}

/// The floor: every session file opened, read to the end and closed, and the files
/// named in `remove` (the expired ones, known in advance: no decoding) unlinked.
fn floor(master: &Path, dir: &Path, remove: &HashSet<OsString>) -> (f64, usize) {
    // A fresh copy, as every contender gets: reading a file the first time after it
    // was written also updates its access time, which a second read does not.
    copy_store(master, dir);
    let started = Instant::now();
    let mut buf = Vec::with_capacity(8192);
    let mut bytes = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if !entry
            .file_name()
            .as_encoded_bytes()
            .starts_with(b"cgisess_")
        {
            continue;
        }
        buf.clear();
        let mut file = fs::File::open(entry.path()).unwrap();
        Read::take(&mut file, u64::MAX)
            .read_to_end(&mut buf)
            .unwrap();
        bytes += buf.len();
        if remove.contains(&entry.file_name()) {
            fs::remove_file(entry.path()).unwrap();
        }
    }
    (started.elapsed().as_secs_f64(), bytes)
}

fn rust_purge(master: &Path, work: &Path, jobs: usize, dry_run: bool) -> (f64, usize) {
    copy_store(master, work);
    let config = config(work);
    let started = Instant::now();
    let summary = config
        .purge(
            PurgeOptions {
                dry_run,
                jobs,
                idle_for: None,
            },
            &|_| {},
        )
        .expect("purge");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(summary.errors, 0, "{summary:?}");
    (seconds, count(work))
}

fn perl_purge(master: &Path, work: &Path) -> Result<(f64, usize), String> {
    copy_store(master, work);
    let report = support::perl_json("purge.pl", [work])?;
    Ok((
        report["seconds"].as_f64().unwrap_or(f64::NAN),
        report["left"].as_u64().unwrap_or(0) as usize,
    ))
}

fn best<T>(runs: usize, mut run: impl FnMut() -> (f64, T)) -> (f64, T) {
    let mut best = run();
    for _ in 1..runs {
        let next = run();
        if next.0 < best.0 {
            best = next;
        }
    }
    best
}

fn main() {
    // `cargo test --benches` runs benches with `--bench` absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = support::sessions_wanted(100_000);
    let root = tempfile::tempdir().expect("temp dir");
    let master: PathBuf = root.path().join("master");
    let work = root.path().join("work");
    eprintln!("generating {n} sessions in {}", master.display());
    generate(&master, n);
    let jobs = std::thread::available_parallelism().map_or(2, |j| j.get());

    let (floor_s, bytes) = best(3, || floor(&master, &work, &HashSet::new()));
    // What a purge cannot avoid beyond reading: unlinking the expired sessions.
    let expired: HashSet<OsString> = (0..n)
        .filter(|i| i % 20 <= 5)
        .map(|i| format!("cgisess_{}", support::session_id(i)).into())
        .collect();
    let (unlink_s, _) = best(3, || floor(&master, &work, &expired));
    let (dry_s, _) = best(3, || rust_purge(&master, &work, 1, true));
    let (one_s, left) = best(3, || rust_purge(&master, &work, 1, false));
    let (many_s, left_many) = best(3, || rust_purge(&master, &work, jobs, false));
    // What `--jobs 0` runs: removals wait on the disk, so more threads than CPUs help.
    let (most_s, _) = best(3, || rust_purge(&master, &work, 2 * jobs, false));
    assert_eq!(
        left, left_many,
        "--jobs {jobs} left another number of sessions"
    );
    let perl = if std::env::var("CGISESS_BENCH_PERL").as_deref() == Ok("0") {
        Err("CGISESS_BENCH_PERL=0".to_string())
    } else {
        perl_purge(&master, &work)
    };

    println!(
        "purge of {n} file/default sessions ({} KB), 30% expired, 5% with an expired parameter",
        bytes / 1024
    );
    println!("| contender | seconds | per session | vs floor | Perl / this |");
    println!("|---|---|---|---|---|");
    let perl_s = perl.as_ref().ok().map(|p| p.0);
    let row = |name: &str, s: f64| {
        let vs_perl = perl_s.map_or("-".to_string(), |p| format!("{:.1}x", p / s));
        println!(
            "| {name} | {s:.3} | {:.2} µs | {:.2}x | {vs_perl} |",
            s / n as f64 * 1e6,
            s / floor_s
        );
    };
    row("floor: open+read+close each file", floor_s);
    row("floor + unlink the 30% expired", unlink_s);
    row("rust purge --dry-run, 1 thread", dry_s);
    row("rust purge, 1 thread", one_s);
    row(&format!("rust purge, --jobs {jobs}"), many_s);
    row(
        &format!("rust purge, --jobs {} (--jobs 0)", 2 * jobs),
        most_s,
    );
    match perl {
        Ok((seconds, perl_left)) => {
            row("perl 4.48 find()", seconds);
            assert_eq!(perl_left, left, "Perl and Rust left different stores");
        }
        Err(why) => println!("perl 4.48 find(): not run: {why}"),
    }
    println!("sessions left: {left} of {n}");
}
