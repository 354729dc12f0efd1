//! Driver `mysql`: a table in MySQL or MariaDB, shared with Perl's
//! `CGI::Session::Driver::mysql` over DBD::mysql (spec §5.4, §5.5).
//!
//! # DataSource
//! Read as Perl's `init` and DBD::mysql 4.050 read it:
//! * `dbi:mysql:database=app;host=db.example;port=3306` (also `db=`, `dbname=`,
//!   `hostname=`, `mysql_socket=`; `:` separates like `;`; other keys are ignored);
//! * `dbi:mysql:app:db.example:3306`: values without a key are the database, the host
//!   and the port, in that order;
//! * a bare database name, `DataSource => 'app'`, which Perl prefixes with
//!   `dbi:mysql:database=`.
//!
//! `Socket` appends `;mysql_socket=SOCKET`, as in Perl. Without a host, or with host
//! `localhost`, the connection goes through the local socket (`mysql_socket`, else
//! `MYSQL_UNIX_PORT`, else `/run/mysqld/mysqld.sock`), as libmysqlclient does; any
//! other host is reached over TCP (port 3306 unless given). Perl's `Host` and `Port`
//! arguments are ignored, as Perl's `init` ignores them (spec §5.5). No TLS.
//!
//! # Bytes
//! The connection uses the `utf8mb4` character set, which DBD::mysql negotiates on
//! this platform, and records are sent and read as raw bytes, as Perl does; the server
//! then treats them exactly as it treats Perl's. In a BLOB column every byte is kept.
//! In a `utf8mb4` TEXT column, bytes that are not UTF-8 (Storable, or Data::Dumper's raw
//! Latin-1 strings) are refused by a strict server with `Incorrect string value`, for
//! Perl and Rust alike (spec §5.5): use a BLOB type ([`create_table`] makes a MEDIUMBLOB).
//!
//! # Concurrency
//! `store` is Perl's single statement,
//! `INSERT INTO T (I, D) VALUES(?, ?) ON DUPLICATE KEY UPDATE D = ?`, atomic when the
//! id column is the PRIMARY KEY or UNIQUE, as Perl's documentation requires.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::OnceLock;

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Value};
use regex::Regex;

use super::link::{Connector, Link};
use super::source::{data_source, dbi_rest, is_dbi_form, login_name, password, user};
use super::{backend, found, keyable, refuse_handle, traverse_pages, Content, Dialect, Table};
use crate::args::{bad_arg, true_value};
use crate::{Args, Driver, Error};

const NAME: &str = "mysql";
const DIALECT: Dialect = Dialect::Mysql;

/// libmysqlclient's socket on Debian (`mysql_config --socket`).
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";
/// MySQL's TCP port.
pub const DEFAULT_PORT: u16 = 3306;

/// Server error codes that mean the connection is gone: the server is shutting down
/// (1053) or killed this connection (1927), or the MySQL 8 idle timeout (4031).
const LOST_CODES: [u16; 3] = [1053, 1927, 4031];

/// The mysql store. See the [module docs](self).
pub struct MysqlDriver {
    table: Table,
    link: Link<Server>,
}

/// Where to connect and as whom.
struct Server {
    database: Option<String>,
    address: Address,
    user: Option<String>,
    password: Option<String>,
}

/// How the server is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Address {
    Socket(String),
    Tcp(String, u16),
}

impl Server {
    fn from_args(args: &Args) -> Result<Server, Error> {
        let source = data_source(args, "dbi:mysql:database=app;host=localhost")?;
        // spec §5.5: a source that is not dbi:mysql is a database name.
        let mut dsn = if is_dbi_form(source) {
            dbi_rest(source, "mysql", NAME)?.to_owned()
        } else {
            format!("database={source}")
        };
        if let Some(socket) = true_value(args, "Socket") {
            dsn.push_str(";mysql_socket=");
            dsn.push_str(socket);
        }
        let mut attributes = odbc_parse(&dsn);
        let port = match attributes.remove("port") {
            None => DEFAULT_PORT,
            Some(port) => port.parse().map_err(|_| {
                bad_arg(
                    "DataSource",
                    format!("{source:?}: port {port:?} is not a port number"),
                )
            })?,
        };
        let address = match attributes.remove("host") {
            Some(host) if !host.is_empty() && host != "localhost" => Address::Tcp(host, port),
            _ => Address::Socket(
                attributes
                    .remove("mysql_socket")
                    .or_else(|| std::env::var("MYSQL_UNIX_PORT").ok())
                    .unwrap_or_else(|| DEFAULT_SOCKET.to_owned()),
            ),
        };
        Ok(Server {
            database: attributes.remove("database").filter(|db| !db.is_empty()),
            address,
            user: user(args).filter(|u| !u.is_empty()).or_else(login_name),
            password: password(args).filter(|p| !p.is_empty()),
        })
    }

    /// `MySQL database "test" at 127.0.0.1:3306 as user "root"`; never the password.
    fn describe(&self) -> String {
        let at = match &self.address {
            Address::Socket(path) => path.clone(),
            Address::Tcp(host, port) => format!("{host}:{port}"),
        };
        format!(
            "MySQL database {:?} at {at} as user {:?}",
            self.database.as_deref().unwrap_or(""),
            self.user.as_deref().unwrap_or("")
        )
    }
}

/// DBD::mysql's `_OdbcParse`: pieces separated by `:` or `;` (a bracketed IPv6 address
/// stays whole), each `key=value` or a bare value for the next of database, host, port.
fn odbc_parse(dsn: &str) -> BTreeMap<String, String> {
    static PIECE: OnceLock<Regex> = OnceLock::new();
    let piece = PIECE
        .get_or_init(|| Regex::new(r"(?s)^([^:;]*\[.*\]|[^:;]*)[:;](.*)$").expect("valid regex"));
    let mut found = BTreeMap::new();
    let mut rest = dsn.to_owned();
    while !rest.is_empty() {
        let (value, tail) = match piece.captures(&rest) {
            Some(caps) => (caps[1].replace(['[', ']'], ""), caps[2].to_owned()),
            None => (std::mem::take(&mut rest), String::new()),
        };
        rest = tail;
        match value.split_once('=') {
            Some(("host" | "hostname", host)) => found.insert("host".into(), host.into()),
            Some(("db" | "dbname", db)) => found.insert("database".into(), db.into()),
            Some((key, v)) => found.insert(key.into(), v.into()),
            None => match ["database", "host", "port"]
                .into_iter()
                .find(|k| !found.contains_key(*k))
            {
                Some(key) => found.insert(key.into(), value),
                None => None,
            },
        };
    }
    found
}

impl Connector for Server {
    type Conn = Conn;
    type Failure = mysql::Error;

    fn connect(&self) -> Result<Conn, Error> {
        let opts = OptsBuilder::new()
            .user(self.user.as_deref())
            .pass(self.password.as_deref())
            .db_name(self.database.as_deref())
            .prefer_socket(false)
            .init(vec!["SET NAMES utf8mb4"]);
        let opts = match &self.address {
            Address::Socket(path) => opts.socket(Some(path)),
            Address::Tcp(host, port) => opts.ip_or_hostname(Some(host)).tcp_port(*port),
        };
        Conn::new(opts).map_err(|e| Error::Backend {
            driver: NAME,
            message: format!("couldn't connect to {}: {}", self.describe(), message(&e)),
        })
    }

    fn is_lost(&self, failure: &mysql::Error) -> bool {
        match failure {
            mysql::Error::IoError(_) | mysql::Error::CodecError(_) => true,
            mysql::Error::MySqlError(e) => LOST_CODES.contains(&e.code),
            _ => false,
        }
    }
}

impl MysqlDriver {
    /// Builds the driver from Perl's driver arguments (`DataSource`, `Socket`, `User`,
    /// `Password`, `TableName`, `IdColName`, `DataColName`), connects, and checks that
    /// the table and its columns exist.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        let (server, table) = server_and_table(args)?;
        let link = Link::open(server)?;
        let probe = format!("{} LIMIT 0", table.select_data(DIALECT));
        link.run(
            |conn| conn.exec_drop(&probe, ("",)),
            |e| {
                backend(
                    NAME,
                    "init",
                    &describe(&table, link.connector()),
                    message(&e),
                )
            },
        )?;
        Ok(MysqlDriver { table, link })
    }

    /// The session table's names.
    pub fn table(&self) -> &Table {
        &self.table
    }

    fn fail(&self, op: &'static str) -> impl Fn(mysql::Error) -> Error + '_ {
        move |e| {
            backend(
                NAME,
                op,
                &describe(&self.table, self.link.connector()),
                message(&e),
            )
        }
    }
}

fn server_and_table(args: &Args) -> Result<(Server, Table), Error> {
    refuse_handle(args)?;
    Ok((Server::from_args(args)?, Table::from_args(args)?))
}

fn describe(table: &Table, server: &Server) -> String {
    format!("{} in {}", table.describe(), server.describe())
}

/// The session table `args` describe, as [`Table::create_sql`] makes it (a MEDIUMBLOB
/// data column whatever the serializer), checking the arguments but connecting to nothing.
pub fn table_sql(args: &Args, content: Content, if_not_exists: bool) -> Result<String, Error> {
    let (_, table) = server_and_table(args)?;
    Ok(table.create_sql(DIALECT, content, if_not_exists))
}

/// Creates the session table ([`table_sql`]) in the database `args` name, and returns
/// the statement it ran.
pub fn create_table(args: &Args, content: Content, if_not_exists: bool) -> Result<String, Error> {
    let (server, table) = server_and_table(args)?;
    let sql = table.create_sql(DIALECT, content, if_not_exists);
    server.connect()?.query_drop(&sql).map_err(|e| {
        backend(
            NAME,
            "create_table",
            &describe(&table, &server),
            message(&e),
        )
    })?;
    Ok(sql)
}

/// The client's message without its wrapper (`mysql::Error`'s `Display` reads
/// `MySqlError { ERROR 1146 (42S02): ... }`).
fn message(error: &mysql::Error) -> String {
    match error {
        mysql::Error::MySqlError(e) => e.to_string(),
        mysql::Error::DriverError(e) => e.to_string(),
        mysql::Error::IoError(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// The session id a stored key names, as DBD::mysql would hand it to Perl.
fn id_text(key: &Value) -> Option<String> {
    match key {
        Value::Bytes(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::Int(n) => Some(n.to_string()),
        Value::UInt(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Driver for MysqlDriver {
    fn name(&self) -> &'static str {
        NAME
    }

    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let sql = self.table.select_data(DIALECT);
        let value: Option<Value> = self
            .link
            .run(|conn| conn.exec_first(&sql, (id,)), self.fail("retrieve"))?;
        let record = match value {
            None | Some(Value::NULL) => None,
            Some(Value::Bytes(bytes)) => Some(bytes),
            Some(Value::Int(n)) => Some(n.to_string().into_bytes()),
            Some(Value::UInt(n)) => Some(n.to_string().into_bytes()),
            Some(other) => {
                return Err(backend(
                    NAME,
                    "retrieve",
                    &describe(&self.table, self.link.connector()),
                    format!("session {id:?} holds {other:?}, not a session record"),
                ))
            }
        };
        Ok(found(record))
    }

    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        keyable("store", id)?;
        // Perl's statement and bind order (spec §5.5).
        let sql = format!(
            "INSERT INTO {} ({i}, {d}) VALUES(?, ?) ON DUPLICATE KEY UPDATE {d} = ?",
            self.table.name(),
            i = self.table.id_column(),
            d = self.table.data_column(),
        );
        self.link.run(
            |conn| conn.exec_drop(&sql, (id, data, data)),
            self.fail("store"),
        )
    }

    fn remove(&self, id: &str) -> Result<(), Error> {
        keyable("remove", id)?;
        let sql = self.table.delete(DIALECT);
        self.link
            .run(|conn| conn.exec_drop(&sql, (id,)), self.fail("remove"))
    }

    /// Pages through the ids in id order (see [`crate::dbi`]).
    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        let first = self.table.first_ids();
        let next = self.table.next_ids(DIALECT);
        traverse_pages(
            |after: Option<&Value>| {
                let keys: Vec<Value> = self.link.run(
                    |conn| match after {
                        None => conn.exec(&first, ()),
                        Some(key) => conn.exec(&next, (key.clone(),)),
                    },
                    self.fail("traverse"),
                )?;
                Ok(keys
                    .into_iter()
                    .map(|key| {
                        let id = id_text(&key);
                        (key, id)
                    })
                    .collect())
            },
            visit,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(dsn: &str) -> Vec<(String, String)> {
        odbc_parse(dsn).into_iter().collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn odbc_parse_reads_dbd_mysql_forms() {
        assert_eq!(
            parsed("database=test;host=127.0.0.1;port=3306"),
            pairs(&[
                ("database", "test"),
                ("host", "127.0.0.1"),
                ("port", "3306")
            ])
        );
        assert_eq!(
            parsed("test:db.example:3307"),
            pairs(&[
                ("database", "test"),
                ("host", "db.example"),
                ("port", "3307")
            ])
        );
        assert_eq!(
            parsed("dbname=t;hostname=h;mysql_socket=/s.sock;mysql_ssl=1"),
            pairs(&[
                ("database", "t"),
                ("host", "h"),
                ("mysql_socket", "/s.sock"),
                ("mysql_ssl", "1")
            ])
        );
        assert_eq!(
            parsed("database=t;host=[::1];port=3306"),
            pairs(&[("database", "t"), ("host", "::1"), ("port", "3306")])
        );
    }

    fn server(list: &[(&str, &str)]) -> Result<Server, Error> {
        let args: Args = list
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Server::from_args(&args)
    }

    #[test]
    fn data_sources_become_addresses_as_perl_and_libmysqlclient_do() {
        let s = server(&[("DataSource", "test"), ("User", "u")]).unwrap();
        assert_eq!(s.database.as_deref(), Some("test"));
        assert!(matches!(s.address, Address::Socket(_)));
        let s = server(&[("DataSource", "test"), ("Socket", "/tmp/my.sock")]).unwrap();
        assert_eq!(s.address, Address::Socket("/tmp/my.sock".into()));
        let s = server(&[("DataSource", "dbi:mysql:database=x;host=db;port=3307")]).unwrap();
        assert_eq!(s.address, Address::Tcp("db".into(), 3307));
        // Perl's init ignores Host and Port.
        let s = server(&[("DataSource", "x"), ("Host", "elsewhere"), ("Port", "1")]).unwrap();
        assert!(matches!(s.address, Address::Socket(_)));
        for bad in ["dbi:Pg:dbname=x", "dbi:mysql:database=x;port=http"] {
            let err = server(&[("DataSource", bad)]).err().expect(bad);
            assert!(
                matches!(&err, Error::BadArg { name, .. } if name == "DataSource"),
                "{err}"
            );
        }
    }
}
