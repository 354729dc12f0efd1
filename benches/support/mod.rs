//! Helpers the benches share: the timing loop, the realistic session they all store,
//! a fast way to fill a file store with it, and running a Perl side.
//!
//! A bench includes this with `mod support;` and uses what it needs, hence the
//! `allow`: each bench leaves the rest unused.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cgi_session::{Config, Value};

/// `CGISESS_BENCH_MIN_TIME` seconds (default 1): how long each figure is measured.
pub fn min_time() -> Duration {
    let secs = std::env::var("CGISESS_BENCH_MIN_TIME")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    Duration::from_secs_f64(secs)
}

/// `CGISESS_BENCH_SESSIONS`, or `default`: how many sessions a bench stores.
pub fn sessions_wanted(default: usize) -> usize {
    std::env::var("CGISESS_BENCH_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Seconds per call of `op`, over at least `min` of back-to-back calls. `op` gets
/// the call's number (from 0).
pub fn per_op(min: Duration, mut op: impl FnMut(usize)) -> f64 {
    let start = Instant::now();
    let mut n = 0;
    loop {
        op(n);
        n += 1;
        let elapsed = start.elapsed();
        if elapsed >= min {
            return elapsed.as_secs_f64() / n as f64;
        }
    }
}

/// The id of session `n`: 32 hex digits, as md5 ids look.
pub fn session_id(n: usize) -> String {
    format!(
        "{:032x}",
        (n as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    )
}

/// How old the sessions of a store are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ages {
    /// Every session was used a minute ago.
    Fresh,
    /// A purge's mix: 30% expired an hour ago; 5% alive but with an expired
    /// `logged_in`; the rest fresh.
    Purge,
}

impl Ages {
    /// Whether session `n` is one a purge removes or rewrites.
    pub fn stale(self, n: usize) -> bool {
        self == Ages::Purge && n % 20 <= 6
    }
}

/// Session `n` as an application keeps it (about 330 bytes in the default format).
pub fn session(n: usize, now: i64, ages: Ages) -> Value {
    let id = session_id(n);
    let (atime, param_expiry) = match (ages, n % 20) {
        (Ages::Purge, 0..=5) => (now - 7200, None),
        (Ages::Purge, 6) => (now - 2000, Some(1800)),
        _ => (now - 60, None),
    };
    let mut pairs = vec![
        ("_SESSION_ID", Value::from(id.as_str())),
        ("_SESSION_CTIME", Value::from(atime - 600)),
        ("_SESSION_ATIME", Value::from(atime)),
        ("_SESSION_ETIME", Value::from(3600_i64)),
        ("_SESSION_REMOTE_ADDR", Value::from("192.0.2.7")),
        (
            "user",
            Value::hash([("name", "alice"), ("email", "alice@example.org")]),
        ),
        ("logged_in", Value::from(1_i64)),
        (
            "prefs",
            Value::hash([("lang", "en"), ("theme", "dark"), ("tz", "Europe/Paris")]),
        ),
        ("cart", Value::array(["SKU-000017", "SKU-000042"])),
    ];
    if let Some(seconds) = param_expiry {
        pairs.push((
            "_SESSION_EXPIRE_LIST",
            Value::hash([("logged_in", Value::from(seconds))]),
        ));
    }
    Value::hash(pairs)
}

/// The ids and records of the sessions `n` in `which`, in `config`'s serializer.
fn records<'a>(
    config: &'a Config,
    which: impl Iterator<Item = usize> + 'a,
    ages: Ages,
) -> impl Iterator<Item = (String, Vec<u8>)> + 'a {
    let now = config.now();
    which.map(move |n| {
        let data = session(n, now, ages);
        let bytes = config.serializer().freeze(&data).expect("freeze");
        (session_id(n), bytes)
    })
}

/// Stores the sessions `n` in `which` through `config`'s serializer and driver.
pub fn store_sessions(config: &Config, which: impl Iterator<Item = usize>, ages: Ages) {
    for (id, bytes) in records(config, which, ages) {
        config.driver().store(&id, &bytes).expect("store");
    }
}

/// Writes the sessions `n` in `which` straight into the file store `dir` (default
/// file name template) in `config`'s serializer: one `open`, `write` and `close`
/// each, without the driver's symlink checks and lock, to fill a large store fast.
pub fn write_files(config: &Config, dir: &Path, which: impl Iterator<Item = usize>, ages: Ages) {
    for (id, bytes) in records(config, which, ages) {
        let path = dir.join(format!("cgisess_{id}"));
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// Runs `perl benches/perl/SCRIPT ARGS...` and reads the one JSON object it prints,
/// or says why there is none.
pub fn perl_json<I, S>(script: &str, args: I) -> Result<serde_json::Value, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/perl")
        .join(script);
    let out = Command::new("perl")
        .arg(path)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run perl: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{script}'s report: {e}"))
}

/// Microseconds, one decimal.
pub fn micros(secs: f64) -> String {
    format!("{:.1}", secs * 1e6)
}
