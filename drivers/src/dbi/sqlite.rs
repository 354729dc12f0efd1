//! Driver `sqlite`: a table in an SQLite database file, shared with Perl's
//! `CGI::Session::Driver::sqlite` over DBD::SQLite (spec §5.4, §5.7).
//!
//! # DataSource
//! Perl's forms (spec §5.7), read as DBD::SQLite reads them:
//! * a bare path, `/var/lib/app/sessions.db` (Perl prefixes `dbi:SQLite:dbname=`);
//! * `dbi:SQLite:dbname=PATH` (also `db=` or `database=`; other `key=value` attributes
//!   such as `sqlite_unicode=1` are ignored), or `dbi:SQLite:PATH`;
//! * `dbi:SQLite:uri=file:PATH?mode=rwc`, an SQLite URI.
//!
//! The file is created if missing, as DBD::SQLite does; the table must exist (see
//! [`create_table`]). An empty name or `:memory:` opens a private database nothing
//! shares. A missing `DataSource` is refused: Perl would open such a private database
//! with only a warning.
//!
//! # Bytes and concurrency
//! * The record is bound as a BLOB, as Perl binds it (`SQL_BLOB`), so its storage class
//!   is BLOB even in a TEXT column; both TEXT and BLOB values are read (spec §5.7).
//! * The busy timeout is DBD::SQLite's 30 s (rusqlite's default is 5 s), so writers
//!   queue behind each other instead of failing.
//! * `store` runs `UPDATE`, then `INSERT` when no row changed, inside one
//!   `BEGIN IMMEDIATE` transaction: the write lock is taken first, so no other writer,
//!   Perl or Rust, can slip in between, and it works with or without a primary key.
//!   Perl's own store checks with a SELECT outside any transaction and writes after,
//!   so two *Perl* writers creating one id can still collide (spec §5.7).

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::link::{Connector, Link};
use super::source::{data_source, dbi_rest, is_dbi_form};
use super::{backend, found, keyable, refuse_handle, traverse_pages, Content, Dialect, Table};
use crate::{Args, Driver, Error};

/// DBD::SQLite's default busy timeout (spec §5.7).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

const NAME: &str = "sqlite";
const DIALECT: Dialect = Dialect::Sqlite;

/// The sqlite store. See the [module docs](self).
///
/// ```
/// use cgi_session_drivers::{dbi::{sqlite, Content}, Args, Driver};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("sessions.db");
/// let mut args = Args::new();
/// args.insert("DataSource".into(), format!("dbi:SQLite:dbname={}", path.display()));
/// sqlite::create_table(&args, Content::Text, false).unwrap();
///
/// let driver = sqlite::SqliteDriver::from_args(&args).unwrap();
/// driver.store("abc123", b"$D = {};;$D").unwrap();
/// assert_eq!(driver.retrieve("abc123").unwrap().as_deref(), Some(&b"$D = {};;$D"[..]));
/// ```
pub struct SqliteDriver {
    table: Table,
    link: Link<Database>,
}

/// Opens connections to one database file.
struct Database {
    location: Location,
}

/// Where the database is, as DBD::SQLite resolves `DataSource`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    path: String,
    uri: bool,
}

impl Location {
    /// Perl's `init` and DBD::SQLite's `connect` (spec §5.7).
    fn from_source(source: &str) -> Result<Location, Error> {
        // Perl prefixes "dbi:SQLite:dbname=" unless the source matches /^dbi:sqlite/i.
        if !is_dbi_form(source) {
            return Ok(Location {
                path: source.to_owned(),
                uri: false,
            });
        }
        let rest = dbi_rest(source, "SQLite", NAME)?;
        let mut location = Location {
            path: rest.to_owned(),
            uri: false,
        };
        // DBD::SQLite splits into attributes only a string holding `=`; the whole string
        // stays the file name unless a db/dbname/database/uri key names one.
        if rest.contains('=') {
            for attribute in rest.split(';') {
                let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
                match key {
                    "db" | "dbname" | "database" => location.path = value.to_owned(),
                    "uri" => {
                        location.path = value.to_owned();
                        location.uri = true;
                    }
                    _ => {}
                }
            }
        }
        Ok(location)
    }
}

impl Connector for Database {
    type Conn = Connection;
    type Failure = rusqlite::Error;

    fn connect(&self) -> Result<Connection, Error> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if self.location.uri {
            flags |= OpenFlags::SQLITE_OPEN_URI;
        }
        let fail = |e: rusqlite::Error| backend(NAME, "init", &self.describe(), e);
        let conn =
            Connection::open_with_flags(Path::new(&self.location.path), flags).map_err(fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        Ok(conn)
    }

    fn is_lost(&self, _: &rusqlite::Error) -> bool {
        // A file does not hang up.
        false
    }
}

impl Database {
    fn describe(&self) -> String {
        format!("database '{}'", self.location.path)
    }
}

impl SqliteDriver {
    /// Builds the driver from Perl's driver arguments (`DataSource`, `TableName`,
    /// `IdColName`, `DataColName`) and opens the database, checking that the table
    /// and its columns exist, as Perl's `init` connects at once.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        let (database, table) = database_and_table(args)?;
        let link = Link::open(database)?;
        // A missing table or column is reported now, naming them.
        link.run(
            |conn| conn.prepare_cached(&table.select_data(DIALECT)).map(drop),
            |e| backend(NAME, "init", &describe(&table, link.connector()), e),
        )?;
        Ok(SqliteDriver { table, link })
    }

    /// The database file (or URI) in use.
    pub fn path(&self) -> &str {
        &self.link.connector().location.path
    }

    /// The session table's names.
    pub fn table(&self) -> &Table {
        &self.table
    }

    fn fail(&self, op: &'static str) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |e| backend(NAME, op, &describe(&self.table, self.link.connector()), e)
    }
}

/// The session table `args` describe, as [`Table::create_sql`] makes it, checking the
/// arguments but touching no database.
pub fn table_sql(args: &Args, content: Content, if_not_exists: bool) -> Result<String, Error> {
    let (_, table) = database_and_table(args)?;
    Ok(table.create_sql(DIALECT, content, if_not_exists))
}

/// Creates the session table ([`table_sql`]) in the database `args` name, and returns
/// the statement it ran.
pub fn create_table(args: &Args, content: Content, if_not_exists: bool) -> Result<String, Error> {
    let (database, table) = database_and_table(args)?;
    let sql = table.create_sql(DIALECT, content, if_not_exists);
    let conn = database.connect()?;
    conn.execute_batch(&sql)
        .map_err(|e| backend(NAME, "create_table", &describe(&table, &database), e))?;
    Ok(sql)
}

fn database_and_table(args: &Args) -> Result<(Database, Table), Error> {
    refuse_handle(args)?;
    let location = Location::from_source(data_source(
        args,
        "dbi:SQLite:dbname=/var/lib/app/sessions.db",
    )?)?;
    Ok((Database { location }, Table::from_args(args)?))
}

fn describe(table: &Table, database: &Database) -> String {
    format!("{} in {}", table.describe(), database.describe())
}

impl Driver for SqliteDriver {
    fn name(&self) -> &'static str {
        NAME
    }

    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let sql = self.table.select_data(DIALECT);
        let value = self.link.run(
            |conn| {
                conn.prepare_cached(&sql)?
                    .query_row([id], |row| row.get::<_, Value>(0))
                    .optional()
            },
            self.fail("retrieve"),
        )?;
        let record = match value {
            None | Some(Value::Null) => None,
            Some(Value::Text(text)) => Some(text.into_bytes()),
            Some(Value::Blob(bytes)) => Some(bytes),
            // What DBD::SQLite would hand Perl for a number in the column.
            Some(Value::Integer(n)) => Some(n.to_string().into_bytes()),
            Some(Value::Real(_)) => {
                return Err(backend(
                    NAME,
                    "retrieve",
                    &describe(&self.table, self.link.connector()),
                    format!("session {id:?} holds a REAL number, not a session record"),
                ))
            }
        };
        Ok(found(record))
    }

    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        keyable("store", id)?;
        let update = self.table.update(DIALECT);
        let insert = format!(
            "INSERT INTO {} ({},{}) VALUES(?, ?)",
            self.table.name(),
            self.table.data_column(),
            self.table.id_column()
        );
        self.link.run(
            |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                // `&[u8]` binds as a BLOB, as Perl's `bind_param(1, $data, SQL_BLOB)`.
                let changed = tx.prepare_cached(&update)?.execute((data, id))?;
                if changed == 0 {
                    tx.prepare_cached(&insert)?.execute((data, id))?;
                }
                tx.commit()
            },
            self.fail("store"),
        )
    }

    fn remove(&self, id: &str) -> Result<(), Error> {
        keyable("remove", id)?;
        let sql = self.table.delete(DIALECT);
        self.link.run(
            |conn| conn.prepare_cached(&sql)?.execute([id]).map(drop),
            self.fail("remove"),
        )
    }

    /// Pages through the ids in id order (see [`crate::dbi`]); integer ids are visited
    /// as their decimal text, ids that are not UTF-8 are skipped.
    /// The database file's directory and mode, as for db_file; nothing for an SQLite
    /// URI or a private in-memory database.
    fn lint(&self) -> Result<Vec<crate::lint::Finding>, Error> {
        let location = &self.link.connector().location;
        if location.uri || location.path.is_empty() || location.path == ":memory:" {
            return Ok(Vec::new());
        }
        crate::lint::database(Path::new(&location.path))
    }

    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        let first = self.table.first_ids();
        let next = self.table.next_ids(DIALECT);
        traverse_pages(
            |after: Option<&Value>| {
                self.link.run(
                    |conn| {
                        let (mut statement, params) = match after {
                            None => (conn.prepare_cached(&first)?, Vec::new()),
                            Some(key) => (conn.prepare_cached(&next)?, vec![key]),
                        };
                        let rows =
                            statement.query_map(rusqlite::params_from_iter(params), |row| {
                                let key: Value = row.get(0)?;
                                let id = id_text(row.get_ref(0)?);
                                Ok((key, id))
                            })?;
                        rows.collect()
                    },
                    self.fail("traverse"),
                )
            },
            visit,
        )
    }
}

/// The session id a stored key names, as Perl would read it back.
fn id_text(key: ValueRef<'_>) -> Option<String> {
    match key {
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => String::from_utf8(bytes.to_vec()).ok(),
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Null | ValueRef::Real(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(source: &str) -> Location {
        Location::from_source(source).unwrap()
    }

    fn at(path: &str, uri: bool) -> Location {
        Location {
            path: path.into(),
            uri,
        }
    }

    #[test]
    fn data_sources_resolve_as_dbd_sqlite_does() {
        assert_eq!(location("/tmp/s.db"), at("/tmp/s.db", false));
        assert_eq!(
            location("dbi:SQLite:dbname=/tmp/s.db"),
            at("/tmp/s.db", false)
        );
        assert_eq!(
            location("DBI:sqlite:db=/tmp/s.db;sqlite_unicode=1"),
            at("/tmp/s.db", false)
        );
        assert_eq!(location("dbi:SQLite:database=a.db"), at("a.db", false));
        assert_eq!(location("dbi:SQLite:/tmp/s.db"), at("/tmp/s.db", false));
        // Without a db key the whole string is the file name, `=` and all.
        assert_eq!(location("dbi:SQLite:foo=bar"), at("foo=bar", false));
        assert_eq!(
            location("dbi:SQLite:uri=file:/tmp/s.db?mode=rwc"),
            at("file:/tmp/s.db?mode=rwc", true)
        );
        assert_eq!(location("dbi:SQLite:dbname="), at("", false));
    }

    #[test]
    fn other_dbi_drivers_are_refused() {
        let err = Location::from_source("dbi:Pg:dbname=test").unwrap_err();
        assert!(
            matches!(&err, Error::BadArg { name, .. } if name == "DataSource"),
            "{err}"
        );
    }
}
