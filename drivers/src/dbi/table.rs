//! The session table: its names, the statements every SQL driver shares, and the
//! recommended schema.

use crate::args::{bad_arg, true_value};
use crate::{Args, Error};

use super::TRAVERSE_PAGE;

/// Perl's default `TableName` (spec §5.1).
pub const DEFAULT_TABLE: &str = "sessions";
/// Perl's default `IdColName` (spec §5.1).
pub const DEFAULT_ID_COLUMN: &str = "id";
/// Perl's default `DataColName` (spec §5.1).
pub const DEFAULT_DATA_COLUMN: &str = "a_session";

/// The SQL dialect of a driver: its placeholders and its column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: `?` placeholders.
    Sqlite,
    /// PostgreSQL: `$1`, `$2`, ... placeholders.
    Postgresql,
    /// MySQL and MariaDB: `?` placeholders.
    Mysql,
}

impl Dialect {
    /// The placeholder of the `n`th parameter (from 1).
    pub(crate) fn param(self, n: usize) -> String {
        match self {
            Dialect::Postgresql => format!("${n}"),
            Dialect::Sqlite | Dialect::Mysql => "?".to_owned(),
        }
    }
}

/// What a serializer writes, which decides the data column's type in
/// [`Table::create_sql`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Text (Data::Dumper, FreezeThaw, YAML, JSON): no NUL bytes, though it may hold
    /// any other byte (Data::Dumper writes Latin-1 byte strings raw).
    Text,
    /// Binary (Storable): NUL bytes and any other byte.
    Binary,
}

/// The session table's names, checked to be plain SQL identifiers.
///
/// Perl interpolates `TableName`, `IdColName` and `DataColName` into its SQL without
/// quoting (spec §5.4, §8.1 item 3), so a name from configuration could inject SQL.
/// Here each name must be a plain identifier, letters, digits and `_`, not starting
/// with a digit, at most 63 characters (PostgreSQL truncates longer ones); the table
/// may be qualified by a schema or database (`app.sessions`).
/// Anything else is refused with [`Error::BadArg`]. Valid names are interpolated
/// unquoted, exactly as Perl does, so they resolve the same way (case folding included).
///
/// ```
/// use cgi_session_drivers::{dbi::Table, Args};
///
/// let table = Table::from_args(&Args::new()).unwrap();
/// assert_eq!((table.name(), table.id_column(), table.data_column()), ("sessions", "id", "a_session"));
///
/// let mut args = Args::new();
/// args.insert("TableName".into(), "sessions; DROP TABLE users".into());
/// assert!(Table::from_args(&args).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    name: String,
    id_column: String,
    data_column: String,
}

impl Table {
    /// Reads `TableName`, `IdColName` and `DataColName`, each replaced by its default
    /// when false in Perl (`""`, `"0"`), as Perl's `Driver::new` does (spec §5.1).
    pub fn from_args(args: &Args) -> Result<Table, Error> {
        let name = |option: &str, default: &str, qualified: bool| -> Result<String, Error> {
            let value = true_value(args, option).unwrap_or(default);
            check_identifier(option, value, qualified)?;
            Ok(value.to_owned())
        };
        Ok(Table {
            name: name("TableName", DEFAULT_TABLE, true)?,
            id_column: name("IdColName", DEFAULT_ID_COLUMN, false)?,
            data_column: name("DataColName", DEFAULT_DATA_COLUMN, false)?,
        })
    }

    /// The table (`TableName`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The id column (`IdColName`).
    pub fn id_column(&self) -> &str {
        &self.id_column
    }

    /// The data column (`DataColName`).
    pub fn data_column(&self) -> &str {
        &self.data_column
    }

    /// The recommended `CREATE TABLE` for `dialect` and data of kind `content`.
    ///
    /// The id column is Perl's `CHAR(32) NOT NULL PRIMARY KEY` everywhere: 32 characters
    /// hold an md5 id, and the primary key is what makes the stores atomic upserts.
    /// The data column:
    ///
    /// | | [`Content::Text`] | [`Content::Binary`] |
    /// |---|---|---|
    /// | sqlite | `TEXT NOT NULL` | `BLOB NOT NULL` |
    /// | postgresql | `TEXT NOT NULL` | `BYTEA NOT NULL` (Perl needs `ColumnType => 'binary'`) |
    /// | mysql | `MEDIUMBLOB NOT NULL` | `MEDIUMBLOB NOT NULL` |
    ///
    /// These are the types Perl's tests and POD use (spec §10), except MySQL: DBD::mysql
    /// sends raw bytes over a `utf8mb4` connection, so a TEXT column refuses the raw
    /// Latin-1 bytes Data::Dumper writes as well as Storable's (spec §5.5); a BLOB type
    /// keeps every byte, and MEDIUMBLOB lifts TEXT's 64 KiB limit to 16 MiB. SQLite
    /// stores what Perl binds as a BLOB whatever the declared type (spec §5.7).
    pub fn create_sql(&self, dialect: Dialect, content: Content, if_not_exists: bool) -> String {
        let data_type = match (dialect, content) {
            (Dialect::Sqlite | Dialect::Postgresql, Content::Text) => "TEXT",
            (Dialect::Sqlite, Content::Binary) => "BLOB",
            (Dialect::Postgresql, Content::Binary) => "BYTEA",
            (Dialect::Mysql, _) => "MEDIUMBLOB",
        };
        format!(
            "CREATE TABLE {}{} ({} CHAR(32) NOT NULL PRIMARY KEY, {} {data_type} NOT NULL)",
            if if_not_exists { "IF NOT EXISTS " } else { "" },
            self.name,
            self.id_column,
            self.data_column,
        )
    }

    /// Perl's retrieve: `SELECT D FROM T WHERE I=?` (spec §5.4).
    pub(crate) fn select_data(&self, dialect: Dialect) -> String {
        format!(
            "SELECT {} FROM {} WHERE {}={}",
            self.data_column,
            self.name,
            self.id_column,
            dialect.param(1)
        )
    }

    /// Perl's remove: `DELETE FROM T WHERE I= ?` (spec §5.4).
    pub(crate) fn delete(&self, dialect: Dialect) -> String {
        format!(
            "DELETE FROM {} WHERE {}= {}",
            self.name,
            self.id_column,
            dialect.param(1)
        )
    }

    /// Perl's `UPDATE T SET D=? WHERE I=?`, binding (data, id).
    #[cfg(any(feature = "sqlite", feature = "postgresql"))]
    pub(crate) fn update(&self, dialect: Dialect) -> String {
        format!(
            "UPDATE {} SET {}={} WHERE {}={}",
            self.name,
            self.data_column,
            dialect.param(1),
            self.id_column,
            dialect.param(2)
        )
    }

    /// The first page of a traversal (module docs of [`crate::dbi`]); NULL ids name no
    /// session, and `> ?` could never step past them.
    pub(crate) fn first_ids(&self) -> String {
        format!(
            "SELECT {id} FROM {} WHERE {id} IS NOT NULL ORDER BY {id} LIMIT {TRAVERSE_PAGE}",
            self.name,
            id = self.id_column,
        )
    }

    /// The page after a given id.
    pub(crate) fn next_ids(&self, dialect: Dialect) -> String {
        format!(
            "SELECT {id} FROM {} WHERE {id} > {} ORDER BY {id} LIMIT {TRAVERSE_PAGE}",
            self.name,
            dialect.param(1),
            id = self.id_column,
        )
    }

    /// How errors name the table: `table sessions (id, a_session)`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "table {} ({}, {})",
            self.name, self.id_column, self.data_column
        )
    }
}

/// The longest name (each part of `schema.table`) accepted: PostgreSQL's limit.
const MAX_IDENTIFIER: usize = 63;

/// Refuses a name that is not a plain identifier (or `schema.table` when `qualified`).
fn check_identifier(option: &str, value: &str, qualified: bool) -> Result<(), Error> {
    // PostgreSQL silently truncates a longer name (two names would meet in one
    // table), MySQL refuses one over 64 characters.
    let plain = |part: &str| {
        let mut chars = part.chars();
        part.len() <= MAX_IDENTIFIER
            && chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = value.split('.').collect();
    let ok = match parts.as_slice() {
        [one] => plain(one),
        [schema, table] if qualified => plain(schema) && plain(table),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(bad_arg(
        option,
        format!(
            "{value:?} is not a plain SQL identifier (ASCII letters, digits and _, not starting \
             with a digit, at most {MAX_IDENTIFIER} characters{}); Perl would paste it into its \
             SQL unquoted",
            if qualified {
                ", optionally schema.table"
            } else {
                ""
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pairs: &[(&str, &str)]) -> Result<Table, Error> {
        let args: Args = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Table::from_args(&args)
    }

    #[test]
    fn false_names_take_perl_defaults() {
        let t = table(&[("TableName", ""), ("IdColName", "0")]).unwrap();
        assert_eq!(t, table(&[]).unwrap());
        let t = table(&[
            ("TableName", "app.my_sessions"),
            ("IdColName", "sid"),
            ("DataColName", "_data2"),
        ])
        .unwrap();
        assert_eq!(
            t.select_data(Dialect::Mysql),
            "SELECT _data2 FROM app.my_sessions WHERE sid=?"
        );
    }

    #[test]
    fn names_that_are_not_identifiers_are_refused() {
        for (option, value) in [
            ("TableName", "s; DROP TABLE users"),
            ("TableName", "a.b.c"),
            ("TableName", ".s"),
            ("TableName", "\"quoted\""),
            ("IdColName", "1id"),
            ("IdColName", "s.id"),
            ("DataColName", "a-session"),
            ("DataColName", "données"),
            ("DataColName", "a session"),
        ] {
            let err = table(&[(option, value)]).unwrap_err();
            assert!(
                matches!(&err, Error::BadArg { name, .. } if name == option),
                "{option}={value:?}: {err}"
            );
        }
    }

    #[test]
    fn statements_keep_perls_text_and_placeholders() {
        let t = table(&[]).unwrap();
        assert_eq!(
            t.select_data(Dialect::Postgresql),
            "SELECT a_session FROM sessions WHERE id=$1"
        );
        assert_eq!(
            t.delete(Dialect::Sqlite),
            "DELETE FROM sessions WHERE id= ?"
        );
        #[cfg(any(feature = "sqlite", feature = "postgresql"))]
        assert_eq!(
            t.update(Dialect::Postgresql),
            "UPDATE sessions SET a_session=$1 WHERE id=$2"
        );
        assert_eq!(
            t.next_ids(Dialect::Mysql),
            "SELECT id FROM sessions WHERE id > ? ORDER BY id LIMIT 1000"
        );
    }

    #[test]
    fn schema_per_dialect_and_content() {
        let t = table(&[]).unwrap();
        assert_eq!(
            t.create_sql(Dialect::Postgresql, Content::Binary, false),
            "CREATE TABLE sessions (id CHAR(32) NOT NULL PRIMARY KEY, a_session BYTEA NOT NULL)"
        );
        assert_eq!(
            t.create_sql(Dialect::Sqlite, Content::Text, true),
            "CREATE TABLE IF NOT EXISTS sessions (id CHAR(32) NOT NULL PRIMARY KEY, a_session TEXT NOT NULL)"
        );
        assert!(t
            .create_sql(Dialect::Mysql, Content::Text, false)
            .ends_with("a_session MEDIUMBLOB NOT NULL)"));
    }
}
