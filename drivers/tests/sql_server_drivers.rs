//! The `postgresql` and `mysql` drivers on their own, against the real servers
//! (`CGISESS_PG`, `CGISESS_MYSQL`; skipped without them unless
//! `CGISESS_REQUIRE_SERVICES=1`): every byte, id columns of several types, tables with
//! and without a unique id, concurrent writers, and traversal that pages while its
//! callback removes what it visits. Perl is not involved here; the facade's
//! `tests/drivers_sql` shares these tables with Perl.
#![cfg(all(feature = "postgresql", feature = "mysql"))]

mod common;

use std::ops::ControlFlow;
use std::sync::Arc;

use cgi_session_drivers::dbi::postgresql::to_column_text;
use cgi_session_drivers::{Args, Driver, Error, MysqlDriver, PostgresqlDriver};
use cgi_session_test_support::service_up;
use common::listed_ids;
use mysql::prelude::Queryable;

fn pg_conninfo() -> String {
    std::env::var("CGISESS_PG")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into())
}

fn mysql_url() -> String {
    std::env::var("CGISESS_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    Pg,
    My,
}

/// A table of this test's own on `server`, dropped at the end.
struct Table {
    server: Server,
    name: String,
}

impl Table {
    fn new(server: Server, tag: &str, columns: &str) -> Option<Table> {
        let table = Table {
            server,
            name: format!("d_{tag}_{}", std::process::id()),
        };
        let what = format!("{server:?} server");
        if !service_up(&what, || {
            table.exec(&format!("DROP TABLE IF EXISTS {}", table.name))
        }) {
            return None;
        }
        table
            .exec(&format!("CREATE TABLE {} ({columns})", table.name))
            .expect("create table");
        Some(table)
    }

    fn exec(&self, sql: &str) -> Result<(), String> {
        match self.server {
            Server::Pg => postgres::Client::connect(&pg_conninfo(), postgres::NoTls)
                .and_then(|mut c| c.batch_execute(sql))
                .map_err(|e| e.to_string()),
            Server::My => mysql::Opts::from_url(&mysql_url())
                .map_err(|e| e.to_string())
                .and_then(|o| mysql::Conn::new(o).map_err(|e| e.to_string()))
                .and_then(|mut c| c.query_drop(sql).map_err(|e| e.to_string())),
        }
    }

    fn count(&self) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {}", self.name);
        match self.server {
            Server::Pg => {
                let mut c = postgres::Client::connect(&pg_conninfo(), postgres::NoTls).unwrap();
                c.query_one(&sql, &[]).unwrap().get(0)
            }
            Server::My => {
                let mut c = mysql::Conn::new(mysql::Opts::from_url(&mysql_url()).unwrap()).unwrap();
                c.query_first(&sql).unwrap().unwrap()
            }
        }
    }

    /// Perl-style driver arguments for this table.
    fn args(&self, extra: &[(&str, &str)]) -> Args {
        let mut args = Args::new();
        match self.server {
            Server::Pg => {
                let conninfo = pg_conninfo();
                let pairs: Vec<&str> = conninfo.split_whitespace().collect();
                args.insert("DataSource".into(), format!("dbi:Pg:{}", pairs.join(";")));
            }
            Server::My => {
                let url = mysql::Opts::from_url(&mysql_url()).unwrap();
                args.insert(
                    "DataSource".into(),
                    format!(
                        "dbi:mysql:database={};host={};port={}",
                        url.get_db_name().unwrap_or("test"),
                        url.get_ip_or_hostname(),
                        url.get_tcp_port()
                    ),
                );
                args.insert("User".into(), url.get_user().unwrap_or("").into());
                args.insert("Password".into(), url.get_pass().unwrap_or("").into());
            }
        }
        args.insert("TableName".into(), self.name.clone());
        for (k, v) in extra {
            args.insert(k.to_string(), v.to_string());
        }
        args
    }

    fn driver(&self, extra: &[(&str, &str)]) -> Box<dyn Driver> {
        let args = self.args(extra);
        match self.server {
            Server::Pg => Box::new(PostgresqlDriver::from_args(&args).unwrap()),
            Server::My => Box::new(MysqlDriver::from_args(&args).unwrap()),
        }
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        let _ = self.exec(&format!("DROP TABLE IF EXISTS {}", self.name));
    }
}

const SCHEMA_TEXT: &str = "id CHAR(32) NOT NULL PRIMARY KEY, a_session TEXT NOT NULL";
const SCHEMA_BYTEA: &str = "id CHAR(32) NOT NULL PRIMARY KEY, a_session BYTEA NOT NULL";
const SCHEMA_BLOB: &str = "id CHAR(32) NOT NULL PRIMARY KEY, a_session MEDIUMBLOB NOT NULL";

/// Every byte but NUL (which a TEXT column cannot hold, spec §5.6).
fn all_bytes(with_nul: bool) -> Vec<u8> {
    (u8::from(!with_nul)..=255).collect()
}

#[test]
fn every_byte_survives_each_column_type() {
    let cases = [
        (Server::Pg, "bytes_text", SCHEMA_TEXT, &[][..], false),
        (
            Server::Pg,
            "bytes_bytea",
            SCHEMA_BYTEA,
            &[("ColumnType", "binary")][..],
            true,
        ),
        (Server::My, "bytes_blob", SCHEMA_BLOB, &[][..], true),
    ];
    for (server, tag, schema, extra, nul) in cases {
        let Some(table) = Table::new(server, tag, schema) else {
            continue;
        };
        let driver = table.driver(extra);
        let record = all_bytes(nul);
        driver.store("all", &record).unwrap();
        assert_eq!(driver.retrieve("all").unwrap().unwrap(), record, "{tag}");
        if tag == "bytes_text" {
            // spec §5.6: the column holds one character per byte.
            let mut c = postgres::Client::connect(&pg_conninfo(), postgres::NoTls).unwrap();
            let sql = format!("SELECT a_session FROM {} WHERE id = 'all'", table.name);
            let text: String = c.query_one(&sql, &[]).unwrap().get(0);
            assert_eq!(text, to_column_text(&record));
            let refused = driver.store("nul", b"a\0b").unwrap_err();
            assert!(
                matches!(refused, Error::Refused { op: "store", .. }),
                "{refused}"
            );
        }
    }
}

#[test]
fn traversal_pages_while_the_callback_removes() {
    for (server, schema) in [(Server::Pg, SCHEMA_TEXT), (Server::My, SCHEMA_BLOB)] {
        let Some(table) = Table::new(server, "pages", schema) else {
            continue;
        };
        let driver = table.driver(&[]);
        for i in 1..=1100 {
            driver.store(&format!("id{i:05}"), b"r").unwrap();
        }
        let mut seen = Vec::new();
        driver
            .traverse(&mut |id| {
                assert!(driver.retrieve(id).unwrap().is_some(), "{id}");
                driver.remove(id).unwrap();
                seen.push(id.to_owned());
                ControlFlow::Continue(())
            })
            .unwrap();
        let want: Vec<String> = (1..=1100).map(|i| format!("id{i:05}")).collect();
        assert_eq!(
            seen, want,
            "{server:?}: every id once, in order, without CHAR padding"
        );
        assert_eq!(table.count(), 0);
    }
}

#[test]
fn integer_id_columns_hold_numeric_ids() {
    let schemas = [
        (
            Server::Pg,
            "id INTEGER PRIMARY KEY, a_session TEXT NOT NULL",
        ),
        (
            Server::My,
            "id INTEGER PRIMARY KEY, a_session BLOB NOT NULL",
        ),
    ];
    for (server, schema) in schemas {
        let Some(table) = Table::new(server, "intid", schema) else {
            continue;
        };
        let driver = table.driver(&[]);
        for id in ["10", "9", "123"] {
            driver.store(id, id.as_bytes()).unwrap();
        }
        assert_eq!(driver.retrieve("9").unwrap().unwrap(), b"9");
        assert_eq!(listed_ids(driver.as_ref()), ["10", "123", "9"]);
        if server == Server::Pg {
            assert_eq!(driver.retrieve("abc").unwrap(), None);
            assert!(matches!(
                driver.store("abc", b"x"),
                Err(Error::InvalidId { .. })
            ));
        }
    }
}

#[test]
fn tables_without_a_unique_id_fall_back_to_perls_store() {
    let schema = "id CHAR(32) NOT NULL, a_session TEXT NOT NULL";
    let Some(table) = Table::new(Server::Pg, "nokey", schema) else {
        return;
    };
    let driver = table.driver(&[]);
    driver.store("a", b"one").unwrap();
    driver.store("a", b"two").unwrap();
    driver.store("b", b"three").unwrap();
    assert_eq!(table.count(), 2, "updated, not inserted twice");
    assert_eq!(driver.retrieve("a").unwrap().unwrap(), b"two");
}

#[test]
fn concurrent_writers_of_the_same_ids_leave_one_row_each() {
    for (server, schema) in [(Server::Pg, SCHEMA_TEXT), (Server::My, SCHEMA_BLOB)] {
        let Some(table) = Table::new(server, "writers", schema) else {
            continue;
        };
        let args = Arc::new(table.args(&[]));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let args = Arc::clone(&args);
                std::thread::spawn(move || {
                    let driver: Box<dyn Driver> = match server {
                        Server::Pg => Box::new(PostgresqlDriver::from_args(&args).unwrap()),
                        Server::My => Box::new(MysqlDriver::from_args(&args).unwrap()),
                    };
                    for round in 0..25 {
                        for id in ["w1", "w2", "w3"] {
                            driver.store(id, format!("{w}:{round}").as_bytes()).unwrap();
                        }
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        assert_eq!(table.count(), 3, "{server:?}");
    }
}

#[test]
fn mysql_reads_perls_bare_database_and_socket_forms() {
    let socket = "/run/mysqld/mysqld.sock";
    if !std::path::Path::new(socket).exists() {
        eprintln!("skipping: no local MySQL socket at {socket}");
        return;
    }
    let Some(table) = Table::new(Server::My, "socket", SCHEMA_BLOB) else {
        return;
    };
    let mut args = table.args(&[("Socket", socket)]);
    let database = mysql::Opts::from_url(&mysql_url())
        .unwrap()
        .get_db_name()
        .unwrap_or("test")
        .to_owned();
    args.insert("DataSource".into(), database);
    let driver = MysqlDriver::from_args(&args).unwrap();
    driver.store("s", b"via the socket").unwrap();
    assert_eq!(driver.retrieve("s").unwrap().unwrap(), b"via the socket");
}
