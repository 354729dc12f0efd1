//! Crashes: writers killed with SIGKILL at random points, thousands of times.
//!
//! A writer flushes `n = N, N+1, ...` to one session for ever and prints `FLUSHED N`
//! after each flush that returned. The test waits for its first report, lets it run
//! a random while longer, kills it, and reads what it reported. Then:
//!
//! * every other session of the store still loads, with its last reported value (or
//!   the next one: a flush can return just before the kill stops the report);
//! * the interrupted session loads with a value no older than its last report, or
//!   fails to load with an error naming it; it never loads as a valid session with
//!   older or partial data. Only a Perl writer (Perl 4.48 truncates to 0 and then
//!   writes) may leave it empty when killed between the two: Perl and Rust then read
//!   no session, and `lint` reports the file (`empty-record`);
//! * with `AtomicWrite`, nothing reported is ever lost: the interrupted session
//!   always loads with a value no older than its last report.
//!
//! Writers rotate over a few ids; the Rust writer is this test binary run again as a
//! child ([`CHILD_ENV`]), the Perl one `oracle.pl crash-writer`. `CGISESS_HAMMER_SCALE`
//! multiplies the number of kills.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cgi_session::{Args, Config};
use common::hammer::scaled;
use common::Oracle;

/// Set in a Rust writer child: `DIRECTORY ATOMIC ID START`.
const CHILD_ENV: &str = "CGISESS_CRASH_CHILD";

/// Ids the kills rotate over.
const IDS: usize = 6;

#[test]
#[ignore = "a child process of the crash tests, run by them"]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut words = spec.split(' ');
    let (dir, atomic, id, start) = (
        words.next().unwrap(),
        words.next().unwrap() == "1",
        words.next().unwrap(),
        words.next().unwrap().parse::<i64>().unwrap(),
    );
    let config = Config::new(Some("driver:file;id:static"), args(Path::new(dir), atomic)).unwrap();
    for n in start.. {
        let mut session = config.new_session(Some(id)).unwrap();
        session.set_param("n", n).unwrap();
        session.flush().unwrap();
        // Line-buffered: one write per report, after the flush returned.
        println!("FLUSHED {n}");
    }
}

fn args(dir: &Path, atomic: bool) -> Args {
    let mut args = Args::new();
    args.insert("Directory".into(), dir.display().to_string());
    if atomic {
        args.insert("AtomicWrite".into(), "1".into());
    }
    args
}

/// A small xorshift: the delays need no quality, and the seed is printed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What the kills found, for RELIABILITY.md.
#[derive(Debug, Default)]
struct Tally {
    kills: u64,
    flushes_reported: u64,
    records_checked: u64,
    /// In-place mode: emptied by a Perl writer killed between its truncate and its
    /// write. (Rust writes first and truncates after, so its kills never empty a
    /// record: any it did would count as `lost`.)
    emptied: u64,
    /// In-place mode: a partial record, reported by load as an error naming it.
    torn_reported: u64,
    /// Reported flushes missing afterwards (must stay 0 in atomic mode).
    lost: u64,
}

fn spawn_rust(dir: &Path, atomic: bool, id: &str, start: i64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--ignored", "--nocapture"])
        .args(["--test-threads=1"])
        .env(
            CHILD_ENV,
            format!("{} {} {id} {start}", dir.display(), u8::from(atomic)),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn spawn_perl(oracle: &Oracle, dir: &Path, id: &str, start: i64) -> Child {
    let args = serde_json::json!({ "Directory": dir }).to_string();
    let start = start.to_string();
    oracle
        .command(&[
            "crash-writer",
            "--dsn",
            "driver:file;id:static",
            "--args",
            &args,
            "--id",
            id,
            "--start",
            &start,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits for the writer's first report, lets it run `delay` more, kills it, and
/// returns the last value it reported and how many it reported.
fn kill_after(mut child: Child, delay: Duration) -> (Option<i64>, u64) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let parse = |line: std::io::Result<String>| {
        line.ok()?
            .strip_prefix("FLUSHED ")
            .and_then(|n| n.parse::<i64>().ok())
    };
    let mut last = lines
        .by_ref()
        .map_while(|l| Some(parse(l)))
        .flatten()
        .next();
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
    let mut reported = u64::from(last.is_some());
    for n in lines.map_while(parse) {
        last = Some(n);
        reported += 1;
    }
    (last, reported)
}

/// The value session `id` holds: `Ok(None)` when there is no session.
fn value(config: &Config, id: &str) -> Result<Option<i64>, String> {
    match config.peek(id) {
        Ok(Some(data)) => match data.get("n").and_then(|v| v.to_number()) {
            Some(n) if data.get("_SESSION_ID").and_then(|v| v.as_str()) == Some(id) => {
                Ok(Some(n.as_i64()))
            }
            _ => Err(format!("{id}: loads without its data: {data:?}")),
        },
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// `kills` kills of writers (every `perl_every`-th a Perl one, if any) over [`IDS`]
/// sessions in `dir`, checking the store after each.
fn crash(dir: &Path, atomic: bool, kills: u64, perl: Option<(&Oracle, u64)>) -> Tally {
    let config = Config::new(Some("driver:file;id:static"), args(dir, atomic)).unwrap();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    // The last value reported for each id (0: none yet).
    let mut floor = [0_i64; IDS];
    let mut tally = Tally::default();
    let mut errors = Vec::new();
    for kill in 0..kills {
        let slot = kill as usize % IDS;
        let id = format!("c{slot}");
        let by_perl = perl.is_some_and(|(_, every)| kill % every == 0);
        let child = match perl {
            Some((oracle, _)) if by_perl => spawn_perl(oracle, dir, &id, floor[slot] + 1),
            _ => spawn_rust(dir, atomic, &id, floor[slot] + 1),
        };
        let (last, reported) = kill_after(child, Duration::from_micros(rng.below(4000)));
        tally.kills += 1;
        tally.flushes_reported += reported;
        let Some(last) = last else {
            errors.push(format!("kill {kill}: the writer of {id} never flushed"));
            continue;
        };
        for (other, &held) in floor.iter().enumerate() {
            let other_id = format!("c{other}");
            let (expect, got) = if other == slot {
                (last, value(&config, &id))
            } else {
                (held, value(&config, &other_id))
            };
            tally.records_checked += 1;
            match got {
                Ok(Some(n)) if n == expect || n == expect + 1 => {}
                Ok(Some(n)) if n < expect => {
                    tally.lost += 1;
                    errors.push(format!(
                        "kill {kill}: {other_id} holds {n}, reported {expect}"
                    ));
                }
                Ok(Some(n)) => {
                    errors.push(format!("kill {kill}: {other_id} holds {n} > {expect}+1"))
                }
                Ok(None) if expect == 0 => {}
                Ok(None) if other == slot && by_perl => {
                    // Perl's in-place write: killed between ftruncate and write.
                    tally.emptied += 1;
                    let findings = config.driver().lint().unwrap();
                    if !findings.iter().any(|f| f.code == "empty-record") {
                        errors.push(format!("kill {kill}: lint misses the empty {id}"));
                    }
                }
                Ok(None) => {
                    tally.lost += 1;
                    errors.push(format!(
                        "kill {kill}: {other_id} is gone, reported {expect}"
                    ));
                }
                Err(e) if other == slot && !atomic && e.contains(&id) => tally.torn_reported += 1,
                Err(e) => errors.push(format!("kill {kill}: {other_id}: {e}")),
            }
        }
        // What the next writer of this id starts from: the store, whatever it holds.
        floor[slot] = match value(&config, &id) {
            Ok(Some(n)) => n.max(last),
            _ => {
                config.driver().remove(&id).unwrap();
                0
            }
        };
    }
    let temps = config.driver().lint().unwrap();
    eprintln!(
        "crash (atomic {atomic}, seed {seed}): {tally:?}; lint: {:?}",
        temps.iter().map(|f| f.code).collect::<Vec<_>>()
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    tally
}

#[test]
fn killed_in_place_writers_never_leave_a_session_that_loads_wrong() {
    let oracle = Oracle::get();
    let dir = tempfile::tempdir().unwrap();
    // Every 20th kill is a Perl writer's, when Perl is here (its start-up is slow).
    let tally = crash(
        dir.path(),
        false,
        scaled(1000) as u64,
        oracle.as_ref().map(|o| (o, 20)),
    );
    assert_eq!(tally.lost, 0);
}

#[test]
fn killed_atomic_writers_lose_nothing_they_flushed() {
    let dir = tempfile::tempdir().unwrap();
    // Each atomic flush waits for two fsyncs: fewer kills in the same time.
    let tally = crash(dir.path(), true, scaled(500) as u64, None);
    assert_eq!((tally.lost, tally.emptied, tally.torn_reported), (0, 0, 0));
}
