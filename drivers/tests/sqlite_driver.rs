//! The `sqlite` driver on its own (spec §5.4, §5.7): Perl's retrieve rules, the BLOB
//! binding, atomic stores under concurrent writers, and a traversal whose callback
//! uses the driver it is called from.
#![cfg(feature = "sqlite")]

mod common;

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use cgi_session_drivers::dbi::{sqlite, Content};
use cgi_session_drivers::{Args, Driver, Error, SqliteDriver};
use common::{args, listed_ids};
use rusqlite::Connection;

/// A database in `dir` with the recommended table (or `schema` instead), and its args.
fn database(dir: &Path, schema: Option<&str>) -> Args {
    let path = dir.join("sessions.db");
    let a = args(&[(
        "DataSource",
        &format!("dbi:SQLite:dbname={}", path.display()),
    )]);
    match schema {
        Some(sql) => Connection::open(&path).unwrap().execute_batch(sql).unwrap(),
        None => drop(sqlite::create_table(&a, Content::Text, false).unwrap()),
    }
    a
}

fn open(dir: &Path) -> Connection {
    Connection::open(dir.join("sessions.db")).unwrap()
}

#[test]
fn records_round_trip_and_false_records_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let driver = SqliteDriver::from_args(&database(dir.path(), None)).unwrap();
    let record = b"\x00binary\xff record";
    driver.store("abc", record).unwrap();
    assert_eq!(
        driver.retrieve("abc").unwrap().as_deref(),
        Some(&record[..])
    );
    driver.store("abc", b"shorter").unwrap();
    assert_eq!(driver.retrieve("abc").unwrap().unwrap(), b"shorter");
    // spec §5.4: "" and "0" are "not found", "00" is data.
    for (id, data, found) in [
        ("e", &b""[..], false),
        ("z", b"0", false),
        ("zz", b"00", true),
    ] {
        driver.store(id, data).unwrap();
        assert_eq!(driver.retrieve(id).unwrap().is_some(), found, "{id}");
    }
    assert_eq!(driver.retrieve("nosuch").unwrap(), None);
    driver.remove("abc").unwrap();
    driver.remove("abc").unwrap();
    assert_eq!(driver.retrieve("abc").unwrap(), None);
    assert!(matches!(
        driver.store("", b"x"),
        Err(Error::InvalidId { .. })
    ));
}

#[test]
fn records_are_bound_as_blobs_and_text_rows_are_read() {
    // The table t/g4_sqlite.t creates.
    let schema = "CREATE TABLE sessions (id CHAR(32) NOT NULL PRIMARY KEY, a_session TEXT NULL)";
    let dir = tempfile::tempdir().unwrap();
    let driver = SqliteDriver::from_args(&database(dir.path(), Some(schema))).unwrap();
    driver.store("b", b"$D = {};;$D").unwrap();
    let conn = open(dir.path());
    let storage: String = conn
        .query_row(
            "SELECT typeof(a_session) FROM sessions WHERE id='b'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        storage, "blob",
        "spec §5.7: bound as SQL_BLOB, even in a TEXT column"
    );
    conn.execute_batch("INSERT INTO sessions VALUES ('t', 'text record'), ('n', NULL);")
        .unwrap();
    assert_eq!(driver.retrieve("t").unwrap().unwrap(), b"text record");
    assert_eq!(driver.retrieve("n").unwrap(), None);
}

#[test]
fn data_source_forms_and_names_reach_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let schema = "CREATE TABLE web (sid VARCHAR(64) PRIMARY KEY, data BLOB)";
    Connection::open(&path)
        .unwrap()
        .execute_batch(schema)
        .unwrap();
    let names = [
        ("TableName", "web"),
        ("IdColName", "sid"),
        ("DataColName", "data"),
    ];
    let forms = [
        path.display().to_string(),
        format!("dbi:SQLite:dbname={}", path.display()),
        format!("DBI:SQLite:db={};sqlite_unicode=1", path.display()),
        format!("dbi:SQLite:{}", path.display()),
        format!("dbi:SQLite:uri=file:{}?mode=rw", path.display()),
    ];
    for (n, source) in forms.iter().enumerate() {
        let mut a = args(&names);
        a.insert("DataSource".into(), source.clone());
        let driver = SqliteDriver::from_args(&a).unwrap_or_else(|e| panic!("{source}: {e}"));
        driver.store(&format!("id{n}"), b"x").unwrap();
        assert_eq!(listed_ids(&driver).len(), n + 1, "{source}");
    }
}

#[test]
fn traversal_pages_through_many_ids_while_the_callback_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let driver = SqliteDriver::from_args(&database(dir.path(), None)).unwrap();
    let conn = open(dir.path());
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)
         INSERT INTO sessions SELECT printf('id%05d', i), 'r' FROM n;",
    )
    .unwrap();
    let mut seen = Vec::new();
    driver
        .traverse(&mut |id| {
            // What find() does: load, and here delete, through the same driver.
            assert!(driver.retrieve(id).unwrap().is_some(), "{id}");
            driver.remove(id).unwrap();
            seen.push(id.to_owned());
            ControlFlow::Continue(())
        })
        .unwrap();
    let want: Vec<String> = (1..=1100).map(|i| format!("id{i:05}")).collect();
    assert_eq!(seen, want, "every id once, in id order");
    assert!(listed_ids(&driver).is_empty());
}

#[test]
fn traversal_stops_on_break_and_reads_integer_ids() {
    let dir = tempfile::tempdir().unwrap();
    let schema = "CREATE TABLE sessions (id INTEGER PRIMARY KEY, a_session BLOB NOT NULL);
                  INSERT INTO sessions VALUES (3, 'c'), (1, 'a'), (2, 'b');";
    let driver = SqliteDriver::from_args(&database(dir.path(), Some(schema))).unwrap();
    assert_eq!(listed_ids(&driver), ["1", "2", "3"]);
    assert_eq!(driver.retrieve("2").unwrap().unwrap(), b"b");
    let mut visits = 0;
    driver
        .traverse(&mut |_| {
            visits += 1;
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(visits, 1);
}

#[test]
fn concurrent_writers_of_the_same_ids_all_succeed() {
    // Each thread has its own driver, i.e. its own connection, like separate processes;
    // the 30 s busy timeout queues them, and BEGIN IMMEDIATE makes each store atomic,
    // with or without a primary key.
    for schema in [
        None,
        Some("CREATE TABLE sessions (id CHAR(32), a_session BLOB)"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let a = Arc::new(database(dir.path(), schema));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let a = Arc::clone(&a);
                std::thread::spawn(move || {
                    let driver = SqliteDriver::from_args(&a).unwrap();
                    for round in 0..15 {
                        for id in ["x1", "x2", "x3"] {
                            driver.store(id, format!("{w}:{round}").as_bytes()).unwrap();
                        }
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        let rows: i64 = open(dir.path())
            .query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3, "{schema:?}: one row per id, never a duplicate");
    }
}

#[test]
fn unusable_databases_and_tables_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = args(&[("DataSource", "/nonexistent/dir/s.db")]);
    let err = SqliteDriver::from_args(&a).err().unwrap().to_string();
    assert!(
        err.starts_with("sqlite driver: init(): database '/nonexistent/dir/s.db': "),
        "{err}"
    );
    let mut a = database(dir.path(), None);
    a.insert("TableName".into(), "elsewhere".into());
    let err = SqliteDriver::from_args(&a).err().unwrap().to_string();
    assert!(
        err.contains("table elsewhere (id, a_session)") && err.contains("no such table"),
        "{err}"
    );
    let err = SqliteDriver::from_args(&Args::new())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.starts_with("driver argument DataSource: is required"),
        "{err}"
    );
}
