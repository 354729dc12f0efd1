//! Peak memory of `cgisess purge` on a large file/default store, against the issue's
//! 64 MB target (issue 5), and optionally against Perl 4.48's `find()` cron job.
//!
//! ```text
//! cargo bench --bench purge_memory                                 # 1,000,000 sessions
//! CGISESS_BENCH_SESSIONS=100000 cargo bench --bench purge_memory   # quicker
//! CGISESS_BENCH_PERL_MEMORY=1 cargo bench --bench purge_memory     # and Perl (slow)
//! ```
//!
//! The store holds `CGISESS_BENCH_SESSIONS` sessions (default 1,000,000) of about
//! 330 bytes in the default serializer, 30% of them expired and 5% more with an
//! expired parameter; it is written straight to disk, without the driver's checks.
//! The release `cgisess purge --json` (the binary `cargo bench` builds beside this
//! bench) runs on it under `/usr/bin/time -v` (Debian's `time` package), which
//! reports the child's peak resident set size (`getrusage`'s `ru_maxrss`); then the
//! purged sessions are written back and it runs again with `--jobs 2`. With
//! `CGISESS_BENCH_PERL_MEMORY=1`, `benches/perl/purge.pl` (Perl's `find()`, about
//! 700 µs a session) runs on the same store too. The store is removed at the end.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use cgi_session::{Args, Config};
use support::{write_files, Ages};

const DSN: &str = "driver:file;serializer:default";

/// The issue's bound on a purge's peak resident set size.
const TARGET_MB: f64 = 64.0;

const TIME: &str = "/usr/bin/time";

/// One measured run: wall-clock seconds, peak RSS in MB, and what it printed.
struct Run {
    seconds: f64,
    peak_mb: f64,
    stdout: String,
}

/// Runs `program args...` under `time -v` and reads its peak RSS.
fn measure(program: &str, args: &[&str]) -> Result<Run, String> {
    let started = Instant::now();
    let out = Command::new(TIME)
        .arg("-v")
        .arg(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {TIME}: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        // The child's own complaint, without `time`'s report after it.
        let own = stderr.split("\tCommand being timed").next().unwrap_or("");
        return Err(format!("{program} failed: {}", own.trim()));
    }
    let kbytes = stderr
        .lines()
        .rev()
        .find_map(|line| {
            line.trim()
                .strip_prefix("Maximum resident set size (kbytes):")
        })
        .and_then(|kb| kb.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("no peak RSS in {TIME}'s report: {}", stderr.trim()))?;
    Ok(Run {
        seconds,
        peak_mb: kbytes / 1024.0,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

/// `cgisess purge --json` with `jobs` threads; checks its summary.
fn rust_purge(dir: &Path, n: usize, jobs: usize) -> Result<Run, String> {
    let directory = format!("Directory={}", dir.display());
    let jobs = jobs.to_string();
    let run = measure(
        env!("CARGO_BIN_EXE_cgisess"),
        &[
            "--dsn",
            DSN,
            "-a",
            &directory,
            "purge",
            "--json",
            "--no-progress",
            "--jobs",
            &jobs,
        ],
    )?;
    let summary: serde_json::Value =
        serde_json::from_str(&run.stdout).map_err(|e| format!("cgisess's summary: {e}"))?;
    let stale = (0..n).filter(|&i| Ages::Purge.stale(i)).count() as u64;
    let judged =
        summary["expired"].as_u64().unwrap_or(0) + summary["rewritten"].as_u64().unwrap_or(0);
    if summary["scanned"].as_u64() != Some(n as u64) || judged != stale {
        return Err(format!("unexpected summary for {n} sessions: {summary}"));
    }
    Ok(run)
}

/// Perl's `find()` purge.
fn perl_purge(dir: &Path) -> Result<Run, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/perl/purge.pl");
    measure("perl", &[script, &dir.display().to_string()])
}

fn main() {
    // `cargo test --benches` runs benches with `--bench` absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if !Path::new(TIME).exists() {
        println!("purge memory: not measured: {TIME} is missing (Debian package `time`)");
        return;
    }
    let n = support::sessions_wanted(1_000_000);
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("sessions");
    let config = Config::new(
        Some(DSN),
        Args::from([("Directory".to_string(), dir.display().to_string())]),
    )
    .expect("file store");
    eprintln!("writing {n} sessions in {}", dir.display());
    write_files(&config, &dir, 0..n, Ages::Purge);
    let restore = || {
        write_files(
            &config,
            &dir,
            (0..n).filter(|&i| Ages::Purge.stale(i)),
            Ages::Purge,
        )
    };

    let mut rows = Vec::new();
    for jobs in [1, 2] {
        if jobs > 1 {
            restore();
        }
        eprintln!("cgisess purge --jobs {jobs}");
        let name = format!("cgisess purge --json --jobs {jobs}");
        rows.push((name, true, rust_purge(&dir, n, jobs)));
    }
    if std::env::var("CGISESS_BENCH_PERL_MEMORY").as_deref() == Ok("1") {
        restore();
        eprintln!("perl find() purge (slow)");
        rows.push((
            "perl 4.48 find() (purge.pl)".into(),
            false,
            perl_purge(&dir),
        ));
    }

    println!(
        "peak memory of a purge of {n} file/default sessions, 30% expired, 5% with an expired parameter"
    );
    println!("| purge | seconds | peak RSS MB | target {TARGET_MB} MB |");
    println!("|---|---|---|---|");
    for (name, bound, run) in rows {
        match run {
            Ok(run) => println!(
                "| {name} | {:.1} | {:.1} | {} |",
                run.seconds,
                run.peak_mb,
                match (bound, run.peak_mb <= TARGET_MB) {
                    (false, _) => "-",
                    (true, true) => "met",
                    (true, false) => "MISSED",
                }
            ),
            Err(why) => println!("| {name} | - | - | not run: {why} |"),
        }
    }
    if std::env::var("CGISESS_BENCH_PERL_MEMORY").as_deref() != Ok("1") {
        println!(
            "(Perl's find() not measured; CGISESS_BENCH_PERL_MEMORY=1 adds it, ~700 µs a session)"
        );
    }
}
