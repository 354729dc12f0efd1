//! Driver `postgresql`: a table in PostgreSQL, shared with Perl's
//! `CGI::Session::Driver::postgresql` over DBD::Pg (spec §5.4, §5.6).
//!
//! # DataSource
//! `dbi:Pg:dbname=app;host=db.example;port=5432` as DBD::Pg reads it: libpq
//! `key=value` pairs separated by `;`, with `db=`/`database=` for `dbname=`, quoted
//! values, and libpq's other keys (`sslmode`, `connect_timeout`, `application_name`,
//! ...). Without `host` the local socket is used, as libpq does. `User` and
//! `Password` are the DBI arguments; see [`crate::dbi`] for the rest.
//!
//! # ColumnType and the data column
//! | Column | Arguments | Records |
//! |---|---|---|
//! | `TEXT` (or `VARCHAR`) | no `ColumnType` | the Latin-1 rule of [`to_column_text`]: what DBD::Pg writes for a Perl byte string; a record with a NUL byte is refused, as Perl refuses it |
//! | `BYTEA` | `ColumnType => 'binary'` | the bytes themselves; needed for Storable |
//!
//! Perl binds the record as the type `ColumnType` names (or `PgColumnType`, `17` for
//! BYTEA or `25` for TEXT) whatever the column is, and a mismatch loses data silently:
//! Perl's store ignores the INSERT error. Here the driver reads the column's real type
//! when it connects and refuses a `ColumnType` that disagrees, naming both.
//!
//! # Concurrency
//! `store` is one atomic statement,
//! `INSERT INTO T (D,I) VALUES($1, $2) ON CONFLICT (I) DO UPDATE SET D=EXCLUDED.D`,
//! which needs a PRIMARY KEY or UNIQUE constraint on the id column (Perl's suggested
//! schema and [`create_table`] have one). Perl's own store (`INSERT ... WHERE NOT EXISTS`,
//! then `UPDATE`) is safe alongside it. On a table without such a constraint the driver
//! falls back to Perl's statements, retrying the UPDATE on a duplicate-key error, and
//! two writers creating one id at once can then both insert, as in Perl.
//!
//! # Ids
//! The id column may be `CHAR(n)` (Perl's `CHAR(32)`: traversal drops the padding),
//! `VARCHAR`, `TEXT`, or an integer type for numeric ids (`id:incr`). An id such a
//! column could never hold is simply not found.

mod conninfo;
mod text;

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::Client;

pub use text::{from_column_text, to_column_text};

use super::link::{Connector, Link};
use super::{backend, found, keyable, refuse_handle, traverse_pages, Content, Dialect, Table};
use crate::args::{bad_arg, true_value};
use crate::{Args, Driver, Error};
use conninfo::{full_message, Server};
use text::{DataColumn, IdColumn, Key};

const NAME: &str = "postgresql";
const DIALECT: Dialect = Dialect::Postgresql;

/// DBD::Pg's `PG_BYTEA` and `PG_TEXT` type numbers, the values of `PgColumnType`.
const PG_BYTEA: &str = "17";
const PG_TEXT: &str = "25";

/// How many times the fallback store retries when the row vanishes between its
/// INSERT and its UPDATE (a concurrent remove).
const FALLBACK_ATTEMPTS: usize = 3;

/// The postgresql store. See the [module docs](self).
pub struct PostgresqlDriver {
    table: Table,
    link: Link<Server>,
    data: DataColumn,
    data_type: Type,
    id: IdColumn,
    /// False once the table has shown it has no unique constraint on the id column.
    upsert: AtomicBool,
}

impl Connector for Server {
    type Conn = Client;
    type Failure = postgres::Error;

    fn connect(&self) -> Result<Client, Error> {
        Server::connect(self)
    }

    fn is_lost(&self, failure: &postgres::Error) -> bool {
        // A terminated backend says ADMIN_SHUTDOWN before it closes the socket, but a
        // request that races the close meets the reset itself (an I/O error).
        failure.is_closed()
            || std::error::Error::source(failure).is_some_and(|e| e.is::<std::io::Error>())
            || [SqlState::ADMIN_SHUTDOWN, SqlState::CRASH_SHUTDOWN]
                .iter()
                .any(|state| failure.code() == Some(state))
    }
}

impl PostgresqlDriver {
    /// Builds the driver from Perl's driver arguments (`DataSource`, `User`, `Password`,
    /// `TableName`, `IdColName`, `DataColName`, `ColumnType`, `PgColumnType`), connects,
    /// and checks the table, its columns, and that `ColumnType` matches the data column.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        refuse_handle(args)?;
        let binary = wants_binary(args)?;
        let table = Table::from_args(args)?;
        let link = Link::open(Server::from_args(args)?)?;
        let target = describe(&table, link.connector());
        let probe = link.run(
            |client| client.prepare(&table.select_data(DIALECT)),
            |e| backend(NAME, "init", &target, full_message(&e)),
        )?;
        let (data_type, id_type) = match (probe.columns().first(), probe.params().first()) {
            (Some(column), Some(param)) => (column.type_().clone(), param.clone()),
            _ => {
                return Err(backend(
                    NAME,
                    "init",
                    &target,
                    "the table has no such columns",
                ))
            }
        };
        let data = DataColumn::of(&data_type).ok_or_else(|| {
            backend(
                NAME,
                "init",
                &target,
                format!("the data column is {data_type}; it must be TEXT or BYTEA"),
            )
        })?;
        let id = IdColumn::of(&id_type).ok_or_else(|| {
            backend(
                NAME,
                "init",
                &target,
                format!("the id column is {id_type}; it must be CHAR, VARCHAR, TEXT or an integer"),
            )
        })?;
        if binary != (data == DataColumn::Bytea) {
            return Err(bad_arg(
                "ColumnType",
                format!(
                    "the data column of {target} is {data_type}, but ColumnType {}; Perl would store \
                     nothing readable. Use ColumnType=binary exactly when the column is BYTEA, \
                     in Perl and here",
                    if binary { "is binary" } else { "is not binary" }
                ),
            ));
        }
        Ok(PostgresqlDriver {
            table,
            link,
            data,
            data_type,
            id,
            upsert: AtomicBool::new(true),
        })
    }

    /// The session table's names.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Whether records are stored in a BYTEA column (`ColumnType => 'binary'`).
    pub fn is_binary(&self) -> bool {
        self.data == DataColumn::Bytea
    }

    fn fail(&self, op: &'static str) -> impl Fn(postgres::Error) -> Error + '_ {
        move |e| backend(NAME, op, &self.target(), full_message(&e))
    }

    fn target(&self) -> String {
        describe(&self.table, self.link.connector())
    }

    /// Perl's store (spec §5.6), for tables without a unique id: `INSERT ... WHERE NOT
    /// EXISTS`, then `UPDATE` when nothing was inserted or a concurrent insert won.
    /// `Ok(false)` when the row kept vanishing between the two.
    fn perl_store(
        &self,
        client: &mut Client,
        data: &(dyn ToSql + Sync),
        id: &(dyn ToSql + Sync),
    ) -> Result<bool, postgres::Error> {
        let (t, d, i) = (
            self.table.name(),
            self.table.data_column(),
            self.table.id_column(),
        );
        let insert = format!(
            "INSERT INTO {t} ({d},{i}) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE {i}=$3 LIMIT 1)"
        );
        let update = self.table.update(DIALECT);
        let (data_type, id_type) = (self.data_type.clone(), self.id.ty());
        for _ in 0..FALLBACK_ATTEMPTS {
            let inserted = client.execute_typed(
                &insert,
                &[
                    (data, data_type.clone()),
                    (id, id_type.clone()),
                    (id, id_type.clone()),
                ],
            );
            match inserted {
                Ok(1..) => return Ok(true),
                Ok(0) => {}
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
                Err(e) => return Err(e),
            }
            let updated = client
                .execute_typed(&update, &[(data, data_type.clone()), (id, id_type.clone())])?;
            if updated > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// `ColumnType` (binary when `lc ColumnType eq 'binary'`), unless `PgColumnType` is
/// given, as Perl's `init` decides (spec §5.6).
fn wants_binary(args: &Args) -> Result<bool, Error> {
    match true_value(args, "PgColumnType") {
        Some(PG_BYTEA) => Ok(true),
        Some(PG_TEXT) => Ok(false),
        Some(other) => Err(bad_arg(
            "PgColumnType",
            format!("{other:?} is neither {PG_BYTEA} (PG_BYTEA) nor {PG_TEXT} (PG_TEXT)"),
        )),
        None => Ok(args
            .get("ColumnType")
            .is_some_and(|t| t.eq_ignore_ascii_case("binary"))),
    }
}

fn describe(table: &Table, server: &Server) -> String {
    format!("{} in {}", table.describe(), server.describe())
}

/// The session table `args` describe, as [`Table::create_sql`] makes it, checking the
/// arguments but connecting to nothing. `content` must agree with `ColumnType`: binary
/// content needs `ColumnType=binary` (which Perl then needs too), text content must
/// not have it.
pub fn table_sql(args: &Args, content: Content, if_not_exists: bool) -> Result<String, Error> {
    let (_, table) = planned_table(args, content)?;
    Ok(table.create_sql(DIALECT, content, if_not_exists))
}

/// Creates the session table ([`table_sql`]) in the database `args` name and returns
/// the statement it ran.
pub fn create_table(args: &Args, content: Content, if_not_exists: bool) -> Result<String, Error> {
    let (server, table) = planned_table(args, content)?;
    let sql = table.create_sql(DIALECT, content, if_not_exists);
    server.connect()?.batch_execute(&sql).map_err(|e| {
        backend(
            NAME,
            "create_table",
            &describe(&table, &server),
            full_message(&e),
        )
    })?;
    Ok(sql)
}

fn planned_table(args: &Args, content: Content) -> Result<(Server, Table), Error> {
    refuse_handle(args)?;
    let binary = wants_binary(args)?;
    if (content == Content::Binary) != binary {
        return Err(bad_arg(
            "ColumnType",
            if binary {
                "is binary, but the serializer writes text: leave ColumnType out for a TEXT column"
            } else {
                "must be binary for a binary serializer (its records hold NUL bytes, which a \
                 TEXT column cannot): pass ColumnType=binary, here and to Perl"
            },
        ));
    }
    Ok((Server::from_args(args)?, Table::from_args(args)?))
}

impl Driver for PostgresqlDriver {
    fn name(&self) -> &'static str {
        NAME
    }

    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(key) = self.id.key(id) else {
            return Ok(None);
        };
        let sql = self.table.select_data(DIALECT);
        let param = IdColumn::param(&key);
        let record = self.link.run(
            |client| {
                let rows = client.query_typed(&sql, &[(&*param, self.id.ty())])?;
                rows.first().map(|row| self.data.read(row)).transpose()
            },
            self.fail("retrieve"),
        )?;
        match record.flatten().transpose() {
            Ok(record) => Ok(found(record)),
            Err(c) => Err(backend(
                NAME,
                "retrieve",
                &self.target(),
                format!(
                    "the TEXT record of session {id:?} holds {c:?} (U+{:04X}), which no Perl byte \
                     string holds (spec §5.6; Perl's FreezeThaw writes wide characters so); \
                     a BYTEA column keeps such records",
                    u32::from(c)
                ),
            )),
        }
    }

    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        keyable("store", id)?;
        let key = self.id.key(id).ok_or_else(|| Error::InvalidId {
            op: "store",
            id: id.to_owned(),
            reason: "the id column cannot hold it (a NUL, or not a number for an integer column)",
        })?;
        if self.data == DataColumn::Text && data.contains(&0) {
            // Perl's message (spec §5.6); PostgreSQL text cannot hold NUL either.
            return Err(Error::Refused {
                op: "store",
                message: "Unallowed characters used in session data. A TEXT column cannot hold \
                          the NUL bytes of this record (Storable writes them); use a BYTEA column \
                          with ColumnType=binary"
                    .into(),
            });
        }
        let id_param = IdColumn::param(&key);
        let data_param = self.data.param(data);
        if self.upsert.load(Ordering::Relaxed) {
            let sql = format!(
                "INSERT INTO {t} ({d},{i}) VALUES($1, $2) ON CONFLICT ({i}) DO UPDATE SET {d}=EXCLUDED.{d}",
                t = self.table.name(),
                d = self.table.data_column(),
                i = self.table.id_column(),
            );
            let params = [
                (&*data_param, self.data_type.clone()),
                (&*id_param, self.id.ty()),
            ];
            let stored = self.link.run(
                |client| match client.execute_typed(&sql, &params) {
                    Ok(_) => Ok(true),
                    // No unique constraint on the id column to conflict on.
                    Err(e) if e.code() == Some(&SqlState::INVALID_COLUMN_REFERENCE) => Ok(false),
                    Err(e) => Err(e),
                },
                self.fail("store"),
            )?;
            if stored {
                return Ok(());
            }
            self.upsert.store(false, Ordering::Relaxed);
        }
        let stored = self.link.run(
            |client| self.perl_store(client, &*data_param, &*id_param),
            self.fail("store"),
        )?;
        if stored {
            return Ok(());
        }
        Err(backend(
            NAME,
            "store",
            &self.target(),
            format!("the row of session {id:?} vanished {FALLBACK_ATTEMPTS} times between INSERT and UPDATE"),
        ))
    }

    fn remove(&self, id: &str) -> Result<(), Error> {
        keyable("remove", id)?;
        let Some(key) = self.id.key(id) else {
            return Ok(());
        };
        let sql = self.table.delete(DIALECT);
        let param = IdColumn::param(&key);
        self.link.run(
            |client| {
                client
                    .execute_typed(&sql, &[(&*param, self.id.ty())])
                    .map(drop)
            },
            self.fail("remove"),
        )
    }

    /// Pages through the ids in id order (see [`crate::dbi`]).
    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        let first = self.table.first_ids();
        let next = self.table.next_ids(DIALECT);
        traverse_pages(
            |after: Option<&Key>| {
                self.link.run(
                    |client| {
                        let rows = match after {
                            None => client.query_typed(&first, &[])?,
                            Some(key) => {
                                let param = IdColumn::param(key);
                                client.query_typed(&next, &[(&*param, self.id.ty())])?
                            }
                        };
                        rows.iter().map(|row| self.id.read(row)).collect()
                    },
                    self.fail("traverse"),
                )
            },
            visit,
        )
    }
}
