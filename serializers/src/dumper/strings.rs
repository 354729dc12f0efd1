//! String literals as Data::Dumper writes them, both ways: `'...'` (bytes, only `\\`
//! and `\'` escaped) and, for character strings and `Useqq` output, `"..."` with
//! backslash escapes (spec §7.1).
//!
//! Sessions are mostly strings, so this is the hot path of both directions: text is
//! found eight bytes at a time and copied in runs, and a string read without escapes
//! costs one allocation of its own size.

use super::lexer::{expected, is_word, refuse, run_len, In, PResult};
use crate::string::{decode_lax, encode_lax, INLINE_BYTES, MAX_CODE_POINT};
use crate::PerlString;

/// The position of the first `a` or `b` in `hay`, looking at eight bytes at a time:
/// most strings in a session are runs of plain bytes.
#[inline]
fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A zero byte in `w ^ pattern` is a match; `(x - ONES) & !x & HIGHS` flags the
    // first zero byte of `x` exactly (later flags may be spurious, and are not used).
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let (pa, pb) = (ONES * u64::from(a), ONES * u64::from(b));
    let find = |bytes: [u8; 8]| {
        let w = u64::from_le_bytes(bytes);
        let found = zero_bytes(w ^ pa) | zero_bytes(w ^ pb);
        (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
    };
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        if let Some(at) = find(bytes) {
            return Some(base + at);
        }
        base += 8;
    }
    if chunks.remainder().is_empty() {
        return None;
    }
    // The last eight bytes as one more word: those it shares with the last chunk hold
    // no match, so its first match is the first in `hay`. No `memcpy` for the tail.
    if let Some(&last) = hay.last_chunk::<8>() {
        let from = hay.len() - 8;
        return find(last).map(|at| from + at);
    }
    // Fewer than eight bytes in all.
    hay.iter().position(|&c| c == a || c == b)
}

/// `'...'`: a byte string, where only `\\` and `\'` are escapes (a lone `\` stays).
pub(super) fn single_quoted(i: In<'_>) -> PResult<'_, PerlString> {
    let Some(mut rest) = i.strip_prefix(b"'") else {
        return expected(i, "`'`");
    };
    // Most strings have no escape and are short: copied straight from the input, in
    // a fixed-size window when enough input is left.
    if let Some(end) = find2(rest, b'\'', b'\\').filter(|&at| rest[at] == b'\'') {
        let text = match rest.first_chunk::<INLINE_BYTES>() {
            Some(window) if end <= INLINE_BYTES => PerlString::from_window(window, end),
            _ => PerlString::from(&rest[..end]),
        };
        return Ok((&rest[end + 1..], text));
    }
    let mut out = Vec::new();
    loop {
        let Some(at) = find2(rest, b'\'', b'\\') else {
            return refuse(i, "unterminated single-quoted string");
        };
        out.extend_from_slice(&rest[..at]);
        if rest[at] == b'\'' {
            return Ok((&rest[at + 1..], PerlString::from_bytes(out)));
        }
        match rest.get(at + 1) {
            Some(&c @ (b'\\' | b'\'')) => {
                out.push(c);
                rest = &rest[at + 2..];
            }
            _ => {
                out.push(b'\\');
                rest = &rest[at + 1..];
            }
        }
    }
}

/// The code points of a double-quoted string as they are read, in a buffer reused from
/// string to string: bytes while every code point is at most 0xFF (a byte string, as
/// Perl's eval makes it), Perl's lax UTF-8 from the first one above.
struct Text<'s> {
    bytes: &'s mut Vec<u8>,
    wide: bool,
}

impl Text<'_> {
    /// Raw bytes from the source: code points 0..=0xFF, as in Perl source without `use utf8`.
    fn push_raw(&mut self, raw: &[u8]) {
        if !self.wide || raw.is_ascii() {
            self.bytes.extend_from_slice(raw);
        } else {
            raw.iter()
                .for_each(|&b| encode_lax(u32::from(b), self.bytes));
        }
    }

    fn push(&mut self, c: u32) {
        if !self.wide {
            if let Ok(b) = u8::try_from(c) {
                self.bytes.push(b);
                return;
            }
            self.wide = true;
            let narrow = self.bytes.len();
            for at in 0..narrow {
                encode_lax(u32::from(self.bytes[at]), self.bytes);
            }
            self.bytes.drain(..narrow);
        }
        encode_lax(c, self.bytes);
    }

    /// The string, copied out of the reused buffer.
    fn finish(self) -> PerlString {
        if self.wide {
            // Every code point went through `encode_lax`, and was checked against
            // MAX_CODE_POINT on the way in.
            PerlString::from_encoded_lax_slice(self.bytes)
        } else {
            PerlString::from(self.bytes.as_slice())
        }
    }
}

/// `"..."` with the escapes Data::Dumper's `Useqq` and character strings use.
/// Raw bytes are code points 0..=0xFF, as in Perl source without `use utf8`.
/// `scratch` is working space, reused from string to string.
pub(super) fn double_quoted<'a>(i: In<'a>, scratch: &mut Vec<u8>) -> PResult<'a, PerlString> {
    let Some(mut rest) = i.strip_prefix(b"\"") else {
        return expected(i, "`\"`");
    };
    scratch.clear();
    let mut text = Text {
        bytes: scratch,
        wide: false,
    };
    loop {
        let run = run_len(rest, |c| !matches!(c, b'"' | b'\\' | b'$' | b'@'));
        text.push_raw(&rest[..run]);
        rest = &rest[run..];
        match rest.first() {
            None => return refuse(i, "unterminated double-quoted string"),
            Some(b'"') => return Ok((&rest[1..], text.finish())),
            Some(b'\\') => {
                let (tail, c) = escape(rest)?;
                text.push(c);
                rest = tail;
            }
            Some(_) => {
                return refuse(
                    rest,
                    "variable interpolation in a double-quoted string is not supported",
                )
            }
        }
    }
}

/// One backslash escape in a double-quoted string; `i` starts at the backslash.
fn escape(i: In) -> PResult<u32> {
    let Some((&c, after)) = i.get(1..).and_then(<[u8]>::split_first) else {
        return refuse(i, "unterminated double-quoted string");
    };
    let simple = match c {
        b'n' => Some(0x0a),
        b't' => Some(0x09),
        b'r' => Some(0x0d),
        b'f' => Some(0x0c),
        b'a' => Some(0x07),
        b'e' => Some(0x1b),
        b'b' => Some(0x08),
        _ => None,
    };
    if let Some(code) = simple {
        return Ok((after, code));
    }
    let is_octal = |d: u8| (b'0'..=b'7').contains(&d);
    match c {
        // \NNN: up to three octal digits (Useqq writes \0, \1, \177, \0012).
        b'0'..=b'7' => {
            let digits = &i[1..1 + run_len(&i[1..], is_octal).min(3)];
            Ok((&i[1 + digits.len()..], radix_value(digits, 8)))
        }
        b'x' => {
            if after.first() == Some(&b'{') {
                braced(i, after, 16)
            } else {
                let len = run_len(after, |d| d.is_ascii_hexdigit()).min(2);
                Ok((&after[len..], radix_value(&after[..len], 16)))
            }
        }
        b'o' if after.first() == Some(&b'{') => braced(i, after, 8),
        // \u \L \Q \E \N{...} \c? and friends change or compute text; not ours.
        c if is_word(c) => refuse(
            i,
            format!(
                "unsupported escape `\\{}` in a double-quoted string",
                c as char
            ),
        ),
        // A backslash before any other character means that character.
        c => Ok((after, u32::from(c))),
    }
}

/// `\x{...}` or `\o{...}`; `after` starts at the `{`.
fn braced<'a>(escape_at: In<'a>, after: In<'a>, radix: u32) -> PResult<'a, u32> {
    let inside = &after[1..];
    let len = run_len(inside, |d| digit_value(d) < radix);
    let (text, close) = inside.split_at(len);
    let Some(rest) = close.strip_prefix(b"}") else {
        return refuse(escape_at, "malformed `\\x{...}` escape");
    };
    let significant = text.iter().skip_while(|&&d| d == b'0').count();
    let code = if significant > 11 {
        u64::MAX
    } else {
        radix_value64(text, radix)
    };
    if code > u64::from(MAX_CODE_POINT) {
        return refuse(escape_at, "code point too large in escape");
    }
    Ok((rest, code as u32))
}

fn radix_value(digits: &[u8], radix: u32) -> u32 {
    radix_value64(digits, radix) as u32
}

/// Digits already checked against `radix`.
fn radix_value64(digits: &[u8], radix: u32) -> u64 {
    digits.iter().fold(0u64, |acc, &d| {
        acc * u64::from(radix) + u64::from(digit_value(d))
    })
}

/// The value of an ASCII digit or letter as a digit of any radix up to 36 (as
/// `char::to_digit`); 99 for anything else.
fn digit_value(d: u8) -> u32 {
    match d {
        b'0'..=b'9' => u32::from(d - b'0'),
        b'a'..=b'z' => u32::from(d - b'a') + 10,
        b'A'..=b'Z' => u32::from(d - b'A') + 10,
        _ => 99,
    }
}

/// A string literal of either kind, or an error expecting `what`.
pub(super) fn string<'a>(
    i: In<'a>,
    what: &'static str,
    scratch: &mut Vec<u8>,
) -> PResult<'a, PerlString> {
    match i.first() {
        Some(b'\'') => single_quoted(i),
        Some(b'"') => double_quoted(i, scratch),
        _ => expected(i, what),
    }
}

/// Appends `\x{HEX}` for a code point, in lower case as Data::Dumper writes it.
pub(super) fn push_hex_escape(out: &mut Vec<u8>, c: u32) {
    out.extend_from_slice(b"\\x{");
    let digits = (32 - c.leading_zeros()).div_ceil(4).max(1);
    for shift in (0..digits).rev() {
        out.push(b"0123456789abcdef"[((c >> (4 * shift)) & 0xF) as usize]);
    }
    out.push(b'}');
}

/// A string or hash key as `esc_q_utf8` writes it with `Useqq(0)`: double quotes only
/// for a character string with a non-ASCII character, single quotes otherwise.
pub(super) fn write_string(out: &mut Vec<u8>, s: &PerlString) {
    let bytes = s.as_bytes();
    if !s.is_utf8() || bytes.is_ascii() {
        // Most keys and values are short and need no escape: copy the padded inline
        // buffer whole (no `memcpy` call) and drop the padding.
        if let Some(padded) = s.inline_padded() {
            if find2(padded, b'\\', b'\'').is_none() {
                let end = out.len() + bytes.len() + 1;
                out.reserve(padded.len() + 2);
                out.push(b'\'');
                out.extend_from_slice(padded);
                out.truncate(end);
                out.push(b'\'');
                return;
            }
        }
        write_single_quoted(out, bytes);
        return;
    }
    out.push(b'"');
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        if b.is_ascii() {
            // Every ASCII byte, controls included, is copied raw (Useqq(0)), but for
            // the four that would end the string or interpolate.
            if matches!(b, b'"' | b'\\' | b'$' | b'@') {
                out.push(b'\\');
            }
            out.push(b);
            at += 1;
        } else {
            // The code point, as `PerlString::code_points` reads it.
            let (c, len) = decode_lax(&bytes[at..]).unwrap_or((u32::from(b), 1));
            push_hex_escape(out, c);
            at += len;
        }
    }
    out.push(b'"');
}

/// `'...'` with only `\` and `'` escaped; every other byte raw (spec §7.1).
pub(super) fn write_single_quoted(out: &mut Vec<u8>, mut bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'\'');
    while let Some(at) = find2(bytes, b'\\', b'\'') {
        out.extend_from_slice(&bytes[..at]);
        out.extend_from_slice(&[b'\\', bytes[at]]);
        bytes = &bytes[at + 1..];
    }
    out.extend_from_slice(bytes);
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::find2;

    #[test]
    fn find2_finds_the_first_of_either_byte_at_any_length_and_place() {
        for len in 0..=20 {
            for at in 0..=len {
                for (mark, other) in [(b'\'', b'\\'), (b'\\', b'\'')] {
                    let mut hay = vec![b'a'; len];
                    if at < len {
                        hay[at] = mark;
                    }
                    // A later match, which must not hide the first one.
                    if at + 1 < len {
                        hay[len - 1] = other;
                    }
                    let expected = hay.iter().position(|&c| c == b'\'' || c == b'\\');
                    assert_eq!(find2(&hay, b'\'', b'\\'), expected, "{hay:?}");
                }
            }
        }
    }
}
