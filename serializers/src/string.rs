//! Perl strings: a sequence of code points that remembers whether Perl holds it
//! as bytes or as characters (the SvUTF8 flag).
//!
//! Perl keeps a string either as raw bytes (every code point is 0..=0xFF) or,
//! with the UTF-8 flag on, as its own lax UTF-8 encoding of code points up to
//! 0x7FFF_FFFF (surrogates and non-characters included). [`PerlString`] stores
//! exactly that pair, so a Storable image round-trips byte for byte, while
//! equality and ordering follow Perl's `eq`/`cmp`: by code point, whatever the
//! flag. `"caf\xe9"` as bytes equals `"caf\x{e9}"` as characters, just as the
//! two are the same hash key in Perl.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash as StdHash, Hasher};

/// The largest code point Perl's extended UTF-8 can hold in the forms we read and write.
pub const MAX_CODE_POINT: u32 = 0x7FFF_FFFF;

/// A Perl string: bytes, or characters when [`is_utf8`](Self::is_utf8) is true.
#[derive(Clone, Default)]
pub struct PerlString {
    bytes: Vec<u8>,
    utf8: bool,
}

/// Why a byte sequence is not a valid Perl character string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// Offset of the first byte of the malformed sequence.
    pub offset: usize,
}

impl fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed UTF-8 at byte {}", self.offset)
    }
}

impl std::error::Error for InvalidUtf8 {}

impl PerlString {
    /// A byte string (UTF-8 flag off), as Perl holds raw bytes from a form or a file.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        PerlString {
            bytes: bytes.into(),
            utf8: false,
        }
    }

    /// A character string from Rust text. ASCII-only text is kept as bytes,
    /// which is what Perl does with such literals; anything else gets the UTF-8 flag.
    pub fn from_text(text: &str) -> Self {
        PerlString {
            bytes: text.as_bytes().to_vec(),
            utf8: !text.is_ascii(),
        }
    }

    /// Perl's internal form of a character string: lax UTF-8 bytes with the flag on.
    /// The bytes are checked; surrogates and code points above 0x10FFFF are allowed, as in Perl.
    pub fn from_utf8_internal(bytes: impl Into<Vec<u8>>) -> Result<Self, InvalidUtf8> {
        let bytes = bytes.into();
        let mut at = 0;
        while at < bytes.len() {
            match decode_lax(&bytes[at..]) {
                Some((_, len)) => at += len,
                None => return Err(InvalidUtf8 { offset: at }),
            }
        }
        Ok(PerlString { bytes, utf8: true })
    }

    /// A string from code points. If every code point is at most 0xFF the result is a
    /// byte string, as Perl's `"\x{e9}"` is; otherwise a character string.
    /// Code points above [`MAX_CODE_POINT`] are refused.
    pub fn from_code_points<I: IntoIterator<Item = u32>>(points: I) -> Result<Self, u32> {
        let points: Vec<u32> = points.into_iter().collect();
        if let Some(&bad) = points.iter().find(|&&c| c > MAX_CODE_POINT) {
            return Err(bad);
        }
        if points.iter().all(|&c| c <= 0xFF) {
            return Ok(PerlString::from_bytes(
                points.iter().map(|&c| c as u8).collect::<Vec<u8>>(),
            ));
        }
        let mut bytes = Vec::with_capacity(points.len() * 2);
        for c in points {
            encode_lax(c, &mut bytes);
        }
        Ok(PerlString { bytes, utf8: true })
    }

    /// Perl's internal form of a character string that this crate encoded itself with
    /// [`encode_lax`], so that the check [`from_utf8_internal`](Self::from_utf8_internal)
    /// makes would always pass.
    pub(crate) fn from_encoded_lax(bytes: Vec<u8>) -> Self {
        debug_assert!(PerlString::from_utf8_internal(bytes.clone()).is_ok());
        PerlString { bytes, utf8: true }
    }

    /// Whether Perl holds this string with the UTF-8 flag on.
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// The stored bytes: raw bytes, or Perl's internal UTF-8 when [`is_utf8`](Self::is_utf8).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the string, giving its stored bytes (see [`as_bytes`](Self::as_bytes)).
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The number of stored bytes.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// True when every code point is ASCII (then the flag makes no difference to Perl).
    pub fn is_ascii(&self) -> bool {
        self.bytes.is_ascii()
    }

    /// The code points, as Perl's `ord` sees them.
    pub fn code_points(&self) -> CodePoints<'_> {
        CodePoints {
            bytes: &self.bytes,
            utf8: self.utf8,
        }
    }

    /// Text for a Rust program. A character string is decoded (code points that are not
    /// Unicode scalar values become U+FFFD). A byte string is read as UTF-8 when it is
    /// valid UTF-8 — what most Perl CGI programs store — and as Latin-1 otherwise.
    pub fn to_text(&self) -> Cow<'_, str> {
        if self.utf8 {
            if let Ok(s) = std::str::from_utf8(&self.bytes) {
                return Cow::Borrowed(s);
            }
            return Cow::Owned(
                self.code_points()
                    .map(|c| char::from_u32(c).unwrap_or('\u{FFFD}'))
                    .collect(),
            );
        }
        match std::str::from_utf8(&self.bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(self.bytes.iter().map(|&b| b as char).collect()),
        }
    }

    /// The string as Rust text if it is exactly that: a character string of Unicode
    /// scalar values, or a byte string that is pure ASCII.
    pub fn as_str(&self) -> Option<&str> {
        if self.utf8 || self.bytes.is_ascii() {
            std::str::from_utf8(&self.bytes).ok()
        } else {
            None
        }
    }

    /// The same code points held as bytes (Perl's `utf8::downgrade`), if all are at most 0xFF.
    pub fn downgraded(&self) -> Option<PerlString> {
        if !self.utf8 {
            return Some(self.clone());
        }
        let mut out = Vec::with_capacity(self.bytes.len());
        for c in self.code_points() {
            out.push(u8::try_from(c).ok()?);
        }
        Some(PerlString::from_bytes(out))
    }

    /// The UTF-8 encoding of the code points, as Perl's `utf8::encode` gives it
    /// (bytes stay bytes only if they are ASCII; 0x80..=0xFF become two bytes).
    pub fn utf8_encoded(&self) -> Vec<u8> {
        if self.utf8 {
            return self.bytes.clone();
        }
        let mut out = Vec::with_capacity(self.bytes.len());
        for &b in &self.bytes {
            encode_lax(b as u32, &mut out);
        }
        out
    }
}

/// Iterator over the code points of a [`PerlString`].
pub struct CodePoints<'a> {
    bytes: &'a [u8],
    utf8: bool,
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (&first, rest) = self.bytes.split_first()?;
        if !self.utf8 || first < 0x80 {
            self.bytes = rest;
            return Some(first as u32);
        }
        // The constructors guarantee valid lax UTF-8; fall back to one byte if not.
        match decode_lax(self.bytes) {
            Some((c, len)) => {
                self.bytes = &self.bytes[len..];
                Some(c)
            }
            None => {
                self.bytes = rest;
                Some(first as u32)
            }
        }
    }
}

/// Appends the lax (Perl-extended) UTF-8 encoding of `c` to `out`.
pub fn encode_lax(c: u32, out: &mut Vec<u8>) {
    match c {
        0..=0x7F => out.push(c as u8),
        0x80..=0x7FF => out.extend([0xC0 | (c >> 6) as u8, 0x80 | (c & 0x3F) as u8]),
        0x800..=0xFFFF => out.extend([
            0xE0 | (c >> 12) as u8,
            0x80 | ((c >> 6) & 0x3F) as u8,
            0x80 | (c & 0x3F) as u8,
        ]),
        0x1_0000..=0x1F_FFFF => out.extend([
            0xF0 | (c >> 18) as u8,
            0x80 | ((c >> 12) & 0x3F) as u8,
            0x80 | ((c >> 6) & 0x3F) as u8,
            0x80 | (c & 0x3F) as u8,
        ]),
        0x20_0000..=0x3FF_FFFF => out.extend([
            0xF8 | (c >> 24) as u8,
            0x80 | ((c >> 18) & 0x3F) as u8,
            0x80 | ((c >> 12) & 0x3F) as u8,
            0x80 | ((c >> 6) & 0x3F) as u8,
            0x80 | (c & 0x3F) as u8,
        ]),
        _ => out.extend([
            0xFC | (c >> 30) as u8,
            0x80 | ((c >> 24) & 0x3F) as u8,
            0x80 | ((c >> 18) & 0x3F) as u8,
            0x80 | ((c >> 12) & 0x3F) as u8,
            0x80 | ((c >> 6) & 0x3F) as u8,
            0x80 | (c & 0x3F) as u8,
        ]),
    }
}

/// Decodes one lax UTF-8 sequence at the start of `bytes`: the code point and its length.
/// Overlong forms and truncated sequences are refused.
pub fn decode_lax(bytes: &[u8]) -> Option<(u32, usize)> {
    let first = *bytes.first()?;
    let (len, init) = match first {
        0x00..=0x7F => return Some((first as u32, 1)),
        0xC0..=0xDF => (2, (first & 0x1F) as u32),
        0xE0..=0xEF => (3, (first & 0x0F) as u32),
        0xF0..=0xF7 => (4, (first & 0x07) as u32),
        0xF8..=0xFB => (5, (first & 0x03) as u32),
        0xFC..=0xFD => (6, (first & 0x01) as u32),
        _ => return None,
    };
    if bytes.len() < len {
        return None;
    }
    let mut c = init;
    for &b in &bytes[1..len] {
        if b & 0xC0 != 0x80 {
            return None;
        }
        c = (c << 6) | (b & 0x3F) as u32;
    }
    let min = [0, 0, 0x80, 0x800, 0x1_0000, 0x20_0000, 0x400_0000][len];
    if c < min {
        return None;
    }
    Some((c, len))
}

impl PartialEq for PerlString {
    fn eq(&self, other: &Self) -> bool {
        if self.utf8 == other.utf8 || (self.is_ascii() && other.is_ascii()) {
            return self.bytes == other.bytes;
        }
        self.code_points().eq(other.code_points())
    }
}

impl Eq for PerlString {}

impl PartialOrd for PerlString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PerlString {
    /// Perl's `cmp`: by code point. UTF-8 byte order equals code point order,
    /// so strings with the same flag compare as bytes.
    fn cmp(&self, other: &Self) -> Ordering {
        if self.utf8 == other.utf8 {
            // Hash keys mostly differ in their first byte: decide those without a
            // call to `memcmp` (this is the comparison every B-tree search makes).
            if let (Some(a), Some(b)) = (self.bytes.first(), other.bytes.first()) {
                if a != b {
                    return a.cmp(b);
                }
            }
            return self.bytes.cmp(&other.bytes);
        }
        self.code_points().cmp(other.code_points())
    }
}

impl StdHash for PerlString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for c in self.code_points() {
            state.write_u32(c);
        }
    }
}

impl fmt::Debug for PerlString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.utf8 {
            write!(f, "{:?}", self.to_text())
        } else {
            write!(f, "b\"{}\"", self.bytes.escape_ascii())
        }
    }
}

impl fmt::Display for PerlString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl From<&str> for PerlString {
    fn from(text: &str) -> Self {
        PerlString::from_text(text)
    }
}

impl From<String> for PerlString {
    fn from(text: String) -> Self {
        let utf8 = !text.is_ascii();
        PerlString {
            bytes: text.into_bytes(),
            utf8,
        }
    }
}

impl From<&[u8]> for PerlString {
    fn from(bytes: &[u8]) -> Self {
        PerlString::from_bytes(bytes)
    }
}

impl From<Vec<u8>> for PerlString {
    fn from(bytes: Vec<u8>) -> Self {
        PerlString::from_bytes(bytes)
    }
}

impl PartialEq<str> for PerlString {
    fn eq(&self, other: &str) -> bool {
        *self == PerlString::from_text(other)
    }
}

impl PartialEq<&str> for PerlString {
    fn eq(&self, other: &&str) -> bool {
        *self == PerlString::from_text(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_chars_with_the_same_code_points_are_equal() {
        let latin1 = PerlString::from_bytes(b"caf\xe9".to_vec());
        let chars = PerlString::from_text("café");
        assert!(chars.is_utf8());
        assert_eq!(latin1, chars);
        assert_eq!(latin1.cmp(&chars), Ordering::Equal);
        assert_ne!(PerlString::from_bytes("café".as_bytes()), chars);
    }

    #[test]
    fn code_points_above_ff_make_a_character_string() {
        let s = PerlString::from_code_points([0x263a, 0x41]).unwrap();
        assert!(s.is_utf8());
        assert_eq!(s.as_bytes(), "☺A".as_bytes());
        let b = PerlString::from_code_points([0xe9]).unwrap();
        assert!(!b.is_utf8());
        assert_eq!(b.as_bytes(), b"\xe9");
    }

    #[test]
    fn lax_utf8_round_trips_surrogates_and_large_code_points() {
        for c in [0xD800u32, 0x10FFFF, 0x11_0000, 0x7FFF_FFFF] {
            let mut buf = Vec::new();
            encode_lax(c, &mut buf);
            assert_eq!(decode_lax(&buf), Some((c, buf.len())));
            let s = PerlString::from_utf8_internal(buf).unwrap();
            assert_eq!(s.code_points().collect::<Vec<_>>(), vec![c]);
        }
        assert_eq!(
            PerlString::from_utf8_internal(vec![b'a', 0xC3]),
            Err(InvalidUtf8 { offset: 1 })
        );
        assert!(decode_lax(&[0xC0, 0x80]).is_none(), "overlong NUL refused");
    }

    #[test]
    fn to_text_reads_utf8_bytes_then_latin1() {
        assert_eq!(PerlString::from_bytes("café".as_bytes()).to_text(), "café");
        assert_eq!(
            PerlString::from_bytes(b"caf\xe9".to_vec()).to_text(),
            "café"
        );
    }
}
