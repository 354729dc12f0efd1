//! `cgisess init` and the library's `init`: the tables they create are ones Perl
//! 4.48 then uses, with every serializer.

use std::process::{Command, Output};

use cgi_session::Config;
use serde_json::json;

use crate::common::Oracle;
use crate::store::{Kind, Store};

fn cgisess(store: &Store, dsn: &str, extra: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cgisess"));
    command.args(["--dsn", dsn]);
    for (k, v) in store.args() {
        command.args(["-a", &format!("{k}={v}")]);
    }
    command.arg("init").args(extra);
    command.output().expect("run cgisess")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Perl writes into the table, reads its record back, and Rust reads it too.
fn perl_uses(oracle: &Oracle, store: &Store, serializer: &str) {
    let dsn = store.dsn(serializer);
    let what = format!("{:?} {serializer}", store.kind);
    let spec = json!({"params": {"bytes": {"str": "\u{ff}caf\u{e9}"}, "n": {"int": 7}}});
    let perl = oracle
        .new_session(&dsn, &store.args_json(), None, &spec)
        .unwrap_or_else(|e| panic!("{what}: Perl new in an init table: {e}"));
    let loaded = oracle
        .load(&dsn, &store.args_json(), &perl.id, true)
        .unwrap();
    assert!(!loaded.is_empty, "{what}: Perl reads its record back");
    let config = Config::new(Some(&dsn), store.args()).unwrap();
    let data = config
        .peek(&perl.id)
        .unwrap()
        .expect("Rust reads Perl's record");
    assert_eq!(data["n"].to_number().map(|n| n.as_i64()), Some(7), "{what}");
}

#[test]
fn cgisess_init_makes_tables_perl_uses() {
    let Some(oracle) = Oracle::get() else { return };
    for kind in [Kind::Sqlite, Kind::Postgresql, Kind::Mysql] {
        for serializer in ["default", "storable"] {
            let Some(mut store) = Store::new(kind, &format!("init_{serializer}")) else {
                return;
            };
            // The library call decides the column types; the CLI must agree with it.
            let dsn = store.dsn(serializer);
            store.use_serializer(serializer);
            let parsed = cgi_session::Dsn::parse(&dsn).unwrap();
            let planned =
                cgi_session::init::session_table_sql(&parsed, &store.args(), false).unwrap();

            let out = cgisess(&store, &dsn, &["--dry-run"]);
            assert!(out.status.success(), "{kind:?}: {}", stderr(&out));
            assert_eq!(stdout(&out), format!("{};\n", planned.sql));
            assert_eq!(store.rows_or_missing(), None, "--dry-run created nothing");

            let out = cgisess(&store, &dsn, &[]);
            assert!(
                out.status.success(),
                "{kind:?} {serializer}: {}",
                stderr(&out)
            );
            assert_eq!(stdout(&out), format!("{};\n", planned.sql));
            perl_uses(&oracle, &store, serializer);

            // Again: the table exists. An error, unless --if-not-exists.
            let out = cgisess(&store, &dsn, &[]);
            assert_eq!(out.status.code(), Some(1));
            let err = stderr(&out);
            assert!(
                err.starts_with("cgisess: error: creating the session table: "),
                "{err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            let out = cgisess(&store, &dsn, &["--if-not-exists"]);
            assert!(out.status.success(), "{}", stderr(&out));
            assert_eq!(
                store.rows_or_missing(),
                Some(1),
                "the existing table was kept"
            );
        }
    }
}

#[test]
fn cgisess_init_explains_what_postgresql_binary_tables_need() {
    let Some(store) = Store::new(Kind::Postgresql, "init_coltype") else {
        return;
    };
    let out = cgisess(
        &store,
        "driver:postgresql;serializer:storable",
        &["--dry-run"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("ColumnType=binary"),
        "{}",
        stderr(&out)
    );
    let out = cgisess(&store, "driver:file", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("keeps no SQL table"),
        "{}",
        stderr(&out)
    );
}
