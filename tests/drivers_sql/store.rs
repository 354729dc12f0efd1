//! One SQL store under test: a driver, its Perl-style arguments, and a table of its own
//! (named after the test and the process, so parallel tests never meet) that is dropped
//! when the `Store` goes.

use cgi_session::init::{content_of, create_session_table};
use cgi_session::{Args, Dsn};
use serde_json::{Map, Value as Json};

use crate::common::services::{available, mysql_url, pg_conninfo};

/// The three SQL drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgresql,
    Mysql,
}

impl Kind {
    /// The DSN's driver name.
    pub fn driver(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgresql => "postgresql",
            Kind::Mysql => "mysql",
        }
    }
}

/// A store and its table.
pub struct Store {
    pub kind: Kind,
    pub table: String,
    base: Args,
    binary: bool,
    dir: Option<tempfile::TempDir>,
}

/// The parts of `mysql://user[:password]@host[:port]/database`.
fn mysql_parts() -> (String, String, String, String, String) {
    let url = mysql_url();
    let rest = url
        .strip_prefix("mysql://")
        .expect("CGISESS_MYSQL is a mysql:// URL");
    let (login, place) = rest.split_once('@').expect("CGISESS_MYSQL names a user");
    let (user, password) = login.split_once(':').unwrap_or((login, ""));
    let (address, database) = place.split_once('/').unwrap_or((place, "test"));
    let (host, port) = address.split_once(':').unwrap_or((address, "3306"));
    let database = database.split('?').next().unwrap_or("test");
    (
        user.into(),
        password.into(),
        host.into(),
        port.into(),
        database.into(),
    )
}

/// Runs `sql` with an administrative connection of its own.
fn admin(kind: Kind, sqlite_path: Option<&str>, sql: &str) -> Result<(), String> {
    match kind {
        Kind::Sqlite => rusqlite::Connection::open(sqlite_path.expect("sqlite path"))
            .and_then(|c| c.execute_batch(sql))
            .map_err(|e| e.to_string()),
        Kind::Postgresql => postgres::Client::connect(&pg_conninfo(), postgres::NoTls)
            .and_then(|mut c| c.batch_execute(sql))
            .map_err(|e| e.to_string()),
        Kind::Mysql => {
            use mysql::prelude::Queryable;
            mysql::Conn::new(mysql::Opts::from_url(&mysql_url()).map_err(|e| e.to_string())?)
                .and_then(|mut c| c.query_drop(sql))
                .map_err(|e| e.to_string())
        }
    }
}

impl Store {
    /// A store of `kind` with table `t_<tag>_<pid>`; `None` (after saying why) when its
    /// server is down, or a panic under `CGISESS_REQUIRE_SERVICES=1`.
    pub fn new(kind: Kind, tag: &str) -> Option<Store> {
        let table = format!("t_{tag}_{}", std::process::id());
        let mut base = Args::new();
        let mut dir = None;
        match kind {
            Kind::Sqlite => {
                let tmp = tempfile::tempdir().expect("temp dir");
                let path = tmp.path().join("sessions.db");
                base.insert(
                    "DataSource".into(),
                    format!("dbi:SQLite:dbname={}", path.display()),
                );
                dir = Some(tmp);
            }
            Kind::Postgresql => {
                let conninfo = pg_conninfo();
                let up = available(&format!("PostgreSQL at {conninfo}"), || {
                    admin(kind, None, "SELECT 1")
                });
                if !up {
                    return None;
                }
                let pairs: Vec<&str> = conninfo.split_whitespace().collect();
                base.insert("DataSource".into(), format!("dbi:Pg:{}", pairs.join(";")));
            }
            Kind::Mysql => {
                let up = available(&format!("MySQL at {}", mysql_url()), || {
                    admin(kind, None, "SELECT 1")
                });
                if !up {
                    return None;
                }
                let (user, password, host, port, database) = mysql_parts();
                base.insert(
                    "DataSource".into(),
                    format!("dbi:mysql:database={database};host={host};port={port}"),
                );
                base.insert("User".into(), user);
                base.insert("Password".into(), password);
            }
        }
        let store = Store {
            kind,
            table,
            base,
            binary: false,
            dir,
        };
        store.sql(&format!("DROP TABLE IF EXISTS {}", store.table));
        Some(store)
    }

    /// The SQLite file, for a sqlite store.
    pub fn sqlite_path(&self) -> Option<String> {
        self.dir
            .as_ref()
            .map(|d| d.path().join("sessions.db").display().to_string())
    }

    /// Runs administrative SQL on the store's database; panics on failure.
    pub fn sql(&self, sql: &str) {
        admin(self.kind, self.sqlite_path().as_deref(), sql)
            .unwrap_or_else(|e| panic!("{:?}: {sql}: {e}", self.kind));
    }

    /// The DSN for `serializer` (`id:md5`).
    pub fn dsn(&self, serializer: &str) -> String {
        format!("driver:{};serializer:{serializer}", self.kind.driver())
    }

    /// The driver arguments, Perl's names: DataSource, User, Password, TableName, and
    /// ColumnType=binary for a postgresql BYTEA table.
    pub fn args(&self) -> Args {
        let mut args = self.base.clone();
        args.insert("TableName".into(), self.table.clone());
        if self.binary {
            args.insert("ColumnType".into(), "binary".into());
        }
        args
    }

    /// [`args`](Self::args) as the JSON object the Perl oracle takes.
    pub fn args_json(&self) -> Json {
        Json::Object(
            self.args()
                .into_iter()
                .map(|(k, v)| (k, Json::String(v)))
                .collect::<Map<_, _>>(),
        )
    }

    /// Makes [`args`](Self::args) fit `serializer`: `ColumnType=binary` for a binary
    /// serializer on postgresql.
    pub fn use_serializer(&mut self, serializer: &str) {
        self.binary = self.kind == Kind::Postgresql
            && content_of(serializer) == cgi_session::drivers::dbi::Content::Binary;
    }

    /// Creates the table through the library's `init`, as `cgisess init` would for
    /// `serializer`.
    pub fn create_for(&mut self, serializer: &str) {
        self.use_serializer(serializer);
        let dsn = Dsn::parse(&self.dsn(serializer)).expect("DSN");
        create_session_table(&dsn, &self.args(), false)
            .unwrap_or_else(|e| panic!("init for {serializer} on {:?}: {e}", self.kind));
    }

    /// Creates the table Perl's own `t/g4_*.t` tests create for the text serializers.
    pub fn create_as_perl_tests_do(&mut self) {
        self.binary = false;
        self.sql(&format!(
            "CREATE TABLE {} (id CHAR(32) NOT NULL PRIMARY KEY, a_session TEXT NULL)",
            self.table
        ));
    }

    /// How many rows the table holds.
    pub fn rows(&self) -> i64 {
        self.rows_or_missing().expect("the table exists")
    }

    /// How many rows the table holds, or `None` when there is no such table.
    pub fn rows_or_missing(&self) -> Option<i64> {
        let sql = format!("SELECT COUNT(*) FROM {}", self.table);
        match self.kind {
            Kind::Sqlite => rusqlite::Connection::open(self.sqlite_path().unwrap())
                .and_then(|c| c.query_row(&sql, [], |r| r.get(0)))
                .ok(),
            Kind::Postgresql => postgres::Client::connect(&pg_conninfo(), postgres::NoTls)
                .and_then(|mut c| c.query_one(&sql, &[]))
                .map(|r| r.get(0))
                .ok(),
            Kind::Mysql => {
                use mysql::prelude::Queryable;
                let mut c = mysql::Conn::new(mysql::Opts::from_url(&mysql_url()).unwrap()).unwrap();
                c.query_first(&sql).ok().flatten()
            }
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Best effort: a failed drop must not hide the test's own failure.
        let _ = admin(
            self.kind,
            self.sqlite_path().as_deref(),
            &format!("DROP TABLE IF EXISTS {}", self.table),
        );
    }
}
