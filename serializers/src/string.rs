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
///
/// Strings of up to [`INLINE_BYTES`] bytes are held inline, without an allocation of
/// their own: most keys and values of a session are that short, and a thawed session
/// is made of little else. Longer strings are one exact-size heap slice.
#[derive(Clone)]
pub struct PerlString {
    repr: Repr,
}

/// The most bytes a [`PerlString`] holds without a heap allocation: what fits in the
/// 32 bytes a heap string takes anyway (a `Value` stays 32 bytes).
pub const INLINE_BYTES: usize = 30;

/// The flag lives in both variants so that the enum needs no room for a tag of its own.
#[derive(Clone)]
enum Repr {
    Inline {
        utf8: bool,
        len: u8,
        /// The bytes, then zeros: [`inline_cmp`] compares whole buffers.
        buf: [u8; INLINE_BYTES],
    },
    Heap {
        utf8: bool,
        bytes: Box<[u8]>,
    },
}

impl Default for PerlString {
    fn default() -> Self {
        PerlString::new(&[], false)
    }
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
    /// The string of `bytes` with the flag `utf8`, copied (inline when short).
    #[inline]
    fn new(bytes: &[u8], utf8: bool) -> Self {
        let repr = match <[u8; INLINE_BYTES]>::try_from(bytes) {
            // Exactly full: no padding to add.
            Ok(buf) => Repr::Inline {
                utf8,
                len: INLINE_BYTES as u8,
                buf,
            },
            Err(_) if bytes.len() < INLINE_BYTES => {
                let mut buf = [0; INLINE_BYTES];
                buf[..bytes.len()].copy_from_slice(bytes);
                Repr::Inline {
                    utf8,
                    len: bytes.len() as u8,
                    buf,
                }
            }
            Err(_) => Repr::Heap {
                utf8,
                bytes: bytes.into(),
            },
        };
        PerlString { repr }
    }

    /// The byte string of the first `len` bytes of `window` (`len` at most
    /// [`INLINE_BYTES`]): a reader that has that many bytes of input left copies a
    /// fixed-size window, which takes a few register moves where [`new`](Self::new)
    /// calls `memcpy`, and clears what lies past the string.
    pub(crate) fn from_window(window: &[u8; INLINE_BYTES], len: usize) -> Self {
        debug_assert!(len <= INLINE_BYTES);
        let mut buf = *window;
        // A word at a time, the last overlapping the one before (as in `inline_cmp`):
        // each byte's fate depends only on its own place, so the overlap is harmless.
        for at in [0, 8, 16, INLINE_BYTES - 8] {
            let keep = len.saturating_sub(at).min(8) as u32;
            let mask = u64::MAX.checked_shl(8 * keep).map_or(u64::MAX, |cut| !cut);
            let word = u64::from_le_bytes(word_at(&buf, at)) & mask;
            buf[at..at + 8].copy_from_slice(&word.to_le_bytes());
        }
        PerlString {
            repr: Repr::Inline {
                utf8: false,
                len: len.min(INLINE_BYTES) as u8,
                buf,
            },
        }
    }

    /// The string of `bytes` with the flag `utf8`, keeping the vector's allocation when
    /// the string is too long to be held inline.
    fn from_vec(bytes: Vec<u8>, utf8: bool) -> Self {
        if bytes.len() <= INLINE_BYTES {
            return PerlString::new(&bytes, utf8);
        }
        PerlString {
            repr: Repr::Heap {
                utf8,
                bytes: bytes.into_boxed_slice(),
            },
        }
    }

    /// A byte string (UTF-8 flag off), as Perl holds raw bytes from a form or a file.
    /// A borrowed slice is better given as `PerlString::from(slice)`, which copies a
    /// short string inline without going through a `Vec`.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        PerlString::from_vec(bytes.into(), false)
    }

    /// A character string from Rust text. ASCII-only text is kept as bytes,
    /// which is what Perl does with such literals; anything else gets the UTF-8 flag.
    #[inline]
    pub fn from_text(text: &str) -> Self {
        PerlString::new(text.as_bytes(), !text.is_ascii())
    }

    /// Perl's internal form of a character string: lax UTF-8 bytes with the flag on.
    /// The bytes are checked; surrogates and code points above 0x10FFFF are allowed, as in Perl.
    pub fn from_utf8_internal(bytes: impl Into<Vec<u8>>) -> Result<Self, InvalidUtf8> {
        let bytes = bytes.into();
        check_lax(&bytes)?;
        Ok(PerlString::from_vec(bytes, true))
    }

    /// [`from_utf8_internal`](Self::from_utf8_internal) of borrowed bytes, copied
    /// (inline when short) only once they are checked.
    pub(crate) fn from_utf8_internal_slice(bytes: &[u8]) -> Result<Self, InvalidUtf8> {
        check_lax(bytes)?;
        Ok(PerlString::new(bytes, true))
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
        Ok(PerlString::from_vec(bytes, true))
    }

    /// Perl's internal form of a character string that this crate encoded itself with
    /// [`encode_lax`], so that the check [`from_utf8_internal`](Self::from_utf8_internal)
    /// makes would always pass; copied from a buffer the caller reuses.
    pub(crate) fn from_encoded_lax_slice(bytes: &[u8]) -> Self {
        debug_assert!(check_lax(bytes).is_ok());
        PerlString::new(bytes, true)
    }

    /// Whether Perl holds this string with the UTF-8 flag on.
    pub fn is_utf8(&self) -> bool {
        match self.repr {
            Repr::Inline { utf8, .. } | Repr::Heap { utf8, .. } => utf8,
        }
    }

    /// The stored bytes: raw bytes, or Perl's internal UTF-8 when [`is_utf8`](Self::is_utf8).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.repr {
            Repr::Inline { len, buf, .. } => &buf[..usize::from(*len)],
            Repr::Heap { bytes, .. } => bytes,
        }
    }

    /// Consumes the string, giving its stored bytes (see [`as_bytes`](Self::as_bytes)).
    pub fn into_bytes(self) -> Vec<u8> {
        match self.repr {
            Repr::Inline { len, buf, .. } => buf[..usize::from(len)].to_vec(),
            Repr::Heap { bytes, .. } => bytes.into_vec(),
        }
    }

    /// The bytes of a string held inline, followed by zeros to [`INLINE_BYTES`]: a
    /// writer copies the whole fixed-size buffer, which takes a few register moves
    /// where a copy of [`as_bytes`](Self::as_bytes) calls `memcpy`, and then keeps the
    /// first [`byte_len`](Self::byte_len) bytes. `None` for a string on the heap.
    pub(crate) fn inline_padded(&self) -> Option<&[u8; INLINE_BYTES]> {
        match &self.repr {
            Repr::Inline { buf, .. } => Some(buf),
            Repr::Heap { .. } => None,
        }
    }

    /// The number of stored bytes.
    pub fn byte_len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// True when every code point is ASCII (then the flag makes no difference to Perl).
    pub fn is_ascii(&self) -> bool {
        self.as_bytes().is_ascii()
    }

    /// The code points, as Perl's `ord` sees them.
    pub fn code_points(&self) -> CodePoints<'_> {
        CodePoints {
            bytes: self.as_bytes(),
            utf8: self.is_utf8(),
        }
    }

    /// Text for a Rust program. A character string is decoded (code points that are not
    /// Unicode scalar values become U+FFFD). A byte string is read as UTF-8 when it is
    /// valid UTF-8 — what most Perl CGI programs store — and as Latin-1 otherwise.
    pub fn to_text(&self) -> Cow<'_, str> {
        let bytes = self.as_bytes();
        if self.is_utf8() {
            if let Ok(s) = std::str::from_utf8(bytes) {
                return Cow::Borrowed(s);
            }
            return Cow::Owned(
                self.code_points()
                    .map(|c| char::from_u32(c).unwrap_or('\u{FFFD}'))
                    .collect(),
            );
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
        }
    }

    /// The string as Rust text if it is exactly that: a character string of Unicode
    /// scalar values, or a byte string that is pure ASCII.
    pub fn as_str(&self) -> Option<&str> {
        let bytes = self.as_bytes();
        if self.is_utf8() || bytes.is_ascii() {
            std::str::from_utf8(bytes).ok()
        } else {
            None
        }
    }

    /// The same code points held as bytes (Perl's `utf8::downgrade`), if all are at most 0xFF.
    pub fn downgraded(&self) -> Option<PerlString> {
        if !self.is_utf8() {
            return Some(self.clone());
        }
        let mut out = Vec::with_capacity(self.byte_len());
        for c in self.code_points() {
            out.push(u8::try_from(c).ok()?);
        }
        Some(PerlString::from_bytes(out))
    }

    /// The UTF-8 encoding of the code points, as Perl's `utf8::encode` gives it
    /// (bytes stay bytes only if they are ASCII; 0x80..=0xFF become two bytes).
    pub fn utf8_encoded(&self) -> Vec<u8> {
        let bytes = self.as_bytes();
        if self.is_utf8() {
            return bytes.to_vec();
        }
        let mut out = Vec::with_capacity(bytes.len());
        for &b in bytes {
            encode_lax(b as u32, &mut out);
        }
        out
    }
}

/// Checks that `bytes` are Perl's lax UTF-8 throughout.
fn check_lax(bytes: &[u8]) -> Result<(), InvalidUtf8> {
    let mut at = 0;
    while at < bytes.len() {
        match decode_lax(&bytes[at..]) {
            Some((_, len)) => at += len,
            None => return Err(InvalidUtf8 { offset: at }),
        }
    }
    Ok(())
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
        if self.is_utf8() == other.is_utf8() || (self.is_ascii() && other.is_ascii()) {
            return self.as_bytes() == other.as_bytes();
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
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        if let (
            Repr::Inline {
                utf8: a_utf8,
                len: a_len,
                buf: a,
            },
            Repr::Inline {
                utf8: b_utf8,
                len: b_len,
                buf: b,
            },
        ) = (&self.repr, &other.repr)
        {
            if a_utf8 == b_utf8 {
                return inline_cmp(a, b).then(a_len.cmp(b_len));
            }
        }
        self.cmp_slow(other)
    }
}

impl PerlString {
    /// [`Ord::cmp`] of a long string, or of strings with different flags: kept out of
    /// line so that the short-key comparison stays small enough to inline.
    #[inline(never)]
    fn cmp_slow(&self, other: &Self) -> Ordering {
        if self.is_utf8() == other.is_utf8() {
            return self.as_bytes().cmp(other.as_bytes());
        }
        self.code_points().cmp(other.code_points())
    }
}

/// The byte order of two inline buffers, eight bytes at a time and without a call to
/// `memcmp`: this is the comparison every B-tree search and insert makes, and session
/// keys share long prefixes (`_SESSION_`). Buffers are zero past their length
/// ([`PerlString::new`]), so where two strings differ the buffers differ the same way,
/// and where one is a prefix of the other the buffers are equal or the longer is
/// greater: the lengths decide the rest.
#[inline]
fn inline_cmp(a: &[u8; INLINE_BYTES], b: &[u8; INLINE_BYTES]) -> Ordering {
    // The last word overlaps the one before it: its first bytes compared equal there.
    for at in [0, 8, 16, INLINE_BYTES - 8] {
        let (x, y) = (word(a, at), word(b, at));
        if x != y {
            return x.cmp(&y);
        }
    }
    Ordering::Equal
}

/// Bytes `at..at + 8` of `buf` as a big-endian number, so that numbers order as the bytes do.
#[inline(always)]
fn word(buf: &[u8; INLINE_BYTES], at: usize) -> u64 {
    u64::from_be_bytes(word_at(buf, at))
}

/// Bytes `at..at + 8` of `buf`.
#[inline(always)]
fn word_at(buf: &[u8; INLINE_BYTES], at: usize) -> [u8; 8] {
    let mut w = [0; 8];
    w.copy_from_slice(&buf[at..at + 8]);
    w
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
        if self.is_utf8() {
            write!(f, "{:?}", self.to_text())
        } else {
            write!(f, "b\"{}\"", self.as_bytes().escape_ascii())
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
        PerlString::from_vec(text.into_bytes(), utf8)
    }
}

impl From<&[u8]> for PerlString {
    /// A byte string copied from `bytes`: inline when short, with no `Vec` in between.
    fn from(bytes: &[u8]) -> Self {
        PerlString::new(bytes, false)
    }
}

impl From<Vec<u8>> for PerlString {
    fn from(bytes: Vec<u8>) -> Self {
        PerlString::from_bytes(bytes)
    }
}

impl PartialEq<str> for PerlString {
    /// Perl's `eq` against Rust text, without building a [`PerlString`].
    fn eq(&self, other: &str) -> bool {
        // Lax UTF-8 of Unicode scalar values is their UTF-8; ASCII is the same either way.
        if self.is_utf8() || other.is_ascii() {
            return self.as_bytes() == other.as_bytes();
        }
        self.code_points().eq(other.chars().map(u32::from))
    }
}

impl PartialEq<&str> for PerlString {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
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
    fn short_and_long_strings_are_the_same_strings() {
        for len in [0, 1, INLINE_BYTES - 1, INLINE_BYTES, INLINE_BYTES + 1, 100] {
            let bytes: Vec<u8> = (0..len).map(|n| b'a' + (n % 26) as u8).collect();
            let from_vec = PerlString::from_bytes(bytes.clone());
            let from_slice = PerlString::from(&bytes[..]);
            assert_eq!(from_vec.as_bytes(), &bytes[..], "{len}");
            assert_eq!(from_slice.as_bytes(), &bytes[..], "{len}");
            assert_eq!(from_vec, from_slice);
            assert_eq!(from_vec.clone().into_bytes(), bytes);
            assert!(!from_vec.is_utf8());
            let text = String::from_utf8(bytes).unwrap() + "é";
            let chars = PerlString::from(text.clone());
            assert!(chars.is_utf8());
            assert_eq!(chars, PerlString::from_text(&text));
            assert_eq!(chars, *text.as_str());
            assert_eq!(chars.byte_len(), len + 2);
        }
        assert_eq!(PerlString::from_bytes(b"caf\xe9".to_vec()), "café");
        assert_ne!(PerlString::from_bytes("café".as_bytes()), "café");
    }

    #[test]
    fn short_strings_order_as_their_bytes() {
        // Prefixes, NUL bytes (the inline padding is zero), high bytes, every inline
        // length and one past it, and words that differ only in their last bytes.
        let mut texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\0".to_vec(),
            b"\0\0".to_vec(),
            b"a".to_vec(),
            b"a\0".to_vec(),
            b"a\0\0b".to_vec(),
            b"\xff".to_vec(),
            b"_SESSION_ATIME".to_vec(),
            b"_SESSION_ETIME".to_vec(),
            b"_SESSION_EXPIRE_LIST".to_vec(),
        ];
        for len in [7, 8, 9, 15, 16, 17, 22, 23, 24, 29, 30, 31] {
            let base: Vec<u8> = (0..len).map(|n| b'a' + (n % 26) as u8).collect();
            let mut last_differs = base.clone();
            *last_differs.last_mut().unwrap() = b'z';
            let mut nul_tail = base.clone();
            *nul_tail.last_mut().unwrap() = 0;
            texts.extend([base, last_differs, nul_tail]);
        }
        for a in &texts {
            for b in &texts {
                for utf8 in [false, true] {
                    let (x, y) = (PerlString::new(a, utf8), PerlString::new(b, utf8));
                    assert_eq!(x.cmp(&y), a.cmp(b), "{x:?} cmp {y:?}");
                    assert_eq!(x == y, a == b, "{x:?} eq {y:?}");
                }
            }
        }
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
