//! Freeze and thaw of a realistic session, every serializer, Rust against Perl
//! 4.48's own modules in the same run (issue 3). Run with
//!
//! ```text
//! cargo bench --bench serializers            # 10 KB and 1 MB sessions
//! CGISESS_BENCH_MIN_TIME=0.2 cargo bench --bench serializers   # quicker, noisier
//! ```
//!
//! The session is built once in Rust, written in the default format, and handed to
//! `benches/perl/serializers.pl`, which thaws it with Perl's own default serializer;
//! both sides then time the same data. Each figure is seconds per call over at
//! least `CGISESS_BENCH_MIN_TIME` seconds (default 1) of back-to-back calls; the
//! ratio is Perl's time over Rust's (above 1: Rust is faster).

mod support;

use std::process::Command;
use std::time::Duration;

use cgi_session::registry;
use cgi_session_serializers::{Serializer, Value};
use support::{micros, per_op};

/// Serializers Perl has a module for (4.48's three, the yaml distribution, and the
/// json module this project ships in perl/lib).
const SERIALIZERS: &[&str] = &["default", "storable", "freezethaw", "yaml", "json"];

/// A session as a shop application keeps it: the `_SESSION_*` keys, a user
/// profile, preferences, and a cart of `items` line items (each about 200 bytes
/// in the default format) with strings, integers, floats and nested lists.
fn session(items: usize) -> Value {
    let line = |n: usize| {
        Value::hash([
            ("sku", Value::from(format!("SKU-{n:06}"))),
            ("title", format!("Item number {n}, a thing to buy").into()),
            ("qty", Value::from((n % 7 + 1) as i64)),
            ("price", Value::from(9.99 + n as f64)),
            ("tags", Value::array(["gift", "sale", "new"])),
            // Form input reaches a CGI program as UTF-8 bytes.
            ("note", Value::bytes("caf\u{e9} \u{263a} d\u{e9}j\u{e0} vu")),
        ])
    };
    Value::hash([
        (
            "_SESSION_ID",
            Value::from("0123456789abcdef0123456789abcdef"),
        ),
        ("_SESSION_CTIME", Value::from(1_795_293_613_i64)),
        ("_SESSION_ATIME", Value::from(1_795_293_700_i64)),
        ("_SESSION_ETIME", Value::from(7200_i64)),
        ("_SESSION_REMOTE_ADDR", Value::from("192.0.2.7")),
        (
            "_SESSION_EXPIRE_LIST",
            Value::hash([("logged_in", Value::from(1800_i64))]),
        ),
        (
            "user",
            Value::hash([("name", "alice"), ("email", "alice@example.org")]),
        ),
        ("logged_in", Value::from(1_i64)),
        (
            "prefs",
            Value::hash([("lang", "en"), ("theme", "dark"), ("tz", "Europe/Paris")]),
        ),
        ("cart", Value::array((0..items).map(line))),
    ])
}

struct Figures {
    bytes: usize,
    freeze: f64,
    thaw: f64,
}

fn rust_figures(serializer: &dyn Serializer, data: &Value, min: Duration) -> Figures {
    let frozen = serializer.freeze(data).expect("freeze");
    serializer.thaw(&frozen).expect("thaw of our own output");
    Figures {
        bytes: frozen.len(),
        freeze: per_op(min, |_| {
            std::hint::black_box(serializer.freeze(data).unwrap());
        }),
        thaw: per_op(min, |_| {
            std::hint::black_box(serializer.thaw(&frozen).unwrap());
        }),
    }
}

/// Perl's figures for the same session, or why there are none.
fn perl_figures(input: &[u8], names: &[&str], min: Duration) -> Result<serde_json::Value, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("session.dumper");
    std::fs::write(&path, input).map_err(|e| e.to_string())?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/perl/serializers.pl");
    let out = Command::new("perl")
        .arg(script)
        .arg("--input")
        .arg(&path)
        .args(["--serializers", &names.join(",")])
        .args(["--min-time", &min.as_secs_f64().to_string()])
        .output()
        .map_err(|e| format!("cannot run perl: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn main() {
    let min = support::min_time();
    let names: Vec<&str> = SERIALIZERS
        .iter()
        .copied()
        .filter(|name| registry::serializer_names().contains(name))
        .collect();
    println!("| session | serializer | bytes | op | Rust µs | Perl µs | Perl/Rust |");
    println!("|---|---|---|---|---|---|---|");
    for (label, items) in [("10 KB", 45), ("1 MB", 4700)] {
        let data = session(items);
        let default = registry::serializer("default", "default").unwrap();
        let input = default.freeze(&data).expect("default freeze");
        let perl = perl_figures(&input, &names, min);
        if let Err(why) = &perl {
            eprintln!("Perl figures unavailable: {why}");
        }
        for name in &names {
            let serializer = registry::serializer(name, name).unwrap();
            let rust = rust_figures(serializer.as_ref(), &data, min);
            for (op, rust_secs) in [("freeze", rust.freeze), ("thaw", rust.thaw)] {
                let perl_secs = perl.as_ref().ok().and_then(|p| p[name][op].as_f64());
                let (perl_text, ratio) = match perl_secs {
                    Some(p) => (micros(p), format!("{:.1}x", p / rust_secs)),
                    None => ("-".into(), "-".into()),
                };
                println!(
                    "| {label} | {name} | {} | {op} | {} | {perl_text} | {ratio} |",
                    rust.bytes,
                    micros(rust_secs)
                );
            }
        }
    }
}
