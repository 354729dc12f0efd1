//! Serializer `freezethaw`: the text format of Perl's FreezeThaw 0.5001 (spec §7.3).
//!
//! CGI::Session stores `FreezeThaw::freeze($data)` and reads
//! `(FreezeThaw::thaw($text))[0]`. Every item is a sigil and, for the ones with a
//! body, a decimal count ended by `|`:
//!
//! ```text
//! FrT;@1|%4|$1|a$4|cart$2|xy@2|$1|1$1|2        {a => 'xy', cart => [1, 2]}
//! ```
//!
//! `$LEN|` a string (numbers are strings too), `_` undef, `@N|` an array, `%2N|` a
//! hash (N keys in Perl's `sort` order, then the N values), `\` a scalar reference,
//! `/LEN|` a regexp as Perl stringifies it, `>` a blessed object (`>ID|$LEN|Class`
//! the first time a class appears, `)ID|` after that, then the object's content).
//!
//! # Sharing
//! A reference met more than once makes FreezeThaw start again with a prelude:
//! `!N|` (N + 1 repeated objects, numbered in the order their *second* occurrence is
//! met), an empty placeholder for each (`%0|`, `@0|`, `\_`, or `{` and the class for
//! an object), the content of each (`}` and the class for an object), and then the
//! data with `<I|` wherever repeated object I appears. Perl finds repeats by address;
//! we find them by [`Arc`](std::sync::Arc) identity ([`Value::ref_addr`]), so the same
//! sharing gives the same bytes and Perl keeps it. [`FreezeThaw::thaw`] gives every
//! `<I|` a clone of one `Arc`. A record in which a repeated object contains itself is
//! refused with [`Error::Unsupported`]: a [`Value`] cannot be cyclic.
//!
//! # Bytes and characters
//! `LEN` counts Perl characters. A character above 0xFF makes Perl's frozen string a
//! character string, which the file driver writes UTF-8-encoded while the counts stay
//! in characters: a record nothing can read again (spec §7.3, §7.6). So:
//! * [`FreezeThaw::freeze`] writes a character string whose characters are all at most
//!   0xFF as its Latin-1 bytes — the bytes Perl's file driver writes for such a string —
//!   and **refuses** a character above 0xFF (in a value, a hash key, a class name or a
//!   regexp) with [`Error::Unsupported`] rather than reproduce Perl's corruption;
//! * [`FreezeThaw::thaw`] counts `LEN` in bytes, which is right for every record Perl
//!   can read back, and gives byte strings, as Perl's thaw does.
//!
//! # What changes on a round trip (as it does in Perl)
//! * Numbers are written as strings and read back as strings: [`Value::Int`]`(42)` is
//!   `$2|42`, [`Value::Float`] is written as Perl prints it (`0.1 + 0.2` is `$3|0.3`).
//! * The UTF-8 flag is not kept (Latin-1 text comes back as bytes).
//! * A regexp comes back as the pattern Perl's thaw compiles, `qr/(?^i:ab+c)/` with
//!   no flags (but `p` when the text starts `(?^p`, as in Perl), and a blessed regexp
//!   comes back unblessed: FreezeThaw writes a regexp as its stringification only.
//!
//! # Where we differ from Perl, on purpose
//! * **Regexps are never written as repeated references.** FreezeThaw recognises a
//!   repeated regexp by its text, so two equal `qr//` count as one; Perl's thaw then
//!   gives back an empty pattern for it (FreezeThaw cannot copy a regexp into its
//!   placeholder), two different repeated regexps make a record Perl cannot read at
//!   all, and a repeated blessed regexp makes Perl's freeze die. We write every
//!   occurrence in full, which Perl reads correctly; and reading a record Perl wrote
//!   with a repeated regexp, we give the pattern the record holds, not an empty one.
//! * A regexp as a thaw gives it (pattern `(?^...:...)`, no flags of its own) is
//!   written as it is, not wrapped in one more `(?^:...)` as Perl does on every round
//!   trip; Perl compiles both to the same regexp.
//! * Refused on freeze, because Perl would write a record it cannot read back, or
//!   would lose the data: code references (FreezeThaw writes `&CODE(0x...)`, which
//!   thaw dies on), characters above 0xFF, an object of a class named like a Perl type
//!   (`HASH`, `ARRAY`, `SCALAR`, `REF`, `CODE`, `GLOB`, `Regexp`), an empty class name.
//! * Refused on thaw, as Perl's thaw dies on them: CODE (`&`) and GLOB (`*`) items,
//!   `safeFreeze` records (`?`), regexps with code in them (`(?{...})`). Also refused,
//!   though Perl would build something from them, because FreezeThaw never writes them:
//!   a record without the `FrT;` signature, non-string hash keys, odd hash counts,
//!   `<I|` outside a `!` prelude, an object whose content is another object or a
//!   repeated reference, a repeated object whose content does not match its placeholder.
//!
//! [`Value`]: crate::Value
//! [`Value::Int`]: crate::Value::Int
//! [`Value::Float`]: crate::Value::Float
//! [`Value::ref_addr`]: crate::Value::ref_addr
//! [`Error::Unsupported`]: crate::Error::Unsupported

mod cursor;
mod reader;
mod resolve;
mod text;
mod writer;

#[cfg(test)]
mod tests;

use crate::{Error, Serializer, Value};

/// The serializer's name, used in DSNs and in errors.
const FORMAT: &str = "freezethaw";

/// FreezeThaw 0.5001's text format: the serializer named `freezethaw`.
///
/// ```
/// use cgi_session_serializers::{FreezeThaw, Serializer, Value};
///
/// let cart = Value::array([1, 2]);
/// let data = Value::hash([("cart", cart.clone()), ("copy", cart), ("user", "alice".into())]);
/// let text = FreezeThaw.freeze(&data).unwrap();
/// assert_eq!(
///     text,
///     b"FrT;!0|@0|@2|$1|1$1|2@1|%6|$4|cart$4|copy$4|user<0|<0|$5|alice"
/// );
///
/// let back = FreezeThaw.thaw(&text).unwrap();
/// assert!(back["cart"].same_ref(&back["copy"]));
/// // Numbers come back as strings, as they do in Perl.
/// assert_eq!(back["cart"][0], Value::bytes("1"));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct FreezeThaw;

impl Serializer for FreezeThaw {
    fn name(&self) -> &'static str {
        FORMAT
    }

    /// Writes `data` as `FreezeThaw::freeze($data)` does, byte for byte. Fails with
    /// [`Error::Unsupported`] for what Perl could not read back (see the module docs)
    /// and for nesting deeper than [`MAX_DEPTH`](crate::MAX_DEPTH).
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        writer::freeze(data)
    }

    /// Reads a FreezeThaw record and gives its first frozen value, as CGI::Session's
    /// `(FreezeThaw::thaw($text))[0]` does.
    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        let parsed = reader::parse(bytes)?;
        resolve::build(&parsed, bytes)
    }
}

/// A malformed record: where, and what was expected there.
fn syntax(offset: usize, message: impl Into<String>) -> Error {
    Error::syntax(FORMAT, offset, message)
}

/// Well-formed data this serializer will not write or build.
fn unsupported(message: impl Into<String>) -> Error {
    Error::unsupported(FORMAT, message)
}
