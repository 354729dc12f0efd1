//! Serializer `json`: sessions as JSON that other languages read naturally
//! (a Rust extension: Perl 4.48 has no JSON serializer, spec §7.5).
//!
//! Ordinary session data — hashes, arrays, strings, numbers, `undef` — is plain
//! JSON. What only Perl has is written as a JSON object whose keys all start with
//! `$`; since a plain hash key never starts with `$` (such keys go into `"$pairs"`),
//! every object is either a plain hash or exactly one of these forms:
//!
//! | Perl | JSON |
//! |---|---|
//! | `undef` | `null` |
//! | integer | integer: `42` |
//! | float | number with a decimal point, always: `3.25`, `1000.0`, `1.0e+20`, `1.0e-05` |
//! | `Inf`, `-Inf`, `NaN` | `{"$float": "Inf"}` |
//! | byte string that is valid UTF-8 (ASCII, or UTF-8 text as a CGI form gives it) | string: its text |
//! | byte string that is not UTF-8 (`"caf\xe9"`, binary) | `{"$bytes": "caf\u00e9"}`: one character per byte, U+0000..U+00FF |
//! | character string (UTF-8 flag on, not all ASCII) | `{"$chars": "caf\u00e9 \u263a"}` |
//! | array ref | array |
//! | hash ref | object; keys as strings are; keys that are not plain text or start with `$` go, with their values, into `"$pairs": [[KEY, VALUE], ...]` |
//! | scalar ref `\$x` | `{"$ref": x}` |
//! | blessed ref | `{"$bless": "Class", "$value": referent}` |
//! | code ref | `{"$code": null}` (the code is lost, as Data::Dumper loses it) |
//! | `qr/p/f` | `{"$flags": "f", "$regexp": "p"}` |
//! | a referent reached twice or more | first `{"$id": 1, "$value": referent}`, then `{"$same": 1}` |
//!
//! * **Strings.** A plain JSON string is a Perl *byte* string holding the text's
//!   UTF-8 encoding: what CGI.pm hands a Perl program for a form value, and what
//!   most CGI::Session stores hold. Character strings and non-UTF-8 bytes are kept
//!   exact through `$chars` and `$bytes`. Hash keys, class names and regexp
//!   patterns follow the same rule.
//! * **Numbers.** Integers are written as integers; a float always carries a
//!   decimal point (the shortest digits that read back as the same double), so any
//!   reader tells the two apart. A Perl scalar counts as a number when Perl holds it
//!   as one (Data::Dumper's test: a numeric value with no string form, or one equal
//!   to the number's own text); `'007'` and `'3.50'` stay strings. Perl integers
//!   beyond the signed 64-bit range are written as strings (as Storable does).
//!   Read back, `true`/`false` become 1/0; integers beyond the signed 64-bit range
//!   and numbers with a fraction or exponent become floats.
//! * **Sharing.** Ids are numbered 1, 2, ... in writing order; both writers emit
//!   hash keys sorted by code point (with `"$pairs"` in its sorted place) and both
//!   readers visit them in that order, so an id is always defined before it is used.
//!   A cycle cannot be read into a [`Value`]; the Perl module reads and writes them.
//! * **Depth.** JSON nested deeper than [`MAX_NESTING`] levels is refused on both
//!   sides, so neither writes what the other cannot read.
//!
//! The Perl side is `perl/lib/CGI/Session/Serialize/json.pm` (JSON::PP, core Perl):
//! for the same data both write the same bytes, compact, keys sorted.

mod read;
mod text;
mod write;

#[cfg(test)]
mod tests;

pub use read::from_json;
pub use write::to_json;

use crate::{Error, Serializer, Value};

/// The serializer's name, used in DSNs and in errors.
const FORMAT: &str = "json";

/// The deepest JSON nesting (arrays and objects, the mapping's own included) either
/// side reads or writes: serde_json's parser refuses the 128th level, and the Perl
/// module gives JSON::PP the same limit.
pub const MAX_NESTING: usize = 127;

/// JSON by the mapping above: the serializer named `json`.
///
/// ```
/// use cgi_session_serializers::{Json, Serializer, Value};
///
/// let data = Value::hash([
///     ("user", Value::bytes("José")),
///     ("cart", Value::array([1, 2])),
///     ("price", Value::Float(3.0)),
///     ("obj", Value::blessed("My::Class", Value::hash([("k", "v")]))),
/// ]);
/// let text = Json.freeze(&data).unwrap();
/// assert_eq!(
///     String::from_utf8(text.clone()).unwrap(),
///     r#"{"cart":[1,2],"obj":{"$bless":"My::Class","$value":{"k":"v"}},"price":3.0,"user":"José"}"#
/// );
/// assert_eq!(Json.thaw(&text).unwrap(), data);
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Json;

impl Serializer for Json {
    fn name(&self) -> &'static str {
        FORMAT
    }

    /// Writes compact JSON, keys sorted. Fails with [`Error::Unsupported`] for what
    /// the mapping cannot carry: nesting beyond [`MAX_NESTING`], a character string
    /// with a surrogate or a code point above U+10FFFF, a blessed non-reference,
    /// regexp flags that are not letters.
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        Ok(text::compact(&to_json(data)?))
    }

    /// Parses the JSON (never evaluates anything) and maps it back. A parse error
    /// names the byte offset; a mapping error names the JSON pointer of the node.
    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        from_json(&text::parse(bytes)?)
    }
}
