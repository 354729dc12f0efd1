//! Serializer `default`: Perl's Data::Dumper text (spec §7.1).
//!
//! CGI::Session stores a session as the Perl source that rebuilds it:
//!
//! ```text
//! $D = {'_SESSION_ID' => 'abc','cart' => [1,2],'x' => [],'y' => {}};$D->{'x'} = $D->{'cart'};;$D
//! ```
//!
//! Perl reads that back with `Safe->new->reval`, i.e. it *runs* the record. The
//! one design decision of this module is that we never do: [`Dumper::thaw`] is a
//! parser for the small subset of Perl that Data::Dumper emits, and anything
//! outside it (a function call, `system`, backticks, interpolation, `eval`, a
//! `do` or `sub` block other than Data::Dumper's two placeholders, ...) is a
//! syntax error naming the byte offset. Records written by hand with Perl's full
//! syntax may therefore be refused even though Perl would load them; records
//! written by Data::Dumper, with CGI::Session's settings or any of the common
//! other ones (`Indent`, `Useqq`, `Quotekeys`, `Purity`, `Sortkeys`, any variable
//! name), are read.
//!
//! # Writing
//! [`Dumper::freeze`] emits byte for byte what the XS Data::Dumper 2.184 (Perl 5.36)
//! emits with CGI::Session's settings — `Indent(0)`, `Purity(1)`, `Useqq(0)`,
//! `Deepcopy(0)`, `Quotekeys(1)`, `Terse(0)`, variable `$D` — followed by the
//! `;$D` that CGI::Session appends, with hash keys sorted (as with
//! `$Data::Dumper::Sortkeys = 1`; Perl's own order is random).
//!
//! # Sharing
//! Two references to the same Perl thing are one [`Arc`](std::sync::Arc) in a
//! [`Value`]. Data::Dumper writes the second occurrence as an empty placeholder
//! (`{}`, `[]` or `do{my $o}`) and appends a fix-up statement such as
//! `$D->{'y'} = $D->{'x'};`; the reader applies those statements so that the
//! slots hold the same `Arc` again. A fix-up that would make a value contain
//! itself (`$D->{'self'} = $D;`) is refused with [`Error::Unsupported`]: a
//! [`Value`] cannot be cyclic.
//!
//! # Where the reader differs from Perl's `reval`
//! * Refused, though Perl might load them: interpolation (`"$x"`, `"@x"`, `qr/a$b/`,
//!   `qr/@x/`), code in regexps (`(?{...})`), octal/hex/underscored numbers,
//!   fix-ups that name missing elements (Perl would create them), globs.
//! * `$D->{'b'} = \$D->{'a'}` (Perl aliasing a plain slot) gives `b` a reference to
//!   a copy: a [`Value`] cannot alias a slot.
//! * A blessed code ref keeps its class (Perl's `Safe` returns it unblessed), and a
//!   plain `qr//` stays unblessed (Perl blesses it into `Safe::Root0::Regexp`).
//!
//! # What changes on a round trip (as it does in Perl)
//! * A [`Value::Float`] is written as a quoted string (`'3.25'`) and reads back as
//!   a string; so does an integer longer than 10 characters.
//! * A character string whose code points are all at most 0xFF reads back as a
//!   byte string (equal under Perl's `eq`, but without the UTF-8 flag).
//! * Non-ASCII characters of a character-string regexp come back as `\x{...}`
//!   escapes in the pattern text.
//! * A class name is written as bytes (Latin-1 when it can be, else UTF-8) and reads
//!   back as bytes.
//!
//! [`Value`]: crate::Value
//! [`Value::Float`]: crate::Value::Float
//! [`Error::Unsupported`]: crate::Error::Unsupported

mod common;
mod fields;
mod fixup;
mod lexer;
mod reader;
mod strings;
mod writer;

#[cfg(test)]
mod tests;

use crate::{Error, Serializer, Value};

/// The serializer's name, used in DSNs and in errors.
const FORMAT: &str = "default";

/// Data::Dumper text with CGI::Session's settings: the serializer named `default`.
///
/// ```
/// use cgi_session_serializers::{Dumper, Serializer, Value};
///
/// let cart = Value::array([1, 2]);
/// let data = Value::hash([("cart", cart.clone()), ("copy", cart), ("user", "alice".into())]);
/// let text = Dumper.freeze(&data).unwrap();
/// assert_eq!(
///     text,
///     b"$D = {'cart' => [1,2],'copy' => [],'user' => 'alice'};$D->{'copy'} = $D->{'cart'};;$D"
/// );
///
/// let back = Dumper.thaw(&text).unwrap();
/// assert_eq!(back, data);
/// assert!(back["cart"].same_ref(&back["copy"]));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Dumper;

impl Serializer for Dumper {
    fn name(&self) -> &'static str {
        FORMAT
    }

    /// Writes `data` as `$D = VALUE;FIXUPS;$D` (spec §7.1). Fails with
    /// [`Error::Unsupported`] only for values Perl cannot hold or Data::Dumper
    /// cannot write: nesting deeper than [`MAX_DEPTH`](crate::MAX_DEPTH), a blessed
    /// non-reference, regexp flags that are not letters, a pattern ending in `\`.
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        writer::freeze(data)
    }

    /// Parses Data::Dumper output (never evaluates it) and applies its fix-ups.
    /// The result is the value of the last statement, as with Perl's `reval`. A record
    /// of the common shape (no fix-ups, references or objects) is read in one pass;
    /// any other is read by the full reader.
    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        common::thaw_common(bytes).map_or_else(|| reader::thaw(bytes), Ok)
    }

    /// Scans a record of the common shape once, building only the values of `keys`
    /// and skipping the others with their structure checked; any other record is
    /// read in full.
    fn thaw_fields(&self, bytes: &[u8], keys: &[&str]) -> Result<Value, Error> {
        fields::thaw_fields(bytes, keys).map_or_else(|| reader::thaw(bytes), Ok)
    }
}
