//! Failures a user meets: each is one clear error naming what failed (the driver, the
//! server or file, the table), never a panic.

use cgi_session::drivers::Error as DriverError;
use cgi_session::{Args, Config, Error};
use serde_json::json;

use crate::common::services::pg_conninfo;
use crate::common::Oracle;
use crate::store::{Kind, Store};

/// `Config::new`'s error for `driver` with `args`, which must fail.
fn open_error(driver: &str, args: &Args) -> Error {
    match Config::new(Some(&format!("driver:{driver}")), args.clone()) {
        Ok(_) => panic!("driver:{driver} with {args:?} opened"),
        Err(e) => e,
    }
}

/// Asserts a backend error of `driver` whose message holds every one of `parts`.
fn assert_backend(err: &Error, driver: &str, parts: &[&str]) {
    let text = err.to_string();
    assert!(
        matches!(err, Error::Driver(DriverError::Backend { driver: d, .. }) if *d == driver),
        "not a {driver} backend error: {text}"
    );
    for part in parts {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
    assert_eq!(text.lines().count(), 1, "one line: {text}");
}

fn assert_bad_arg(err: &Error, option: &str) {
    assert!(
        matches!(err, Error::Driver(DriverError::BadArg { name, .. }) if name == option),
        "not a {option} error: {err}"
    );
}

/// The store's arguments with some replaced.
fn with(store: &Store, extra: &[(&str, &str)]) -> Args {
    let mut args = store.args();
    for (k, v) in extra {
        args.insert(k.to_string(), v.to_string());
    }
    args
}

#[test]
fn unreachable_servers_are_named() {
    for kind in [Kind::Postgresql, Kind::Mysql] {
        let Some(store) = Store::new(kind, "unreachable") else {
            continue;
        };
        let source = match kind {
            Kind::Postgresql => "dbi:Pg:dbname=test;host=127.0.0.1;port=1",
            _ => "dbi:mysql:database=test;host=127.0.0.1;port=1",
        };
        let err = open_error(kind.driver(), &with(&store, &[("DataSource", source)]));
        assert_backend(
            &err,
            kind.driver(),
            &["couldn't connect", "127.0.0.1:1", "\"test\""],
        );
    }
}

#[test]
fn wrong_credentials_are_named() {
    if let Some(store) = Store::new(Kind::Postgresql, "creds") {
        // The server here trusts local users, so a wrong user is what it refuses.
        let err = open_error("postgresql", &with(&store, &[("User", "no_such_role")]));
        assert_backend(&err, "postgresql", &["couldn't connect", "no_such_role"]);
    }
    if let Some(store) = Store::new(Kind::Mysql, "creds") {
        let err = open_error("mysql", &with(&store, &[("Password", "wrong password")]));
        assert_backend(&err, "mysql", &["couldn't connect", "Access denied"]);
    }
}

#[test]
fn missing_tables_are_named() {
    for kind in [Kind::Sqlite, Kind::Postgresql, Kind::Mysql] {
        let Some(store) = Store::new(kind, "missing") else {
            continue;
        };
        // The store's table was never created.
        let err = open_error(kind.driver(), &store.args());
        assert_backend(&err, kind.driver(), &["init()", &store.table]);
    }
}

#[test]
fn bad_arguments_are_refused_before_any_sql() {
    // Valid data sources of servers that are not there: the argument must be refused
    // before any connection is tried.
    let base = |driver: &str| match driver {
        "sqlite" => "dbi:SQLite:dbname=/nonexistent/sessions.db",
        "postgresql" => "dbi:Pg:dbname=test;host=127.0.0.1;port=1",
        _ => "dbi:mysql:database=test;host=127.0.0.1;port=1",
    };
    for (driver, name, value) in [
        ("sqlite", "DataSource", "dbi:Pg:dbname=test"),
        ("sqlite", "DataSource", ""),
        ("postgresql", "DataSource", "test"),
        ("postgresql", "DataSource", "dbi:Pg:nosuchkey=1"),
        ("mysql", "DataSource", "dbi:mysql:database=x;port=http"),
        ("sqlite", "TableName", "sessions; DROP TABLE users"),
        ("mysql", "IdColName", "id = id OR 1"),
        ("postgresql", "DataColName", "a_session)--"),
        ("sqlite", "Handle", "DBI::db=HASH(0x1234)"),
        ("postgresql", "PgColumnType", "bytea"),
    ] {
        let mut args = Args::from([("DataSource".to_string(), base(driver).to_string())]);
        args.insert(name.into(), value.into());
        assert_bad_arg(&open_error(driver, &args), name);
    }
}

#[test]
fn postgresql_column_type_must_match_the_column() {
    let Some(mut store) = Store::new(Kind::Postgresql, "coltype") else {
        return;
    };
    store.create_for("default");
    let err = open_error("postgresql", &with(&store, &[("ColumnType", "binary")]));
    assert_bad_arg(&err, "ColumnType");
    assert!(err.to_string().contains("is text"), "{err}");
}

#[test]
fn postgresql_text_refuses_records_with_nul_as_perl_does() {
    let Some(mut store) = Store::new(Kind::Postgresql, "textnul") else {
        return;
    };
    store.create_for("default");
    let config = Config::new(Some("driver:postgresql;serializer:storable"), store.args()).unwrap();
    let mut session = config.new_session(None).unwrap();
    session.set_param("a", "b").unwrap();
    let err = session.flush().unwrap_err().to_string();
    assert!(
        err.contains("Unallowed characters used in session data"),
        "{err}"
    );
    assert!(err.contains("BYTEA"), "{err}");
    assert_eq!(store.rows(), 0);
}

#[test]
fn postgresql_text_with_wide_characters_is_a_clear_error() {
    // Perl's FreezeThaw writes a wide character raw, and DBD::Pg stores it as such in
    // a TEXT column; no byte string holds it (spec §5.6).
    let Some(oracle) = Oracle::get() else { return };
    let Some(mut store) = Store::new(Kind::Postgresql, "textwide") else {
        return;
    };
    store.create_for("freezethaw");
    let dsn = "driver:postgresql;serializer:freezethaw";
    let perl = oracle
        .new_session(
            dsn,
            &store.args_json(),
            None,
            &json!({"params": {"w": {"utf8": "\u{263a}"}}}),
        )
        .unwrap();
    let config = Config::new(Some(dsn), store.args()).unwrap();
    let err = config.load(Some(&perl.id)).unwrap_err().to_string();
    assert!(err.starts_with("postgresql driver: retrieve(): "), "{err}");
    assert!(err.contains("U+263A") && err.contains(&perl.id), "{err}");
}

#[test]
fn postgresql_reconnects_after_the_server_drops_the_connection() {
    let Some(mut store) = Store::new(Kind::Postgresql, "reconnect") else {
        return;
    };
    store.create_for("default");
    let name = format!("cgisess_reconnect_{}", std::process::id());
    let mut args = store.args();
    let source = format!("{};application_name={name}", args["DataSource"]);
    args.insert("DataSource".into(), source);
    let config = Config::new(Some("driver:postgresql"), args).unwrap();
    let mut session = config.new_session(None).unwrap();
    session.set_param("a", "b").unwrap();
    session.flush().unwrap();
    let id = session.id().unwrap();

    let mut admin = postgres::Client::connect(&pg_conninfo(), postgres::NoTls).unwrap();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .unwrap();
    assert_eq!(killed.len(), 1, "the driver's one connection");
    let data = config
        .peek(&id)
        .unwrap()
        .expect("read through a new connection");
    assert_eq!(data["a"], cgi_session::Value::from("b"));
}
