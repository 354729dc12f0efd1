//! The SQL drivers `sqlite`, `postgresql` and `mysql`: Perl's `CGI::Session::Driver::DBI`
//! family (spec §5.4–§5.7), sharing real tables with Perl 4.48.
//!
//! A session is one row: the id in column `IdColName` (default `id`) and the serialized
//! record in column `DataColName` (default `a_session`) of table `TableName` (default
//! `sessions`). Perl and Rust read and write the same rows, with the same statements
//! where that is safe, and the same bytes.
//!
//! # Arguments shared by the three drivers
//! | Option | Default | Meaning |
//! |---|---|---|
//! | `DataSource` | (required) | Perl's DBI data source; each driver documents the forms it reads. |
//! | `User`, `Password` | DBI's: `DBI_USER`, `DBI_PASS` from the environment when absent | Credentials (postgresql, mysql). |
//! | `TableName`, `IdColName`, `DataColName` | `sessions`, `id`, `a_session` | Used when Perl-true (`||=`, spec §5.1). Must be plain identifiers; see [`Table`]. |
//! | `Handle` | — | Refused: a Perl DBI handle cannot cross into Rust. Give `DataSource` (and `User`, `Password`) instead. |
//!
//! # What is the same as Perl
//! * Retrieve is `SELECT D FROM T WHERE I=?`, remove is `DELETE FROM T WHERE I= ?`; a
//!   NULL, `""` or `"0"` record counts as not found (spec §5.4).
//! * The connection is made when the driver is built, as Perl's `init` connects, so an
//!   unreachable server, wrong credentials or a missing table fail at once, with one
//!   [`Error::Backend`] naming the driver, the server or file, and the table.
//!
//! # What is deliberately different
//! * **Table and column names are checked.** Perl pastes them into the SQL unquoted, so
//!   a name taken from configuration could inject SQL; names that are not plain
//!   identifiers are refused ([`Table::from_args`]). They are still pasted unquoted,
//!   so they mean what they mean to Perl (e.g. PostgreSQL folds `Sessions` to `sessions`).
//! * **Stores are atomic** against concurrent writers of the same id, including Perl's
//!   (each driver says how); Perl's sqlite and postgresql stores check first and write
//!   after, and can lose a race.
//! * **Errors are returned, never swallowed**: Perl's postgresql store ignores INSERT
//!   errors and its sqlite store can report success after a failed prepare (spec §8.2
//!   item 18).
//! * **Traversal pages through the ids** in the order of the id column, 1000 at a
//!   time (`SELECT I FROM T WHERE I > ? ORDER BY I LIMIT 1000`), instead of holding one
//!   cursor open over the whole table. The callback may load, store and remove sessions
//!   on the same driver (as `find` does), which needs the driver's one connection, and
//!   an open SQLite read cursor would block those writes outright. Paging keeps memory
//!   constant, holds no lock across the callback, and is not disturbed by rows the
//!   callback removes. With the recommended PRIMARY KEY each page is an index range scan.
//! * One connection per driver, reused by every session it serves (Perl's `find` opens
//!   one per session, spec §4 item 5); a connection the server dropped is remade once
//!   per operation.
//!
//! # Creating the table
//! [`Table::create_sql`] gives the recommended `CREATE TABLE` for a driver and the kind
//! of data a serializer writes ([`Content`]); each driver's `create_table` runs it
//! (the facade's `init` and `cgisess init` use them).

mod link;
mod source;
mod table;

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgresql")]
pub mod postgresql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use table::{Content, Dialect, Table, DEFAULT_DATA_COLUMN, DEFAULT_ID_COLUMN, DEFAULT_TABLE};

use crate::{found, Args, Error};

/// How many ids one traversal page fetches.
const TRAVERSE_PAGE: usize = 1000;

/// Refuses Perl's `Handle` argument, which no Rust program can hold.
fn refuse_handle(args: &Args) -> Result<(), Error> {
    if args.contains_key("Handle") {
        return Err(crate::args::bad_arg(
            "Handle",
            "a Perl DBI handle cannot be passed to Rust; give DataSource (and User, Password) instead",
        ));
    }
    Ok(())
}

/// Refuses the empty id for `store` and `remove` (Perl croaks `usage error` on a
/// false id; spec §5.4, §8.2 item 13).
fn keyable(op: &'static str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::InvalidId {
            op,
            id: id.to_owned(),
            reason: "session ids cannot be empty",
        });
    }
    Ok(())
}

/// The [`Error::Backend`] of driver `driver`: `op` and what it was done to, then the
/// store's own message.
fn backend(driver: &'static str, op: &str, target: &str, cause: impl std::fmt::Display) -> Error {
    Error::Backend {
        driver,
        message: format!("{op}(): {target}: {cause}"),
    }
}

/// Walks the ids of a table one page at a time (see the module docs): `page(after)`
/// fetches up to [`TRAVERSE_PAGE`] rows after key `after` (all from the start when
/// `None`), as (key, id) pairs where the id is `None` for a key that names no session
/// (NULL, not UTF-8). No connection is held while `visit` runs.
fn traverse_pages<K>(
    mut page: impl FnMut(Option<&K>) -> Result<Vec<(K, Option<String>)>, Error>,
    visit: &mut dyn FnMut(&str) -> std::ops::ControlFlow<()>,
) -> Result<(), Error> {
    let mut after: Option<K> = None;
    loop {
        let rows = page(after.as_ref())?;
        let complete = rows.len() < TRAVERSE_PAGE;
        for (key, id) in rows {
            if let Some(id) = id {
                if visit(&id).is_break() {
                    return Ok(());
                }
            }
            after = Some(key);
        }
        if complete {
            return Ok(());
        }
    }
}
