//! Creating the table a SQL store keeps its sessions in (`cgisess init`).
//!
//! Perl's CGI::Session leaves this to the operator and suggests a schema in each
//! driver's POD. Here the DSN and driver arguments that open the store also create its
//! table: the id column `CHAR(32) NOT NULL PRIMARY KEY`, and a data column whose type
//! suits what the DSN's serializer writes (see
//! [`Table::create_sql`](cgi_session_drivers::dbi::Table::create_sql) for why):
//!
//! | Serializer | sqlite | postgresql | mysql |
//! |---|---|---|---|
//! | `default`, `freezethaw`, `yaml`, `json` (text) | `TEXT` | `TEXT` | `MEDIUMBLOB` |
//! | `storable` and any other (binary) | `BLOB` | `BYTEA`, with `ColumnType=binary` | `MEDIUMBLOB` |
//!
//! ```no_run
//! use cgi_session::{init, Args, Dsn};
//!
//! let dsn = Dsn::parse("driver:sqlite;serializer:storable")?;
//! let args = Args::from([("DataSource".to_string(), "/var/lib/app/sessions.db".to_string())]);
//! let made = init::create_session_table(&dsn, &args, false)?;
//! assert!(made.sql.ends_with("a_session BLOB NOT NULL)"));
//! # Ok::<(), cgi_session::Error>(())
//! ```

use cgi_session_drivers::dbi::Content;
use cgi_session_drivers::Args;

use crate::dsn::Dsn;
use crate::error::{Error, Result};

/// What the serializers of Perl 4.48 (and `json`) write that is text, without NUL bytes.
const TEXT_SERIALIZERS: [&str; 4] = ["default", "freezethaw", "yaml", "json"];

type TableFn = fn(&Args, Content, bool) -> Result<String, cgi_session_drivers::Error>;

/// Every SQL driver of this build: its DSN name, its schema, and how it creates it.
const SQL_DRIVERS: &[(&str, TableFn, TableFn)] = &[
    #[cfg(feature = "sqlite")]
    (
        "sqlite",
        cgi_session_drivers::dbi::sqlite::table_sql,
        cgi_session_drivers::dbi::sqlite::create_table,
    ),
    #[cfg(feature = "postgresql")]
    (
        "postgresql",
        cgi_session_drivers::dbi::postgresql::table_sql,
        cgi_session_drivers::dbi::postgresql::create_table,
    ),
    #[cfg(feature = "mysql")]
    (
        "mysql",
        cgi_session_drivers::dbi::mysql::table_sql,
        cgi_session_drivers::dbi::mysql::create_table,
    ),
];

/// A session table, planned or created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTable {
    /// The driver, as the DSN names it (`sqlite`, `postgresql`, `mysql`).
    pub driver: String,
    /// What the DSN's serializer writes.
    pub content: Content,
    /// The `CREATE TABLE` statement.
    pub sql: String,
}

/// What the serializer `name` writes: [`Content::Text`] for Perl's text formats,
/// [`Content::Binary`] for Storable and for any serializer not known to write text.
pub fn content_of(serializer: &str) -> Content {
    if TEXT_SERIALIZERS.contains(&serializer) {
        Content::Text
    } else {
        Content::Binary
    }
}

/// The table the DSN `dsn` and `args` need, without touching any database: which driver, what
/// the serializer writes, and the statement [`create_session_table`] would run. The
/// arguments are checked as the driver checks them (`DataSource`, the names, and for
/// postgresql that `ColumnType=binary` is given exactly for binary serializers).
pub fn session_table_sql(dsn: &Dsn, args: &Args, if_not_exists: bool) -> Result<SessionTable> {
    plan(dsn, args, if_not_exists, |&(_, table_sql, _)| table_sql)
}

/// Creates the table `dsn` and `args` need in their database ([`session_table_sql`]),
/// failing if it exists unless `if_not_exists` (which then leaves an existing table,
/// whatever its columns, as it is).
pub fn create_session_table(dsn: &Dsn, args: &Args, if_not_exists: bool) -> Result<SessionTable> {
    plan(dsn, args, if_not_exists, |&(_, _, create)| create)
}

fn plan(
    dsn: &Dsn,
    args: &Args,
    if_not_exists: bool,
    pick: fn(&(&str, TableFn, TableFn)) -> TableFn,
) -> Result<SessionTable> {
    let driver = dsn.driver_name();
    let entry = SQL_DRIVERS
        .iter()
        .find(|(name, _, _)| *name == driver)
        .ok_or_else(|| {
            let known: Vec<&str> = SQL_DRIVERS.iter().map(|(name, _, _)| *name).collect();
            Error::Usage(format!(
                "driver {driver:?} keeps no SQL table; init is for the SQL drivers of this build ({})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ))
        })?;
    let content = content_of(dsn.serializer_name());
    let sql = pick(entry)(args, content, if_not_exists)?;
    Ok(SessionTable {
        driver: driver.to_owned(),
        content,
        sql,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Args {
        cgi_session_test_support::pairs(pairs)
    }

    #[test]
    fn serializers_choose_the_column_content() {
        for text in TEXT_SERIALIZERS {
            assert_eq!(content_of(text), Content::Text);
        }
        assert_eq!(content_of("storable"), Content::Binary);
        assert_eq!(content_of("someday"), Content::Binary);
    }

    fn dsn(text: &str) -> Dsn {
        Dsn::parse(text).unwrap()
    }

    #[test]
    fn stores_without_tables_are_refused() {
        let err = session_table_sql(&dsn("driver:file"), &Args::new(), false).unwrap_err();
        assert!(err.to_string().contains("keeps no SQL table"), "{err}");
        let err = session_table_sql(&Dsn::default(), &Args::new(), false).unwrap_err();
        assert!(err.to_string().contains("\"file\""), "{err}");
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_plans_follow_the_serializer() {
        let a = args(&[("DataSource", "/tmp/x.db"), ("TableName", "web_sessions")]);
        let planned =
            session_table_sql(&dsn("driver:SQLite;serializer:Storable"), &a, true).unwrap();
        assert_eq!(planned.driver, "sqlite");
        assert_eq!(planned.content, Content::Binary);
        assert_eq!(
            planned.sql,
            "CREATE TABLE IF NOT EXISTS web_sessions (id CHAR(32) NOT NULL PRIMARY KEY, a_session BLOB NOT NULL)"
        );
        let err = session_table_sql(&dsn("driver:sqlite"), &Args::new(), false).unwrap_err();
        assert!(err.to_string().contains("DataSource"), "{err}");
    }

    #[cfg(feature = "postgresql")]
    #[test]
    fn postgresql_binary_tables_need_column_type_binary() {
        let a = args(&[("DataSource", "dbi:Pg:dbname=test")]);
        let err = session_table_sql(&dsn("driver:postgresql;serializer:storable"), &a, false)
            .unwrap_err();
        assert!(err.to_string().contains("ColumnType"), "{err}");
        let mut a = a;
        a.insert("ColumnType".into(), "binary".into());
        let planned =
            session_table_sql(&dsn("driver:postgresql;serializer:storable"), &a, false).unwrap();
        assert!(
            planned.sql.ends_with("a_session BYTEA NOT NULL)"),
            "{}",
            planned.sql
        );
    }
}
