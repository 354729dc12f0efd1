//! Ruby's Marshal format 4.8, and serializers `ruby_filestore` and `ruby_pstore`: the
//! records of Ruby's CGI::Session stores (Ruby 3.1, cgi 0.3.5).
//!
//! [`load`] reads one Marshal stream into a [`Value`] and [`dump`] writes one, byte for
//! byte as Ruby 3.1's `Marshal.dump` writes the same data in the same order. Nothing
//! in a stream is ever run: classes are names, `_dump`/`marshal_dump` data is kept
//! opaque, and no Ruby object is built.
//!
//! # The mapping
//! | Ruby | Value |
//! |---|---|
//! | `nil` | `undef` |
//! | `true` / `false` | `bless(\1, 'JSON::PP::Boolean')` / `bless(\0, 'JSON::PP::Boolean')` (Perl's JSON convention) |
//! | Integer (fixnum `i`, bignum `l`) within i64 | [`Value::Int`] |
//! | bignum beyond i64 | `bless(\"-123...digits", 'Ruby::Integer')` |
//! | Float `f` (`1.5`, `inf`, `-inf`, `nan`, `-0`) | [`Value::Float`]; written as Ruby writes it: shortest round-trip digits (`1e20`, `123`, `-0`, `0.1`) |
//! | String ASCII-8BIT (no `I` wrapper) | byte string |
//! | String UTF-8 (`I` + `:E true`) | character string (UTF-8 flag on) when not all ASCII; ASCII-only → byte string |
//! | String US-ASCII (`:E false`) | byte string |
//! | String in another encoding (`:encoding "Shift_JIS"`), or not valid in its own | `bless({encoding => "Shift_JIS", bytes => <byte string>}, 'Ruby::String')` |
//! | Symbol `:` / symlink `;` | `bless(\"name", 'Ruby::Symbol')` (a non-ASCII UTF-8 name is a character string) |
//! | Array `[` | array ref |
//! | Hash `{` whose keys are all strings of the first three kinds, each distinct | hash ref |
//! | Hash with any other key, or with a default `}` | `bless({pairs => [[k, v], ...], default => v (only with }), 'Ruby::Hash')`, pairs in stream order |
//! | object `o` | `bless({class => 'Name', ivars => {'@a' => v, ...}}, 'Ruby::Object')` |
//! | Struct `S` | `bless({class => 'Name', members => [[name, v], ...]}, 'Ruby::Struct')` (order kept) |
//! | `u` (`_dump`) | `bless({class => 'Name', data => <string>}, 'Ruby::UserDump')` (the data string's encoding is mapped as any string's) |
//! | `U` (`marshal_dump`) | `bless({class => 'Name', data => value}, 'Ruby::UserMarshal')` |
//! | `e` extended | `bless({modules => ['M', ...], value => v}, 'Ruby::Extended')` |
//! | `C` user subclass of String/Array/Hash/Regexp | `bless({class => 'Name', value => v}, 'Ruby::UserClass')` |
//! | `c` class / `m` module / `M` old module | `bless(\"Name", 'Ruby::Class')` / `bless(\"Name", 'Ruby::Module')` |
//! | Regexp `/` | [`Value::Regexp`]: Ruby's options i (1) → `i`, x (2) → `x`, m (4) → `s` (Ruby's m is Perl's s) |
//! | object link `@` | the linked value again (the same `Arc`) |
//! | `I` instance variables on anything but a String, a Regexp or `_dump` data | refused |
//! | `d` (T_DATA), any unknown type byte | refused, naming the byte offset and the type byte |
//!
//! Class, module, symbol and instance-variable names are strings as symbols are.
//!
//! # Writing
//! [`dump`] writes the mapping back: a byte string that is all ASCII is written as a
//! UTF-8 string (`I"..:ET`, as every Ruby literal and CGI parameter is), any other byte
//! string as ASCII-8BIT; a character string as UTF-8. Hash keys go in the [`Value`]'s
//! (sorted) order. What Ruby links, we link as Ruby does, so that Ruby's own `dump` of
//! what it loads from our bytes gives the same bytes: a symbol written before is a
//! symlink `;`; an object reached again through the same [`Arc`] (array, hash, regexp,
//! `Ruby::*` object), an equal float in Ruby's immediate range (a *flonum*), a class or
//! module of the same name, and an encoding name written before are links `@` to the
//! object Ruby numbers them by. Writing what Ruby cannot hold (scalar refs, code refs,
//! objects of other classes, Perl regexp flags other than `i`, `x`, `s`) is an
//! [`Error::Unsupported`] naming it.
//!
//! # What changes on a round trip
//! * ASCII-only strings come back UTF-8 (from ASCII-8BIT or US-ASCII); the bytes and
//!   Ruby's `==` are unchanged.
//! * A string shared by two places (`@` to a String) comes back as two equal strings.
//! * Instance variables come back in name order; a Hash with a default or a non-string
//!   key keeps its order.
//! * A Regexp's `/u` on an ASCII pattern and `/n` (option bits 16 and 32) are not
//!   kept: [`dump`] sets Ruby's fixed-encoding bit exactly when the pattern is not ASCII.
//! * An old-style module `M` comes back as `m`; an over-long encoding of an integer
//!   (`i` with more bytes than needed) in the shortest form.
//!
//! # Limits
//! Only version 4.8 is read: Ruby accepts minor versions below 8 with a warning, but
//! every Ruby since 1.8 writes 4.8, and an older minor version means the bytes are not
//! a session Ruby wrote. Trailing bytes after the value are refused (Ruby's
//! `Marshal.load` of a String ignores them). Nesting is limited to
//! [`MAX_DEPTH`](crate::MAX_DEPTH); every length is checked against the bytes left
//! before anything is allocated; links may not copy more string bytes than the stream
//! holds; a bignum may have at most [`MAX_BIGNUM_BITS`] bits; a link into an object
//! still being read (a cycle) is refused, since a [`Value`] cannot hold one.
//!
//! [`Arc`]: std::sync::Arc

mod bignum;
mod escape;
mod read;
mod records;
mod write;

#[cfg(test)]
mod tests;

pub use escape::{cgi_escape, cgi_unescape};
pub use records::{RubyFileStore, RubyPStore};

use crate::{Error, Value};

/// The name of the format, in errors.
const FORMAT: &str = "marshal";

/// The prefix of the pseudo-ids a Ruby store lists its files by (`digest:<16 hex>`):
/// a `_SESSION_ID` holding one is not written into a record.
pub const DIGEST_ID_PREFIX: &str = "digest:";

/// The largest bignum read or written, in bits: far beyond anything a session holds,
/// and small enough that converting it to decimal digits stays cheap.
pub const MAX_BIGNUM_BITS: usize = 65_536;

/// The class names of the mapping's blessed forms.
mod class {
    pub const BOOLEAN: &str = "JSON::PP::Boolean";
    pub const INTEGER: &str = "Ruby::Integer";
    pub const STRING: &str = "Ruby::String";
    pub const SYMBOL: &str = "Ruby::Symbol";
    pub const HASH: &str = "Ruby::Hash";
    pub const OBJECT: &str = "Ruby::Object";
    pub const STRUCT: &str = "Ruby::Struct";
    pub const USER_DUMP: &str = "Ruby::UserDump";
    pub const USER_MARSHAL: &str = "Ruby::UserMarshal";
    pub const EXTENDED: &str = "Ruby::Extended";
    pub const USER_CLASS: &str = "Ruby::UserClass";
    pub const CLASS: &str = "Ruby::Class";
    pub const MODULE: &str = "Ruby::Module";
}

/// Type bytes of Marshal 4.8 (`TYPE_*` in Ruby's marshal.c).
mod tag {
    pub const NIL: u8 = b'0';
    pub const TRUE: u8 = b'T';
    pub const FALSE: u8 = b'F';
    pub const FIXNUM: u8 = b'i';
    pub const EXTENDED: u8 = b'e';
    pub const UCLASS: u8 = b'C';
    pub const OBJECT: u8 = b'o';
    pub const DATA: u8 = b'd';
    pub const USERDEF: u8 = b'u';
    pub const USRMARSHAL: u8 = b'U';
    pub const FLOAT: u8 = b'f';
    pub const BIGNUM: u8 = b'l';
    pub const STRING: u8 = b'"';
    pub const REGEXP: u8 = b'/';
    pub const ARRAY: u8 = b'[';
    pub const HASH: u8 = b'{';
    pub const HASH_DEF: u8 = b'}';
    pub const STRUCT: u8 = b'S';
    pub const MODULE_OLD: u8 = b'M';
    pub const CLASS: u8 = b'c';
    pub const MODULE: u8 = b'm';
    pub const SYMBOL: u8 = b':';
    pub const SYMLINK: u8 = b';';
    pub const IVAR: u8 = b'I';
    pub const LINK: u8 = b'@';
}

/// Regexp option bits (`ONIG_OPTION_*`, `ARG_ENCODING_*` in Ruby's re.c).
mod regexp_option {
    pub const IGNORECASE: u8 = 1;
    pub const EXTENDED: u8 = 2;
    pub const MULTILINE: u8 = 4;
    pub const FIXED_ENCODING: u8 = 16;
    pub const NO_ENCODING: u8 = 32;
}

/// Reads one Marshal 4.8 stream into a [`Value`] by the mapping (see the module docs).
///
/// ```
/// use cgi_session_serializers::{marshal, Value};
///
/// // Ruby: Marshal.dump({"n" => 1, "cart" => [1, 2]})
/// let bytes = b"\x04\x08{\x07I\"\x06n\x06:\x06ETi\x06I\"\x09cart\x06;\x00T[\x07i\x06i\x07";
/// let value = marshal::load(bytes).unwrap();
/// assert_eq!(value, Value::hash([("n", Value::Int(1)), ("cart", Value::array([1, 2]))]));
/// ```
pub fn load(bytes: &[u8]) -> Result<Value, Error> {
    read::load(bytes)
}

/// Writes `value` as one Marshal 4.8 stream, as Ruby 3.1 writes the same data.
///
/// ```
/// use cgi_session_serializers::{marshal, Value};
///
/// let bytes = marshal::dump(&Value::array([Value::Int(1), Value::from("é")])).unwrap();
/// assert_eq!(bytes, b"\x04\x08[\x07i\x06I\"\x07\xc3\xa9\x06:\x06ET");
/// ```
pub fn dump(value: &Value) -> Result<Vec<u8>, Error> {
    write::dump(value)
}

/// An error about the stream at byte `offset`.
fn syntax(offset: usize, message: impl Into<String>) -> Error {
    Error::syntax(FORMAT, offset, message)
}

/// Data this implementation refuses to read or write.
fn unsupported(message: impl Into<String>) -> Error {
    Error::unsupported(FORMAT, message)
}
