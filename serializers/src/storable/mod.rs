//! Serializer `storable`: Perl's Storable binary format, as
//! `CGI::Session::Serialize::storable` uses it (spec §7.2).
//!
//! CGI::Session stores a session with `Storable::freeze(\%data)`: an in-memory image
//! (no `pst0` file magic) in the writing machine's **native** byte order, and reads
//! it back with `Storable::thaw`, which also takes network-order (`nfreeze`) images.
//!
//! ```text
//! 04 0b 08 "12345678" 04 08 08 08   header: format 2.11, little-endian, int/long/ptr/NV sizes
//! 03 01000000                      SX_HASH, 1 pair
//!    08 aa  01000000 "n"           value SX_BYTE 42, then the key
//! ```
//!
//! # Reading
//! [`Storable::thaw`] reads images of format 2.x (Storable 2.x and 3.x) from any
//! machine whose `int` is 4 bytes and whose NV is an 8-byte IEEE double: either byte
//! order, 32- or 64-bit integers, and network order. Perl itself refuses a native image
//! of another byte order or size; we read it. An image with a 16-byte NV (`long double`
//! builds) is refused: its bytes are x87 extended precision on one machine and IEEE
//! quad on another, and the header does not say which.
//!
//! Every item type session data can hold is read: `undef`, integers, doubles, byte and
//! character strings, references, arrays, hashes (including UTF-8 keys and restricted
//! hashes, whose data is kept and whose locks are dropped), blessed objects, overloaded
//! and weak references (read as plain references), regexps, v-strings (read as their
//! string) and back-references to items already read (kept as shared [`Arc`]s).
//! Refused with an error naming the type and the byte offset: code references
//! (`SX_CODE`: stored code is never evaluated), tied data, objects written by a
//! `STORABLE_freeze` hook (`SX_HOOK`), unknown types, and data that contains itself
//! (a [`Value`] cannot hold a cycle). Perl returns `undef` for a truncated image; this
//! reader gives an error. Like Perl, it ignores bytes after the image.
//!
//! The reader never recurses and never trusts a length: every count is checked
//! against the bytes left before anything is allocated, nesting deeper than
//! [`MAX_DEPTH`](crate::MAX_DEPTH) is refused, and back-references cannot copy more
//! string bytes than the image holds.
//!
//! # Writing
//! [`Storable::freeze`] writes what `Storable::freeze` 3.26 writes on x86_64 Linux
//! (format 2.11, native little-endian order) with `$Storable::canonical = 1`, byte for
//! byte: hash keys sorted by code point as Perl's `sort` orders them. Perl's own order
//! is random, so any order reads the same. Perl's choices are reproduced:
//! * an integer from −128 to 127 is an `SX_BYTE`, other integers `SX_INTEGER`;
//! * a float with an integral value below 2⁵³ in magnitude is stored as an integer, as
//!   Perl does (so it reads back as [`Value::Int`]); other floats are `SX_DOUBLE`;
//! * a string is `SX_SCALAR`, or `SX_UTF8STR` when it has the UTF-8 flag;
//! * a hash with a non-ASCII character-string key is an `SX_FLAG_HASH`; a key whose
//!   characters are all below 256 is stored downgraded with Perl's "was UTF-8" flag;
//! * a reference met again (the same [`Arc`]) is an `SX_OBJECT` back-reference, so Perl
//!   rebuilds the sharing;
//! * a blessed reference is `SX_BLESS` with its class, or `SX_IX_BLESS` with the index of
//!   a class already written; a [`Value::Regexp`] is a `Regexp` object holding an
//!   `SX_REGEXP`.
//!
//! One Perl behaviour is deliberately not reproduced: Perl stores a regexp whose pattern
//! is a character string as the pattern's UTF-8 bytes, and its thaw compiles those
//! bytes as Latin-1 characters, so `qr/☺/` comes back as a different regexp. We write
//! each non-ASCII character of such a pattern as `\x{...}` (as Data::Dumper does),
//! which Perl's thaw compiles to the same regexp.
//!
//! A reference to an object is always a plain `SX_REF`: Perl writes `SX_OVERLOAD` for
//! objects of classes that `use overload`, which a [`Value`] cannot know. Perl thaws a
//! plain reference to such an object with its overloading working, as long as the
//! program has loaded the class (which it has, to use the object); only the automatic
//! `require` of the class that `SX_OVERLOAD` triggers is lost.
//!
//! `freeze` refuses what Perl refuses (`Can't store CODE items`), data that is not a
//! reference at the top, nesting deeper than [`MAX_DEPTH`](crate::MAX_DEPTH), and regexp
//! flags Perl's thaw would reject.
//!
//! # What changes on a round trip
//! * Integral floats become integers, as in Perl (see above).
//! * `SX_SV_UNDEF` (Perl's `\undef`, array holes) is written back as a plain `undef`;
//!   `SX_SV_YES`/`SX_SV_NO` (`\!!1`, `\!!0`) read as the strings `"1"` and `""`.
//! * Overloaded and weak references become plain references; restricted hashes lose
//!   their locks; a v-string keeps its string but not its `v1.2.3` form.
//! * A hash element that another reference aliases (`$h{b} = \$h{a}`) becomes a
//!   reference to a copy: a [`Value`] cannot alias a slot.
//! * The non-ASCII characters of a character-string regexp pattern come back as
//!   `\x{...}` escapes (see above). A pattern Perl stored that way is read as Perl's
//!   thaw reads it: its UTF-8 bytes as Latin-1 characters.
//!
//! [`Arc`]: std::sync::Arc

mod input;
mod leaves;
mod reader;
mod writer;

#[cfg(test)]
mod tests;

use crate::{Error, Serializer, Value};

/// The serializer's name, used in DSNs and in errors.
const FORMAT: &str = "storable";

/// Item types of Storable's binary format (`SX_*` in Storable.xs).
mod sx {
    pub const OBJECT: u8 = 0x00;
    pub const LSCALAR: u8 = 0x01;
    pub const ARRAY: u8 = 0x02;
    pub const HASH: u8 = 0x03;
    pub const REF: u8 = 0x04;
    pub const UNDEF: u8 = 0x05;
    pub const INTEGER: u8 = 0x06;
    pub const DOUBLE: u8 = 0x07;
    pub const BYTE: u8 = 0x08;
    pub const NETINT: u8 = 0x09;
    pub const SCALAR: u8 = 0x0a;
    pub const TIED_ARRAY: u8 = 0x0b;
    pub const TIED_HASH: u8 = 0x0c;
    pub const TIED_SCALAR: u8 = 0x0d;
    pub const SV_UNDEF: u8 = 0x0e;
    pub const SV_YES: u8 = 0x0f;
    pub const SV_NO: u8 = 0x10;
    pub const BLESS: u8 = 0x11;
    pub const IX_BLESS: u8 = 0x12;
    pub const HOOK: u8 = 0x13;
    pub const OVERLOAD: u8 = 0x14;
    pub const TIED_KEY: u8 = 0x15;
    pub const TIED_IDX: u8 = 0x16;
    pub const UTF8STR: u8 = 0x17;
    pub const LUTF8STR: u8 = 0x18;
    pub const FLAG_HASH: u8 = 0x19;
    pub const CODE: u8 = 0x1a;
    pub const WEAKREF: u8 = 0x1b;
    pub const WEAKOVERLOAD: u8 = 0x1c;
    pub const VSTRING: u8 = 0x1d;
    pub const LVSTRING: u8 = 0x1e;
    pub const SVUNDEF_ELEM: u8 = 0x1f;
    pub const REGEXP: u8 = 0x20;
    pub const LOBJECT: u8 = 0x21;
    pub const BOOLEAN_TRUE: u8 = 0x22;
    pub const BOOLEAN_FALSE: u8 = 0x23;

    /// The name Storable.xs gives an item type, for error messages.
    pub fn name(op: u8) -> &'static str {
        const NAMES: [&str; 36] = [
            "SX_OBJECT",
            "SX_LSCALAR",
            "SX_ARRAY",
            "SX_HASH",
            "SX_REF",
            "SX_UNDEF",
            "SX_INTEGER",
            "SX_DOUBLE",
            "SX_BYTE",
            "SX_NETINT",
            "SX_SCALAR",
            "SX_TIED_ARRAY",
            "SX_TIED_HASH",
            "SX_TIED_SCALAR",
            "SX_SV_UNDEF",
            "SX_SV_YES",
            "SX_SV_NO",
            "SX_BLESS",
            "SX_IX_BLESS",
            "SX_HOOK",
            "SX_OVERLOAD",
            "SX_TIED_KEY",
            "SX_TIED_IDX",
            "SX_UTF8STR",
            "SX_LUTF8STR",
            "SX_FLAG_HASH",
            "SX_CODE",
            "SX_WEAKREF",
            "SX_WEAKOVERLOAD",
            "SX_VSTRING",
            "SX_LVSTRING",
            "SX_SVUNDEF_ELEM",
            "SX_REGEXP",
            "SX_LOBJECT",
            "SX_BOOLEAN_TRUE",
            "SX_BOOLEAN_FALSE",
        ];
        NAMES.get(usize::from(op)).copied().unwrap_or("unknown")
    }
}

/// Flags of `SX_FLAG_HASH` keys (`SHV_K_*` in Storable.xs).
mod key_flag {
    /// The key is UTF-8 with a character above 0xFF.
    pub const UTF8: u8 = 0x01;
    /// The key was a character string, stored downgraded to bytes.
    pub const WASUTF8: u8 = 0x02;
    /// The key is an item of its own (never written by Perl's hashes).
    pub const ISSV: u8 = 0x08;
    /// A key a restricted hash allows but does not hold: not data.
    pub const PLACEHOLDER: u8 = 0x10;
}

/// Regexp modifiers Storable's thaw accepts (`_make_re` in Storable.pm, Perl ≥ 5.22).
const REGEXP_FLAGS: &str = "msixpdualn";

/// The class Perl blesses every `qr//` into.
const REGEXP_CLASS: &[u8] = b"Regexp";

/// Storable's binary format, as CGI::Session's `storable` serializer stores sessions.
///
/// ```
/// use cgi_session_serializers::{Serializer, Storable, Value};
///
/// let cart = Value::array([1, 2]);
/// let data = Value::hash([("cart", cart.clone()), ("copy", cart), ("n", 42.into())]);
/// let image = Storable.freeze(&data).unwrap();
/// assert_eq!(&image[..2], b"\x04\x0b"); // format 2.11, native order
///
/// let back = Storable.thaw(&image).unwrap();
/// assert_eq!(back, data);
/// assert!(back["cart"].same_ref(&back["copy"]));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Storable;

impl Serializer for Storable {
    fn name(&self) -> &'static str {
        FORMAT
    }

    /// Writes `data` as `Storable::freeze` does on x86_64 with sorted keys (spec §7.2).
    /// Fails with [`Error::Unsupported`] for what Perl cannot store or read back: code
    /// references, a top-level value that is not a reference, nesting deeper than
    /// [`MAX_DEPTH`](crate::MAX_DEPTH), regexp flags outside `msixpdualn`, and lengths
    /// of 2³¹ bytes or items or more.
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        writer::freeze(data)
    }

    /// Reads a native (any byte order) or network-order image. The result is the
    /// reference `Storable::thaw` returns: for a session, a [`Value::Hash`].
    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        reader::thaw(bytes)
    }
}

/// An error about the image at byte `offset`.
fn syntax(offset: usize, message: impl Into<String>) -> Error {
    Error::syntax(FORMAT, offset, message)
}

/// Data this implementation refuses to build or write.
fn unsupported(message: impl Into<String>) -> Error {
    Error::unsupported(FORMAT, message)
}
