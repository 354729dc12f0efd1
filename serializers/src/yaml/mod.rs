//! Serializer `yaml`: YAML as `CGI::Session::Serialize::yaml` 4.26 writes it with
//! YAML::Syck 1.34 (spec §7.4).
//!
//! ```text
//! ---
//! _SESSION_ATIME: '1795293613'
//! _SESSION_ETIME: 7200
//! cart:
//!   - 1
//!   - 2
//! obj: !!perl/hash:My::Class
//!   name: alice
//! ```
//! (Syck leaves a space after `---` and after `key:` when the value starts on the next line.)
//!
//! Perl's freeze is `YAML::Syck::Dump($data)` and its thaw `(Load($s))[0]` with
//! `$YAML::Syck::LoadBlessed = 1`, `ImplicitTyping` and `ImplicitUnicode` off.
//!
//! # Writing
//! [`Yaml::freeze`] emits what `Dump` emits for the same data, byte for byte: keys in
//! sorted order, Syck's choice of plain, `'single'` or `"double"` quotes for every
//! scalar (numbers that are strings, like `'1700000000'`, `'007'` or `'1e3'`, are
//! quoted; integers of up to 9 characters are bare; floats are always quoted, as
//! Perl prints them), `~` for undef, `!!perl/hash:Class`, `!!perl/array:Class`,
//! `!!perl/scalar:Class`, `!!perl/ref` (`=: target`), `!!perl/code:`,
//! `!!perl/regexp`, and `&N`/`*N` for shared references. Byte strings are written
//! raw (Latin-1 stays Latin-1) unless double quotes are needed, where bytes above
//! 0x7E become `\xHH`; a character string is written as its UTF-8 bytes.
//!
//! Known differences from `Dump`, none of which changes what Perl reads:
//! * Anchor numbers: Syck numbers shared things in Perl's hash order, which is
//!   random; we use sorted order. Data with shared references in a hash of more than
//!   one key may get other digits.
//! * A shared code reference is written twice rather than anchored ([`Value::Code`]
//!   has no identity).
//! * A blessed scalar whose text reads as a boolean or null (`yes`, `~`, `null`, ...)
//!   keeps its `!!perl/scalar:Class` tag; Syck drops it, so Perl would read such a
//!   record back as a plain string.
//! * A value ending in a carriage return is double-quoted; Syck writes it plain and
//!   its reader takes the CR for part of a CRLF line break and drops it.
//! * A top-level key starting with `--- ` or `... ` is double-quoted; Syck writes it
//!   plain and its reader takes it for a new document, dropping the rest of the record.
//! * A regexp whose pattern already is a stringified regexp with no flags of its own
//!   (`(?^i:ab+c)`, what every regexp read back from Syck holds) is written as is
//!   rather than wrapped again (`(?^:(?^i:ab+c))`), so it reads back unchanged.
//!
//! # Reading
//! [`Yaml::thaw`] reads everything Syck writes and the YAML Syck reads in general:
//! block and flow collections, plain, quoted and block (`|`, `>`) scalars, comments,
//! several documents (the first is the result), anchors and aliases, Syck's Perl
//! tags and its core ones (`!int`, `!float`, `!null`, `!binary`, ...). As in Perl,
//! every untagged scalar is a **byte string** (a plain `~`, or no value at all, is
//! undef): numbers come back as strings, and character strings come back as their
//! UTF-8 bytes (spec §7.6). Input is bytes, never decoded; a NUL byte ends it, as in
//! Syck.
//!
//! Safety: nothing is evaluated (`!!perl/code` gives a [`Value::Code`] placeholder),
//! aliases share the anchored value's [`Arc`](std::sync::Arc)s (an alias bomb costs
//! nothing), nesting beyond [`MAX_DEPTH`](crate::MAX_DEPTH) is an error, and so is an
//! alias inside its own anchor (a cycle, which a [`Value`] cannot hold). An alias to
//! an unknown anchor gives Syck's `YAML::Syck::BadAlias` object, as in Perl.
//! Where Perl would also load them, these are refused: complex keys (`? `),
//! collections as keys, aliases as keys, `!!perl/ref` with no pair (Perl crashes).

mod build;
mod cursor;
mod reader;
mod scalar;
mod writer;

#[cfg(test)]
mod tests;

use crate::{Error, Serializer, Value};

/// The serializer's name, used in DSNs and in errors.
const FORMAT: &str = "yaml";

fn syntax(offset: usize, message: impl Into<String>) -> Error {
    Error::syntax(FORMAT, offset, message)
}

fn unsupported(message: impl Into<String>) -> Error {
    Error::unsupported(FORMAT, message)
}

/// YAML as YAML::Syck writes it: the serializer named `yaml`.
///
/// ```
/// use cgi_session_serializers::{Serializer, Value, Yaml};
///
/// let cart = Value::array([1, 2]);
/// let data = Value::hash([("cart", cart.clone()), ("copy", cart), ("user", "alice".into())]);
/// let text = Yaml.freeze(&data).unwrap();
/// assert_eq!(text, b"--- \ncart: &1 \n  - 1\n  - 2\ncopy: *1\nuser: alice\n");
///
/// // Scalars come back as strings, as Perl's thaw gives them; sharing is kept.
/// let back = Yaml.thaw(&text).unwrap();
/// assert_eq!(back["cart"], Value::array([Value::bytes("1"), Value::bytes("2")]));
/// assert!(back["cart"].same_ref(&back["copy"]));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Yaml;

impl Serializer for Yaml {
    fn name(&self) -> &'static str {
        FORMAT
    }

    /// Writes `data` as `YAML::Syck::Dump` does (see the module documentation for
    /// the few differences). Fails with [`Error::Unsupported`] for nesting deeper than
    /// [`MAX_DEPTH`](crate::MAX_DEPTH) and for a blessed non-reference.
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        writer::freeze(data)
    }

    /// Reads the first YAML document as Perl's thaw does, never evaluating anything.
    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        reader::thaw(bytes)
    }
}
