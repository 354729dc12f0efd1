//! Perl 4.48 and Rust sharing one file/default store through whole sessions:
//! what one writes, the other loads to the same data, and each applies the other's
//! expiry settings the same way. Skips without Perl unless CGISESS_REQUIRE_ORACLE=1.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use cgi_session::{Args, Config, LoadOptions, Value};
use common::typed::first_difference;
use common::{to_typed, Oracle};
use serde_json::{json, Value as Json};

const DSN: &str = "driver:file;serializer:default";

fn args_json(dir: &Path) -> Json {
    json!({ "Directory": dir.to_str().unwrap() })
}

fn config(dir: &Path) -> Config {
    Config::new(
        Some(DSN),
        Args::from([("Directory".into(), dir.display().to_string())]),
    )
    .unwrap()
}

/// A config whose clock the test sets.
fn clocked(dir: &Path, dsn: &str) -> (Config, Arc<AtomicI64>) {
    let now = Arc::new(AtomicI64::new(unix_now()));
    let clock = now.clone();
    let config = Config::builder(Some(dsn))
        .arg("Directory", dir.display().to_string())
        .clock(move || clock.load(Ordering::SeqCst))
        .build()
        .unwrap();
    (config, now)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn assert_same(got: &Json, want: &Json) {
    if let Some(diff) = first_difference(got, want) {
        panic!("Perl and Rust disagree at {diff}\n got: {got}\nwant: {want}");
    }
}

/// Session data that exercises every kind the default serializer carries.
fn rich_params() -> Vec<(&'static str, Value)> {
    let shared = Value::blessed("My::Item", Value::hash([("name", "x")]));
    vec![
        ("user", Value::from("alice")),
        ("bytes", Value::bytes(b"caf\xc3\xa9 \x00\n'\\".to_vec())),
        ("latin1", Value::bytes(b"caf\xe9".to_vec())),
        ("wide", Value::from("smile \u{263a} $x @y \"q\"")),
        ("int", Value::Int(-42)),
        ("big", Value::Int(12_345_678_901)),
        ("float", Value::Float(3.25)),
        ("numeric_string", Value::from("007")),
        ("undef", Value::Undef),
        (
            "nested",
            Value::hash([(
                "list",
                Value::array([Value::Int(1), Value::hash([("deep", "y")])]),
            )]),
        ),
        (
            "object",
            Value::blessed("My::Cart", Value::array([Value::Int(1), Value::Int(2)])),
        ),
        (
            "shared",
            Value::array([Value::Undef, shared.clone(), shared]),
        ),
        ("sref", Value::scalar_ref(Value::scalar_ref("inner"))),
    ]
}

/// [`rich_params`] as the oracle's `new` takes them.
fn rich_params_typed() -> serde_json::Map<String, Json> {
    rich_params()
        .into_iter()
        .map(|(k, v)| (k.to_string(), to_typed(&v)))
        .collect()
}

#[test]
fn perl_loads_what_rust_wrote() {
    let Some(perl) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let mut session = config
        .new_with(&LoadOptions {
            remote_addr: Some("192.0.2.7".into()),
            ..LoadOptions::default()
        })
        .unwrap();
    for (name, value) in rich_params() {
        session.set_param(name, value).unwrap();
    }
    session.expire(7200).unwrap();
    session.expire_param("user", "+30m").unwrap();
    session.flush().unwrap();
    let id = session.id().unwrap();

    // Both read the stored record to the same data. (Data::Dumper quotes long integers
    // and floats, so both read those back as strings, as Perl alone would.)
    let stored = config.peek(&id).unwrap().unwrap();
    let loaded = perl.load(DSN, &args_json(dir.path()), &id, true).unwrap();
    assert!(!loaded.is_empty && !loaded.is_expired, "{loaded:?}");
    assert_eq!(loaded.id, json!({ "str": id }));
    assert_same(&loaded.data, &to_typed(&stored));
    let data = &loaded.data["hash"];
    assert_eq!(data["_SESSION_REMOTE_ADDR"], json!({ "str": "192.0.2.7" }));
    assert_eq!(data["big"], json!({ "str": "12345678901" }));
    assert_eq!(
        data["wide"],
        json!({ "utf8": "smile \u{263a} $x @y \"q\"" })
    );
    assert_eq!(
        data["bytes"],
        to_typed(&Value::bytes(b"caf\xc3\xa9 \x00\n'\\".to_vec()))
    );
    assert_eq!(loaded.flush_error, None);
}

/// A record that shrinks is cut to its new length in place (the write comes before the
/// cut, unlike Perl's truncate-then-write), and with `AtomicWrite` replaced by a
/// renamed file: either way Perl reads exactly the new, shorter record.
#[test]
fn perl_reads_a_shrunken_record_in_place_and_with_atomic_write() {
    let Some(perl) = Oracle::get() else { return };
    for atomic in ["0", "1"] {
        let dir = tempfile::tempdir().unwrap();
        let mut args = Args::from([("Directory".into(), dir.path().display().to_string())]);
        args.insert("AtomicWrite".into(), atomic.into());
        let config = Config::new(Some(DSN), args).unwrap();
        let mut session = config.new_session(None).unwrap();
        session.set_param("short", "kept").unwrap();
        session.set_param("long", "x".repeat(4000)).unwrap();
        session.flush().unwrap();
        let id = session.id().unwrap();
        session.clear(["long"]);
        session.flush().unwrap();

        let stored = config.peek(&id).unwrap().unwrap();
        let loaded = perl.load(DSN, &args_json(dir.path()), &id, true).unwrap();
        assert!(!loaded.is_empty, "AtomicWrite={atomic}: {loaded:?}");
        assert_same(&loaded.data, &to_typed(&stored));
        let data = &loaded.data["hash"];
        assert_eq!(
            data["short"],
            json!({ "str": "kept" }),
            "AtomicWrite={atomic}"
        );
        assert!(data.get("long").is_none(), "AtomicWrite={atomic}: {data}");
    }
}

#[test]
fn rust_loads_what_perl_wrote() {
    let Some(perl) = Oracle::get() else { return };
    let perl = perl.with_env("REMOTE_ADDR", "198.51.100.1");
    let dir = tempfile::tempdir().unwrap();
    let params = rich_params_typed();
    let created = perl
        .new_session(
            DSN,
            &args_json(dir.path()),
            None,
            &json!({ "params": params, "expire": 7200, "expire_params": { "user": "+30m" } }),
        )
        .unwrap();

    let config = config(dir.path());
    let session = config
        .load_with(&LoadOptions {
            read_only: true,
            ..LoadOptions::claim(&created.id)
        })
        .unwrap();
    assert_eq!(session.id().as_deref(), Some(created.id.as_str()));
    let perl_view = perl
        .load(DSN, &args_json(dir.path()), &created.id, true)
        .unwrap();
    assert_same(
        &to_typed(&Value::from(session.data().clone())),
        &perl_view.data,
    );
    assert_eq!(session.remote_addr(), "198.51.100.1");
    assert!(session.param("shared").unwrap()[1].same_ref(&session.param("shared").unwrap()[2]));
}

#[test]
fn a_perl_session_loaded_and_flushed_by_rust_reads_the_same_in_perl() {
    let Some(perl) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let params = rich_params_typed();
    let created = perl
        .new_session(
            DSN,
            &args_json(dir.path()),
            None,
            &json!({ "params": params, "expire": "3600" }),
        )
        .unwrap();

    let before = perl
        .load(DSN, &args_json(dir.path()), &created.id, true)
        .unwrap();

    // A normal load refreshes ATIME and marks the session dirty, so the flush rewrites
    // the whole record — the everyday case of a Rust page touching a Perl session.
    let (config, now) = clocked(dir.path(), DSN);
    now.fetch_add(5, Ordering::SeqCst);
    let mut session = config.load(Some(&created.id)).unwrap();
    session.flush().unwrap();

    let after = perl
        .load(DSN, &args_json(dir.path()), &created.id, true)
        .unwrap();
    let mut want = before.data.clone();
    want["hash"]["_SESSION_ATIME"] = json!({ "int": now.load(Ordering::SeqCst) });
    assert_same(&after.data, &want);
    // expire('3600') stored a string; Rust kept it one (Perl's own load would numify it).
    let record = std::fs::read(dir.path().join(format!("cgisess_{}", created.id))).unwrap();
    let record = String::from_utf8_lossy(&record);
    assert!(record.contains("'_SESSION_ETIME' => '3600'"), "{record}");
}

#[test]
fn perl_expires_a_session_by_the_timeout_rust_stored() {
    let Some(perl) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (config, now) = clocked(dir.path(), DSN);
    // Written 100 s ago with a 60 s timeout: expired for Perl's real clock now.
    now.fetch_sub(100, Ordering::SeqCst);
    let mut session = config.new_session(None).unwrap();
    session.set_param("x", 1).unwrap();
    session.expire("+1m").unwrap();
    session.flush().unwrap();
    let id = session.id().unwrap();

    let loaded = perl.load(DSN, &args_json(dir.path()), &id, false).unwrap();
    assert!(loaded.is_expired && loaded.is_empty, "{loaded:?}");
    assert!(
        !dir.path().join(format!("cgisess_{id}")).exists(),
        "Perl removed the record"
    );
}

#[test]
fn rust_expires_what_perl_stored_and_perl_sees_the_result() {
    let Some(perl) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let created = perl
        .new_session(
            DSN,
            &args_json(dir.path()),
            None,
            &json!({
                "params": { "token": { "str": "t" }, "name": { "str": "n" } },
                "expire": "+1h",
                "expire_params": { "token": "10s" }
            }),
        )
        .unwrap();
    let (config, now) = clocked(dir.path(), DSN);

    // 20 s later: the parameter expired, the session did not.
    now.fetch_add(20, Ordering::SeqCst);
    let mut session = config.load(Some(&created.id)).unwrap();
    assert!(session.param("token").is_none());
    assert_eq!(
        session.expire_list().unwrap().len(),
        1,
        "the list entry stays, as in Perl"
    );
    session.flush().unwrap();
    let loaded = perl
        .load(DSN, &args_json(dir.path()), &created.id, true)
        .unwrap();
    assert!(loaded.data["hash"].get("token").is_none());
    assert_eq!(loaded.data["hash"]["name"], json!({ "str": "n" }));
    assert_eq!(
        loaded.data["hash"]["_SESSION_EXPIRE_LIST"],
        json!({ "hash": { "token": { "int": 10 } } })
    );

    // Two hours after that access: the whole session is gone for Rust, and for Perl.
    now.fetch_add(7201, Ordering::SeqCst);
    let expired = config.load(Some(&created.id)).unwrap();
    assert!(expired.is_expired() && expired.is_empty());
    let gone = perl
        .load(DSN, &args_json(dir.path()), &created.id, true)
        .unwrap();
    assert!(
        gone.is_empty && !gone.is_expired,
        "no record left: {gone:?}"
    );
}

#[test]
fn perl_reads_incr_ids_rust_generated_as_integers() {
    let Some(perl) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let id_file = dir.path().join("cgisess.id");
    let dsn = "driver:file;serializer:default;id:incr";
    let config = Config::builder(Some(dsn))
        .arg("Directory", dir.path().display().to_string())
        .arg("IDFile", id_file.display().to_string())
        .arg("IDInit", "1000")
        .build()
        .unwrap();
    let mut session = config.new_session(None).unwrap();
    session.flush().unwrap();
    assert_eq!(session.id().as_deref(), Some("1001"));

    let args = json!({ "Directory": dir.path().to_str().unwrap(), "IDFile": id_file.to_str().unwrap(), "IDInit": 1000 });
    let loaded = perl.load(dsn, &args, "1001", true).unwrap();
    assert_eq!(loaded.id, json!({ "int": 1001 }));
    // Perl's next id continues the shared counter.
    let next = perl.new_session(dsn, &args, None, &json!({})).unwrap();
    assert_eq!(next.id, "1002");
}

#[test]
fn sessions_made_and_edited_with_cgisess_are_perls_too() {
    let Some(perl) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cgisess"))
            .args([
                "--dsn",
                DSN,
                "-a",
                &format!("Directory={}", dir.path().display()),
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let id = cli(&[
        "new",
        "--set",
        "user=alice",
        "--set-json",
        r#"cart=[1,{"sku":"é"}]"#,
        "--expire",
        "1h",
    ]);
    let id = id.trim();
    let loaded = perl.load(DSN, &args_json(dir.path()), id, true).unwrap();
    let data = &loaded.data["hash"];
    assert_eq!(data["user"], json!({ "str": "alice" }));
    assert_eq!(
        data["cart"]["array"][1]["hash"]["sku"],
        json!({ "str": "\u{c3}\u{a9}" }),
        "a JSON string is UTF-8 bytes to Perl, as --set stores them"
    );
    assert_eq!(data["_SESSION_ETIME"], json!({ "int": 3600 }));

    // cgisess set on a Perl session keeps its ATIME; Perl sees the new value.
    let created = perl
        .new_session(
            DSN,
            &args_json(dir.path()),
            None,
            &json!({ "params": { "n": { "int": 1 } } }),
        )
        .unwrap();
    cli(&["set", &created.id, "n=2"]);
    let loaded = perl
        .load(DSN, &args_json(dir.path()), &created.id, true)
        .unwrap();
    assert_eq!(loaded.data["hash"]["n"], json!({ "str": "2" }));
    assert_eq!(
        loaded.data["hash"]["_SESSION_ATIME"],
        created.data["hash"]["_SESSION_ATIME"]
    );
    cli(&["delete", &created.id]);
    assert!(
        perl.load(DSN, &args_json(dir.path()), &created.id, true)
            .unwrap()
            .is_empty
    );
}

#[test]
fn perl_find_and_rust_find_agree_on_what_to_purge() {
    // The oracle only gates this test: find() is driven by a Perl one-liner.
    let Some(_) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (config, now) = clocked(dir.path(), DSN);
    now.fetch_sub(1000, Ordering::SeqCst);
    let mut keep = Vec::new();
    for i in 0..6 {
        let mut s = config.new_session(None).unwrap();
        s.set_param("i", i).unwrap();
        // Even sessions expire 10 s after their (past) access; odd ones in a day.
        s.expire(if i % 2 == 0 { "10s" } else { "1d" }).unwrap();
        s.flush().unwrap();
        if i % 2 == 1 {
            keep.push(s.id().unwrap());
        }
    }
    // Perl's find() housekeeping deletes the expired ones...
    let script = r#"
        use CGI::Session;
        CGI::Session->find('driver:file', sub { }, { Directory => $ARGV[0] }) or die CGI::Session->errstr;
    "#;
    let status = Command::new("perl")
        .args(["-e", script, dir.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    // ...and what is left is exactly what Rust's find() leaves.
    let mut left = Vec::new();
    let (rust_view, _) = clocked(dir.path(), DSN);
    let summary = rust_view
        .find(|s| {
            left.push(s.id().unwrap());
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(summary.expired, 0, "Perl already removed them");
    left.sort();
    keep.sort();
    assert_eq!(left, keep);
}
