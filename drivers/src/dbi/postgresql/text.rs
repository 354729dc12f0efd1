//! Perl strings in PostgreSQL columns: the TEXT encoding rule (spec §5.6) and the
//! column types the driver accepts.
//!
//! DBD::Pg binds a Perl byte string to a TEXT column by upgrading it as Latin-1, and
//! decodes fetched text as UTF-8. So a TEXT column holds the serialized record as
//! characters, byte `0xE9` being the character U+00E9 (stored as UTF-8 `c3 a9`), and
//! Rust must write and read it the same way. BYTEA columns hold the bytes themselves.

use postgres::types::{ToSql, Type};
use postgres::Row;

/// The characters a TEXT column holds for Perl byte string `bytes`: byte `b` is the
/// character `U+00bb` (spec §5.6).
///
/// ```
/// use cgi_session_drivers::dbi::postgresql::{from_column_text, to_column_text};
///
/// assert_eq!(to_column_text(b"caf\xe9"), "café");
/// assert_eq!(to_column_text("café".as_bytes()), "cafÃ©"); // UTF-8 bytes, as Perl stores them
/// assert_eq!(from_column_text("cafÃ©").unwrap(), "café".as_bytes());
/// assert_eq!(from_column_text("☺"), Err('☺'));
/// ```
pub fn to_column_text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The Perl byte string a TEXT column's characters stand for: the reverse of
/// [`to_column_text`]. `Err` carries the first character above U+00FF, which no byte
/// string holds: Perl's FreezeThaw writes such characters raw for wide-character data
/// (verified with DBD::Pg 3.16), and a Rust serializer reads bytes.
pub fn from_column_text(text: &str) -> Result<Vec<u8>, char> {
    text.chars()
        .map(|c| u8::try_from(c).map_err(|_| c))
        .collect()
}

/// Whether `ty` is a character type that reads into a Rust `String`.
fn is_text(ty: &Type) -> bool {
    <String as postgres::types::FromSql>::accepts(ty)
}

/// How the data column stores records, from its actual type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataColumn {
    /// BYTEA: the bytes themselves.
    Bytea,
    /// TEXT, VARCHAR or CHAR: characters by the Latin-1 rule.
    Text,
}

impl DataColumn {
    /// `None` for a type no record can live in.
    pub(super) fn of(ty: &Type) -> Option<DataColumn> {
        if *ty == Type::BYTEA {
            Some(DataColumn::Bytea)
        } else {
            is_text(ty).then_some(DataColumn::Text)
        }
    }

    /// `data` as a parameter of this column's type. A TEXT record must not hold NUL
    /// (checked by the caller, as Perl does).
    pub(super) fn param(self, data: &[u8]) -> Box<dyn ToSql + Sync> {
        match self {
            DataColumn::Bytea => Box::new(data.to_vec()),
            DataColumn::Text => Box::new(to_column_text(data)),
        }
    }

    /// The record in column 0 of `row`, as bytes; `Ok(Err(c))` when a TEXT record holds
    /// a character no byte string has.
    pub(super) fn read(self, row: &Row) -> Result<Option<Result<Vec<u8>, char>>, postgres::Error> {
        Ok(match self {
            DataColumn::Bytea => row.try_get::<_, Option<Vec<u8>>>(0)?.map(Ok),
            DataColumn::Text => row
                .try_get::<_, Option<String>>(0)?
                .map(|text| from_column_text(&text)),
        })
    }
}

/// The id column's type: text (as Perl's `CHAR(32)`) or an integer (ids from `id:incr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IdColumn {
    ty: Type,
}

/// An id as the id column holds it, for stepping from one traversal page to the next.
#[derive(Debug, Clone)]
pub(super) enum Key {
    /// A character value, as the column holds it (after the Latin-1 rule).
    Text(String),
    /// A `SMALLINT` value.
    I16(i16),
    /// An `INTEGER` value.
    I32(i32),
    /// A `BIGINT` value.
    I64(i64),
}

impl IdColumn {
    /// `None` for a type that cannot hold ids.
    pub(super) fn of(ty: &Type) -> Option<IdColumn> {
        let usable = is_text(ty) || [Type::INT2, Type::INT4, Type::INT8].contains(ty);
        usable.then(|| IdColumn { ty: ty.clone() })
    }

    /// The column's type, for typed queries.
    pub(super) fn ty(&self) -> Type {
        self.ty.clone()
    }

    /// The key id `id` is in this column; `None` when the column could never hold it
    /// (a NUL in a text column, a non-number or an out-of-range number in an integer
    /// column). Ids are Perl byte strings too: the Latin-1 rule applies to their bytes.
    pub(super) fn key(&self, id: &str) -> Option<Key> {
        if self.ty == Type::INT2 {
            id.parse().ok().map(Key::I16)
        } else if self.ty == Type::INT4 {
            id.parse().ok().map(Key::I32)
        } else if self.ty == Type::INT8 {
            id.parse().ok().map(Key::I64)
        } else {
            (!id.contains('\0')).then(|| Key::Text(to_column_text(id.as_bytes())))
        }
    }

    /// `key` as a query parameter.
    pub(super) fn param(key: &Key) -> Box<dyn ToSql + Sync> {
        match key {
            Key::Text(text) => Box::new(text.clone()),
            Key::I16(n) => Box::new(*n),
            Key::I32(n) => Box::new(*n),
            Key::I64(n) => Box::new(*n),
        }
    }

    /// The key in column 0 of `row` (never NULL: the traversal queries exclude NULL)
    /// and the session id it names (`None` for text that is not a UTF-8 id). `CHAR(n)`
    /// values come back padded with spaces; the padding is not part of the id
    /// (PostgreSQL ignores it when comparing).
    pub(super) fn read(&self, row: &Row) -> Result<(Key, Option<String>), postgres::Error> {
        Ok(if self.ty == Type::INT2 {
            let n: i16 = row.try_get(0)?;
            (Key::I16(n), Some(n.to_string()))
        } else if self.ty == Type::INT4 {
            let n: i32 = row.try_get(0)?;
            (Key::I32(n), Some(n.to_string()))
        } else if self.ty == Type::INT8 {
            let n: i64 = row.try_get(0)?;
            (Key::I64(n), Some(n.to_string()))
        } else {
            let text: String = row.try_get(0)?;
            let padded = self.ty == Type::BPCHAR;
            let id = from_column_text(&text)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map(|id| {
                    if padded {
                        id.trim_end_matches(' ').to_owned()
                    } else {
                        id
                    }
                })
                .filter(|id| !id.is_empty());
            (Key::Text(text), id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_through_column_text() {
        let all: Vec<u8> = (0..=255).collect();
        let text = to_column_text(&all);
        assert_eq!(text.chars().count(), 256);
        assert_eq!(from_column_text(&text).unwrap(), all);
    }

    #[test]
    fn ids_follow_the_column_type() {
        let text = IdColumn::of(&Type::BPCHAR).unwrap();
        assert!(matches!(text.key("café"), Some(Key::Text(t)) if t == "cafÃ©"));
        assert!(text.key("a\0b").is_none());
        let int = IdColumn::of(&Type::INT4).unwrap();
        assert!(matches!(int.key("42"), Some(Key::I32(42))));
        assert!(int.key("abc").is_none());
        assert!(IdColumn::of(&Type::INT2).unwrap().key("40000").is_none());
        assert!(IdColumn::of(&Type::BYTEA).is_none());
        assert_eq!(DataColumn::of(&Type::JSONB), None);
        assert_eq!(DataColumn::of(&Type::VARCHAR), Some(DataColumn::Text));
    }
}
