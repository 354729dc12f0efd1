//! The db_file driver through whole sessions, shared with Perl 4.48 (spec §5.3):
//! Perl's Test::Default battery (its g4_dbfile* matrix), sessions written by one
//! side and loaded by the other, the `.lck` protocol against Perl's own locks, Perl
//! and Rust writers hammering one database, `find()` over a Perl database, and the
//! Perl-written fixtures in `compat-fixtures/db_file/`.
#![cfg(feature = "db_file")]

mod common;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cgi_session::{Args, Config, LoadOptions, Value};
use cgi_session_drivers::{DbFileDriver, Driver};
use common::hammer::{run_mixed, Plan};
use common::typed::first_difference;
use common::{fixtures, to_typed, LockMode, Oracle};
use serde_json::{json, Value as Json};

/// Driver args naming the database by `FileName` alone (the directory comes from it),
/// as Perl's t/g4_dbfile.t does.
fn args(db: &Path) -> Args {
    Args::from([("FileName".to_string(), db.display().to_string())])
}

fn args_json(db: &Path) -> Json {
    json!({ "FileName": db.to_str().unwrap() })
}

fn dsn(serializer: &str) -> String {
    format!("driver:db_file;serializer:{serializer}")
}

fn stored_ids(db: &Path) -> Vec<String> {
    common::listed_ids(&DbFileDriver::from_args(&args(db)).unwrap())
}

fn assert_same(got: &Json, want: &Json) {
    if let Some(diff) = first_difference(got, want) {
        panic!("Perl and Rust disagree at {diff}\n got: {got}\nwant: {want}");
    }
}

// ------------------------------------------------------------------ Test::Default

fn battery(serializer: &str) {
    let tmp = tempfile::tempdir().unwrap();
    // t/g4_dbfile.t: FileName => t/sessiondata/cgisess.db; the driver makes the directory.
    let db = tmp.path().join("sessiondata/cgisess.db");
    common::battery::run_default_battery(&dsn(serializer), args(&db));
    // Every session the battery made is gone again (expired, removed or deleted).
    assert_eq!(stored_ids(&db), Vec::<String>::new());
}

#[test]
fn g4_default_battery_on_db_file_with_default() {
    battery("default");
}

#[test]
fn g4_default_battery_on_db_file_with_storable() {
    battery("storable");
}

#[test]
fn g4_default_battery_on_db_file_with_freezethaw() {
    battery("freezethaw");
}

#[test]
fn g4_default_battery_on_db_file_with_yaml() {
    battery("yaml");
}

#[test]
fn perls_dsn_spellings_select_db_file() {
    let tmp = tempfile::tempdir().unwrap();
    for spelling in ["DR:db_file", "driver:DB_File", "d:DB_File;id:md5"] {
        let config = Config::new(Some(spelling), args(&tmp.path().join("x.db"))).unwrap();
        assert_eq!(config.driver().name(), "db_file", "{spelling}");
    }
}

// ------------------------------------------------------------------ live with Perl

/// Session data of every kind, binary bytes included. With FreezeThaw a wide
/// character makes Perl's frozen string a character string, and DB_File dies on it
/// (spec §5.3, §7.3): that session stays out of its store.
fn params(serializer: &str) -> Vec<(&'static str, Value)> {
    let mut all_bytes: Vec<u8> = (0..=255).collect();
    all_bytes.extend(b"\r\n\0'\\");
    let mut params = vec![
        ("user", Value::from("alice")),
        ("binary", Value::bytes(all_bytes)),
        ("wide", Value::from("smile \u{263a}")),
        ("int", Value::Int(-42)),
        (
            "nested",
            Value::hash([("list", Value::array([Value::Int(1), Value::from("two")]))]),
        ),
        (
            "object",
            Value::blessed("My::Cart", Value::array([Value::Int(1), Value::Int(2)])),
        ),
    ];
    if serializer == "freezethaw" {
        params.retain(|(name, _)| *name != "wide");
    }
    params
}

fn params_typed(serializer: &str) -> serde_json::Map<String, Json> {
    params(serializer)
        .into_iter()
        .map(|(k, v)| (k.to_string(), to_typed(&v)))
        .collect()
}

/// The serializers both sides write to db_file here.
fn live_serializers() -> Vec<&'static str> {
    common::PERL_SERIALIZERS.to_vec()
}

/// Perl's thaw of the record as it lies in the database: what Perl reads, before
/// `load` numifies ATIME and ETIME in place (tests/oracle/README.md).
fn perl_reading(perl: &Oracle, serializer: &str, db: &Path, id: &str) -> Json {
    let record = DbFileDriver::from_args(&args(db))
        .unwrap()
        .retrieve(id)
        .unwrap()
        .unwrap_or_else(|| panic!("no record for {id}"));
    perl.thaw_bytes(serializer, &record).unwrap()
}

#[test]
fn rust_loads_what_perl_wrote() {
    let Some(perl) = Oracle::get() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for serializer in live_serializers() {
        let db = tmp.path().join(serializer).join("cgisess.db");
        let spec = json!({ "params": params_typed(serializer), "expire": 7200 });
        let created = perl
            .new_session(&dsn(serializer), &args_json(&db), None, &spec)
            .unwrap();
        let config = Config::new(Some(&dsn(serializer)), args(&db)).unwrap();
        let session = config
            .load_with(&LoadOptions {
                read_only: true,
                ..LoadOptions::claim(&created.id)
            })
            .unwrap();
        assert_eq!(session.id().as_deref(), Some(created.id.as_str()));
        assert!(!session.is_empty(), "{serializer}");
        assert_same(
            &to_typed(&Value::from(session.data().clone())),
            &perl_reading(&perl, serializer, &db, &created.id),
        );
    }
}

#[test]
fn perl_loads_what_rust_wrote_and_rust_reads_perls_update() {
    let Some(perl) = Oracle::get() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for serializer in live_serializers() {
        let db = tmp.path().join(serializer).join("cgisess.db");
        let config = Config::new(Some(&dsn(serializer)), args(&db)).unwrap();
        let mut session = config.new_session(None).unwrap();
        for (name, value) in params(serializer) {
            session.set_param(name, value).unwrap();
        }
        session.expire(3600).unwrap();
        session.flush().unwrap();
        let id = session.id().unwrap();

        let loaded = perl
            .load(&dsn(serializer), &args_json(&db), &id, true)
            .unwrap();
        assert!(
            !loaded.is_empty && !loaded.is_expired,
            "{serializer}: {loaded:?}"
        );
        let stored = config.peek(&id).unwrap().unwrap();
        assert_same(
            &perl_reading(&perl, serializer, &db, &id),
            &to_typed(&stored),
        );

        // Perl's load (not read-only) rewrites the record with its ATIME; Rust reads that.
        let loaded = perl
            .load(&dsn(serializer), &args_json(&db), &id, false)
            .unwrap();
        assert_eq!(loaded.flush_error, None, "{serializer}");
        let again = config.peek(&id).unwrap().unwrap();
        assert_same(
            &to_typed(&again),
            &perl_reading(&perl, serializer, &db, &id),
        );
        assert_eq!(again.get("user"), stored.get("user"));
    }
}

#[test]
fn rust_waits_for_perls_lock_on_the_lock_file() {
    let Some(perl) = Oracle::get() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("cgisess.db");
    let config = Config::new(Some("driver:db_file"), args(&db)).unwrap();
    let mut session = config.new_session(None).unwrap();
    session.set_param("n", 1).unwrap();
    session.flush().unwrap();
    let id = session.id().unwrap();
    let lock_file = PathBuf::from(format!("{}.lck", db.display()));
    let hold = Duration::from_millis(700);

    // Perl's LOCK_EX (what its store and remove take): Rust's write waits.
    let holder = perl.lock(&lock_file, LockMode::Exclusive, hold);
    let start = Instant::now();
    let mut session = config.load(Some(&id)).unwrap();
    session.set_param("n", 2).unwrap();
    session.flush().unwrap();
    assert!(
        start.elapsed() >= hold - Duration::from_millis(150),
        "did not wait"
    );
    holder.wait_released();

    // Perl's LOCK_SH (what its retrieve takes): Rust reads at once, writes wait.
    let holder = perl.lock(&lock_file, LockMode::Shared, hold);
    let start = Instant::now();
    let data = config.peek(&id).unwrap().unwrap();
    assert!(start.elapsed() < hold / 2, "a reader waited for a reader");
    assert_eq!(
        data.get("n").and_then(Value::to_number).unwrap().as_i64(),
        2
    );
    config.driver().remove(&id).unwrap();
    assert!(
        start.elapsed() >= hold - Duration::from_millis(150),
        "remove did not wait"
    );
    holder.wait_released();
    assert_eq!(config.peek(&id).unwrap(), None);
}

#[test]
#[ignore = "a child process of the concurrency tests, run by them"]
fn hammer_child() {
    common::hammer::child_main();
}

#[test]
fn perl_and_rust_writers_share_a_db_file_without_losing_sessions() {
    let Some(oracle) = Oracle::get() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for serializer in ["default", "storable"] {
        // The database does not exist yet: the writers also race to create it.
        let db = tmp.path().join(serializer).join("hammer.db");
        let plan = Plan {
            dsn: format!("driver:db_file;serializer:{serializer};id:static"),
            args: args_json(&db),
            ids: (1..=4).map(|n| format!("shared{n}")).collect(),
            count: 15,
            ..Plan::default()
        };
        run_mixed(&oracle, &plan, "hammer_child", 2, 2)
            .unwrap_or_else(|e| panic!("{serializer}:\n{e}"));
        assert_eq!(
            stored_ids(&db),
            ["shared1", "shared2", "shared3", "shared4"]
        );
    }
}

#[test]
fn find_over_a_perl_database_removes_what_expired() {
    let Some(perl) = Oracle::get() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("cgisess.db");
    let mut ids = Vec::new();
    for n in 0..6 {
        let spec = if n % 2 == 0 {
            json!({ "params": { "n": { "int": n } }, "expire": "+1h" })
        } else {
            json!({ "params": { "n": { "int": n } } })
        };
        let created = perl.new_session("driver:db_file", &args_json(&db), None, &spec);
        ids.push(created.unwrap().id);
    }
    // Two hours on, the even sessions have expired; find() removes them while it walks,
    // through the very driver that is traversing.
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 7200;
    let config = Config::builder(Some("driver:db_file"))
        .args(args(&db))
        .clock(move || later)
        .build()
        .unwrap();
    let mut seen = 0;
    let summary = config
        .find(|_| {
            seen += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!((summary.visited, summary.expired, seen), (6, 3, 6));
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    let mut odd: Vec<String> = ids.iter().skip(1).step_by(2).cloned().collect();
    odd.sort();
    assert_eq!(stored_ids(&db), odd);
    let kept = perl
        .load("driver:db_file", &args_json(&db), &odd[0], true)
        .unwrap();
    assert!(!kept.is_empty);
    let gone = perl
        .load("driver:db_file", &args_json(&db), &ids[0], true)
        .unwrap();
    assert!(gone.is_empty, "{gone:?}");
}

// ------------------------------------------------------------------ fixtures

/// The Perl-written databases of `compat-fixtures/db_file/`, with their serializers.
const FIXTURE_SETS: &[(&str, &str)] = &[
    ("db_file/default", "default"),
    ("db_file/storable", "storable"),
];

/// A copy of a fixture database (reading it would leave a lock file beside it, and
/// loads write).
fn fixture_copy(set: &str, dir: &Path) -> PathBuf {
    let db = dir.join(set).join("cgisess.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::copy(fixtures::dir(set).join("cgisess.db"), &db).unwrap();
    db
}

#[test]
fn rust_reads_every_record_of_perls_db_file_fixtures_as_perl_does() {
    let tmp = tempfile::tempdir().unwrap();
    for (set, serializer) in FIXTURE_SETS {
        let db = fixture_copy(set, tmp.path());
        let driver = DbFileDriver::from_args(&args(&db)).unwrap();
        fixtures::assert_store_holds_set(&driver, set, serializer);
    }
}

/// Rust's rewrite of every fixture record, stored into the database, loads in Perl as
/// the same data as Perl's own record.
#[test]
fn perl_loads_rust_rewrites_of_the_fixtures_as_the_originals() {
    let Some(perl) = Oracle::get() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for (set, serializer) in FIXTURE_SETS {
        let original = fixture_copy(set, &tmp.path().join("original"));
        let rewritten = fixture_copy(set, &tmp.path().join("rewritten"));
        let driver = DbFileDriver::from_args(&args(&rewritten)).unwrap();
        fixtures::assert_perl_loads_rewrites(
            &perl,
            &dsn(serializer),
            set,
            serializer,
            &driver,
            &args_json(&rewritten),
            &args_json(&original),
        );
    }
}
